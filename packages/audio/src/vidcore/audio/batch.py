"""The audio batch: log-mel clips and labels, typed (a :class:`vidcore.core.batch.Batch`)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from vidcore.core.batch import Batch

__all__ = ["AudioBatch"]


@dataclass(kw_only=True)
class AudioBatch(Batch):
    """A batch of log-mel clips.

    Attributes:
        audio: float32 ``(N, T, F)`` (one clip per sample) or ``(N, V, T, F)`` (``V`` views per
            sample, MMAction2's ``num_clips`` at test time): ``T`` feature rows (16 ms each in
            MMAction2's recipe) of ``F`` mel bands, values in ``[0, 1]``.
        label: int64 ``(N,)`` class indices, or float ``(N, K)`` soft/multi-hot targets, or ``None``.
    """

    audio: Tensor
    label: Tensor | None = None
