"""The RoI part of the Fast R-CNN style AVA detectors: RoI feature extraction over the keyframe
feature map, the multi-label classification head, and the training targets.

MMAction2 mapping (module names equal MMAction2's, so its ``roi_head.`` keys load unchanged):

* :class:`RoIExtractor3D` = ``SingleRoIExtractor3D`` (no parameters): the pathways' features are
  resized to the longest temporal length (nearest), pooled over time (``avg``/``max``, or kept),
  concatenated along channels, and each frame is RoI-aligned with
  ``torchvision.ops.roi_align(aligned=True, sampling_ratio=0)`` (mmcv's ``RoIAlign`` with
  ``aligned=True``, ``pool_mode="avg"``: the same operator); ``with_global`` concatenates the
  average-pooled whole frame to every RoI ("context" configs).
* :class:`BBoxHeadAVA` = ``BBoxHeadAVA``: dropout, temporal pool (avg/max), spatial pool
  (max/avg), a linear classifier (or a 2-layer MLP), multi-label sigmoid; class 0 is the unused
  background column. Its loss is binary cross-entropy on the RoIs with at least one positive
  label, with the focal modulation ``alpha * (1 - p_t)^gamma`` (``alpha=1, gamma=0``: plain BCE).
* :func:`sample_rois` = ``MaxIoUAssignerAVA(pos_iou_thr=0.9, neg_iou_thr=0.9, min_pos_iou=0.9)``
  + ``RandomSampler(num=32, pos_fraction=1, add_gt_as_proposals=True)``.
* :class:`AVARoIHead` = ``AVARoIHead``: extractor -> optional shared head (ACRN, feature bank)
  -> bbox head.

Boxes are ``(x1, y1, x2, y2)`` in pixels of the network input; RoIs are ``(R, 5)`` with the batch
index in column 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import box_iou, roi_align

__all__ = [
    "AVARoIHead",
    "BBoxHeadAVA",
    "RoIExtractor3D",
    "SharedHead",
    "boxes_to_rois",
    "multilabel_focal_loss",
    "sample_rois",
]

PoolMode = Literal["avg", "max"]


def boxes_to_rois(boxes: Sequence[Tensor]) -> Tensor:
    """Per-sample ``(P_i, 4)`` boxes -> ``(sum P_i, 5)`` RoIs ``(batch index, x1, y1, x2, y2)``
    (mmdet's ``bbox2roi``)."""
    parts = []
    for i, b in enumerate(boxes):
        b = b.as_subclass(Tensor) if isinstance(b, Tensor) else torch.as_tensor(b)
        parts.append(torch.cat([b.new_full((b.shape[0], 1), float(i)), b[:, :4]], dim=1))
    if not parts:
        return torch.zeros(0, 5)
    return torch.cat(parts, dim=0)


class RoIExtractor3D(nn.Module):
    """RoI features of the keyframe clip (MMAction2's ``SingleRoIExtractor3D``, RoIAlign only).

    Args:
        output_size: side of the RoI feature grid (8 in every AVA config).
        featmap_stride: input pixels per feature cell (16: SlowOnly/SlowFast with the last stage
            unstrided).
        sampling_ratio: bilinear samples per bin side; 0 = ``ceil(roi size / output size)``.
        temporal_pool_mode: ``"avg"``, ``"max"`` or ``None`` (keep every frame).
        with_global: concatenate the whole frame average-pooled to ``output_size`` to each RoI.

    ``forward(feats, rois)``: ``feats`` a tensor or tuple of ``(N, C_i, T_i, H, W)`` ->
    ``(roi_feats (R, sum C_i [x2], T', S, S), feat (N, sum C_i, T', H, W))`` where ``T'`` is 1
    with temporal pooling, else ``max T_i``.
    """

    def __init__(
        self,
        output_size: int = 8,
        featmap_stride: int = 16,
        sampling_ratio: int = 0,
        temporal_pool_mode: PoolMode | None = "avg",
        with_global: bool = False,
    ) -> None:
        super().__init__()
        if temporal_pool_mode not in ("avg", "max", None):
            raise ValueError(f"temporal_pool_mode must be 'avg', 'max' or None, got {temporal_pool_mode!r}")
        self.output_size = output_size
        self.spatial_scale = 1.0 / featmap_stride
        self.sampling_ratio = sampling_ratio
        self.temporal_pool_mode = temporal_pool_mode
        self.with_global = with_global

    def forward(self, feats: Tensor | Sequence[Tensor], rois: Tensor) -> tuple[Tensor, Tensor]:
        feats = [feats] if isinstance(feats, Tensor) else list(feats)
        if len(feats) >= 2:
            size = (max(x.shape[2] for x in feats), *feats[0].shape[3:])
            feats = [F.interpolate(x, size) for x in feats]  # nearest in time: (N, C_i, T, H, W)
        if self.temporal_pool_mode == "avg":
            feats = [x.mean(dim=2, keepdim=True) for x in feats]
        elif self.temporal_pool_mode == "max":
            feats = [x.amax(dim=2, keepdim=True) for x in feats]
        feat = torch.cat(feats, dim=1)  # (N, C, T', H, W)
        rois = rois.to(feat.dtype)
        out = []
        for t in range(feat.shape[2]):
            frame = feat[:, :, t].contiguous()  # (N, C, H, W)
            roi_feat = roi_align(
                frame, rois, self.output_size, self.spatial_scale, self.sampling_ratio, aligned=True
            )  # (R, C, S, S)
            if self.with_global:
                glob = F.adaptive_avg_pool2d(frame, self.output_size)[rois[:, 0].long()]  # (R, C, S, S)
                roi_feat = torch.cat([roi_feat, glob], dim=1)
            out.append(roi_feat)
        return torch.stack(out, dim=2), feat  # (R, C', T', S, S), (N, C, T', H, W)


def multilabel_focal_loss(logits: Tensor, targets: Tensor, alpha: float = 1.0, gamma: float = 0.0) -> Tensor:
    """Mean over RoIs and classes of ``alpha * (1 - p_t)^gamma * BCE(logits, targets)`` with
    ``p_t = exp(-BCE)`` (MMAction2's ``BBoxHeadAVA`` loss; ``alpha=1, gamma=0`` is plain BCE)."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    if gamma == 0.0:
        return (alpha * bce).mean()
    pt = torch.exp(-bce)
    return (alpha * (1 - pt) ** gamma * bce).mean()


class BBoxHeadAVA(nn.Module):
    """Multi-label action classifier on RoI features (MMAction2's ``BBoxHeadAVA``).

    Args:
        in_channels: RoI feature channels (2048 SlowOnly-R50, 2304 SlowFast-R50, doubled with
            ``with_global``).
        num_classes: outputs, column 0 unused (81 for AVA's ids 1..80).
        temporal_pool, spatial_pool: ``"avg"``/``"max"`` over time / space (avg, max in AVA).
        dropout_ratio: dropout on the RoI features (before pooling when ``dropout_before_pool``).
        mlp_head: ``fc_cls`` is ``Linear, ReLU, Linear`` instead of one ``Linear``.
        focal_alpha, focal_gamma: see :func:`multilabel_focal_loss`.

    ``forward``: ``(R, C, T, S, S)`` -> logits ``(R, num_classes)``.
    """

    def __init__(
        self,
        in_channels: int = 2048,
        num_classes: int = 81,
        *,
        temporal_pool: PoolMode = "avg",
        spatial_pool: PoolMode = "max",
        dropout_ratio: float = 0.5,
        dropout_before_pool: bool = True,
        mlp_head: bool = False,
        focal_alpha: float = 1.0,
        focal_gamma: float = 0.0,
    ) -> None:
        super().__init__()
        if temporal_pool not in ("avg", "max") or spatial_pool not in ("avg", "max"):
            raise ValueError(f"pools must be 'avg' or 'max', got {temporal_pool!r}, {spatial_pool!r}")
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.temporal_pool = temporal_pool
        self.spatial_pool = spatial_pool
        self.dropout_before_pool = dropout_before_pool
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else None
        if mlp_head:
            self.fc_cls: nn.Module = nn.Sequential(
                nn.Linear(in_channels, in_channels), nn.ReLU(), nn.Linear(in_channels, num_classes)
            )
        else:
            self.fc_cls = nn.Linear(in_channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def pool(self, x: Tensor) -> Tensor:
        """``(R, C, T, H, W)`` -> ``(R, C)``: temporal then spatial pooling."""
        x = x.mean(dim=2, keepdim=True) if self.temporal_pool == "avg" else x.amax(dim=2, keepdim=True)
        x = x.mean(dim=(3, 4)) if self.spatial_pool == "avg" else x.amax(dim=(3, 4))
        return x.flatten(1)  # (R, C, 1) -> (R, C)

    def forward(self, x: Tensor) -> Tensor:
        if self.dropout is not None and self.dropout_before_pool:
            x = self.dropout(x)
        x = self.pool(x)
        if self.dropout is not None and not self.dropout_before_pool:
            x = self.dropout(x)
        return self.fc_cls(x)

    def loss(self, logits: Tensor, targets: Tensor, keep: Tensor | None = None) -> dict[str, Tensor]:
        """Loss on the RoIs with a positive label (column 0 ignored), plus the share of their
        true labels scored above 0.5 (``recall@thr=0.5``) and of predictions that are true
        (``prec@thr=0.5``), micro per RoI, as MMAction2 logs them. ``keep`` (boolean ``(R,)``)
        chooses the RoIs of the loss instead (background RoIs with all-zero targets included);
        the two rates stay on the RoIs with a positive label."""
        logits, targets = logits[:, 1:], targets[:, 1:]
        pos = targets.sum(dim=1) > 0
        if keep is not None:
            if not bool(keep.any()):
                zero = logits.sum() * 0.0
                return {"loss": zero, "recall@thr=0.5": zero.detach(), "prec@thr=0.5": zero.detach()}
            loss = multilabel_focal_loss(logits[keep], targets[keep], self.focal_alpha, self.focal_gamma)
        logits, targets = logits[pos], targets[pos]
        if logits.shape[0] == 0:
            zero = logits.sum() * 0.0
            return {"loss": loss if keep is not None else zero, "recall@thr=0.5": zero.detach(),
                    "prec@thr=0.5": zero.detach()}  # fmt: skip
        if keep is None:
            loss = multilabel_focal_loss(logits, targets, self.focal_alpha, self.focal_gamma)
        with torch.no_grad():
            pred, truth = logits.sigmoid() > 0.5, targets > 0.5
            correct = (pred & truth).sum(1).float()
            recall = (correct / truth.sum(1).float()).mean()
            prec = (correct / (pred.sum(1).float() + 1e-6)).mean()
        return {"loss": loss, "recall@thr=0.5": recall, "prec@thr=0.5": prec}


@torch.no_grad()
def sample_rois(
    proposals: Tensor,
    gt_boxes: Tensor,
    gt_labels: Tensor,
    *,
    pos_iou_thr: float = 0.9,
    num: int = 32,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Training RoIs of one keyframe and their multi-hot targets (mmdet's assign-then-sample).

    Assignment over the proposals: a proposal whose best IoU with a ground-truth box is
    >= ``pos_iou_thr`` takes that box's labels; for each box whose best IoU is >= ``pos_iou_thr``,
    every proposal reaching exactly that IoU takes its labels (low-quality matching, boxes in
    order); the rest are negatives. Then the ground-truth boxes are put in front, each assigned to
    itself; at most ``num`` positives are drawn at random and negatives (all-zero targets, which
    the loss ignores but which pass through the shared head's BatchNorm) fill up to ``num``;
    both kept in index order.

    Returns ``(boxes (S, 4), targets (S, K))``, positives first.
    """
    num_gt = gt_boxes.shape[0]
    assigned = torch.full((proposals.shape[0],), -1, dtype=torch.long, device=proposals.device)
    if num_gt == 0:
        assigned[:] = -2  # negatives
    elif proposals.shape[0] > 0:
        iou = box_iou(gt_boxes.float(), proposals.float())  # (G, P)
        best, best_gt = iou.max(dim=0)
        assigned[(best >= 0) & (best < pos_iou_thr)] = -2
        pos = best >= pos_iou_thr
        assigned[pos] = best_gt[pos]
        gt_best = iou.max(dim=1).values
        for i in range(num_gt):
            if gt_best[i] >= pos_iou_thr:
                assigned[iou[i] == gt_best[i]] = i
    cand = torch.cat([gt_boxes, proposals], dim=0)
    assigned = torch.cat([torch.arange(num_gt, device=assigned.device), assigned])
    pos_idx = torch.nonzero(assigned >= 0).flatten()
    neg_idx = torch.nonzero(assigned == -2).flatten()
    if pos_idx.numel() > num:
        pick = torch.randperm(pos_idx.numel(), generator=generator)[:num].to(pos_idx.device)
        pos_idx = pos_idx[pick].sort().values
    num_neg = num - pos_idx.numel()
    if neg_idx.numel() > num_neg:
        pick = torch.randperm(neg_idx.numel(), generator=generator)[:num_neg].to(neg_idx.device)
        neg_idx = neg_idx[pick].sort().values
    k = gt_labels.shape[1]
    targets = torch.cat(
        [gt_labels[assigned[pos_idx]].float(), gt_labels.new_zeros((neg_idx.numel(), k)).float()], dim=0
    )
    return cand[torch.cat([pos_idx, neg_idx])], targets


class SharedHead(Protocol):
    """A module between the RoI extractor and the bbox head (ACRN, feature-bank operators):
    ``(roi_feats, feat, rois, img_keys) -> roi_feats``."""

    def __call__(self, roi_feats: Tensor, feat: Tensor, rois: Tensor, img_keys: Sequence[str]) -> Tensor: ...


class AVARoIHead(nn.Module):
    """Extractor, optional shared head, bbox head (MMAction2's ``AVARoIHead``; keys
    ``roi_head.shared_head.*``, ``roi_head.bbox_head.*``)."""

    def __init__(
        self,
        bbox_roi_extractor: RoIExtractor3D,
        bbox_head: BBoxHeadAVA,
        shared_head: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.bbox_roi_extractor = bbox_roi_extractor
        self.shared_head = shared_head
        self.bbox_head = bbox_head

    def roi_features(
        self, feats: Tensor | Sequence[Tensor], rois: Tensor, img_keys: Sequence[str] = ()
    ) -> Tensor:
        """RoI features as the bbox head receives them: ``(R, C, T, S, S)``."""
        roi_feats, feat = self.bbox_roi_extractor(feats, rois)
        if self.shared_head is not None:
            roi_feats = self.shared_head(roi_feats, feat, rois, img_keys)
        return roi_feats

    def forward(self, feats: Tensor | Sequence[Tensor], rois: Tensor, img_keys: Sequence[str] = ()) -> Tensor:
        """Logits ``(R, num_classes)``."""
        return self.bbox_head(self.roi_features(feats, rois, img_keys))
