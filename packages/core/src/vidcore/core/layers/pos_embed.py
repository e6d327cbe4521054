"""Position embeddings for token sequences: the fixed sinusoidal table and a learnable one."""

from __future__ import annotations

import torch
from torch import nn

from .init import trunc_normal_

__all__ = ["LearnablePositionEmbedding", "SinusoidalPositionEmbedding", "sinusoid_position_table"]


def sinusoid_position_table(num_positions: int, dim: int) -> torch.Tensor:
    """The fixed table of "Attention Is All You Need", laid out as VideoMAE/MMAction2 build it.

    ``table[0, p, j] = sin(p / 10000^(2⌊j/2⌋/dim))`` for even ``j`` and ``cos(...)`` for odd ``j``;
    computed in float64 and returned as float32 of shape ``(1, num_positions, dim)``.
    """
    j = torch.arange(dim, dtype=torch.float64)
    inv_freq = torch.pow(10000.0, -(j - j % 2) / dim)  # (dim,): pairs (2i, 2i+1) share a frequency
    angles = torch.arange(num_positions, dtype=torch.float64)[:, None] * inv_freq[None, :]
    table = torch.empty_like(angles)
    table[:, 0::2] = angles[:, 0::2].sin()
    table[:, 1::2] = angles[:, 1::2].cos()
    return table.to(torch.float32).unsqueeze(0)


class SinusoidalPositionEmbedding(nn.Module):
    """Adds :func:`sinusoid_position_table` to ``(N, L, dim)`` tokens (``L == num_positions``).

    The table is a persistent buffer named ``pos_embed`` (as in MMAction2's VideoMAE), so it appears
    in the state dict and a checkpoint's copy loads over it.
    """

    pos_embed: torch.Tensor

    def __init__(self, num_positions: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("pos_embed", sinusoid_position_table(num_positions, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != self.pos_embed.shape[1:]:
            raise ValueError(f"tokens {tuple(x.shape)} do not match the table {tuple(self.pos_embed.shape)}")
        return x + self.pos_embed.to(x.dtype)


class LearnablePositionEmbedding(nn.Module):
    """A learned ``(1, num_positions, dim)`` parameter ``pos_embed`` added to the tokens.

    Initialised from a normal with std ``init_std`` truncated at ±2 (the ViT convention).
    """

    def __init__(self, num_positions: int, dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, num_positions, dim))
        trunc_normal_(self.pos_embed, std=init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != self.pos_embed.shape[1:]:
            raise ValueError(f"tokens {tuple(x.shape)} do not match the table {tuple(self.pos_embed.shape)}")
        return x + self.pos_embed
