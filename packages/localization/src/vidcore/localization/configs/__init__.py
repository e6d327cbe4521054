"""Experiment configs shipped with vidcore-localization, one file per experiment.

Each file binds ``config = Experiment(...)`` and its header shows the command that runs it. Run one
by name (dataset paths are yours to give)::

    vidcore-localization train --list-configs
    vidcore-localization train bmn_400x100_9e_activitynet_feature --set data.annotations=anno.json data.feature_root=csv_mean_100

or copy the file (``python -c "from vidcore.localization.configs import config_path;
print(config_path('bmn_400x100_9e_activitynet_feature'))"``) and edit it.
"""

from __future__ import annotations

import difflib
from pathlib import Path

__all__ = ["config_path", "list_configs"]

_HERE = Path(__file__).resolve().parent


def list_configs() -> list[str]:
    """Names of the shipped configs (file names without ``.py``), sorted."""
    return sorted(p.stem for p in _HERE.glob("*.py") if not p.name.startswith("_"))


def config_path(name: str) -> Path:
    """The file of the shipped config ``name`` (``ConfigError`` listing close names if unknown)."""
    from vidcore.core.config import ConfigError

    stem = name[:-3] if name.endswith(".py") else name
    path = _HERE / f"{stem}.py"
    if stem.startswith("_") or not path.is_file():
        close = difflib.get_close_matches(stem, list_configs(), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"{name!r} is neither a config file nor a shipped config{hint} "
            f"(shipped: {', '.join(list_configs())})"
        )
    return path
