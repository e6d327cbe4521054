"""The transformer pieces in vidcore.core.layers: TransformerBlock, drop-path schedule, QuickGELU,
the MLP's separate output dropout."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from vidcore.core.layers import Mlp, QuickGELU, TransformerBlock, drop_path_rates, make_activation


def test_quick_gelu_by_hand() -> None:
    x = torch.tensor([-2.0, 0.0, 1.0, 3.0])
    expected = torch.tensor([v * (1 / (1 + math.exp(-1.702 * v))) for v in x.tolist()])
    torch.testing.assert_close(QuickGELU()(x), expected)
    assert isinstance(make_activation("quick_gelu"), QuickGELU)


def test_drop_path_rates_rise_linearly() -> None:
    assert drop_path_rates(0.1, 1) == [0.0]
    assert drop_path_rates(0.3, 4) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="depth"):
        drop_path_rates(0.1, 0)


def test_transformer_block_is_two_prenorm_residuals() -> None:
    torch.manual_seed(0)
    block = TransformerBlock(8, 2, mlp_ratio=2.0, init_values=0.5).eval()
    assert block.gamma_1 is not None and torch.equal(block.gamma_1, torch.full((8,), 0.5))
    x = torch.randn(2, 5, 8)
    h = x + 0.5 * block.attn(block.norm1(x))
    expected = h + 0.5 * block.mlp(block.norm2(h))
    torch.testing.assert_close(block(x), expected)
    assert block.mlp.fc1.out_features == 16
    plain = TransformerBlock(8, 2)
    assert plain.gamma_1 is None and sum(p.numel() for p in plain.parameters()) == (
        4 * 8  # two LayerNorms
        + 8 * 24 + 24 + 8 * 8 + 8  # qkv (with bias) and proj
        + 8 * 32 + 32 + 32 * 8 + 8  # MLP 8 -> 32 -> 8
    )


def test_mlp_output_dropout_can_differ() -> None:
    mlp = Mlp(4, 8, drop=0.5, out_drop=0.0)
    assert isinstance(mlp.drop1, nn.Dropout) and mlp.drop1.p == 0.5 and mlp.drop2.p == 0.0
    assert Mlp(4, 8, drop=0.3).drop2.p == 0.3


def test_set_drop_path_rate_follows_block_order_across_stages() -> None:
    from torch import nn

    from vidcore.core.layers import DropPath, TransformerBlock, set_drop_path_rate

    # two "stages" of 3 and 2 blocks: one linear schedule over the 5 blocks in registration order
    net = nn.Sequential(
        nn.Sequential(*[TransformerBlock(8, 2, drop_path=0.3) for _ in range(3)]),
        nn.Linear(8, 8),
        nn.Sequential(*[TransformerBlock(8, 2) for _ in range(2)]),
    )
    assert set_drop_path_rate(net, 0.4) == 5
    blocks = [m for m in net.modules() if isinstance(m, TransformerBlock)]
    got = [b.drop_path.p if isinstance(b.drop_path, DropPath) else 0.0 for b in blocks]
    assert got == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert isinstance(blocks[0].drop_path, nn.Identity)
    set_drop_path_rate(net, 0.0)  # off everywhere
    assert all(isinstance(b.drop_path, nn.Identity) for b in blocks)
    x = torch.randn(2, 5, 8)
    net.train()
    assert torch.equal(net(x), net(x))  # no stochastic branch left
    with pytest.raises(ValueError, match="no blocks"):
        set_drop_path_rate(nn.Linear(3, 3), 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        set_drop_path_rate(net, 1.0)
