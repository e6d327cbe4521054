"""Batch operations: MixUp/CutMix, normalization, model layouts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from vidcore.data import transforms as T

SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: intra-op threads only add contention (DataLoader workers run one thread too)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _batch(n=4, views=False, dtype=torch.uint8, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (n, 2, 3, 3, 8, 10) if views else (n, 3, 3, 8, 10)  # (N, V, T, C, H, W) / (N, T, C, H, W)
    x = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
    return x if dtype == torch.uint8 else x.to(dtype) / 255


@pytest.mark.parametrize("cls", [T.MixUp, T.CutMix])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@SETTINGS
@given(alpha=st.floats(0.1, 2.0), seed=st.integers(0, 10**6), soft=st.booleans(), views=st.booleans())
def test_blending_contracts(cls, dtype, alpha, seed, soft, views):
    aug = cls(alpha, num_classes=5)
    x = _batch(views=views, dtype=dtype, seed=seed % 7)
    labels = torch.tensor([0, 1, 2, 4])
    if soft:
        labels = torch.nn.functional.one_hot(labels, 5).float() * 0.8 + 0.04
    before = x.clone()
    out, target = aug(x, labels, rng=seed)
    assert torch.equal(x, before)  # not in place
    assert out.shape == x.shape and out.dtype == x.dtype
    assert target.shape == (4, 5) and target.dtype == torch.float32
    torch.testing.assert_close(target.sum(1), torch.ones(4))
    if dtype == torch.float32:
        assert out.min() >= 0 and out.max() <= 1
    again, target2 = aug(x, labels, rng=seed)
    assert torch.equal(again, out) and torch.equal(target2, target)


def test_mixup_hand_computed():
    mix = T.MixUp(1.0, num_classes=3)
    x = torch.stack([torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 100.0)])
    params = {"lam": 0.25, "perm": torch.tensor([1, 0])}
    out, target = mix.apply(x, torch.tensor([0, 2]), params)
    assert torch.allclose(out[0], torch.full_like(out[0], 75.0))
    assert torch.allclose(out[1], torch.full_like(out[1], 25.0))
    assert target.tolist() == [[0.25, 0.0, 0.75], [0.75, 0.0, 0.25]]
    out8, _ = mix.apply(x.to(torch.uint8), torch.tensor([0, 2]), params)
    assert out8.dtype == torch.uint8 and out8[0].unique().tolist() == [75]


def test_cutmix_pastes_box_and_weights_labels_by_area():
    cut = T.CutMix(1.0, num_classes=2)
    x = torch.stack(
        [torch.zeros(2, 3, 8, 10, dtype=torch.uint8), torch.full((2, 3, 8, 10), 9, dtype=torch.uint8)]
    )
    params = {"box": (2, 1, 7, 5), "perm": torch.tensor([1, 0])}  # 5 x 4 = 20 of 80 pixels
    out, target = cut.apply(x, torch.tensor([0, 1]), params)
    assert (out[0, ..., 1:5, 2:7] == 9).all() and out[0].sum() == 9 * 20 * 2 * 3
    assert (out[1, ..., 1:5, 2:7] == 0).all()
    assert target.tolist() == [[0.75, 0.25], [0.25, 0.75]]
    p = cut.make_params(x, np.random.default_rng(0))
    x1, y1, x2, y2 = p["box"]
    assert 0 <= x1 <= x2 <= 10 and 0 <= y1 <= y2 <= 8


def test_random_batch_augment_and_errors():
    aug = T.RandomBatchAugment([T.MixUp(1.0, 3), T.CutMix(1.0, 3)], probs=[0.0, 0.0])
    x = _batch(n=2)
    out, target = aug(x, torch.tensor([0, 2]), rng=0)
    assert torch.equal(out, x) and target.tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="num_classes"):
        T.MixUp(1.0)(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        T.MixUp(1.0, 3)(x, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="probs"):
        T.RandomBatchAugment([T.MixUp(1.0, 3)], probs=[1.5])
    pickle.loads(pickle.dumps(aug))


def test_normalize_hand_computed():
    x = (
        torch.tensor([0, 255], dtype=torch.uint8).reshape(1, 1, 1, 1, 2).expand(2, 4, 3, 1, 2)
    )  # (N, T, C, H, W)
    out = T.normalize(x, [127.5, 0.0, 255.0], [127.5, 255.0, 255.0])
    assert out.dtype == torch.float32
    assert out[0, 0, :, 0].tolist() == [[-1.0, 1.0], [0.0, 1.0], [-1.0, 0.0]]
    ncthw = T.to_ncthw(x)  # channel dim 1
    torch.testing.assert_close(
        T.normalize(ncthw, [127.5, 0.0, 255.0], [127.5, 255.0, 255.0], channel_dim=1), T.to_ncthw(out)
    )
    module = T.Normalize([127.5, 0.0, 255.0], [127.5, 255.0, 255.0], dtype=torch.bfloat16)
    assert module(x).dtype == torch.bfloat16 and module.state_dict() == {}
    with pytest.raises(ValueError, match="one per channel"):
        T.normalize(x, [1.0, 2.0], [1.0, 1.0])


def test_layouts():
    x = torch.arange(2 * 4 * 3 * 5 * 6).reshape(2, 4, 3, 5, 6)  # (N, T, C, H, W)
    ncthw = T.to_ncthw(x)
    assert ncthw.shape == (2, 3, 4, 5, 6) and ncthw[1, 2, 3, 4, 5] == x[1, 3, 2, 4, 5]
    nchw = T.to_nchw(x)
    assert nchw.shape == (8, 3, 5, 6) and torch.equal(nchw[5], x[1, 1])
    views = x.reshape(1, 2, 4, 3, 5, 6)  # (N=1, V=2, T, C, H, W)
    assert torch.equal(T.to_layout(views, "NCTHW"), ncthw)
    assert torch.equal(T.to_layout(views, "NCHW"), nchw)
    with pytest.raises(ValueError, match="layout"):
        T.to_layout(x, "NHWC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected"):
        T.to_ncthw(x[0])
    split = T.split_views(torch.zeros(12, 3, 2, 2), 3)
    assert split.shape == (3, 4, 3, 2, 2)
