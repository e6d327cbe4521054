"""Losses of the boundary-based proposal models (BSN, BMN), as MMAction2 computes them.

- :func:`binary_logistic_regression_loss`: BSN's class-balanced binary logistic loss on
  probabilities; positives (label > ``threshold``) are weighted ``ratio / 2`` and negatives
  ``ratio / (2 (ratio - 1))`` with ``ratio`` = entries / positives clipped to [1.05, 21].
- :class:`BMNLoss`: ``weight_tem * TEM + weight_pem_reg * PEM_reg + weight_pem_cls * PEM_cls``
  (1, 10, 1): the logistic loss on the start/end probabilities, a masked MSE on the regression
  map with high/medium/low-tIoU sampling, and the logistic loss on the classification map.
- :func:`pem_loss`: BSN PEM's smooth-L1 tIoU regression with the same sampling.

The medium/low-tIoU entries are sampled with ``torch.rand_like`` (the global generator, two
draws in MMAction2's order), so a seeded run reproduces MMAction2's loss exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BMNLoss", "binary_logistic_regression_loss", "pem_cls_loss", "pem_loss", "pem_reg_loss", "tem_loss"]


def binary_logistic_regression_loss(
    score: Tensor,
    label: Tensor,
    threshold: float = 0.5,
    ratio_range: tuple[float, float] = (1.05, 21),
    eps: float = 1e-5,
) -> Tensor:
    """Class-balanced logistic loss: ``score`` probabilities and ``label`` targets of any equal
    number of elements (flattened); a scalar mean over all entries."""
    label = label.reshape(-1).to(score.device)
    score = score.reshape(-1)
    pmask = (label > threshold).float()
    num_positive = torch.clamp(pmask.sum(), min=1)
    ratio = torch.clamp(label.numel() / num_positive, ratio_range[0], ratio_range[1])
    coef_0 = 0.5 * ratio / (ratio - 1)
    coef_1 = 0.5 * ratio
    loss = coef_1 * pmask * torch.log(score + eps) + coef_0 * (1.0 - pmask) * torch.log(1.0 - score + eps)
    return -loss.mean()


def tem_loss(pred_start: Tensor, pred_end: Tensor, gt_start: Tensor, gt_end: Tensor) -> Tensor:
    """BMN's temporal evaluation loss: the logistic loss of the start plus that of the end."""
    return binary_logistic_regression_loss(pred_start, gt_start) + binary_logistic_regression_loss(pred_end, gt_end)


def pem_reg_loss(
    pred: Tensor, gt_iou: Tensor, mask: Tensor, high: float = 0.7, low: float = 0.3
) -> Tensor:
    """Masked MSE on the regression map ``(N, D, S)``: every entry with tIoU > ``high``; medium
    entries (``low < tIoU <= high``) kept with probability ``num_high / num_medium``, low ones
    (``0 < tIoU <= low`` inside ``mask``) with ``num_high / num_low`` (MMAction2's rule)."""
    u_h = (gt_iou > high).float()
    u_m = ((gt_iou <= high) & (gt_iou > low)).float()
    u_l = ((gt_iou <= low) & (gt_iou > 0.0)).float() * mask
    r_m = u_h.sum() / u_m.sum()
    u_sm = (u_m * torch.rand_like(gt_iou) > (1.0 - r_m)).float()
    r_l = u_h.sum() / u_l.sum()
    u_sl = (u_l * torch.rand_like(gt_iou) > (1.0 - r_l)).float()
    weights = u_h + u_sm + u_sl
    loss = F.mse_loss(pred * weights, gt_iou * weights)
    return 0.5 * (loss * torch.ones_like(weights)).sum() / weights.sum()


def pem_cls_loss(
    pred: Tensor,
    gt_iou: Tensor,
    mask: Tensor,
    threshold: float = 0.9,
    ratio_range: tuple[float, float] = (1.05, 21),
    eps: float = 1e-5,
) -> Tensor:
    """Class-balanced logistic loss on the classification map: positives tIoU > ``threshold``,
    negatives the other entries inside ``mask``; normalised by the entries counted."""
    pmask = (gt_iou > threshold).float()
    nmask = (gt_iou <= threshold).float() * mask
    num_positive = torch.clamp(pmask.sum(), min=1)
    num_entries = num_positive + nmask.sum()
    ratio = torch.clamp(num_entries / num_positive, ratio_range[0], ratio_range[1])
    coef_0 = 0.5 * ratio / (ratio - 1)
    coef_1 = 0.5 * ratio
    loss_pos = coef_1 * torch.log(pred + eps) * pmask
    loss_neg = coef_0 * torch.log(1.0 - pred + eps) * nmask
    return -(loss_pos + loss_neg).sum() / num_entries


class BMNLoss(nn.Module):
    """BMN's training loss (MMAction2's ``BMNLoss``).

    ``forward(confidence (N, 2, D, S), start (N, T), end (N, T), gt_iou (N, D, S), gt_start (N, T),
    gt_end (N, T), bm_mask (D, S))`` returns ``(loss, tem, pem_reg, pem_cls)``.
    """

    def __init__(self, weight_tem: float = 1.0, weight_pem_reg: float = 10.0, weight_pem_cls: float = 1.0) -> None:
        super().__init__()
        self.weight_tem = weight_tem
        self.weight_pem_reg = weight_pem_reg
        self.weight_pem_cls = weight_pem_cls

    def forward(
        self,
        confidence: Tensor,
        start: Tensor,
        end: Tensor,
        gt_iou: Tensor,
        gt_start: Tensor,
        gt_end: Tensor,
        bm_mask: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        reg = confidence[:, 0].contiguous()
        cls = confidence[:, 1].contiguous()
        gt_iou = gt_iou * bm_mask
        l_reg = pem_reg_loss(reg, gt_iou, bm_mask)
        l_cls = pem_cls_loss(cls, gt_iou, bm_mask)
        l_tem = tem_loss(start, end, gt_start, gt_end)
        loss = self.weight_tem * l_tem + self.weight_pem_reg * l_reg + self.weight_pem_cls * l_cls
        return loss, l_tem, l_reg, l_cls


def pem_loss(
    pred: Tensor,
    gt_iou: Tensor,
    *,
    high: float = 0.6,
    low: float = 0.2,
    u_ratio_m: float = 1.0,
    u_ratio_l: float = 2.0,
) -> Tensor:
    """BSN PEM's tIoU regression loss on ``(K,)`` predictions: smooth-L1, medium/low-tIoU
    proposals sampled with probability ``u_ratio * num_high / num_medium_or_low`` (at most 1).

    MMAction2 1.2.0 takes the mean smooth-L1 first and then weights that scalar, which cancels
    the sampling (its loss is the plain mean); here the weights apply per proposal as in BSN's
    reference code. The two random draws follow MMAction2's order (``torch.rand``).
    """
    pred = pred.reshape(-1)
    gt_iou = gt_iou.reshape(-1).to(pred.device)
    u_h = (gt_iou > high).float()
    u_m = ((gt_iou <= high) & (gt_iou > low)).float()
    u_l = (gt_iou <= low).float()
    r_m = torch.clamp(u_ratio_m * u_h.sum() / u_m.sum(), max=1.0)
    u_sm = (torch.rand(gt_iou.shape[0], device=pred.device) * u_m > (1.0 - r_m)).float()
    r_l = torch.clamp(u_ratio_l * u_h.sum() / u_l.sum(), max=1.0)
    u_sl = (torch.rand(gt_iou.shape[0], device=pred.device) * u_l > (1.0 - r_l)).float()
    weights = u_h + u_sm + u_sl
    per = F.smooth_l1_loss(pred, gt_iou, reduction="none")
    return (per * weights).sum() / weights.sum().clamp(min=1)
