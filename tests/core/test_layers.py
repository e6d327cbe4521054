"""Tests of vidcore.core.layers against direct formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vidcore.core.layers import (
    ConvNormAct,
    DropPath,
    LearnablePositionEmbedding,
    Mlp,
    MultiheadSelfAttention,
    NonLocalBlock,
    SinusoidalPositionEmbedding,
    constant_init,
    kaiming_init,
    sinusoid_position_table,
    trunc_normal_,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# ---------------------------------------------------------------- ConvNormAct


@pytest.mark.parametrize(
    ("dims", "shape", "out_shape"),
    [(1, (2, 3, 9), (2, 5, 5)), (2, (2, 3, 9, 7), (2, 5, 5, 4)), (3, (2, 3, 4, 9, 7), (2, 5, 2, 5, 4))],
)
def test_conv_norm_act_shapes(dims, shape, out_shape) -> None:
    m = ConvNormAct(3, 5, 3, stride=2, padding=1, dims=dims)
    assert m(torch.randn(shape)).shape == out_shape


def test_conv_norm_act_keys_match_mmcv_conv_module() -> None:
    keys = set(ConvNormAct(3, 4, 3, dims=3).state_dict())
    assert keys == {
        "conv.weight",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    }
    assert set(ConvNormAct(3, 4, 1, norm=None, act=None, bias="auto").state_dict()) == {
        "conv.weight",
        "conv.bias",
    }
    assert set(ConvNormAct(3, 4, 1, norm="bn", bias="auto").state_dict()) >= {"conv.weight"}
    assert "conv.bias" not in ConvNormAct(3, 4, 1, norm="bn", bias="auto").state_dict()


def test_conv_norm_act_equals_functional_composition() -> None:
    m = ConvNormAct(3, 4, 3, padding=1, dims=2, act="leaky_relu", negative_slope=0.2).eval()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-1, 1)
        m.bn.running_var.uniform_(0.5, 1.5)
        m.bn.weight.uniform_(0.5, 1.5)
        m.bn.bias.uniform_(-1, 1)
    x = torch.randn(2, 3, 5, 5)
    y = F.conv2d(x, m.conv.weight, padding=1)
    y = (y - m.bn.running_mean[:, None, None]) / torch.sqrt(m.bn.running_var[:, None, None] + 1e-5)
    y = y * m.bn.weight[:, None, None] + m.bn.bias[:, None, None]
    y = torch.where(y > 0, y, 0.2 * y)
    torch.testing.assert_close(m(x), y)


def test_conv_norm_act_default_init_is_mmcv_kaiming_fan_out() -> None:
    m = ConvNormAct(16, 64, 3, dims=2)
    fan_out = 64 * 3 * 3
    assert m.conv.weight.std().item() == pytest.approx(math.sqrt(2.0 / fan_out), rel=0.05)
    assert torch.all(m.bn.weight == 1) and torch.all(m.bn.bias == 0)


def test_conv_norm_act_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="dims"):
        ConvNormAct(3, 4, 3, dims=4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="norm"):
        ConvNormAct(3, 4, 3, norm="gn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown activation"):
        ConvNormAct(3, 4, 3, act="mish")  # type: ignore[arg-type]


# ---------------------------------------------------------------- DropPath


def test_drop_path_is_identity_in_eval_and_at_zero() -> None:
    x = torch.randn(8, 3, 4)
    assert torch.equal(DropPath(0.5).eval()(x), x)
    assert torch.equal(DropPath(0.0).train()(x), x)


def test_drop_path_drops_whole_samples_and_preserves_expectation() -> None:
    p = 0.3
    m = DropPath(p).train()
    x = torch.ones(20000, 2, 3)
    y = m(x)
    per_sample = y.reshape(20000, -1)
    # each sample is either all zero or all 1/(1-p)
    assert torch.all((per_sample == 0).all(1) | torch.isclose(per_sample, torch.tensor(1 / (1 - p))).all(1))
    dropped = (per_sample == 0).all(1).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.015)  # ~4.6 sigma for n=20000
    assert y.mean().item() == pytest.approx(1.0, abs=0.03)


def test_drop_path_rejects_p_one() -> None:
    with pytest.raises(ValueError):
        DropPath(1.0)


# ---------------------------------------------------------------- Mlp


def test_mlp_equals_formula() -> None:
    m = Mlp(6, 10, 4).eval()
    x = torch.randn(2, 3, 6)
    ref = F.linear(F.gelu(F.linear(x, m.fc1.weight, m.fc1.bias)), m.fc2.weight, m.fc2.bias)
    torch.testing.assert_close(m(x), ref)
    assert Mlp(6)(x).shape == x.shape


# ---------------------------------------------------------------- attention


def _naive_attention(
    m: MultiheadSelfAttention, x: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    c = x.shape[-1]
    h, d = m.num_heads, c // m.num_heads
    w_q, w_k, w_v = m.qkv.weight.split(c)
    b_q, b_k, b_v = m.qkv.bias.split(c) if m.qkv.bias is not None else (None, None, None)
    outs = []
    for head in range(h):
        sl = slice(head * d, (head + 1) * d)
        q = F.linear(x, w_q[sl], None if b_q is None else b_q[sl])
        k = F.linear(x, w_k[sl], None if b_k is None else b_k[sl])
        v = F.linear(x, w_v[sl], None if b_v is None else b_v[sl])
        logits = q @ k.transpose(1, 2) / math.sqrt(d)
        if mask is not None:
            logits = logits.masked_fill(~mask, float("-inf"))
        outs.append(torch.softmax(logits, -1) @ v)
    return F.linear(torch.cat(outs, -1), m.proj.weight, m.proj.bias)


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_attention_equals_naive_softmax(qkv_bias: bool) -> None:
    m = MultiheadSelfAttention(12, num_heads=3, qkv_bias=qkv_bias).eval()
    if qkv_bias:
        nn.init.normal_(m.qkv.bias)
    x = torch.randn(2, 5, 12)
    torch.testing.assert_close(m(x), _naive_attention(m, x), atol=1e-5, rtol=1e-5)


def test_attention_with_boolean_mask_and_map() -> None:
    m = MultiheadSelfAttention(8, num_heads=2, qkv_bias=True).eval()
    x = torch.randn(2, 4, 8)
    mask = torch.tensor([[True, True, False, False]] * 4)  # nobody may attend to tokens 2 and 3
    torch.testing.assert_close(m(x, mask), _naive_attention(m, x, mask), atol=1e-5, rtol=1e-5)
    probs = m.attention_map(x, mask)
    assert probs.shape == (2, 2, 4, 4)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 2, 4))
    assert torch.all(probs[..., 2:] == 0)
    # a float mask of -inf is the same as the boolean one
    fmask = torch.zeros(4, 4).masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(m(x, fmask), m(x, mask))


def test_attention_dropout_only_in_training() -> None:
    m = MultiheadSelfAttention(8, num_heads=2, attn_drop=0.5)
    x = torch.randn(1, 6, 8)
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    assert not torch.allclose(m(x), m.eval()(x))


def test_key_bias_does_not_change_attention() -> None:
    """The claim in the docstring that VideoMAE's q/v-only bias loads with a zero (or any) key bias."""
    m = MultiheadSelfAttention(8, num_heads=2, qkv_bias=True).eval()
    x = torch.randn(1, 5, 8)
    before = m(x)
    with torch.no_grad():
        m.qkv.bias[8:16].normal_()
    torch.testing.assert_close(m(x), before, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- non-local


def _naive_nonlocal(m: NonLocalBlock, x: torch.Tensor) -> torch.Tensor:
    """The non-local formula written with einsum over flattened positions (3D input)."""

    def conv1x1(seq_or_block: nn.Module, t: torch.Tensor) -> torch.Tensor:
        block = seq_or_block[0] if isinstance(seq_or_block, nn.Sequential) else seq_or_block
        w = block.conv.weight.flatten(1)
        return torch.einsum("oc,nc...->no...", w, t) + block.conv.bias.view(1, -1, 1, 1, 1)

    def pool(t: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(t, (1, 2, 2)) if m.sub_sample else t

    n = x.shape[0]
    if m.mode == "gaussian":
        th, ph = x, pool(x)
    else:
        th, ph = conv1x1(m.theta, x), pool(conv1x1(m.phi, x))
    g = pool(conv1x1(m.g, x))
    th, ph, g = th.flatten(2), ph.flatten(2), g.flatten(2)  # (N, C', P) / (N, C', P')
    logits = torch.einsum("ncp,ncq->npq", th, ph)
    if m.mode == "dot_product":
        f = logits / ph.shape[-1]
    elif m.mode == "embedded_gaussian" and m.use_scale:
        f = torch.softmax(logits / math.sqrt(th.shape[1]), -1)
    else:
        f = torch.softmax(logits, -1)
    y = torch.einsum("npq,ncq->ncp", f, g).reshape(n, -1, *x.shape[2:])
    out = torch.einsum("oc,nc...->no...", m.conv_out.conv.weight.flatten(1), y)
    if m.conv_out.conv.bias is not None:
        out = out + m.conv_out.conv.bias.view(1, -1, 1, 1, 1)
    if m.conv_out.bn is not None:
        bn = m.conv_out.bn
        shape = (1, -1, 1, 1, 1)
        out = (out - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + bn.eps)
        out = out * bn.weight.view(shape) + bn.bias.view(shape)
    return x + out


@pytest.mark.parametrize("mode", ["embedded_gaussian", "dot_product", "gaussian"])
@pytest.mark.parametrize("sub_sample", [False, True])
@pytest.mark.parametrize("use_scale", [True, False])
def test_nonlocal_equals_einsum_formula(mode, sub_sample, use_scale) -> None:
    m = NonLocalBlock(6, dims=3, mode=mode, sub_sample=sub_sample, use_scale=use_scale, norm="bn").eval()
    with torch.no_grad():  # leave the zero init: otherwise the block is the identity and proves nothing
        for p in m.parameters():
            p.normal_(0, 0.5)
        m.conv_out.bn.running_mean.uniform_(-0.5, 0.5)
        m.conv_out.bn.running_var.uniform_(0.5, 1.5)
    x = torch.randn(2, 6, 2, 4, 4)
    out = m(x)
    torch.testing.assert_close(out, _naive_nonlocal(m, x), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(out, x)


def test_nonlocal_zero_init_is_identity_and_keys() -> None:
    m = NonLocalBlock(8, dims=3, sub_sample=True, norm="bn").eval()
    x = torch.randn(1, 8, 2, 4, 4)
    torch.testing.assert_close(m(x), x)
    assert torch.all(m.conv_out.bn.weight == 0) and torch.all(m.conv_out.bn.bias == 0)
    assert set(m.state_dict()) == {
        "g.0.conv.weight", "g.0.conv.bias", "theta.conv.weight", "theta.conv.bias",
        "phi.0.conv.weight", "phi.0.conv.bias", "conv_out.conv.weight", "conv_out.bn.weight",
        "conv_out.bn.bias", "conv_out.bn.running_mean", "conv_out.bn.running_var",
        "conv_out.bn.num_batches_tracked",
    }  # fmt: skip
    plain = NonLocalBlock(8, dims=2, mode="gaussian")
    assert set(plain.state_dict()) == {
        "g.conv.weight",
        "g.conv.bias",
        "conv_out.conv.weight",
        "conv_out.conv.bias",
    }
    assert torch.all(plain.conv_out.conv.weight == 0)
    assert plain(torch.randn(1, 8, 3, 3)).shape == (1, 8, 3, 3)


def test_nonlocal_rejects_concatenation() -> None:
    with pytest.raises(ValueError, match="concatenation"):
        NonLocalBlock(8, mode="concatenation")  # type: ignore[arg-type]


# ---------------------------------------------------------------- position embeddings


def test_sinusoid_table_matches_hand_formula() -> None:
    table = sinusoid_position_table(10, 6)
    assert table.shape == (1, 10, 6) and table.dtype == torch.float32
    # position 3, dims (0, 1) share frequency 1; dims (2, 3) 10000^(-2/6); dims (4, 5) 10000^(-4/6)
    assert table[0, 3, 0].item() == pytest.approx(math.sin(3.0), abs=1e-7)
    assert table[0, 3, 1].item() == pytest.approx(math.cos(3.0), abs=1e-7)
    assert table[0, 3, 2].item() == pytest.approx(math.sin(3.0 / 10000 ** (2 / 6)), abs=1e-7)
    assert table[0, 7, 5].item() == pytest.approx(math.cos(7.0 / 10000 ** (4 / 6)), abs=1e-7)
    assert torch.equal(table[0, 0, 0::2], torch.zeros(3)) and torch.equal(table[0, 0, 1::2], torch.ones(3))


def test_position_embedding_modules() -> None:
    sin = SinusoidalPositionEmbedding(5, 4)
    assert "pos_embed" in sin.state_dict()
    x = torch.randn(2, 5, 4)
    torch.testing.assert_close(sin(x) - x, sinusoid_position_table(5, 4).expand(2, -1, -1))
    learn = LearnablePositionEmbedding(5, 4)
    assert learn.pos_embed.requires_grad and learn.pos_embed.abs().max() <= 2.0
    torch.testing.assert_close(learn(x) - x, learn.pos_embed.detach().expand(2, -1, -1))
    with pytest.raises(ValueError, match="do not match"):
        sin(torch.randn(2, 6, 4))


# ---------------------------------------------------------------- init helpers


def test_init_helpers() -> None:
    lin = nn.Linear(4, 3)
    constant_init(lin, 2.0, bias=-1.0)
    assert torch.all(lin.weight == 2) and torch.all(lin.bias == -1)
    conv = nn.Conv2d(64, 128, 3)
    kaiming_init(conv)
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2.0 / (128 * 9)), rel=0.05)
    assert torch.all(conv.bias == 0)
    t = trunc_normal_(torch.empty(10000), std=1.0, a=-0.5, b=0.5)
    assert t.min() >= -0.5 and t.max() <= 0.5
    constant_init(nn.ReLU(), 1.0)  # modules without weight are left alone
