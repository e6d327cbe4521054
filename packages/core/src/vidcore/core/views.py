"""Test-time view aggregation, one implementation for every task: a sample scored on several
views (clips x crops for video, clips for skeletons and audio) gets one score vector.
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor

__all__ = ["AverageClips", "average_views"]

#: MMAction2's ``average_clips``: ``"prob"``, ``"score"`` or ``None``.
AverageClips = Literal["prob", "score"] | None


def average_views(scores: Tensor, mode: AverageClips = "prob") -> Tensor:
    """Aggregate per-view logits ``(N, V, K)`` into per-sample scores.

    ``"prob"``: mean over views of the softmax probabilities -> ``(N, K)`` (MMAction2's
    ``average_clips='prob'``); ``"score"``: mean of the raw logits -> ``(N, K)``; ``None``: the
    per-view logits unchanged ``(N, V, K)``.
    """
    if scores.dim() != 3:
        raise ValueError(f"average_views expects scores of shape (N, V, K), got {tuple(scores.shape)}")
    if mode is None:
        return scores
    if mode == "prob":
        return scores.softmax(dim=2).mean(dim=1)
    if mode == "score":
        return scores.mean(dim=1)
    raise ValueError(f"average_clips must be 'prob', 'score' or None, got {mode!r}")
