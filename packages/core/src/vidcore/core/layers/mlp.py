"""The transformer feed-forward block."""

from __future__ import annotations

import torch
from torch import nn

from .conv import ActName, make_activation

__all__ = ["Mlp"]


class Mlp(nn.Module):
    """``fc1 -> act -> drop -> fc2 -> drop`` on the last axis (timm's ``Mlp`` names).

    Args:
        in_features: input width ``C``.
        hidden_features: hidden width (default ``in_features``; ViTs use ``4 * C``).
        out_features: output width (default ``in_features``).
        act: activation name (default GELU, exact erf form).
        drop: dropout probability after the activation and after ``fc2``.
        out_drop: dropout after ``fc2`` when it differs from ``drop`` (CLIP-style MLPs, e.g.
            UniFormerV2's global blocks, drop only the hidden activations: ``out_drop=0``).
        bias: biases on both linear layers.

    Input ``(..., in_features)``, output ``(..., out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int | None = None,
        out_features: int | None = None,
        act: ActName = "gelu",
        drop: float = 0.0,
        bias: bool = True,
        out_drop: float | None = None,
    ) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = make_activation(act)
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias)
        self.drop2 = nn.Dropout(drop if out_drop is None else out_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))
