"""vidcore.core against MMAction2 1.2.0 / MMCV on the same random inputs.

Runs with the MMAction2 environment (``/work/mmenv/bin/python -m pytest tests/parity``); skips
where ``mmaction`` cannot be imported.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

pytest.importorskip("mmaction", reason="MMAction2 is not installed in this environment")
pytestmark = pytest.mark.parity

from mmaction.evaluation.functional import accuracy as mm_acc  # noqa: E402

from vidcore.core import losses, metrics  # noqa: E402
from vidcore.core.layers import ConvNormAct, NonLocalBlock, sinusoid_position_table  # noqa: E402


def _import_mmaction_models() -> types.ModuleType:
    """``import mmaction.models`` with the placeholder for the ``drn`` package the wheel leaves out."""
    if "mmaction.models.localizers.drn" not in sys.modules:
        drn = types.ModuleType("mmaction.models.localizers.drn")
        drn_drn = types.ModuleType("mmaction.models.localizers.drn.drn")
        drn_drn.DRN = type("DRN", (), {})  # type: ignore[attr-defined]
        drn.drn = drn_drn  # type: ignore[attr-defined]
        sys.modules["mmaction.models.localizers.drn"] = drn
        sys.modules["mmaction.models.localizers.drn.drn"] = drn_drn
    import mmaction.models

    return mmaction.models


def _randomize(module: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.3)


# ---------------------------------------------------------------- metrics


@pytest.mark.parametrize("seed", range(5))
def test_single_label_metrics_match(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 40, 12  # few samples per class: some classes are only predicted, some absent
    scores = rng.normal(size=(n, k))
    labels = rng.integers(0, k, size=n)
    ours = metrics.top_k_accuracy(scores, labels, (1, 3, 5))
    theirs = mm_acc.top_k_accuracy(list(scores), list(labels), (1, 3, 5))
    assert ours == pytest.approx([float(x) for x in theirs])
    assert metrics.mean_class_accuracy(scores, labels) == pytest.approx(
        float(mm_acc.mean_class_accuracy(list(scores), list(labels)))
    )
    pred = scores.argmax(1)
    theirs_cm = mm_acc.confusion_matrix(pred.astype(np.int64), labels.astype(np.int64))
    present = np.unique(np.concatenate([pred, labels]))
    ours_cm = metrics.confusion_matrix(pred, labels, num_classes=k)
    np.testing.assert_array_equal(ours_cm[np.ix_(present, present)], theirs_cm)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("seed", range(5))
def test_multi_label_metrics_match(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n, k = 30, 9
    scores = rng.normal(size=(n, k))
    scores[:, 0] = np.round(scores[:, 0])  # ties inside a class column
    multi_hot = (rng.random((n, k)) < 0.3).astype(np.int64)
    multi_hot[np.arange(n), rng.integers(0, k, size=n)] = 1
    multi_hot[:, 4] = 0  # a class without positives is skipped by both
    assert metrics.mean_average_precision(scores, multi_hot) == pytest.approx(
        float(mm_acc.mean_average_precision(list(scores), list(multi_hot)))
    )
    assert metrics.mmit_mean_average_precision(scores, multi_hot) == pytest.approx(
        float(mm_acc.mmit_mean_average_precision(list(scores), list(multi_hot)))
    )
    multi_hot[3] = 0  # a sample without positives: nan on both sides
    assert np.isnan(metrics.mmit_mean_average_precision(scores, multi_hot))
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(mm_acc.mmit_mean_average_precision(list(scores), list(multi_hot)))


# ---------------------------------------------------------------- losses


def test_losses_match() -> None:
    mm = _import_mmaction_models()
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(6, 5, generator=g, dtype=torch.float32)
    hard = torch.randint(0, 5, (6,), generator=g)
    soft = torch.softmax(torch.randn(6, 5, generator=g, dtype=torch.float32), 1)
    weight = [0.5, 1.0, 2.0, 1.5, 0.7]
    for target in (hard, soft):
        for cw in (None, weight):
            ours = losses.CrossEntropyLoss(class_weight=cw, loss_weight=0.7)(scores, target)
            theirs = mm.losses.CrossEntropyLoss(class_weight=cw, loss_weight=0.7)(scores, target)
            torch.testing.assert_close(ours, theirs)
            # label smoothing as MMAction2's BaseHead applies it before calling the loss
            eps = 0.2
            t = torch.nn.functional.one_hot(target, 5).float() if target.ndim == 1 else target
            smoothed = (1 - eps) * t + eps / 5
            ours = losses.CrossEntropyLoss(label_smoothing=eps, class_weight=cw)(scores, target)
            theirs = mm.losses.CrossEntropyLoss(class_weight=cw)(scores, smoothed)
            torch.testing.assert_close(ours, theirs)
    multi = (torch.rand(6, 5, generator=g) < 0.4).float()
    torch.testing.assert_close(
        losses.BCEWithLogitsLoss(class_weight=weight)(scores, multi),
        mm.losses.BCELossWithLogits(class_weight=weight)(scores, multi).float(),
    )
    prob = torch.rand(3, 40, generator=g, dtype=torch.float32)
    for label in (
        torch.rand(3, 40, generator=g, dtype=torch.float32),
        torch.zeros(3, 40, dtype=torch.float32),
    ):
        for thr in (0.5, 0.9):
            torch.testing.assert_close(
                losses.binary_logistic_regression_loss(prob, label, threshold=thr),
                mm.losses.BinaryLogisticRegressionLoss()(prob, label, threshold=thr),
            )


# ---------------------------------------------------------------- layers


def test_sinusoid_table_matches_videomae() -> None:
    _import_mmaction_models()
    from mmaction.models.backbones.vit_mae import get_sinusoid_encoding

    torch.testing.assert_close(
        sinusoid_position_table(1568, 768), get_sinusoid_encoding(1568, 768), rtol=0, atol=0
    )


@pytest.mark.parametrize("dims", [2, 3])
def test_conv_norm_act_loads_conv_module(dims: int) -> None:
    from mmcv.cnn import ConvModule

    theirs = ConvModule(
        3, 6, 3, stride=2, padding=1, conv_cfg=dict(type=f"Conv{dims}d"), norm_cfg=dict(type=f"BN{dims}d")
    ).eval()
    _randomize(theirs, 1)
    ours = ConvNormAct(3, 6, 3, stride=2, padding=1, dims=dims).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, *([4] * (dims - 2)), 8, 8)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize("mode", ["embedded_gaussian", "dot_product", "gaussian"])
@pytest.mark.parametrize("sub_sample", [False, True])
@pytest.mark.parametrize("use_scale", [False, True])
def test_nonlocal_loads_mmcv_nonlocal3d(mode: str, sub_sample: bool, use_scale: bool) -> None:
    from mmcv.cnn.bricks.non_local import NonLocal3d

    theirs = NonLocal3d(
        8, sub_sample=sub_sample, use_scale=use_scale, norm_cfg=dict(type="BN3d"), mode=mode
    ).eval()
    _randomize(theirs, 2)
    ours = NonLocalBlock(8, dims=3, mode=mode, sub_sample=sub_sample, use_scale=use_scale, norm="bn").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 8, 2, 6, 6)
    out = ours(x)
    torch.testing.assert_close(out, theirs(x), atol=1e-5, rtol=1e-5)
    assert (out - x).abs().max() > 1e-2  # the randomized block is not the identity
    # the fresh blocks start the same way (conv_out's norm zeroed)
    fresh = NonLocal3d(8, sub_sample=sub_sample, norm_cfg=dict(type="BN3d"), mode=mode)
    mine = NonLocalBlock(8, mode=mode, sub_sample=sub_sample, norm="bn")
    assert torch.all(fresh.conv_out.norm.weight == 0) and torch.all(mine.conv_out.bn.weight == 0)
