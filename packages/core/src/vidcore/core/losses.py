"""Classification and localisation losses, with MMAction2's definitions.

Every loss returns a scalar already multiplied by its ``loss_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BCEWithLogitsLoss",
    "BinaryLogisticRegressionLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "binary_logistic_regression_loss",
]


def _class_weight(class_weight: Sequence[float] | torch.Tensor | None) -> torch.Tensor | None:
    if class_weight is None:
        return None
    w = torch.as_tensor(class_weight, dtype=torch.float32)
    if w.ndim != 1:
        raise ValueError(f"class_weight must be 1-D (one weight per class), got shape {tuple(w.shape)}")
    return w


def _smooth(target: torch.Tensor, eps: float) -> torch.Tensor:
    # MMAction2's BaseHead: y' = (1 - eps) * y + eps / K
    return (1.0 - eps) * target + eps / target.shape[-1]


class CrossEntropyLoss(nn.Module):
    """Softmax cross-entropy with hard or soft targets (MMAction2's ``CrossEntropyLoss`` + head smoothing).

    ``forward(scores, target)``: ``scores`` are logits ``(N, K)``; ``target`` is either class indices
    ``(N,)`` (int) or a distribution ``(N, K)`` (float; mixup/cutmix targets).

    - Hard target, no smoothing: ``F.cross_entropy(scores, target, weight=class_weight)``, i.e. with
      class weights the mean is weighted: ``Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i}``.
    - Otherwise the target becomes a distribution (a hard target one-hot), smoothed as
      ``(1 - ε) y + ε / K`` when ``label_smoothing = ε > 0`` (soft targets are smoothed too, as the
      MMAction2 head does), and the loss is ``-Σ_ic w_c y_ic log p_ic / Σ_ic w_c y_ic`` with class
      weights, or ``mean_i(-Σ_c y_ic log p_ic)`` without.

    Note: with both smoothing and class weights this is MMAction2's weighting, which differs from
    ``F.cross_entropy(weight=..., label_smoothing=...)`` (PyTorch weights the smoothing term per class
    but normalises by ``Σ_i w_{y_i}``).
    """

    def __init__(
        self,
        label_smoothing: float = 0.0,
        class_weight: Sequence[float] | torch.Tensor | None = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        self.class_weight: torch.Tensor | None
        self.register_buffer("class_weight", _class_weight(class_weight), persistent=False)

    def forward(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if scores.ndim != 2:
            raise ValueError(f"scores must be (N, K) logits, got shape {tuple(scores.shape)}")
        k = scores.shape[1]
        if self.class_weight is not None and self.class_weight.numel() != k:
            raise ValueError(
                f"class_weight has {self.class_weight.numel()} entries but scores have {k} classes"
            )
        weight = None if self.class_weight is None else self.class_weight.to(scores.device, scores.dtype)
        if target.shape == scores.shape:
            soft = target.to(scores.dtype)
        elif target.shape == scores.shape[:1] and not target.is_floating_point():
            if self.label_smoothing == 0.0:
                return F.cross_entropy(scores, target.long(), weight=weight) * self.loss_weight
            soft = F.one_hot(target.long(), k).to(scores.dtype)
        else:
            raise ValueError(
                f"target must be class indices of shape ({scores.shape[0]},) (integer) or a distribution "
                f"of shape {tuple(scores.shape)} (float); got shape {tuple(target.shape)}, dtype {target.dtype}"
            )
        if self.label_smoothing > 0.0:
            soft = _smooth(soft, self.label_smoothing)
        log_p = F.log_softmax(scores, dim=1)
        if weight is None:
            loss = -(soft * log_p).sum(1).mean()
        else:
            wy = soft * weight[None, :]
            loss = -(wy * log_p).sum() / wy.sum()
        return loss * self.loss_weight


class BCEWithLogitsLoss(nn.Module):
    """Multi-label sigmoid cross-entropy (MMAction2's ``BCELossWithLogits``), mean over all elements.

    ``forward(scores (N, K) logits, target (N, K) in [0, 1])``. ``class_weight`` ``(K,)`` multiplies
    each class's term (an element-wise weight, then a plain mean, as ``F.binary_cross_entropy_with_logits``);
    ``label_smoothing`` maps the target to ``(1 - ε) y + ε / K`` as MMAction2's head does.
    """

    def __init__(
        self,
        label_smoothing: float = 0.0,
        class_weight: Sequence[float] | torch.Tensor | None = None,
        loss_weight: float = 1.0,
        pos_weight: Sequence[float] | torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        self.class_weight: torch.Tensor | None
        self.pos_weight: torch.Tensor | None
        self.register_buffer("class_weight", _class_weight(class_weight), persistent=False)
        self.register_buffer("pos_weight", _class_weight(pos_weight), persistent=False)

    def forward(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.shape != scores.shape:
            raise ValueError(
                f"BCEWithLogitsLoss needs a target of the scores' shape {tuple(scores.shape)}, got {tuple(target.shape)}"
            )
        target = target.to(scores.dtype)
        if self.label_smoothing > 0.0:
            target = _smooth(target, self.label_smoothing)
        weight = None if self.class_weight is None else self.class_weight.to(scores.device, scores.dtype)
        pos = None if self.pos_weight is None else self.pos_weight.to(scores.device, scores.dtype)
        loss = F.binary_cross_entropy_with_logits(scores, target, weight=weight, pos_weight=pos)
        return loss * self.loss_weight


class NLLLoss(nn.Module):
    """Negative log-likelihood of log-probabilities ``(N, K)`` at class indices ``(N,)`` (mean)."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(log_probs, target.long()) * self.loss_weight


def binary_logistic_regression_loss(
    score: torch.Tensor,
    label: torch.Tensor,
    threshold: float = 0.5,
    ratio_range: tuple[float, float] = (1.05, 21.0),
    eps: float = 1e-5,
) -> torch.Tensor:
    """BSN/BMN's class-balanced binary log loss on probabilities (not logits).

    With ``m = [label > threshold]`` over all ``E`` entries, ``P = max(Σ m, 1)`` and
    ``r = clip(E / P, *ratio_range)``, the loss is
    ``-mean( r/2 · m · log(s + eps) + r/(2(r-1)) · (1 - m) · log(1 - s + eps) )``:
    positives and negatives each contribute about half when ``r`` is not clipped.
    ``score`` and ``label`` may have any shapes with the same number of elements.
    """
    label = label.reshape(-1).to(score.device)
    score = score.reshape(-1)
    if label.numel() != score.numel():
        raise ValueError(f"score has {score.numel()} elements but label has {label.numel()}")
    pmask = (label > threshold).to(score.dtype)
    num_positive = max(float(pmask.sum()), 1.0)
    ratio = min(max(label.numel() / num_positive, ratio_range[0]), ratio_range[1])
    coef_pos = 0.5 * ratio
    coef_neg = 0.5 * ratio / (ratio - 1.0)
    loss = coef_pos * pmask * torch.log(score + eps) + coef_neg * (1.0 - pmask) * torch.log(1.0 - score + eps)
    return -loss.mean()


class BinaryLogisticRegressionLoss(nn.Module):
    """Module form of :func:`binary_logistic_regression_loss` (BSN TEM/PEM, BMN)."""

    def __init__(
        self, threshold: float = 0.5, ratio_range: tuple[float, float] = (1.05, 21.0), eps: float = 1e-5
    ) -> None:
        super().__init__()
        self.threshold = threshold
        self.ratio_range = ratio_range
        self.eps = eps

    def forward(self, score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return binary_logistic_regression_loss(score, label, self.threshold, self.ratio_range, self.eps)
