"""Experiment files shipped inside a package (``vidcore/<task>/configs/*.py``), listed and found
by name. A package's ``configs/__init__.py`` is one line::

    config_path, list_configs = shipped_configs(__file__)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

__all__ = ["shipped_configs"]


def shipped_configs(package_file: str) -> tuple[Callable[[str], Path], Callable[[], list[str]]]:
    """``(config_path, list_configs)`` for the ``*.py`` files beside ``package_file`` (files
    starting with ``_`` are helpers, not configs)."""
    folder = Path(package_file).resolve().parent

    def list_configs() -> list[str]:
        """Names of the shipped configs (file names without ``.py``), sorted."""
        return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))

    def config_path(name: str) -> Path:
        """The file of the shipped config ``name`` (``ConfigError`` listing close names if unknown)."""
        from vidcore.core.config import ConfigError

        stem = name[:-3] if name.endswith(".py") else name
        path = folder / f"{stem}.py"
        if stem.startswith("_") or not path.is_file():
            names = list_configs()
            close = difflib.get_close_matches(stem, names, n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{name!r} is neither a config file nor a shipped config{hint} (shipped: {', '.join(names)})"
            )
        return path

    return config_path, list_configs
