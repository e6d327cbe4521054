"""vidcore.detection: spatio-temporal action detection (AVA) with SlowOnly/SlowFast Fast R-CNN
style detectors, ACRN and long-term feature banks, and the AVA frame-mAP (official and
MMAction2 protocols).

Heavy imports are lazy: ``import vidcore.detection`` costs nothing until a name is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "AVADetector",
    "AVAFrameMAP",
    "DetectionBatch",
    "Detections",
    "Preset",
    "ava_frame_map",
    "collate_detection",
    "get_model",
    "get_preset",
    "list_presets",
]

_LAZY = {
    "AVADetector": "vidcore.detection.detector",
    "Detections": "vidcore.detection.detector",
    "AVAFrameMAP": "vidcore.detection.evaluation",
    "ava_frame_map": "vidcore.detection.evaluation",
    "DetectionBatch": "vidcore.detection.batch",
    "collate_detection": "vidcore.detection.batch",
    "Preset": "vidcore.detection.registry",
    "get_model": "vidcore.detection.registry",
    "get_preset": "vidcore.detection.registry",
    "list_presets": "vidcore.detection.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vidcore.detection' has no attribute {name!r}")
