"""Classification heads for 3D backbones: I3D, SlowFast, X3D, TPN (and TPN's auxiliary head).

Every head maps backbone (or neck) features to class logits ``(N, num_classes)`` and offers
``reset_classifier(num_classes)`` for fine-tuning on new classes. Parameter names follow
MMAction2 (``fc_cls``; X3D ``fc1``/``fc2``; TPN aux ``conv.conv``, ``conv.bn``, ``fc``).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from vidcore.core.layers import ConvNormAct

__all__ = ["I3DHead", "SlowFastHead", "TPNAuxHead", "TPNHead", "X3DHead"]


def _normal_linear(fc: nn.Linear, std: float) -> None:
    nn.init.normal_(fc.weight, 0.0, std)
    if fc.bias is not None:
        nn.init.zeros_(fc.bias)


class I3DHead(nn.Module):
    """Global average pool over (T, H, W), dropout, linear.

    Args:
        num_classes: number of classes ``K``.
        in_channels: feature channels ``C``.
        spatial_pool: average-pool a ``(N, C, T, H, W)`` input to ``(N, C)``; False when the
            backbone already gives flat ``(N, C)`` features (C3D).
        dropout: dropout probability before the classifier (training only).
        init_std: std of the classifier's normal initialisation.

    Input ``(N, C, T, H, W)`` (or ``(N, C)`` without pooling); output ``(N, K)`` logits.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        *,
        spatial_pool: bool = True,
        dropout: float = 0.5,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.init_std = init_std
        self.avg_pool = nn.AdaptiveAvgPool3d(1) if spatial_pool else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        _normal_linear(self.fc_cls, init_std)

    def pool(self, x: Tensor) -> Tensor:
        """Features -> pooled ``(N, C)`` vector (what the classifier sees)."""
        if self.avg_pool is not None:
            x = self.avg_pool(x)  # (N, C, T, H, W) -> (N, C, 1, 1, 1)
        return x.flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc_cls(self.dropout(self.pool(x)))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier by a freshly initialised one with ``num_classes`` outputs."""
        self.num_classes = num_classes
        self.fc_cls = nn.Linear(self.in_channels, num_classes).to(self.fc_cls.weight.device)
        _normal_linear(self.fc_cls, self.init_std)


class SlowFastHead(I3DHead):
    """Pools both pathways, concatenates ``[fast, slow]`` channels (MMAction2's order), dropout, linear.

    Input the backbone's ``(slow (N, Cs, Ts, H, W), fast (N, Cf, Tf, H, W))``; ``in_channels``
    is ``Cs + Cf`` (2048 + 256 for SlowFast-R50). Output ``(N, K)``.
    """

    def pool(self, x: Tensor | tuple[Tensor, Tensor]) -> Tensor:  # type: ignore[override]
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise TypeError("SlowFastHead expects the (slow, fast) feature pair of a SlowFast backbone")
        slow, fast = x
        pooled = [f.mean(dim=(2, 3, 4)) for f in (fast, slow)]  # (N, Cf), (N, Cs)
        return torch.cat(pooled, dim=1)  # (N, Cf + Cs)


class TPNHead(I3DHead):
    """TPN's classifier: average pool over (T, H, W) of the neck output, dropout, linear.

    MMAction2's ``TPNHead`` has more code paths (segment consensus, a fully convolutional test
    mode); on a TPN neck output they all reduce to this pooling (its temporal extent is 1 there),
    and the fully convolutional head is the same classifier applied before pooling.
    """


class TPNAuxHead(nn.Module):
    """TPN's auxiliary classifier on the second-to-last backbone stage (training loss only).

    1x3x3 conv with spatial stride 2 doubling the channels, BN, ReLU, global average pool,
    dropout 0.5, linear (MMAction2's ``AuxHead``). Input ``(N, C, T, H, W)``; output ``(N, K)`` logits.
    """

    def __init__(self, in_channels: int, num_classes: int, *, loss_weight: float = 0.5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.conv = ConvNormAct(in_channels, in_channels * 2, (1, 3, 3), (1, 2, 2), (0, 1, 1), dims=3)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(in_channels * 2, num_classes)
        nn.init.xavier_uniform_(self.conv.conv.weight)
        _normal_linear(self.fc, 0.01)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x).mean(dim=(2, 3, 4))  # (N, C, T, H, W) -> (N, 2C)
        return self.fc(self.dropout(x))

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.in_channels * 2, num_classes).to(self.fc.weight.device)
        _normal_linear(self.fc, 0.01)


class X3DHead(nn.Module):
    """X3D's head: pool, ``fc1`` to ``mid_channels`` (2048) + ReLU, dropout, ``fc2`` to classes.

    Args:
        num_classes: ``K``.
        in_channels: channels of the backbone's ``conv5`` output (432 for X3D-S/M).
        mid_channels: width of the hidden layer.
        pool: "avg" or "max" over (T, H, W).
        fc1_bias: bias in ``fc1`` (False in MMAction2's X3D configs).
        dropout: probability before ``fc2``.

    Input ``(N, C, T, H, W)``; output ``(N, K)``.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        *,
        mid_channels: int = 2048,
        pool: Literal["avg", "max"] = "avg",
        fc1_bias: bool = False,
        dropout: float = 0.5,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.mid_channels = mid_channels
        self.init_std = init_std
        self.pool = nn.AdaptiveAvgPool3d(1) if pool == "avg" else nn.AdaptiveMaxPool3d(1)
        self.fc1 = nn.Linear(in_channels, mid_channels, bias=fc1_bias)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc2 = nn.Linear(mid_channels, num_classes)
        _normal_linear(self.fc1, init_std)
        _normal_linear(self.fc2, init_std)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool(x).flatten(1)  # (N, C, T, H, W) -> (N, C)
        x = self.relu(self.fc1(x))
        return self.fc2(self.dropout(x))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace ``fc2`` (the hidden ``fc1`` is kept, as it is part of the pretrained trunk)."""
        self.num_classes = num_classes
        self.fc2 = nn.Linear(self.mid_channels, num_classes).to(self.fc2.weight.device)
        _normal_linear(self.fc2, self.init_std)
