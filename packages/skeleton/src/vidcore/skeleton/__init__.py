"""vidcore.skeleton: skeleton-based action recognition (ST-GCN, ST-GCN++, 2s-AGCN, PoseC3D),
typed presets, MMAction2 checkpoint import and multi-stream score fusion.

The public API::

    from vidcore.skeleton import get_model, get_preset, list_presets

    model = get_model("stgcn_joint_80e_ntu60_xsub_keypoint_2d", num_classes=8).eval()
    scores = model.predict(keypoints)   # (N, [clips,] M, T, J, C) float -> (N, K) probabilities

Model families live in :mod:`vidcore.skeleton.models` (one module each).
"""

from __future__ import annotations

from .recognizer import SkeletonBatch, SkeletonRecognizer
from .registry import Preset, get_model, get_preset, list_presets, register_preset

__version__ = "0.1.0"

__all__ = [
    "Preset",
    "SkeletonBatch",
    "SkeletonRecognizer",
    "__version__",
    "get_model",
    "get_preset",
    "list_presets",
    "register_preset",
]
