"""The pre-norm transformer block shared by the ViT-based video models (VideoMAE and its
pre-training decoder, TimeSformer's joint and space-only variants, UniFormerV2's local blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from .attention import MultiheadSelfAttention
from .conv import ActName
from .drop import DropPath
from .mlp import Mlp

__all__ = ["TransformerBlock", "drop_path_rates"]


def drop_path_rates(max_rate: float, depth: int) -> list[float]:
    """Stochastic-depth rates rising linearly from 0 (first block) to ``max_rate`` (last block),
    the ViT/DeiT schedule (``torch.linspace(0, max_rate, depth)``; plain Python, so it also works
    while building on the ``meta`` device)."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if depth == 1:
        return [0.0]
    return [max_rate * i / (depth - 1) for i in range(depth)]


class TransformerBlock(nn.Module):
    """``x + drop_path(γ₁·attn(norm1(x)))``, then ``x + drop_path(γ₂·mlp(norm2(x)))``.

    Args:
        dim: token width ``C``.
        num_heads: attention heads.
        mlp_ratio: hidden width of the MLP as a multiple of ``C``.
        qkv_bias: see :class:`MultiheadSelfAttention` (True, False or ``"qv"``).
        drop: dropout after the attention projection and inside the MLP.
        attn_drop: dropout on the attention probabilities.
        drop_path: stochastic-depth probability of both residual branches.
        init_values: when > 0, learnable per-channel scales ``gamma_1``/``gamma_2`` (LayerScale,
            CaiT) initialised to this value multiply the two branches; 0 means none.
        norm_layer: ``norm_layer(C)`` builds ``norm1``/``norm2`` (e.g. ``partial(nn.LayerNorm, eps=1e-6)``).
        act: MLP activation name (``"gelu"``, ``"quick_gelu"`` ...).

    Submodules ``norm1``, ``attn`` (``qkv``, ``proj``), ``norm2``, ``mlp`` (``fc1``, ``fc2``).
    Input and output ``(N, L, C)``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        mlp_ratio: float = 4.0,
        qkv_bias: bool | Literal["qv"] = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        init_values: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        act: ActName = "gelu",
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = MultiheadSelfAttention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act=act, drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.gamma_1: nn.Parameter | None = None
        self.gamma_2: nn.Parameter | None = None
        if init_values > 0:
            self.gamma_1 = nn.Parameter(torch.full((dim,), float(init_values)))
            self.gamma_2 = nn.Parameter(torch.full((dim,), float(init_values)))

    def attention_branch(self, x: torch.Tensor) -> torch.Tensor:
        """``drop_path(γ₁·attn(norm1(x)))``: what the first residual adds."""
        y = self.attn(self.norm1(x))
        return self.drop_path(y if self.gamma_1 is None else self.gamma_1 * y)

    def mlp_branch(self, x: torch.Tensor) -> torch.Tensor:
        """``drop_path(γ₂·mlp(norm2(x)))``: what the second residual adds."""
        y = self.mlp(self.norm2(x))
        return self.drop_path(y if self.gamma_2 is None else self.gamma_2 * y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention_branch(x)
        return x + self.mlp_branch(x)
