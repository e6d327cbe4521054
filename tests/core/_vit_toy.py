"""A tiny ViT-shaped classifier and token dataset for the FSDP2 and bf16 trainer tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from vidcore.core.layers import TransformerBlock


class TinyViT(nn.Module):
    """Tokens ``(N, 16, 8)`` -> linear embedding to 32 + a learned position table -> 2 pre-norm
    :class:`TransformerBlock` (4 heads) -> LayerNorm -> mean over tokens -> 3 classes.

    Biases on queries and values only (VideoMAE's ``"qv"``): a key bias gets an exactly-zero
    gradient in theory (softmax ignores it), so AdamW would drive it by rounding noise alone, which
    differs between 1 and 2 processes (measured 2.7e-4 apart after 8 steps; every other tensor 6e-8)."""

    def __init__(self, depth: int = 2) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 32)
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 16, 32))
        self.blocks = nn.ModuleList(TransformerBlock(32, 4, mlp_ratio=2.0, qkv_bias="qv") for _ in range(depth))
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x) + self.pos_embed  # (N, 16, 8) -> (N, 16, 32)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(dim=1))

    def forward_train(self, batch: dict) -> dict[str, torch.Tensor]:
        return {"loss": F.cross_entropy(self(batch["x"]).float(), batch["y"])}

    def forward_eval(self, batch: dict) -> dict[str, torch.Tensor]:
        return {"scores": self(batch["x"]), "labels": batch["y"]}


class TokenData(Dataset):
    """``n`` fixed token sets ``(16, 8)`` whose class is the sign pattern of two token sums."""

    def __init__(self, n: int = 16, seed: int = 11) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 16, 8, generator=g)
        self.y = ((self.x[:, :8, 0].sum(1) > 0).long() + (self.x[:, 8:, 1].sum(1) > 0).long())

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {"x": self.x[i], "y": self.y[i], "index": torch.tensor(i)}
