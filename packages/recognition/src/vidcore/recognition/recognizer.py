"""The recognizer: backbone + optional neck + head, with on-device normalization and test-time
view aggregation shared by every architecture.

Tensor layouts at the boundaries:

- input to :meth:`Recognizer.preprocess` / :meth:`Recognizer.predict`: ``uint8`` video batches
  ``(N, T, C, H, W)`` or ``(N, V, T, C, H, W)`` with ``V`` test views (clips x crops);
- model input (what :meth:`Recognizer.forward` takes), float, normalized:
  ``"NCTHW"`` (3D models): ``(N*V, C, T, H, W)``;
  ``"NCHW"`` (2D models, TSN/TSM family): ``(N*V*T, C, H, W)`` with ``T`` segments per clip;
- backbone features handed to the neck/head: 3D: whatever the backbone returns (usually
  ``(B, C, t, h, w)``); 2D: each backbone output ``(B*t, C, h, w)`` regrouped to ``(B, t, C, h, w)``
  (``t`` may be smaller than ``T`` when the backbone pools time, as TSM's ``temporal_pool``);
- head output: logits ``(B, K)`` with ``B = N*V``; :meth:`Recognizer.predict` aggregates the ``V``
  views of each video into ``(N, K)``.

Head protocol (every head in vidcore.recognition follows it): ``forward(features) -> (B, K)``
logits, attribute ``num_classes`` and method ``reset_classifier(num_classes)``. A neck is any
module mapping backbone features to head features; a neck with an auxiliary training loss (TPN)
may also define ``forward_train(features, labels) -> (features, {name: loss})``, which
:meth:`Recognizer.forward_train` then uses and adds to the total loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from vidcore.core.losses import CrossEntropyLoss
from vidcore.core.views import AverageClips, average_views

InputLayout = Literal["NCTHW", "NCHW"]

#: ImageNet mean / std in 0-255 units (RGB order), as used by nearly every MMAction2 config.
IMAGENET_MEAN_255: tuple[float, float, float] = (123.675, 116.28, 103.53)
IMAGENET_STD_255: tuple[float, float, float] = (58.395, 57.12, 57.375)


class Recognizer(nn.Module):
    """An action recognizer: ``backbone -> [neck] -> head``.

    Args:
        backbone: feature extractor. For ``input_layout="NCHW"`` it is a 2D network run on every
            frame; a backbone that mixes frames (TSM, TIN, TANet) exposes ``num_segments`` and the
            recognizer refuses inputs with another number of segments.
        head: classifier following the head protocol in the module docstring.
        neck: optional module between backbone and head.
        mean, std: per-channel normalization in 0-255 units (so ``uint8`` frames need no division).
        input_layout: ``"NCTHW"`` for 3D backbones, ``"NCHW"`` for 2D ones.
        num_segments: segments per clip for 2D models (TSN ``1x1x3`` -> 3); default for
            :meth:`forward` when it is not given. Taken from ``backbone.num_segments`` when unset.
        average_clips: test-time view aggregation of :meth:`predict`, see :func:`average_views`.
        loss: training criterion ``loss(logits (N, K), labels) -> scalar``; default cross-entropy
            accepting hard or soft labels.

    ``batch_augment`` (attribute, default ``None``) is an optional batch-level mixing for
    training, ``(video, labels, rng=...) -> (video, soft targets)`` (e.g.
    ``vidcore.data.transforms.batch.RandomBatchAugment`` of MixUp and CutMix): applied in
    :meth:`forward_train` to the 0-255 float clips, with a generator seeded from torch's (so a
    trainer's seed fixes it). It is not part of the state dict.
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        neck: nn.Module | None = None,
        *,
        mean: Sequence[float] = IMAGENET_MEAN_255,
        std: Sequence[float] = IMAGENET_STD_255,
        input_layout: InputLayout = "NCTHW",
        num_segments: int | None = None,
        average_clips: AverageClips = "prob",
        loss: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if input_layout not in ("NCTHW", "NCHW"):
            raise ValueError(f"input_layout must be 'NCTHW' or 'NCHW', got {input_layout!r}")
        if average_clips not in ("prob", "score", None):
            raise ValueError(f"average_clips must be 'prob', 'score' or None, got {average_clips!r}")
        if len(mean) != len(std):
            raise ValueError(f"mean and std differ in length: {len(mean)} vs {len(std)}")
        if any(s <= 0 for s in std):
            raise ValueError(f"std must be positive, got {tuple(std)}")
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.input_layout: InputLayout = input_layout
        if num_segments is None:
            num_segments = getattr(backbone, "num_segments", None)
        self.num_segments = num_segments
        self.average_clips: AverageClips = average_clips
        self.loss = loss if loss is not None else CrossEntropyLoss()
        self.batch_augment: Any = None
        # Not persistent: the state dict holds learned weights only.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32), persistent=False)

    # ------------------------------------------------------------------ properties
    @property
    def num_classes(self) -> int:
        return int(self.head.num_classes)

    @property
    def in_channels(self) -> int:
        """Number of input channels (3 for RGB, 2 for optical flow)."""
        return int(self.mean.numel())

    # ------------------------------------------------------------------ preprocessing
    def preprocess(self, video: Tensor) -> Tensor:
        """Normalize a ``uint8`` (or 0-255 float) batch on the model's device and lay it out.

        ``(N, T, C, H, W)`` or ``(N, V, T, C, H, W)`` -> ``(N*V, C, T, H, W)`` for ``"NCTHW"`` or
        ``(N*V*T, C, H, W)`` for ``"NCHW"``, float32, ``(x - mean) / std``.
        """
        if not isinstance(video, Tensor):
            raise TypeError(f"preprocess expects a torch.Tensor, got {type(video).__name__}")
        if video.dim() not in (5, 6):
            raise ValueError(
                "preprocess expects video of shape (N, T, C, H, W) or (N, V, T, C, H, W), "
                f"got {tuple(video.shape)}"
            )
        c = video.shape[-3]
        if c != self.in_channels:
            raise ValueError(
                f"video has {c} channels at dim -3 but the model normalizes {self.in_channels} "
                f"(shape {tuple(video.shape)}; expected (..., T, C, H, W))"
            )
        t, h, w = video.shape[-4], video.shape[-2], video.shape[-1]
        x = video.to(self.mean.device, non_blocking=True).to(self.mean.dtype)
        x = (x - self.mean.view(-1, 1, 1)) / self.std.view(-1, 1, 1)
        if self.input_layout == "NCTHW":
            # (N, [V,] T, C, H, W) -> (N*V, T, C, H, W) -> (N*V, C, T, H, W)
            return x.reshape(-1, t, c, h, w).permute(0, 2, 1, 3, 4).contiguous()
        # (N, [V,] T, C, H, W) -> (N*V*T, C, H, W), in the default memory layout (batches from
        # collate_samples keep the decoder's channels-last memory)
        return x.reshape(-1, c, h, w).contiguous()

    # ------------------------------------------------------------------ model
    def _segments(self, num_segments: int | None) -> int:
        t = num_segments if num_segments is not None else self.num_segments
        if t is None:
            raise ValueError(
                "a 2D (NCHW) recognizer needs num_segments: pass it to forward() or the constructor"
            )
        for part in (self.backbone, self.neck, self.head):
            fixed = getattr(part, "num_segments", None)
            if fixed is not None and fixed != t:
                raise ValueError(
                    f"{type(part).__name__} is built for {fixed} segments per clip, got {t}; "
                    "sample that many frames per clip (or rebuild the model)"
                )
        return t

    def _backbone_features(self, x: Tensor, num_segments: int | None = None) -> Any:
        if self.input_layout == "NCTHW":
            if x.dim() != 5:
                raise ValueError(f"NCTHW model input must be (B, C, T, H, W), got {tuple(x.shape)}")
            return self.backbone(x)
        if x.dim() != 4:
            raise ValueError(f"NCHW model input must be (B*T, C, H, W), got {tuple(x.shape)}")
        t = self._segments(num_segments)
        if x.shape[0] % t:
            raise ValueError(f"batch dimension {x.shape[0]} is not a multiple of num_segments={t}")
        b = x.shape[0] // t
        feats = self.backbone(x)

        def regroup(f: Tensor) -> Tensor:
            # (B*t, C, h, w) -> (B, t, C, h, w)
            return f.reshape(b, -1, *f.shape[1:])

        if isinstance(feats, Tensor):
            return regroup(feats)
        return tuple(regroup(f) for f in feats)

    def forward_features(self, x: Tensor, num_segments: int | None = None) -> Any:
        """Backbone (and neck) features of a preprocessed batch (layouts in the module docstring)."""
        feats = self._backbone_features(x, num_segments)
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def forward_head(self, features: Any) -> Tensor:
        """Logits ``(B, K)`` from :meth:`forward_features` output."""
        return self.head(features)

    def forward(self, x: Tensor, num_segments: int | None = None) -> Tensor:
        """Logits ``(B, K)`` for a preprocessed float batch (one row per clip/view)."""
        return self.forward_head(self.forward_features(x, num_segments))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classification layer(s) with freshly initialised ones for ``num_classes``."""
        self.head.reset_classifier(num_classes)

    # ------------------------------------------------------------------ training / evaluation
    @staticmethod
    def _views(video: Tensor) -> tuple[int, int, int]:
        """(N, V, T) of a ``(N, T, C, H, W)`` or ``(N, V, T, C, H, W)`` batch."""
        if video.dim() == 5:
            return video.shape[0], 1, video.shape[1]
        if video.dim() == 6:
            return video.shape[0], video.shape[1], video.shape[2]
        raise ValueError(
            f"video must be (N, T, C, H, W) or (N, V, T, C, H, W), got {tuple(video.shape)}"
        )

    def forward_train(self, batch: Mapping[str, Any]) -> dict[str, Tensor]:
        """Loss for a training batch ``{"video": uint8 (N, [V,] T, C, H, W), "label": (N,) | (N, K)}``.

        Returns ``{"loss", "loss_cls", "top1"}`` (``top1`` only for hard labels) plus any auxiliary
        neck losses. With several views per sample their logits are averaged before the loss.
        With ``batch_augment`` set, the clips and labels are mixed first and the loss takes the
        mixed targets (``top1`` is then measured against the unmixed labels).
        """
        video, labels = batch["video"], batch["label"]
        n, v, t = self._views(video)
        labels = labels.to(self.mean.device)
        hard_labels = labels
        if self.batch_augment is not None:
            rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
            video, labels = self.batch_augment(video.to(self.mean.device, torch.float32), labels, rng=rng)
        x = self.preprocess(video)
        aux: dict[str, Tensor] = {}
        if self.neck is not None and hasattr(self.neck, "forward_train"):
            feats = self._backbone_features(x, t)
            neck_labels = hard_labels.repeat_interleave(v, dim=0) if v > 1 else hard_labels
            feats, aux = self.neck.forward_train(feats, neck_labels)
            logits = self.forward_head(feats)
        else:
            logits = self.forward(x, t)
        if v > 1:
            logits = logits.view(n, v, -1).mean(dim=1)  # (N*V, K) -> (N, K)
        loss_cls = self.loss(logits, labels)
        out: dict[str, Tensor] = {"loss": loss_cls + sum(aux.values()), "loss_cls": loss_cls.detach()}
        out.update({k: val for k, val in aux.items()})
        if not hard_labels.dtype.is_floating_point:
            out["top1"] = (logits.detach().argmax(dim=1) == hard_labels).float().mean()
        return out

    @torch.no_grad()
    def forward_eval(self, batch: Mapping[str, Any]) -> dict[str, Tensor]:
        """``{"scores": (N, K), "labels": ...}`` for an evaluation batch, views aggregated
        (with ``average_clips=None`` the per-view probabilities are averaged here)."""
        scores = self.predict(batch["video"])
        if scores.dim() == 3:  # (N, V, K) logits
            scores = scores.softmax(dim=2).mean(dim=1)
        out = {"scores": scores}
        if "label" in batch:
            out["labels"] = batch["label"]
        return out

    @torch.no_grad()
    def predict(self, video: Tensor, *, max_views_per_forward: int | None = None) -> Tensor:
        """Scores for ``uint8`` videos ``(N, [V,] T, C, H, W)``: ``(N, K)`` aggregated over views
        with ``self.average_clips`` (``(N, V, K)`` logits when it is ``None``).

        ``max_views_per_forward`` bounds how many clips go through the network at once (memory).
        The caller chooses train/eval mode (call ``model.eval()`` for inference).
        """
        n, v, t = self._views(video)
        x = self.preprocess(video)
        per_clip = t if self.input_layout == "NCHW" else 1  # rows of x per clip
        clips = n * v
        step = clips if not max_views_per_forward else max(1, int(max_views_per_forward))
        chunks = [
            self.forward(x[i * per_clip : min(i + step, clips) * per_clip], t) for i in range(0, clips, step)
        ]
        logits = torch.cat(chunks, dim=0)  # (N*V, K)
        return average_views(logits.view(n, v, -1), self.average_clips)
