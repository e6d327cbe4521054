"""The skeleton recognizer: backbone + head over keypoint sequences (GCNs) or heatmap volumes
(PoseC3D), with the multi-clip test aggregation, and the typed batch it trains on.

Tensor layouts at the boundaries (``V`` = test clips or views of one sample):

- GCN input (``input_key="keypoint"``): float ``(N, [V,] M, T, J, C)``: ``M`` people, ``T`` frames,
  ``J`` joints, ``C`` channels (x, y, score for 2D poses; x, y, z for NTU 3D); what
  ``FormatGCNInput`` makes, as MMAction2's ``RecognizerGCN`` takes it;
- PoseC3D input (``input_key="heatmap"``): float ``(N, [V,] K, T, H, W)`` pseudo heatmaps in
  ``[0, 1]`` of ``K`` joints or limbs (``FormatHeatmapShape``), as MMAction2's ``Recognizer3D``
  takes them (no normalisation);
- backbone input: one row per clip, ``(N*V, ...)``; head output: logits ``(N*V, K)``;
  :meth:`SkeletonRecognizer.predict` averages the ``V`` clips of each sample into ``(N, K)``
  (MMAction2's ``average_clips``: ``"prob"`` = mean of softmax, ``"score"`` = mean of logits).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import torch
from torch import Tensor, nn

from vidcore.core.batch import Batch
from vidcore.core.losses import CrossEntropyLoss
from vidcore.core.views import AverageClips, average_views

__all__ = ["AverageClips", "InputKey", "SkeletonBatch", "SkeletonRecognizer", "average_clips"]

InputKey = Literal["keypoint", "heatmap"]


@dataclasses.dataclass(kw_only=True)
class SkeletonBatch(Batch):
    """A batch of skeleton samples.

    Attributes:
        keypoint: float32 ``(N, [V,] M, T, J, C)`` GCN input, or ``None``.
        heatmap: float32 ``(N, [V,] K, T, H, W)`` PoseC3D input, or ``None``.
        rgb: ``uint8`` / 0-255 float ``(N, [V,] 3, T, H, W)`` frames beside ``heatmap`` (RGBPoseConv3D),
            or ``None``.
        label: int64 ``(N,)`` class indices (``-1`` when unknown), or ``None``.
        frame_dir: the sample identifiers (the pickle's ``frame_dir``), for score files.
    """

    keypoint: Tensor | None = None
    heatmap: Tensor | None = None
    rgb: Tensor | None = None
    label: Tensor | None = None
    frame_dir: tuple[str, ...] = ()


def average_clips(logits: Tensor, mode: AverageClips = "prob") -> Tensor:
    """``(N, V, K)`` per-clip logits -> ``(N, K)`` (:func:`vidcore.core.views.average_views`)."""
    return average_views(logits, mode)


class SkeletonRecognizer(nn.Module):
    """``backbone -> head`` on skeleton input (layouts in the module docstring).

    Args:
        backbone: maps ``(B, ...)`` clips (5 dims) to features the head takes.
        head: maps features to logits ``(B, K)``; has ``num_classes`` and ``reset_classifier``.
        input_key: ``"keypoint"`` (GCNs) or ``"heatmap"`` (PoseC3D): the batch field it reads.
        average_clips: test-time clip aggregation of :meth:`predict`.
        loss: training criterion on ``(N, K)`` logits; cross-entropy by default.
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        *,
        input_key: InputKey = "keypoint",
        average_clips: AverageClips = "prob",
        loss: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if input_key not in ("keypoint", "heatmap"):
            raise ValueError(f"input_key must be 'keypoint' or 'heatmap', got {input_key!r}")
        if average_clips not in ("prob", "score", None):
            raise ValueError(f"average_clips must be 'prob', 'score' or None, got {average_clips!r}")
        self.backbone = backbone
        self.head = head
        self.input_key: InputKey = input_key
        self.average_clips: AverageClips = average_clips
        self.loss = loss if loss is not None else CrossEntropyLoss()

    @property
    def num_classes(self) -> int:
        return int(self.head.num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """Backbone features of ``(B, ...)`` clips."""
        if x.dim() != 5:
            raise ValueError(f"{self.input_key} clips must have 5 dims (B, ...), got {tuple(x.shape)}")
        return self.backbone(x)

    def forward_head(self, features: Tensor) -> Tensor:
        return self.head(features)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B, K)`` of ``(B, ...)`` float clips (one row per clip)."""
        return self.forward_head(self.forward_features(x))

    def reset_classifier(self, num_classes: int) -> None:
        self.head.reset_classifier(num_classes)

    def _clips(self, x: Tensor) -> tuple[int, int, Tensor]:
        """``(N, V, x as (N*V, ...))`` for ``(N, ...)`` or ``(N, V, ...)`` input."""
        if not isinstance(x, Tensor):
            raise TypeError(f"expected a tensor of {self.input_key}s, got {type(x).__name__}")
        if x.dim() == 5:
            return x.shape[0], 1, x
        if x.dim() == 6:
            n, v = x.shape[:2]
            return n, v, x.reshape(n * v, *x.shape[2:])  # (N, V, ...) -> (N*V, ...)
        what = "(N, [V,] M, T, J, C)" if self.input_key == "keypoint" else "(N, [V,] K, T, H, W)"
        raise ValueError(f"{self.input_key} input must be {what}, got {tuple(x.shape)}")

    def _input(self, batch: Batch) -> Tensor:
        x = batch.get(self.input_key)
        if x is None:
            raise ValueError(f"the batch has no {self.input_key!r} field (this model reads {self.input_key}s)")
        return x

    def forward_train(self, batch: Batch) -> dict[str, Tensor]:
        """``{"loss", "loss_cls", "top1"}`` for a batch with ``label``; several clips per sample
        have their logits averaged before the loss."""
        n, v, x = self._clips(self._input(batch))
        device = next(self.parameters()).device
        logits = self.forward(x.to(device, torch.float32))
        if v > 1:
            logits = logits.view(n, v, -1).mean(dim=1)  # (N*V, K) -> (N, K)
        labels = batch["label"].to(device)
        loss = self.loss(logits, labels)
        top1 = (logits.detach().argmax(dim=1) == labels).float().mean()
        return {"loss": loss, "loss_cls": loss.detach(), "top1": top1}

    @torch.no_grad()
    def forward_eval(self, batch: Batch) -> dict[str, Tensor]:
        """``{"scores": (N, K), "labels": (N,)}``, clips aggregated with ``average_clips``."""
        out = {"scores": self.predict(self._input(batch))}
        if batch.get("label") is not None:
            out["labels"] = batch["label"]
        return out

    @torch.no_grad()
    def predict(self, x: Tensor, *, max_clips_per_forward: int | None = None) -> Tensor:
        """Scores ``(N, K)`` for ``(N, [V,] ...)`` input, clips aggregated (``(N, V, K)`` logits
        when ``average_clips`` is None). The caller chooses train/eval mode."""
        n, v, flat = self._clips(x)
        device = next(self.parameters()).device
        flat = flat.to(device, torch.float32)
        step = flat.shape[0] if not max_clips_per_forward else max(1, int(max_clips_per_forward))
        logits = torch.cat([self.forward(flat[i : i + step]) for i in range(0, flat.shape[0], step)])
        return average_clips(logits.view(n, v, -1), self.average_clips)  # (N*V, K) -> (N, V, K)
