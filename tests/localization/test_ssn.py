"""SSN: structured temporal pyramid pooling and the OHEM hinge loss against hand-computed values,
the head's shapes, and a training step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vidcore.localization.models.ssn import SSN, STPP, SSNHead, SSNLoss, ohem_hinge_loss, parse_stage


def test_parse_stage() -> None:
    assert parse_stage(1) == ((1,), 1)
    assert parse_stage((1, 2)) == ((1, 2), 3)
    with pytest.raises(ValueError):
        parse_stage((0,))


def test_stpp_hand_computed() -> None:
    x = torch.arange(1.0, 10.0).view(9, 1)  # one proposal, 2 + 5 + 2 snippets, one channel
    course, stpp = STPP()(x, torch.tensor([[0.5, 2.0]]))
    assert course.item() == pytest.approx(5.0)  # mean of 3..7
    # starting: mean(1, 2) / 1 * 0.5; course: mean(3..7) / 3, halves [3, 4] and [5, 6, 7] (ticks 0, 2, 5)
    # divided by 3; ending: mean(8, 9) / 1 * 2
    expected = [0.75, 5 / 3, 3.5 / 3, 6 / 3, 17.0]
    torch.testing.assert_close(stpp[0], torch.tensor(expected))


def test_ohem_hinge_hand_computed() -> None:
    pred = torch.tensor([[0.5, 2.0], [-1.0, 0.0], [0.2, 0.1], [3.0, -2.0]])
    labels = torch.tensor([1, 2, 2, 1])
    # positives (sign 1): losses max(0, 1 - p) at the label: 0.5, 1.0, 0.9, 0 -> all kept: 2.4
    assert ohem_hinge_loss(pred, labels, 1, 1.0, 4).item() == pytest.approx(2.4)
    # incompletes (sign -1): max(0, 1 + p): 1.5, 1.0, 1.1, 4.0; groups of 2, keep the hardest one
    assert ohem_hinge_loss(pred, labels, -1, 0.5, 2).item() == pytest.approx(1.5 + 4.0)


def test_head_and_training_step() -> None:
    torch.manual_seed(0)
    head = SSNHead(in_channels=16, num_classes=5, dropout_ratio=0.0)
    model = SSN(nn.Flatten(), head)
    n = 2 * 8  # two videos of 8 proposals: 1 positive, 6 incomplete, 1 background
    x = torch.randn(n * 9, 16)
    scale = torch.rand(n, 2)
    act, comp, bbox = model(x, scale)
    assert act.shape == (n, 6) and comp.shape == (n, 5) and bbox.shape == (n, 5, 2)
    ptype = torch.tensor([0] + [1] * 6 + [2]).repeat(2)
    labels = torch.tensor([3] + [3] * 6 + [0]).repeat(2)
    losses = SSNLoss()(act, comp, bbox, ptype, labels, torch.randn(n, 2))
    assert set(losses) == {"loss_activity", "loss_completeness", "loss_reg"}
    total = sum(v.sum() for v in losses.values())
    total.backward()
    assert head.completeness_fc.weight.grad.abs().sum() > 0 and head.regressor_fc.weight.grad.abs().sum() > 0
