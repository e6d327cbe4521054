"""Evaluation for the audio task: accuracy (top-k, MMAction2's mean class accuracy) that also keeps
the per-sample scores for a score file (``vidcore-audio test --save-scores``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vidcore.core.metrics import AccuracyMetric

__all__ = ["ScoreKeepingAccuracy"]


class ScoreKeepingAccuracy(AccuracyMetric):
    """:class:`~vidcore.core.metrics.AccuracyMetric` whose detailed ``compute()`` also returns
    ``scores`` float64 ``(N, K)``, ``labels`` int64 ``(N,)`` and ``indices`` int64 ``(N,)`` (the
    dataset indices, ascending; skipped samples are absent). Keeping the rows needs one process:
    under ``torchrun`` the rows are gathered by the base class but the indices are not, so
    ``keep_scores`` raises there."""

    def __init__(self, topk: int | tuple[int, ...] = (1, 5), *, detailed: bool = False, keep_scores: bool = False):
        super().__init__(topk, detailed=detailed)
        self.keep_scores = keep_scores

    def compute(self) -> dict[str, Any]:
        out = super().compute()
        if self.keep_scores:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
                raise RuntimeError("saving per-sample scores runs in one process (not under torchrun)")
            if not self._indices:
                raise RuntimeError("per-sample scores need the dataset indices of every batch")
            scores, labels = self._gathered()  # de-duplicated, sorted by dataset index
            out["scores"] = scores
            out["labels"] = labels
            out["indices"] = np.unique(torch.cat(self._indices).numpy())
        return out
