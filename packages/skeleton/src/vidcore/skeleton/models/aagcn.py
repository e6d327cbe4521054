"""2s-AGCN and AAGCN: graph convolution whose adjacency adds a learned graph and a data-dependent
one (an embedded-similarity attention between joints), optionally followed by spatial, temporal
and channel attention.

2s-AGCN (Shi et al., CVPR 2019); AAGCN (Shi et al., TIP 2020) adds the attention module. MMAction2
builds both from ``AAGCN`` (2s-AGCN is ``gcn_attention=False``) on the ``spatial`` partition with
a people x joints x channels input BatchNorm.

Input ``(N, M, T, J, C)``; output features ``(N, M, 256, T/4, J)``. Submodule names are MMAction2's
(``data_bn``, ``gcn.i.gcn.conv_a.k``, ``conv_b.k``, ``conv_d.k``, ``A``, ``alpha``, ``down``,
``conv_sa``, ``conv_ta``, ``fc1c``, ``fc2c``, ``gcn.i.tcn.conv``, ``gcn.i.residual.conv``), so
``backbone.*`` keys load unchanged. The per-subset convolutions are kept as separate modules for
that reason but run as one convolution each (weights concatenated), with one einsum for the graph
aggregation of every subset: no loop over subsets.

Published (MMAction2 model zoo, NTU60 XSub 2D joint, 10 clips): 88.60 top-1; 3.46M parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.data.skeleton_graphs import graph_adjacency

from ..meta import NTU60_XSUB_2D, NTU60_XSUB_3D
from .gcn_blocks import (
    ResidualGCNBlock,
    UnitTCN,
    convert_mmaction_gcn,
    gcn_backbone_forward,
    register_gcn_streams,
)

__all__ = ["AAGCN", "AAGCNBlock", "UnitAAGCN", "agcn_backbone"]


class UnitAAGCN(nn.Module):
    """Adaptive graph convolution (MMAction2's ``unit_aagcn``).

    For subset ``k``: adjacency ``A_k + alpha * tanh(theta_k(x)^T phi_k(x) / (C_e T))`` (``theta``,
    ``phi``: 1x1 convolutions to ``C_e = out_channels // coff_embedding`` channels, flattened over
    frames), graph aggregation of ``x`` with it, 1x1 convolution ``conv_d[k]``; subsets summed;
    BatchNorm, residual (1x1 conv + BN when widths differ), ReLU; then optional attention.

    Args:
        in_channels, out_channels: channels.
        adjacency: ``(K, J, J)``; learned (a parameter) when ``adaptive``.
        coff_embedding: embedding reduction.
        adaptive: learn ``A`` and the data-dependent graph; else ``A`` is fixed.
        attention: spatial (joint kernel ``J`` or ``J - 1``, odd), temporal (9 frames) and channel
            (squeeze-excitation, ratio 2) attention, each as ``y * s + y``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: Tensor,
        *,
        coff_embedding: int = 4,
        adaptive: bool = True,
        attention: bool = True,
    ) -> None:
        super().__init__()
        self.num_subsets, num_joints = adjacency.shape[0], adjacency.shape[-1]
        self.inter_channels = out_channels // coff_embedding
        self.adaptive = adaptive
        self.attention = attention
        self.conv_d = nn.ModuleList(nn.Conv2d(in_channels, out_channels, 1) for _ in range(self.num_subsets))
        if adaptive:
            self.A = nn.Parameter(adjacency.clone())
            self.alpha = nn.Parameter(torch.zeros(1))
            self.conv_a = nn.ModuleList(
                nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(self.num_subsets)
            )
            self.conv_b = nn.ModuleList(
                nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(self.num_subsets)
            )
        else:
            self.register_buffer("A", adjacency.clone())
        if attention:
            self.conv_ta = nn.Conv1d(out_channels, 1, 9, padding=4)
            kernel = num_joints if num_joints % 2 else num_joints - 1
            self.conv_sa = nn.Conv1d(out_channels, 1, kernel, padding=(kernel - 1) // 2)
            self.fc1c = nn.Linear(out_channels, out_channels // 2)
            self.fc2c = nn.Linear(out_channels // 2, out_channels)
        self.down: nn.Module | None = None
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    @staticmethod
    def _stacked(convs: nn.ModuleList) -> tuple[Tensor, Tensor]:
        """The 1x1 convolutions of every subset as one: weights and biases concatenated."""
        weight = torch.cat([c.weight for c in convs], dim=0)  # type: ignore[union-attr]
        bias = torch.cat([c.bias for c in convs], dim=0)  # type: ignore[union-attr]
        return weight, bias

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, T, J) -> (B, C_out, T, J)``."""
        n, c, t, v = x.shape
        k, e = self.num_subsets, self.inter_channels
        if self.adaptive:
            theta = F.conv2d(x, *self._stacked(self.conv_a)).view(n, k, e, t, v)  # (B, K*E, T, J) -> (B, K, E, T, J)
            phi = F.conv2d(x, *self._stacked(self.conv_b)).view(n, k, e * t, v)  # (B, K*E, T, J) -> (B, K, E*T, J)
            theta = theta.permute(0, 1, 4, 2, 3).reshape(n, k, v, e * t)  # -> (B, K, J, E*T)
            learned = torch.tanh(torch.matmul(theta, phi) / (e * t))  # (B, K, J, J)
            adj = self.A.unsqueeze(0) + learned * self.alpha
            z = torch.einsum("nctv,nkvw->nkctw", x, adj)  # (B, K, C_in, T, J)
        else:
            z = torch.einsum("nctv,kvw->nkctw", x, self.A)
        # sum_k conv_d[k](z_k) as one convolution over the K*C_in channels
        weight = torch.cat([d.weight for d in self.conv_d], dim=1)  # type: ignore[union-attr]
        bias = torch.stack([d.bias for d in self.conv_d]).sum(dim=0)  # type: ignore[union-attr]
        y = F.conv2d(z.reshape(n, k * c, t, v), weight, bias)  # (B, K, C_in, T, J) -> (B, K*C_in, T, J)
        y = self.relu(self.bn(y) + (x if self.down is None else self.down(x)))
        if self.attention:
            s = torch.sigmoid(self.conv_sa(y.mean(dim=2)))  # (B, C, J) -> (B, 1, J)
            y = y * s.unsqueeze(2) + y
            s = torch.sigmoid(self.conv_ta(y.mean(dim=3)))  # (B, C, T) -> (B, 1, T)
            y = y * s.unsqueeze(3) + y
            s = torch.sigmoid(self.fc2c(self.relu(self.fc1c(y.mean(dim=(2, 3))))))  # (B, C)
            y = y * s[:, :, None, None] + y
        return y


class AAGCNBlock(ResidualGCNBlock):
    """Adaptive graph convolution, 9-frame temporal convolution, residual, ReLU (``AAGCNBlock``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: Tensor,
        *,
        stride: int = 1,
        residual: bool = True,
        attention: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.gcn = UnitAAGCN(in_channels, out_channels, adjacency, attention=attention)
        self.tcn = UnitTCN(out_channels, out_channels, 9, stride=stride, dropout=dropout)
        self._set_residual(in_channels, out_channels, stride, residual)


class AAGCN(nn.Module):
    """The AAGCN / 2s-AGCN backbone (MMAction2's ``AAGCN``).

    Args:
        adjacency: ``(K, J, J)`` (the ``spatial`` partition in MMAction2's configs).
        in_channels: input channels ``C``.
        base_channels: width of the first stages (doubled at each inflate stage).
        data_bn: input BatchNorm over ``"MVC"`` (people x joints x channels), ``"VC"`` or ``None``.
        num_person: people ``M`` (for ``"MVC"``).
        num_stages, inflate_stages, down_stages: as :class:`~vidcore.skeleton.models.stgcn.STGCN`.
        attention: AAGCN's attention module (``False``: 2s-AGCN).
        dropout: temporal-convolution dropout (not in stage 1).
    """

    def __init__(
        self,
        adjacency: Tensor,
        *,
        in_channels: int = 3,
        base_channels: int = 64,
        data_bn: Literal["VC", "MVC"] | None = "MVC",
        num_person: int = 2,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        attention: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        num_joints = adjacency.shape[-1]
        self.register_buffer("A", adjacency.clone())  # kept as MMAction2 keeps it (unused in forward)
        self.data_bn_type = data_bn
        if data_bn == "MVC":
            self.data_bn: nn.Module = nn.BatchNorm1d(num_person * in_channels * num_joints)
        elif data_bn == "VC":
            self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        elif data_bn is None:
            self.data_bn = nn.Identity()
        else:
            raise ValueError(f"data_bn must be 'VC', 'MVC' or None, got {data_bn!r}")
        blocks: list[nn.Module] = []
        if in_channels != base_channels:
            blocks.append(AAGCNBlock(in_channels, base_channels, adjacency, residual=False, attention=attention))
        width = base_channels
        for i in range(2, num_stages + 1):
            out = width * (1 + (i in inflate_stages))
            blocks.append(
                AAGCNBlock(
                    width, out, adjacency, stride=1 + (i in down_stages), attention=attention, dropout=dropout
                )
            )
            width = out
        self.gcn = nn.ModuleList(blocks)
        self.out_channels = width

    def forward(self, x: Tensor) -> Tensor:
        """``(N, M, T, J, C) -> (N, M, C_out, T', J)``."""
        return gcn_backbone_forward(x, self.data_bn, self.data_bn_type, self.gcn)


def agcn_backbone(layout: str = "coco", *, in_channels: int = 3, attention: bool = False) -> AAGCN:
    """2s-AGCN as MMAction2 configures it (``spatial`` partition, ``MVC`` data BN, no attention);
    ``attention=True`` gives AAGCN."""
    adjacency = torch.tensor(graph_adjacency(layout, "spatial"), dtype=torch.float32)
    return AAGCN(adjacency, in_channels=in_channels, attention=attention)


register_gcn_streams(
    "agcn",
    agcn_backbone,
    [(NTU60_XSUB_2D, "2d"), (NTU60_XSUB_3D, "3d")],
    "skeleton/2s-agcn/2s-agcn_8xb16-{stream}-u100-80e_{dataset}-keypoint-{dim}.py",
    convert_mmaction_gcn,
    "2s-AGCN; MMAction2 reports 88.60 top-1 (NTU60 XSub 2D joint, 10 clips); 3.46M parameters.",
    strategy="spatial",
)
