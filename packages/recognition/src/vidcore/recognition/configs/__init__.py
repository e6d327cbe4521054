"""Experiment configs shipped with vidcore-recognition, one file per experiment.

Each file binds ``config = Experiment(...)`` and its header shows the command that runs it. Run one
by name (dataset paths are yours to give)::

    vidcore-recognition train --list-configs
    vidcore-recognition train tsm_r50_8xb16_1x1x8_50e_kinetics400 --set data.root=/data/k400/train ...

or copy the file (``python -c "from vidcore.recognition.configs import config_path;
print(config_path('tsm_r50_8xb16_1x1x8_50e_kinetics400'))"``) and edit it.
"""

from __future__ import annotations

from vidcore.core.shipped_configs import shipped_configs

__all__ = ["config_path", "list_configs"]

config_path, list_configs = shipped_configs(__file__)
