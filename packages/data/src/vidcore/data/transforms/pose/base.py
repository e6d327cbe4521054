"""The pose transform base, the checks every pose transform shares, and the two output samples.

``PoseTransform`` is the one transform base (``vidcore.data.transforms.base.Transform``) typed for a
``PoseSample``; ``HeatmapSample`` (PoseC3D input) and ``GCNSample`` (GCN input) are what the
formatting transforms return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from vidcore.data.transforms.base import Params, Transform
from vidcore.data.types import Label, PoseSample

__all__ = ["GCNSample", "HeatmapSample", "Params", "PoseTransform"]


@dataclass
class HeatmapSample:
    """PoseC3D input: pseudo heatmaps of joints or limbs.

    Attributes:
        heatmap: float32 in ``[0, 1]``; ``layout`` says its shape: ``"TCHW"`` (``(T, K, H, W)``, one
            stack per frame, as ``GeneratePoseTarget`` makes it; with ``double=True`` the flipped copy
            follows along T, ``(2T, K, H, W)``) or ``"NCTHW"`` (``(N, K, T, H, W)``, N views =
            clips x {original, flipped}, after ``FormatHeatmapShape``). K = joints or limbs.
        label, meta: carried over from the ``PoseSample``.
    """

    heatmap: np.ndarray
    label: Label = -1
    layout: Literal["TCHW", "NCTHW"] = "TCHW"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class GCNSample:
    """GCN input: ``keypoint`` float32 ``(num_clips, M, T, V, C)`` with people padded to M."""

    keypoint: np.ndarray
    label: Label = -1
    meta: dict[str, Any] = field(default_factory=dict)


class PoseTransform(Transform[PoseSample]):
    """Base class of the pose transforms (``vidcore.data.transforms.base.Transform`` on a
    ``PoseSample``): ``make_params(sample, rng) -> dict`` (random transforms only, which set
    ``random = True``), then ``apply(sample, params) -> sample``; ``__call__(sample, rng=...)`` does
    both, so these classes compose with video transforms in one ``Compose``.

    Deterministic pose transforms (``random = False``, the default here) build no generator and may
    be applied with ``params`` omitted.
    """

    input_type = PoseSample
    random = False

    def apply(self, sample: PoseSample, params: Params | None = None) -> Any:
        raise NotImplementedError


def check_keypoint(sample: PoseSample, name: str, dims: Sequence[int] | None = None) -> np.ndarray:
    """``sample.keypoint`` as an ``(M, T, V, C)`` array (C in ``dims`` when given), its scores checked
    to be ``(M, T, V)``; ``ValueError`` naming the transform ``name`` otherwise."""
    kp = np.asarray(sample.keypoint)
    if kp.ndim != 4:
        raise ValueError(f"{name}: keypoint must be (M, T, V, C), got shape {kp.shape}")
    if dims is not None and kp.shape[-1] not in dims:
        raise ValueError(f"{name}: keypoint must have C in {tuple(dims)}, got shape {kp.shape}")
    if sample.keypoint_score is not None and np.shape(sample.keypoint_score) != kp.shape[:3]:
        raise ValueError(
            f"{name}: keypoint_score shape {np.shape(sample.keypoint_score)} does not match "
            f"keypoint (M, T, V) = {kp.shape[:3]}"
        )
    return kp


def img_shape_of(sample: PoseSample, name: str) -> tuple[int, int]:
    """``(H, W)`` in pixels of the frames the keypoints were measured on; ``ValueError`` when unknown."""
    if sample.img_shape is None:
        raise ValueError(f"{name}: the sample has no img_shape (H, W)")
    h, w = sample.img_shape
    return int(h), int(w)
