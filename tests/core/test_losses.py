"""Losses against values computed by hand (numbers worked out in the comments)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from vidcore.core.losses import (
    BCEWithLogitsLoss,
    BinaryLogisticRegressionLoss,
    CrossEntropyLoss,
    NLLLoss,
    binary_logistic_regression_loss,
)

# Two samples, three classes. Row 0 logits (0, ln 2, ln 5) -> softmax (1/8, 2/8, 5/8).
# Row 1 logits (0, 0, 0) -> (1/3, 1/3, 1/3).
SCORES = torch.tensor([[0.0, math.log(2.0), math.log(5.0)], [0.0, 0.0, 0.0]], dtype=torch.float64)
LOGP = [[math.log(1 / 8), math.log(2 / 8), math.log(5 / 8)], [math.log(1 / 3)] * 3]


def test_hard_target_plain_mean() -> None:
    loss = CrossEntropyLoss()(SCORES, torch.tensor([2, 0]))
    assert loss.item() == pytest.approx(-(LOGP[0][2] + LOGP[1][0]) / 2)


def test_hard_target_class_weight_is_weighted_mean() -> None:
    # weights (1, 2, 3): (3 * -log(5/8) + 1 * -log(1/3)) / (3 + 1)
    loss = CrossEntropyLoss(class_weight=[1.0, 2.0, 3.0])(SCORES, torch.tensor([2, 0]))
    assert loss.item() == pytest.approx((3 * -LOGP[0][2] + 1 * -LOGP[1][0]) / 4)


def test_loss_weight_scales() -> None:
    a = CrossEntropyLoss()(SCORES, torch.tensor([2, 0]))
    b = CrossEntropyLoss(loss_weight=0.5)(SCORES, torch.tensor([2, 0]))
    assert b.item() == pytest.approx(0.5 * a.item())


def test_label_smoothing_hard_target() -> None:
    # eps = 0.3, K = 3: target row 0 = (0.1, 0.1, 0.8), row 1 = (0.8, 0.1, 0.1)
    t0, t1 = [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]
    expected = -(sum(a * b for a, b in zip(t0, LOGP[0])) + sum(a * b for a, b in zip(t1, LOGP[1]))) / 2
    loss = CrossEntropyLoss(label_smoothing=0.3)(SCORES, torch.tensor([2, 0]))
    assert loss.item() == pytest.approx(expected)
    # without class weights this is PyTorch's definition of label smoothing too
    ref = F.cross_entropy(SCORES, torch.tensor([2, 0]), label_smoothing=0.3)
    assert loss.item() == pytest.approx(ref.item())


def test_soft_target_and_class_weight_mmaction_normalisation() -> None:
    soft = torch.tensor([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]], dtype=torch.float64)
    plain = CrossEntropyLoss()(SCORES, soft)
    assert plain.item() == pytest.approx(-(0.5 * LOGP[0][0] + 0.5 * LOGP[0][2] + LOGP[1][1]) / 2)
    # weights (1, 2, 3): numerator Σ w_c y_ic (-log p_ic); denominator Σ w_c y_ic = 0.5 + 1.5 + 2 = 4
    weighted = CrossEntropyLoss(class_weight=[1.0, 2.0, 3.0])(SCORES, soft)
    num = 1 * 0.5 * -LOGP[0][0] + 3 * 0.5 * -LOGP[0][2] + 2 * 1.0 * -LOGP[1][1]
    assert weighted.item() == pytest.approx(num / 4.0)


def test_soft_target_is_smoothed_too() -> None:
    soft = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    a = CrossEntropyLoss(label_smoothing=0.3)(SCORES, soft)
    b = CrossEntropyLoss(label_smoothing=0.3)(SCORES, torch.tensor([2, 0]))
    assert a.item() == pytest.approx(b.item())


def test_cross_entropy_rejects_bad_target() -> None:
    with pytest.raises(ValueError, match="target must be"):
        CrossEntropyLoss()(SCORES, torch.tensor([[2, 0]]))
    with pytest.raises(ValueError, match="class_weight has 2"):
        CrossEntropyLoss(class_weight=[1.0, 2.0])(SCORES, torch.tensor([2, 0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        CrossEntropyLoss(label_smoothing=1.0)


def test_bce_with_logits_by_hand() -> None:
    # logits (0, ln 3): sigmoid (1/2, 3/4); targets (1, 0) -> -(log 1/2 + log 1/4) / 2
    scores = torch.tensor([[0.0, math.log(3.0)]], dtype=torch.float64)
    target = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert BCEWithLogitsLoss()(scores, target).item() == pytest.approx((math.log(2) + math.log(4)) / 2)
    # class weights (2, 1): element-wise weights then a plain mean over the 2 elements
    w = BCEWithLogitsLoss(class_weight=[2.0, 1.0])(scores, target)
    assert w.item() == pytest.approx((2 * math.log(2) + math.log(4)) / 2)
    # smoothing eps=0.5, K=2: targets (0.75, 0.25)
    s = BCEWithLogitsLoss(label_smoothing=0.5)(scores, target)
    expected = (
        -(0.75 * math.log(0.5) + 0.25 * math.log(0.5) + 0.25 * math.log(0.75) + 0.75 * math.log(0.25)) / 2
    )
    assert s.item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        BCEWithLogitsLoss()(scores, torch.tensor([1]))


def test_nll_loss() -> None:
    logp = torch.log(torch.tensor([[0.25, 0.75], [0.5, 0.5]], dtype=torch.float64))
    assert NLLLoss()(logp, torch.tensor([1, 0])).item() == pytest.approx(
        -(math.log(0.75) + math.log(0.5)) / 2
    )


def test_binary_logistic_regression_by_hand() -> None:
    # 4 entries, 1 above threshold 0.5 -> ratio 4, coef_pos = 2, coef_neg = 0.5*4/3 = 2/3
    score = torch.tensor([0.8, 0.4, 0.1, 0.3], dtype=torch.float64)
    label = torch.tensor([0.9, 0.5, 0.0, 0.2], dtype=torch.float64)  # 0.5 is not > 0.5
    eps = 1e-5
    expected = (
        -(
            2 * math.log(0.8 + eps)
            + (2 / 3) * (math.log(0.6 + eps) + math.log(0.9 + eps) + math.log(0.7 + eps))
        )
        / 4
    )
    assert binary_logistic_regression_loss(score, label).item() == pytest.approx(expected)
    assert BinaryLogisticRegressionLoss()(score.view(2, 2), label.view(2, 2)).item() == pytest.approx(
        expected
    )


def test_binary_logistic_regression_ratio_clipping() -> None:
    # no positive: P = max(0, 1) = 1, ratio = 2/1 = 2 -> coef_neg = 0.5*2/1 = 1
    score = torch.tensor([0.2, 0.4], dtype=torch.float64)
    label = torch.zeros(2, dtype=torch.float64)
    eps = 1e-5
    assert binary_logistic_regression_loss(score, label).item() == pytest.approx(
        -(math.log(0.8 + eps) + math.log(0.6 + eps)) / 2
    )
    # all positive: ratio = 1, clipped up to 1.05 -> coef_pos = 0.525
    label = torch.ones(2, dtype=torch.float64)
    assert binary_logistic_regression_loss(score, label).item() == pytest.approx(
        -0.525 * (math.log(0.2 + eps) + math.log(0.4 + eps)) / 2
    )
    # 100 entries, 1 positive: ratio 100 clipped to 21 -> coef_pos 10.5, coef_neg 10.5/20
    score = torch.full((100,), 0.5, dtype=torch.float64)
    label = torch.zeros(100, dtype=torch.float64)
    label[0] = 1.0
    expected = -(10.5 * math.log(0.5 + eps) + 99 * (10.5 / 20) * math.log(0.5 + eps)) / 100
    assert binary_logistic_regression_loss(score, label).item() == pytest.approx(expected)
