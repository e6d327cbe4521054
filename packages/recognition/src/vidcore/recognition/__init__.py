"""vidcore.recognition: action recognition models (TSN, TSM, I3D, SlowFast, X3D, ...), typed
presets and MMAction2 checkpoint import.

The public API::

    from vidcore.recognition import get_model, get_preset, list_presets, load_recognizer, predict_video

    model = get_model("tsm_r50_1x1x8_kinetics400", num_classes=10)   # a Recognizer
    preset = get_preset("tsm_r50_1x1x8_kinetics400")                 # its typed Preset
    model, preset = load_recognizer("tsm_r50_1x1x8_kinetics400", "tsm.pth")
    scores = predict_video(model, preset, "clip.mp4")                # (K,) class probabilities

Model families live in :mod:`vidcore.recognition.models` (one module each); build them directly
in Python without the registry when you prefer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .recognizer import Recognizer
from .registry import Preset, get_model, get_preset, list_presets, register_preset

if TYPE_CHECKING:
    from .inference import load_recognizer, predict_video

__version__ = "0.1.0"

__all__ = [
    "Preset",
    "Recognizer",
    "__version__",
    "get_model",
    "get_preset",
    "list_presets",
    "load_recognizer",
    "predict_video",
    "register_preset",
]

_LAZY = {"load_recognizer": "inference", "predict_video": "inference"}


def __getattr__(name: str) -> Any:
    # inference pulls in the decoders and transforms: import it on first use only
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
