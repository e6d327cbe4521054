"""Training targets of the boundary-based proposal models, from ground-truth segments given as
fractions of the feature span (``(n, 2)`` [start, end] in [0, 1], as
:meth:`~vidcore.data.annotations.activitynet.ActivityNetRecord.normalized_segments` gives them).

- :func:`bmn_targets`: BMN's confidence map ``(D, S)`` (the largest tIoU of the proposal
  ``[s, s + d + 1] / T`` with a ground truth) and start/end probabilities ``(T,)``: the largest
  share of the anchor ``[(i - 0.5) / T, (i + 1.5) / T]`` covered by a boundary region of width
  ``3 / T`` centred on a ground-truth start (end), the IoU-of-anchor (IoP) rule.
- :func:`tem_targets`: BSN TEM's actionness/start/end ``(T,)``: anchors ``[i / T, (i + 1) / T]``;
  actionness is the IoP of the anchor with a ground truth, boundaries use regions of width
  ``max(1 / T, boundary_ratio * length)``.

The arithmetic is MMAction2's (``BMN.generate_labels``, ``TEM.generate_labels``), in float64;
MMAction2 rounds the boundary regions to float32 (~6e-8) before dividing by anchor widths of
``2 / T``, so the boundary targets agree to a few 1e-6 (measured <= 2.2e-6 at T = 100).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["anchor_iop", "bmn_targets", "tem_targets"]


def anchor_iop(anchors: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over anchor length: ``(A, 2)`` x ``(B, 2)`` -> ``(A, B)`` float64."""
    a = np.asarray(anchors, dtype=np.float64)
    b = np.asarray(boxes, dtype=np.float64)
    inter = np.maximum(np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0.0)
    return inter / (a[:, 1] - a[:, 0])[:, None]


def _gt(gt_segments: np.ndarray | Tensor) -> np.ndarray:
    if isinstance(gt_segments, Tensor):
        gt_segments = gt_segments.detach().cpu().numpy()
    g = np.asarray(gt_segments, dtype=np.float64).reshape(-1, 2)
    if g.shape[0] == 0:
        raise ValueError("targets need at least one ground-truth segment per video")
    return g


def _boundary_scores(anchors: np.ndarray, centres: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    half = np.asarray(width, dtype=np.float64) / 2
    boxes = np.stack([centres - half, centres + half], axis=1)
    return anchor_iop(anchors, boxes).max(axis=1)


def bmn_targets(gt_segments: np.ndarray | Tensor, temporal_scale: int) -> tuple[Tensor, Tensor, Tensor]:
    """``(confidence (D, S), start (T,), end (T,))`` float32 tensors for one video."""
    g = _gt(gt_segments)
    t = temporal_scale
    gap = 1.0 / t
    tmin = gap * np.arange(t)  # (S,)
    tmax = tmin[None, :] + gap * np.arange(1, t + 1)[:, None]  # (D, S): start s, length d + 1
    inter = np.maximum(
        np.minimum(tmax[..., None], g[:, 1]) - np.maximum(tmin[None, :, None], g[:, 0]), 0.0
    )  # (D, S, n)
    union = (tmax - tmin[None, :])[..., None] - inter + (g[:, 1] - g[:, 0])
    confidence = (inter / union).max(axis=2)
    anchors = np.stack([gap * (np.arange(t) - 0.5), gap * (np.arange(t) + 1.5)], axis=1)
    start = _boundary_scores(anchors, g[:, 0], 3 * gap)
    end = _boundary_scores(anchors, g[:, 1], 3 * gap)
    return (
        torch.from_numpy(confidence.astype(np.float32)),
        torch.from_numpy(start.astype(np.float32)),
        torch.from_numpy(end.astype(np.float32)),
    )


def tem_targets(
    gt_segments: np.ndarray | Tensor, temporal_scale: int, boundary_ratio: float = 0.1
) -> tuple[Tensor, Tensor, Tensor]:
    """``(action, start, end)`` float32 ``(T,)`` tensors for one video (BSN TEM)."""
    g = _gt(gt_segments)
    t = temporal_scale
    gap = 1.0 / t
    anchors = np.stack([gap * np.arange(t), gap * (np.arange(t) + 1.0)], axis=1)
    action = anchor_iop(anchors, g).max(axis=1)
    width = np.maximum(1.0 / t, boundary_ratio * (g[:, 1] - g[:, 0]))
    start = _boundary_scores(anchors, g[:, 0], width)
    end = _boundary_scores(anchors, g[:, 1], width)
    return tuple(torch.from_numpy(x.astype(np.float32)) for x in (action, start, end))  # type: ignore[return-value]
