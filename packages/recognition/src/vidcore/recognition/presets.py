"""Imports every model family so that all presets are registered (entry point ``vidcore.models``).

Add a line here for each new module under :mod:`vidcore.recognition.models`.
"""

from __future__ import annotations

from importlib import import_module

#: Model modules whose import registers presets.
MODEL_MODULES: tuple[str, ...] = (
    "tsn",
    "tsm",
    "tin",
    "tanet",
    "trn",
    "mobilenet_v2",
    # 3D family (recog-3d)
    "resnet3d",
    "c3d",
    "r2plus1d",
    "slowfast",
    "x3d",
    "csn",
    "tpn",
)

for _module in MODEL_MODULES:
    import_module(f"vidcore.recognition.models.{_module}")
