"""Experiment configs shipped with vidcore-localization, one file per experiment.

Each file binds ``config = Experiment(...)`` and its header shows the command that runs it. Run one
by name (dataset paths are yours to give)::

    vidcore-localization train --list-configs
    vidcore-localization train bmn_400x100_9e_activitynet_feature --set data.annotations=anno.json data.feature_root=csv_mean_100

or copy the file (``python -c "from vidcore.localization.configs import config_path;
print(config_path('bmn_400x100_9e_activitynet_feature'))"``) and edit it.
"""

from __future__ import annotations

from vidcore.core.shipped_configs import shipped_configs

__all__ = ["config_path", "list_configs"]

config_path, list_configs = shipped_configs(__file__)
