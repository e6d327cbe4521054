"""SSN (Zhao et al., "Temporal Action Detection with Structured Segment Networks", ICCV 2017):
the structured temporal pyramid pooling (STPP), the head and the loss, in MMAction2 0.x's layout
(MMAction2 1.x dropped the model and kept ``SSNLoss``).

An augmented proposal (the proposal plus half its length on each side) is covered by
``num_segments_list = (2, 5, 2)`` snippets: starting, course and ending stages. STPP averages each
stage over the parts of its pyramid (``stpp_stage = (1, (1, 2), 1)``: the whole starting stage,
the course stage whole and in halves, the whole ending stage), divides each part by its stage's
part count and scales the starting/ending parts by the proposal's ``scale_factors``; the parts are
concatenated: ``(N, C * 5)`` for that pyramid. The head classifies activities (``K + 1`` with
background) from the course stage's mean, completeness (``K``) and class-wise boundary regression
(``K x 2``: centre and span) from the STPP feature.

The backbone (a TSN ResNet in the paper) is any module mapping ``(N * num_segments, ...)``
snippets to ``(N * num_segments, C)`` features; this package does not depend on the recognition
models, so it is passed in ready-made.

Layer names follow MMAction2 0.x's ``SSNHead``: ``activity_fc``, ``completeness_fc``,
``regressor_fc``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SSN", "STPP", "SSNHead", "SSNLoss", "ohem_hinge_loss", "parse_stage"]

StageSpec = int | tuple[int, ...]


def parse_stage(spec: StageSpec) -> tuple[tuple[int, ...], int]:
    """A stage's pyramid and its part count: ``1 -> ((1,), 1)``, ``(1, 2) -> ((1, 2), 3)``."""
    parts = (spec,) if isinstance(spec, int) else tuple(spec)
    if not parts or any(p < 1 for p in parts):
        raise ValueError(f"a pyramid stage needs levels >= 1, got {spec!r}")
    return parts, sum(parts)


class STPP(nn.Module):
    """Structured temporal pyramid pooling (training layout: a fixed number of snippets per
    proposal).

    Args:
        stpp_stage: pyramid of the starting, course and ending stages.
        num_segments_list: snippets of each stage.

    ``forward(x (N * S, C), scale_factors (N, 2))`` -> ``(course (N, C), stpp (N, C * parts))``
    with ``S = sum(num_segments_list)``. A part covers the snippets ``[floor(i L / p),
    floor((i + 1) L / p))`` of its stage (``L`` snippets, ``p`` parts).
    """

    def __init__(
        self, stpp_stage: Sequence[StageSpec] = (1, (1, 2), 1), num_segments_list: Sequence[int] = (2, 5, 2)
    ) -> None:
        super().__init__()
        if len(stpp_stage) != 3 or len(num_segments_list) != 3:
            raise ValueError("stpp_stage and num_segments_list name three stages: starting, course, ending")
        parsed = [parse_stage(s) for s in stpp_stage]
        self.stages = tuple(p for p, _ in parsed)
        self.multipliers = tuple(m for _, m in parsed)
        self.num_parts = sum(self.multipliers)
        self.num_segments_list = tuple(int(n) for n in num_segments_list)

    @staticmethod
    def _pool(feat: Tensor, pyramid: tuple[int, ...], multiplier: int, scale: Tensor | None) -> list[Tensor]:
        length = feat.shape[1]
        out = []
        for parts in pyramid:
            ticks = torch.arange(0, length + 1e-5, length / parts).int()
            for i in range(parts):
                part = feat[:, ticks[i] : ticks[i + 1], :].mean(dim=1) / multiplier
                out.append(part if scale is None else part * scale.view(-1, 1))
        return out

    def forward(self, x: Tensor, scale_factors: Tensor) -> tuple[Tensor, Tensor]:
        a, b, _ = self.num_segments_list
        total = sum(self.num_segments_list)
        x = x.reshape(-1, total, x.shape[-1])  # (N*S, C) -> (N, S, C)
        scale = scale_factors.reshape(-1, 2).to(x.dtype)
        feats = self._pool(x[:, :a], self.stages[0], self.multipliers[0], scale[:, 0])
        feats += self._pool(x[:, a : a + b], self.stages[1], self.multipliers[1], None)
        feats += self._pool(x[:, a + b :], self.stages[2], self.multipliers[2], scale[:, 1])
        return x[:, a : a + b].mean(dim=1), torch.cat(feats, dim=1)


class SSNHead(nn.Module):
    """SSN's head.

    Args:
        in_channels: backbone feature width (1024 for BN-Inception, 2048 for ResNet-50).
        num_classes: action classes ``K`` (20 on THUMOS14); activity scores have ``K + 1``.
        stpp: the pooling (its ``num_parts`` sets the completeness/regressor input width).
        dropout_ratio: dropout on the features in training (0.8).
        use_regression: add the class-wise boundary regressor.
        init_std: std of the normal initialisation of the layers (0.001).

    ``forward(x (N * S, C), scale_factors (N, 2))`` -> ``(activity (N, K + 1), completeness
    (N, K), bbox (N, K, 2) or None)``.
    """

    def __init__(
        self,
        *,
        in_channels: int = 1024,
        num_classes: int = 20,
        stpp: STPP | None = None,
        dropout_ratio: float = 0.8,
        use_regression: bool = True,
        init_std: float = 0.001,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.stpp = stpp if stpp is not None else STPP()
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        stpp_dim = in_channels * self.stpp.num_parts
        self.activity_fc = nn.Linear(in_channels, num_classes + 1)
        self.completeness_fc = nn.Linear(stpp_dim, num_classes)
        self.regressor_fc = nn.Linear(stpp_dim, num_classes * 2) if use_regression else None
        for fc in (self.activity_fc, self.completeness_fc, self.regressor_fc):
            if fc is not None:
                nn.init.normal_(fc.weight, 0.0, init_std)
                nn.init.zeros_(fc.bias)

    def forward(self, x: Tensor, scale_factors: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        course, stpp = self.stpp(self.dropout(x), scale_factors)
        activity = self.activity_fc(course)
        completeness = self.completeness_fc(stpp)
        bbox = None
        if self.regressor_fc is not None:
            bbox = self.regressor_fc(stpp).view(-1, self.num_classes, 2)  # (N, 2K) -> (N, K, 2)
        return activity, completeness, bbox


class SSN(nn.Module):
    """Backbone + :class:`SSNHead`: ``forward(snippets (N * S, ...), scale_factors (N, 2))``."""

    def __init__(self, backbone: nn.Module, head: SSNHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, snippets: Tensor, scale_factors: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        feats = self.backbone(snippets)
        return self.head(feats.flatten(1), scale_factors)


def ohem_hinge_loss(pred: Tensor, labels: Tensor, sign: int, ohem_ratio: float, group_size: int) -> Tensor:
    """Class-wise hinge loss ``max(0, 1 - sign * pred[i, label_i - 1])`` summed over the
    ``int(group_size * ohem_ratio)`` largest of each group of ``group_size`` consecutive rows
    (online hard example mining). ``labels`` are 1-based classes (0 is background)."""
    if pred.shape[0] != labels.shape[0]:
        raise ValueError(f"{pred.shape[0]} predictions for {labels.shape[0]} labels")
    picked = pred.gather(1, (labels - 1).view(-1, 1)).view(-1)
    losses = torch.relu(1 - sign * picked).view(-1, group_size)
    keep = int(group_size * ohem_ratio)
    _, order = torch.sort(losses.detach(), dim=1, descending=True)
    return losses.gather(1, order[:, :keep]).sum().view(1)


class SSNLoss(nn.Module):
    """SSN's training loss (MMAction2's ``SSNLoss`` with its 0.x THUMOS14 settings by default).

    Proposals come in groups of ``num_per_video`` per video, ordered positives, incompletes,
    backgrounds (``positive/incomplete/background_ratio`` 1:6:1 of 8). ``proposal_type``: 0
    positive, 1 incomplete, 2 background.

    - activity: cross-entropy over positives and backgrounds (``K + 1`` classes, 0 background);
    - completeness: the hinge loss of positives (all) and incompletes (the hardest
      ``positives / incompletes`` share of them), divided by the number of entries kept, times
      ``comp_loss_weight`` (0.1);
    - regression: smooth-L1 of the positives' predicted (centre, span) offsets for their class
      against ``bbox_targets``, times 2 and ``reg_loss_weight`` (0.1).

    ``forward(activity (M, K+1), completeness (M, K), bbox (M, K, 2) | None, proposal_type (M,),
    labels (M,), bbox_targets (M, 2))`` -> ``{"loss_activity", "loss_completeness"[, "loss_reg"]}``.
    """

    def __init__(
        self,
        *,
        num_per_video: int = 8,
        positive_ratio: float = 1,
        background_ratio: float = 1,
        incomplete_ratio: float = 6,
        comp_loss_weight: float = 0.1,
        reg_loss_weight: float = 0.1,
    ) -> None:
        super().__init__()
        total = positive_ratio + background_ratio + incomplete_ratio
        self.positive_per_video = int(num_per_video * (positive_ratio / total))
        background = int(num_per_video * (background_ratio / total))
        self.incomplete_per_video = num_per_video - self.positive_per_video - background
        self.comp_loss_weight = comp_loss_weight
        self.reg_loss_weight = reg_loss_weight

    def forward(
        self,
        activity: Tensor,
        completeness: Tensor,
        bbox: Tensor | None,
        proposal_type: Tensor,
        labels: Tensor,
        bbox_targets: Tensor,
    ) -> dict[str, Tensor]:
        ptype = proposal_type.view(-1)
        labels = labels.view(-1)
        act_idx = ((ptype == 0) | (ptype == 2)).nonzero().squeeze(1)
        comp_idx = ((ptype == 0) | (ptype == 1)).nonzero().squeeze(1)
        out = {"loss_activity": F.cross_entropy(activity[act_idx], labels[act_idx])}
        pos, inc = self.positive_per_video, self.incomplete_per_video
        ratio = pos / inc
        pred = completeness[comp_idx].view(-1, pos + inc, completeness.shape[1])  # (videos, pos+inc, K)
        gt = labels[comp_idx].view(-1, pos + inc)
        k = completeness.shape[1]
        pos_loss = ohem_hinge_loss(pred[:, :pos].reshape(-1, k), gt[:, :pos].reshape(-1), 1, 1.0, pos)
        inc_loss = ohem_hinge_loss(pred[:, pos:].reshape(-1, k), gt[:, pos:].reshape(-1), -1, ratio, inc)
        entries = pred.shape[0] * pos + int(pred.shape[0] * inc * ratio)
        out["loss_completeness"] = (pos_loss + inc_loss) / float(entries) * self.comp_loss_weight
        if bbox is not None:
            reg_idx = (ptype == 0).nonzero().squeeze(1)
            cls = labels[reg_idx] - 1
            reg = bbox[reg_idx, cls, :]  # (P, 2): each positive's own class
            target = bbox_targets.view(-1, 2)[reg_idx]
            out["loss_reg"] = F.smooth_l1_loss(reg.reshape(-1), target.reshape(-1)) * 2 * self.reg_loss_weight
        return out
