"""The Fast R-CNN style action detector: a video backbone, then per-person RoI classification on
the keyframe clip's feature map (MMAction2's ``FastRCNN`` with an ``AVARoIHead``; the person boxes
come from proposals, not from a region proposal network).

State-dict keys are MMAction2's (``backbone.*``, ``roi_head.shared_head.*``,
``roi_head.bbox_head.*``); normalization (mean/std, 0-255 units) happens on the model's device
and holds no saved tensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torchvision.ops import box_iou

from .batch import DetectionBatch
from .models.roi_head import AVARoIHead, boxes_to_rois, sample_rois

__all__ = ["IMAGENET_MEAN_255", "IMAGENET_STD_255", "AVADetector", "Detections", "convert_mmaction_detector"]

IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)


@dataclass
class Detections:
    """One keyframe's output: ``boxes`` ``(P, 4)`` normalised x1y1x2y2 (the csv layout),
    ``scores`` ``(P, K)`` sigmoid probabilities (column ``j`` is action id ``j``; 0 unused)."""

    img_key: str
    boxes: Tensor
    scores: Tensor


class AVADetector(nn.Module):
    """Backbone + RoI head.

    Args:
        backbone: maps ``(N, C, T, H, W)`` to a feature tensor or a tuple of them (SlowFast).
        roi_head: :class:`~vidcore.detection.models.roi_head.AVARoIHead`.
        mean, std: per-channel normalization in 0-255 units.
        train_rois_per_frame, pos_iou_thr: the training RoI sampler (32, 0.9 in MMAction2).
        background_iou: ``None`` (MMAction2): only RoIs with a label enter the loss. A number: sampled
            RoIs whose IoU with every ground-truth box is below it enter too, with all-zero targets,
            so that boxes on no actor learn low scores (where proposals include non-actors).
    """

    def __init__(
        self,
        backbone: nn.Module,
        roi_head: AVARoIHead,
        *,
        mean: Sequence[float] = IMAGENET_MEAN_255,
        std: Sequence[float] = IMAGENET_STD_255,
        train_rois_per_frame: int = 32,
        pos_iou_thr: float = 0.9,
        background_iou: float | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.roi_head = roi_head
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32), persistent=False)
        self.train_rois_per_frame = train_rois_per_frame
        self.pos_iou_thr = pos_iou_thr
        self.background_iou = background_iou

    @property
    def num_classes(self) -> int:
        return self.roi_head.bbox_head.num_classes

    def preprocess(self, video: Tensor) -> Tensor:
        """uint8 (or float 0-255) ``(N, T, C, H, W)`` -> normalized float ``(N, C, T, H, W)``."""
        x = video.to(self.mean.device, non_blocking=True).float()
        x = x.permute(0, 2, 1, 3, 4)  # (N, T, C, H, W) -> (N, C, T, H, W)
        return (x - self.mean.view(1, -1, 1, 1, 1)) / self.std.view(1, -1, 1, 1, 1)

    def forward_features(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        """Normalized ``(N, C, T, H, W)`` -> backbone features."""
        return self.backbone(x)

    def forward(self, x: Tensor, rois: Tensor, img_keys: Sequence[str] = ()) -> Tensor:
        """Normalized clips ``(N, C, T, H, W)`` and RoIs ``(R, 5)`` (batch index, x1, y1, x2, y2
        in pixels) -> logits ``(R, num_classes)``."""
        return self.roi_head(self.forward_features(x), rois.to(x.device), img_keys)

    def forward_train(self, batch: DetectionBatch, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """Loss of a training batch (RoIs sampled per clip with :func:`sample_rois`)."""
        if batch.gt_boxes is None or batch.gt_labels is None:
            raise ValueError("forward_train needs gt_boxes and gt_labels in the batch")
        x = self.preprocess(batch.video)
        boxes, targets, keep = [], [], []
        for props, gt, labels in zip(batch.proposals, batch.gt_boxes, batch.gt_labels):
            gt = gt.as_subclass(Tensor).to(x.device).float()
            b, t = sample_rois(
                props.as_subclass(Tensor).to(x.device).float(),
                gt,
                labels.to(x.device),
                pos_iou_thr=self.pos_iou_thr,
                num=self.train_rois_per_frame,
                generator=generator,
            )
            boxes.append(b)
            targets.append(t)
            positive = t[:, 1:].sum(dim=1) > 0
            if self.background_iou is not None and gt.shape[0] > 0:
                positive |= box_iou(b, gt).amax(dim=1) < self.background_iou  # (S, G) -> (S,)
            keep.append(positive)
        rois = boxes_to_rois(boxes).to(x.device)
        keys = [batch.img_keys[int(i)] for i in rois[:, 0].tolist()] if batch.img_keys else []
        logits = self.roi_head(self.forward_features(x), rois, keys)
        mask = torch.cat(keep).to(logits.device) if self.background_iou is not None else None
        return self.roi_head.bbox_head.loss(logits, torch.cat(targets).to(logits.device), keep=mask)

    @torch.no_grad()
    def predict(self, video: Tensor, proposals: Sequence[Tensor], img_keys: Sequence[str] | None = None) -> list[Detections]:
        """uint8 ``(N, T, C, H, W)`` clips and per-clip ``(P_i, 4)`` pixel boxes -> one
        :class:`Detections` per clip (boxes normalised by the clip size)."""
        x = self.preprocess(video)
        h, w = x.shape[-2:]
        props = [p.as_subclass(Tensor).to(x.device).float() for p in proposals]
        rois = boxes_to_rois(props).to(x.device)
        keys = list(img_keys) if img_keys is not None else [""] * x.shape[0]
        roi_keys = [keys[int(i)] for i in rois[:, 0].tolist()]
        scores = self.roi_head(self.forward_features(x), rois, roi_keys).sigmoid()
        scale = torch.tensor([w, h, w, h], dtype=torch.float32, device=x.device)
        out, start = [], 0
        for key, p in zip(keys, props):
            n = p.shape[0]
            out.append(Detections(key, (p / scale).cpu(), scores[start : start + n].float().cpu()))
            start += n
        return out

    @torch.no_grad()
    def forward_eval(self, batch: DetectionBatch) -> dict[str, list]:
        """Per-clip outputs for the evaluator (:class:`~vidcore.detection.evaluation.AVAFrameMAP`,
        passed as keywords by the trainer): ``img_keys``, ``boxes`` (normalised ``(P_i, 4)``) and
        ``scores`` (``(P_i, K)``)."""
        dets = self.predict(batch.video, batch.proposals, batch.img_keys)
        return {"img_keys": [d.img_key for d in dets], "boxes": [d.boxes for d in dets],
                "scores": [d.scores for d in dets]}  # fmt: skip

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh classifier with ``num_classes`` outputs (column 0 unused)."""
        head = self.roi_head.bbox_head
        fc = head.fc_cls
        last = fc[-1] if isinstance(fc, nn.Sequential) else fc
        new = nn.Linear(last.in_features, num_classes)
        nn.init.xavier_normal_(new.weight)
        nn.init.zeros_(new.bias)
        if isinstance(fc, nn.Sequential):
            fc[-1] = new
        else:
            head.fc_cls = new
        head.num_classes = num_classes


def convert_mmaction_detector(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """An MMAction2 ``FastRCNN`` state dict -> ours: keys are kept (``backbone.*``,
    ``roi_head.shared_head.*``, ``roi_head.bbox_head.*``); ``data_preprocessor.*`` entries, if any,
    are dropped (the detector normalizes itself)."""
    return {k: v for k, v in state_dict.items() if not k.startswith("data_preprocessor.")}
