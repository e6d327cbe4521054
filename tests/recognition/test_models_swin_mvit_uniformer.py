"""Video Swin, MViTv2 and UniFormer (V1): parameter counts of every preset against MMAction2's,
hand-checked pieces (window partition, relative position index, shift mask, decomposed relative
positions), and a tiny configuration of each family through forward, backward and batching.

Numerical parity with MMAction2 lives in tests/parity/test_recognition_swin_mvit_parity.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vidcore.recognition.models import mvit as mvit_module
from vidcore.recognition.models.heads3d import I3DHead
from vidcore.recognition.models.mvit import MViT, MViTHead, rel_pos_attention, rel_pos_for
from vidcore.recognition.models.swin import (
    SwinTransformer3D,
    convert_mmaction_swin,
    relative_position_index_3d,
    shift_window_mask,
    window_partition,
    window_reverse,
)
from vidcore.recognition.models.uniformer import UniFormer
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import get_model, get_preset

# Parameters of MMAction2 1.2.0's recognizer built from each stock config (measured in the
# MMAction2 environment with `MODELS.build(cfg.model)` and summing `numel()` over parameters).
MMACTION2_PARAMS = {
    "swin_tiny_p244_w877_32x2x1_kinetics400": 28_158_070,
    "swin_small_p244_w877_32x2x1_kinetics400": 49_816_678,
    "swin_base_p244_w877_32x2x1_kinetics400": 88_048_984,
    "swin_large_p244_w877_32x2x1_kinetics400": 196_953_916,
    "swin_large_p244_w877_32x2x1_kinetics700": 197_415_016,
    "swin_small_p244_w877_32x2x1_kinetics710": 50_055_068,
    "mvit_small_p244_16x4x1_kinetics400": 34_537_744,
    "mvit_small_p244_k400_maskfeat_pre_16x4x1_kinetics400": 36_475_120,
    "mvit_small_p244_k400_pre_u16_sthv2": 34_363_950,
    "mvit_base_p244_32x3x1_kinetics400": 51_230_128,
    "mvit_base_p244_u32_sthv2": 51_056_334,
    "mvit_large_p244_40x3x1_kinetics400": 213_390_112,
    "mvit_large_p244_u40_sthv2": 213_129_534,
    "uniformer_small_16x4x1_kinetics400": 21_400_400,
    "uniformer_base_16x4x1_kinetics400": 49_813_200,
    "uniformer_base_32x4x1_kinetics400": 49_813_200,
}


@pytest.mark.parametrize("name", sorted(MMACTION2_PARAMS))
def test_parameter_count_equals_mmaction2(name: str) -> None:
    with torch.device("meta"):
        model = get_model(name)
    assert sum(p.numel() for p in model.parameters()) == MMACTION2_PARAMS[name]


def test_issue_numbers() -> None:
    # the numbers the issue quotes (MMAction2, millions): Swin-T 28.16M, MViTv2-S 34.54M
    assert round(MMACTION2_PARAMS["swin_tiny_p244_w877_32x2x1_kinetics400"] / 1e6, 2) == 28.16
    assert round(MMACTION2_PARAMS["mvit_small_p244_16x4x1_kinetics400"] / 1e6, 2) == 34.54


def test_preset_metadata_follows_the_configs() -> None:
    swin = get_preset("swin_tiny_p244_w877_32x2x1_kinetics400")
    assert (swin.clip_len, swin.frame_interval, swin.test_num_clips, swin.test_crops, swin.test_crop_size) == (
        32, 2, 4, 3, 224,
    )  # fmt: skip
    assert get_preset("swin_large_p244_w877_32x2x1_kinetics700").num_classes == 700
    mvit = get_preset("mvit_small_p244_16x4x1_kinetics400")
    assert (mvit.clip_len, mvit.frame_interval, mvit.test_views, mvit.mean) == (16, 4, 5, (114.75,) * 3)
    assert get_preset("mvit_small_p244_k400_maskfeat_pre_16x4x1_kinetics400").test_views == 10
    large = get_preset("mvit_large_p244_40x3x1_kinetics400")
    assert (large.clip_len, large.crop_size, large.short_side, large.test_views) == (40, 312, 356, 15)
    sthv2 = get_preset("mvit_small_p244_k400_pre_u16_sthv2")
    assert (sthv2.num_classes, sthv2.test_views, sthv2.mean) == (174, 3, (123.675, 116.28, 103.53))
    uni = get_preset("uniformer_base_32x4x1_kinetics400")
    assert (uni.clip_len, uni.frame_interval, uni.test_views) == (32, 4, 4)


# -- Swin pieces ---------------------------------------------------------------------------------


def test_window_partition_order_and_inverse() -> None:
    x = torch.arange(2 * 4 * 4).float().view(1, 2, 4, 4, 1)  # value = d*16 + h*4 + w
    win = window_partition(x, (2, 2, 2))
    assert win.shape == (4, 8, 1)
    # the second window covers h in {0, 1}, w in {2, 3}; tokens in (d, h, w) raster order
    assert win[1, :, 0].tolist() == [2, 3, 6, 7, 18, 19, 22, 23]
    assert torch.equal(window_reverse(win, (2, 2, 2), 1, 2, 4, 4), x)


def test_relative_position_index_by_hand() -> None:
    idx = relative_position_index_3d((1, 2, 2))  # table of 1*3*3 rows; tokens (0,0) (0,1) (1,0) (1,1)
    # offset (dh, dw) of query - key maps to (dh + 1) * 3 + (dw + 1)
    assert idx.tolist() == [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]


def test_shift_mask_separates_the_regions_rolled_together() -> None:
    # a 1x4x4 map, 1x2x2 windows shifted by (0, 1, 1): the first window holds one region only;
    # the last one gathers four regions (each token alone)
    mask = shift_window_mask((1, 4, 4), (1, 2, 2), (0, 1, 1))
    assert mask.shape == (4, 4, 4)
    assert (mask[0] == 0).all()
    assert torch.equal(mask[3] == 0, torch.eye(4, dtype=torch.bool))
    assert set(mask.unique().tolist()) == {0.0, -100.0}


def test_convert_swin_drops_the_rebuilt_index() -> None:
    sd = {
        "backbone.layers.0.blocks.0.attn.relative_position_index": torch.zeros(2, 2, dtype=torch.long),
        "backbone.norm3.weight": torch.ones(3),
        "cls_head.fc_cls.weight": torch.ones(2, 3),
        "data_preprocessor.mean": torch.zeros(3),
    }
    assert sorted(convert_mmaction_swin(sd)) == ["backbone.norm3.weight", "head.fc_cls.weight"]


# -- MViT pieces ---------------------------------------------------------------------------------


def test_rel_pos_for_equal_and_pooled_axes() -> None:
    table = torch.arange(7.0)[:, None]  # (2*4-1, 1): row r holds distance r - 3
    assert rel_pos_for(table, 4, 4)[..., 0].tolist() == [[3 + q - k for k in range(4)] for q in range(4)]
    # keys pooled by 2 (2 keys for 4 queries): key k sits at 2k; distance q - 2k shifted by 2
    assert rel_pos_for(table, 4, 2)[..., 0].tolist() == [[q - 2 * k + 2 for k in range(2)] for q in range(4)]


@pytest.mark.parametrize("chunk_bytes", [1 << 22, 4 * 2 * 3 * 13 * 5])  # one chunk; chunks of 5 rows
def test_rel_pos_attention_inference_matches_explicit_softmax(
    monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    # queries on a (2, 3, 2) grid (+ class token), keys pooled to (2, 2, 3); written out per pair
    torch.manual_seed(0)
    b, heads, d = 2, 3, 4
    q_shape, k_shape = (2, 3, 2), (2, 2, 3)
    lq, lk = 1 + 12, 1 + 12
    q, k, v = torch.randn(b, heads, lq, d), torch.randn(b, heads, lk, d), torch.randn(b, heads, lk, d)
    rel_t, rel_h, rel_w = torch.randn(3, d), torch.randn(5, d), torch.randn(5, d)
    rt, rh, rw = rel_pos_for(rel_t, 2, 2), rel_pos_for(rel_h, 3, 2), rel_pos_for(rel_w, 2, 3)
    q_pos = [(t, h, w) for t in range(2) for h in range(3) for w in range(2)]
    k_pos = [(t, h, w) for t in range(2) for h in range(2) for w in range(3)]
    bias = torch.zeros(b, heads, lq, lk)  # class token row and column: no relative position
    for i, (t, h, w) in enumerate(q_pos):
        for j, (t2, h2, w2) in enumerate(k_pos):
            qi = q[:, :, 1 + i]
            bias[:, :, 1 + i, 1 + j] = qi @ rt[t, t2] + qi @ rh[h, h2] + qi @ rw[w, w2]
    scale = 0.3
    expected = torch.softmax(q @ k.transpose(-1, -2) * scale + bias, dim=-1) @ v
    monkeypatch.setattr(mvit_module, "_MASK_CHUNK_BYTES", chunk_bytes)
    with torch.inference_mode():  # the chunked path
        got = rel_pos_attention(q, k, v, q_shape, k_shape, rel_t, rel_h, rel_w, scale)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # with autograd recording: the full-mask path, same values
    got_grad = rel_pos_attention(q, k, v, q_shape, k_shape, rel_t.requires_grad_(), rel_h, rel_w, scale)
    torch.testing.assert_close(got_grad.detach(), expected, atol=1e-5, rtol=1e-5)


# -- tiny configurations: forward, backward, batching ------------------------------------------------


def _tiny_swin() -> Recognizer:
    backbone = SwinTransformer3D(16, (1, 2), (1, 2), window_size=(2, 3, 3), drop_path_rate=0.1)
    return Recognizer(backbone, I3DHead(5, backbone.feat_dim, dropout=0.5))


def _tiny_mvit() -> Recognizer:
    backbone = MViT(16, 3, 1, (1,), spatial_size=32, temporal_size=8, adaptive_kv_stride=(1, 2, 2), drop_path_rate=0.1)
    return Recognizer(backbone, MViTHead(5, backbone.feat_dim))


def _tiny_uniformer() -> Recognizer:
    backbone = UniFormer((1, 1, 1, 1), (8, 16, 32, 64), head_dim=16, drop_path_rate=0.1)
    return Recognizer(backbone, I3DHead(5, backbone.feat_dim, dropout=0.0))


# Swin: 30 pixels -> 8x8 tokens (padded by the patch embedding), 3x3 windows padded to 9x9 and shifted.
TINY = {"swin": (_tiny_swin, (8, 30)), "mvit": (_tiny_mvit, (8, 32)), "uniformer": (_tiny_uniformer, (8, 32))}


@pytest.mark.parametrize("family", sorted(TINY))
def test_tiny_forward_backward_and_batching(family: str) -> None:
    build, (t, s) = TINY[family]
    torch.manual_seed(0)
    model = build()
    video = torch.randint(0, 256, (2, t, 3, s, s), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    model.train()
    out = model.forward_train({"video": video, "label": torch.tensor([1, 3])})
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    # every parameter gets a finite gradient, and a non-zero one at the stem and the classifier
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values())
    first = next(iter(model.backbone.parameters()))
    assert first.grad.abs().sum() > 0 and model.head.fc_cls.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        x = model.preprocess(video)
        both = model(x)
        one_by_one = torch.cat([model(x[:1]), model(x[1:])])
    assert both.shape == (2, 5) and torch.isfinite(both).all()
    torch.testing.assert_close(both, one_by_one, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(both[0], both[1])  # the two clips are told apart


# Activation checkpointing (with_cp) of every transformer family: test_transformer_checkpointing.py.


def test_mvit_pools_the_grid_and_widens_at_the_downscale_block() -> None:
    net = _tiny_mvit().backbone.eval()
    with torch.no_grad():
        patches, cls = net(torch.randn(1, 3, 8, 32, 32))
    # patch embedding: 8x32x32 -> 4x8x8; one downscale block: 4x4x4 and 16 -> 32 channels
    assert patches.shape == (1, 32, 4, 4, 4) and cls.shape == (1, 32)
    assert isinstance(net.blocks[1].pool_skip, nn.MaxPool3d) and net.blocks[0].pool_skip is None


def test_uniformerv2_mlp_inference_path_is_clips_mlp() -> None:
    from vidcore.recognition.models.uniformerv2 import QuickGELUMlp

    torch.manual_seed(0)
    mlp = QuickGELUMlp(16, 64, drop=0.5).eval()
    x = torch.randn(3, 5, 16) * 3
    # CLIP's MLP written out: fc2(h * sigmoid(1.702 h)), h = fc1(x)
    h = x @ mlp.fc1.weight.t() + mlp.fc1.bias
    expected = (h * torch.sigmoid(1.702 * h)) @ mlp.fc2.weight.t() + mlp.fc2.bias
    with torch.inference_mode():
        fast = mlp(x)  # the folded silu path
    with torch.enable_grad():
        plain = mlp(x.requires_grad_())  # autograd: the plain expression
    assert fast.shape == (3, 5, 16)
    torch.testing.assert_close(fast, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(plain.detach(), expected, rtol=1e-5, atol=1e-5)
    mlp.train()  # training keeps the dropouts: two calls differ
    with torch.no_grad():
        assert not torch.equal(mlp(x), mlp(x))
