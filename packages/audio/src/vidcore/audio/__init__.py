"""vidcore.audio: audio recognition on log-mel spectrograms (MMAction2's audio TSN-R18 and
AudioOnly ResNetAudio-50), typed presets, MMAction2 checkpoint import, and score files for
audio-visual late fusion.

The public API::

    from vidcore.audio import get_model, get_preset, load_audio_recognizer, predict_file

    model = get_model("tsn_r18_64x1x1_kinetics400_audio_feature", num_classes=10)  # AudioRecognizer
    preset = get_preset("tsn_r18_64x1x1_kinetics400_audio_feature")                # its Preset
    model, preset = load_audio_recognizer("tsn_r18_64x1x1_kinetics400_audio_feature", "tsn.pth")
    scores = predict_file(model, preset, "clip.mp4")      # (K,) class probabilities

Model families live in :mod:`vidcore.audio.models` (one module each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vidcore.data.types import AudioBatch

from .recognizer import AudioRecognizer
from .registry import Preset, get_model, get_preset, list_presets, register_preset

if TYPE_CHECKING:
    from .inference import load_audio_recognizer, predict_file

__version__ = "0.1.0"

__all__ = [
    "AudioBatch",
    "AudioRecognizer",
    "Preset",
    "__version__",
    "get_model",
    "get_preset",
    "list_presets",
    "load_audio_recognizer",
    "predict_file",
    "register_preset",
]

_LAZY = {"load_audio_recognizer": "inference", "predict_file": "inference"}


def __getattr__(name: str) -> Any:
    # inference pulls in the decoders and the log-mel code: import it on first use only
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
