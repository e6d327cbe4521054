"""The audio recognizer: a 2D backbone on log-mel spectrograms, a classification head, and the
test-time aggregation of several clips per sample (MMAction2's ``RecognizerAudio``).

Tensor layouts at the boundaries:

- batches (:class:`~vidcore.audio.batch.AudioBatch`): float32 ``(N, T, F)`` or ``(N, V, T, F)`` log-mel
  clips, ``V`` views (clips) per sample, ``T`` time rows, ``F`` mel bands;
- model input (:meth:`AudioRecognizer.forward`): ``(B, 1, T, F)`` with ``B = N*V``, MMAction2's
  ``NCTF`` (``FormatAudioShape``) after ``RecognizerAudio`` folds the views into the batch;
- head output: logits ``(B, K)``; :meth:`AudioRecognizer.predict` averages the ``V`` views of each
  sample into ``(N, K)`` (``average_clips="prob"``: mean of the softmax, MMAction2's setting for
  both audio configs).

The features need no normalization (MMAction2's audio configs have no mean/std: the log-mel
values are already scaled to ``[0, 1]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.core.losses import CrossEntropyLoss
from vidcore.core.views import AverageClips, average_views

__all__ = ["AudioRecognizer", "AverageClips", "average_views"]



class AudioRecognizer(nn.Module):
    """``backbone -> head`` on log-mel clips (MMAction2's ``RecognizerAudio``).

    Args:
        backbone: 2D network on ``(B, 1, T, F)`` spectrograms returning ``(B, C, t, f)`` features.
        head: classifier ``(B, C, t, f) -> (B, K)`` with ``num_classes`` and ``reset_classifier``
            (see :class:`vidcore.audio.models.head.AudioHead`).
        average_clips: view aggregation of :meth:`predict` (see :func:`average_views`).
        loss: training criterion ``loss(logits (N, K), labels) -> scalar``; default cross-entropy
            (hard or soft labels).

    State-dict keys: ``backbone.*`` and ``head.*`` (MMAction2's ``cls_head.*``).
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        *,
        average_clips: AverageClips = "prob",
        loss: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if average_clips not in ("prob", "score", None):
            raise ValueError(f"average_clips must be 'prob', 'score' or None, got {average_clips!r}")
        self.backbone = backbone
        self.head = head
        self.average_clips: AverageClips = average_clips
        self.loss = loss if loss is not None else CrossEntropyLoss()

    @property
    def num_classes(self) -> int:
        return int(self.head.num_classes)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ------------------------------------------------------------------ layout
    @staticmethod
    def views(audio: Tensor) -> tuple[int, int]:
        """``(N, V)`` of a ``(N, T, F)`` or ``(N, V, T, F)`` batch."""
        if audio.dim() == 3:
            return audio.shape[0], 1
        if audio.dim() == 4:
            return audio.shape[0], audio.shape[1]
        raise ValueError(f"audio must be (N, T, F) or (N, V, T, F) log-mel clips, got {tuple(audio.shape)}")

    def preprocess(self, audio: Tensor) -> Tensor:
        """``(N, [V,] T, F)`` clips -> model input ``(N*V, 1, T, F)`` float32 on the model's device."""
        if not isinstance(audio, Tensor):
            raise TypeError(f"audio must be a torch.Tensor, got {type(audio).__name__}")
        self.views(audio)
        t, f = audio.shape[-2], audio.shape[-1]
        x = audio.to(self.device, dtype=torch.float32, non_blocking=True)
        return x.reshape(-1, 1, t, f)  # (N, [V,] T, F) -> (N*V, 1, T, F)

    # ------------------------------------------------------------------ model
    def forward_features(self, x: Tensor) -> Tensor:
        """Backbone features ``(B, C, t, f)`` of model input ``(B, 1, T, F)``."""
        if x.dim() != 4:
            raise ValueError(f"model input must be (B, 1, T, F), got {tuple(x.shape)}")
        return self.backbone(x)

    def forward_head(self, features: Tensor) -> Tensor:
        return self.head(features)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B, K)`` of model input ``(B, 1, T, F)`` (one row per clip)."""
        return self.forward_head(self.forward_features(x))

    def reset_classifier(self, num_classes: int) -> None:
        self.head.reset_classifier(num_classes)

    # ------------------------------------------------------------------ training / evaluation
    def forward_train(self, batch: Any) -> dict[str, Tensor]:
        """``{"loss", "loss_cls", "top1"}`` of a training batch (``audio``, ``label``); with
        several views per sample their logits are averaged before the loss."""
        audio, labels = _field(batch, "audio"), _field(batch, "label")
        n, v = self.views(audio)
        logits = self.forward(self.preprocess(audio))
        if v > 1:
            logits = logits.view(n, v, -1).mean(dim=1)  # (N*V, K) -> (N, K)
        labels = labels.to(logits.device)
        loss = self.loss(logits, labels)
        out = {"loss": loss, "loss_cls": loss.detach()}
        if not labels.dtype.is_floating_point:
            out["top1"] = (logits.detach().argmax(dim=1) == labels).float().mean()
        return out

    @torch.no_grad()
    def forward_eval(self, batch: Any) -> dict[str, Tensor]:
        """``{"scores": (N, K), "labels": ...}`` with the views aggregated (``average_clips``)."""
        out = {"scores": self.predict(_field(batch, "audio"))}
        label = batch.get("label") if hasattr(batch, "get") else None
        if label is not None:
            out["labels"] = label
        return out

    @torch.no_grad()
    def predict(self, audio: Tensor) -> Tensor:
        """Scores ``(N, K)`` of ``(N, [V,] T, F)`` clips, views aggregated with ``average_clips``
        (``(N, V, K)`` logits when it is ``None``). The caller sets eval mode."""
        n, v = self.views(audio)
        logits = self.forward(self.preprocess(audio))  # (N*V, K)
        return average_views(logits.view(n, v, -1), self.average_clips)


def _field(batch: Any, name: str) -> Any:
    if isinstance(batch, Mapping) or hasattr(batch, "__getitem__"):
        try:
            return batch[name]
        except KeyError:
            pass
    raise KeyError(f"the batch has no {name!r} field (an AudioBatch has audio and label)")
