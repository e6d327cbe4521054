"""Multi-head self-attention on ``torch.nn.functional.scaled_dot_product_attention``.

SDPA picks a fused kernel (flash / memory-efficient) on GPUs and never materialises the
``(L, L)`` attention matrix there; :meth:`MultiheadSelfAttention.attention_map` computes that matrix
explicitly for inspection.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MultiheadSelfAttention"]


class MultiheadSelfAttention(nn.Module):
    """Self-attention ``softmax(Q Kᵀ · scale + mask) V`` over tokens, with a fused ``qkv`` projection.

    Args:
        dim: token width ``C`` (must be divisible by ``num_heads``).
        num_heads: number of heads; each has width ``C / num_heads``.
        qkv_bias: bias on the ``qkv`` linear layer: True (one ``(3C,)`` bias), False, or ``"qv"``:
            biases on queries and values only, as parameters ``q_bias`` and ``v_bias`` (BEiT /
            VideoMAE; a bias on keys never changes the output, it adds the same value to every
            logit of a query, so it is left out and the parameter count is VideoMAE's).
        attn_drop: dropout on the attention probabilities (training only).
        proj_drop: dropout after the output projection.
        qk_scale: logit scale; default ``head_dim ** -0.5``.

    Submodules: ``qkv`` (``C -> 3C``, output laid out as ``[q | k | v]`` each head-major) and ``proj``.
    Input ``(N, L, C)``, output ``(N, L, C)``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 8,
        qkv_bias: bool | Literal["qv"] = False,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        *,
        qk_scale: float | None = None,
    ) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = qk_scale if qk_scale is not None else self.head_dim**-0.5
        self.attn_drop = attn_drop
        if qkv_bias not in (True, False, "qv"):
            raise ValueError(f"qkv_bias must be True, False or 'qv', got {qkv_bias!r}")
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias is True)
        self.q_bias: nn.Parameter | None = None
        self.v_bias: nn.Parameter | None = None
        if qkv_bias == "qv":
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, length, _ = x.shape
        if self.q_bias is not None and self.v_bias is not None:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.q_bias), self.v_bias))
            qkv = F.linear(x, self.qkv.weight, bias)
        else:
            qkv = self.qkv(x)
        # (N, L, 3C) -> (3, N, heads, L, head_dim)
        qkv = qkv.reshape(n, length, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def forward(
        self, x: torch.Tensor, attn_mask: torch.Tensor | None = None, *, is_causal: bool = False
    ) -> torch.Tensor:
        """Attend over the ``L`` tokens of ``x`` ``(N, L, C)``; returns ``(N, L, C)``.

        ``attn_mask`` broadcasts to ``(N, heads, L, L)``: boolean (True = may attend) or float
        (added to the logits, e.g. ``-inf`` to block).
        """
        if x.ndim != 3:
            raise ValueError(f"expected tokens of shape (N, L, C), got {tuple(x.shape)}")
        n, length, c = x.shape
        q, k, v = self._qkv(x)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=attn_mask,
            dropout_p=self.attn_drop if self.training else 0.0,
            is_causal=is_causal,
            scale=self.scale,
        )
        out = out.transpose(1, 2).reshape(n, length, c)  # (N, heads, L, d) -> (N, L, C)
        return self.proj_drop(self.proj(out))

    def attention_map(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The attention probabilities ``(N, heads, L, L)`` (no dropout), computed explicitly."""
        q, k, _ = self._qkv(x)
        logits = (q @ k.transpose(-2, -1)) * self.scale
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:
                logits = logits.masked_fill(~attn_mask, float("-inf"))
            else:
                logits = logits + attn_mask
        return logits.softmax(dim=-1)
