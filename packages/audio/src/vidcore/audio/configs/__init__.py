"""Experiment configs shipped with vidcore-audio, one file per experiment (``config = Experiment(...)``).

    vidcore-audio train --list-configs
    vidcore-audio train tsn_r18_8xb320_64x1x1_100e_kinetics400_audio_feature --set data.root=...
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
    """The file of the shipped config ``name`` (``ConfigError`` with close names if unknown)."""
    from vidcore.core.config import ConfigError

    stem = name.removesuffix(".py")
    path = _HERE / f"{stem}.py"
    if stem.startswith("_") or not path.is_file():
        close = difflib.get_close_matches(stem, list_configs(), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"{name!r} is neither a config file nor a shipped config{hint} (shipped: {', '.join(list_configs())})")
    return path
