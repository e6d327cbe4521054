"""ST-GCN and ST-GCN++: spatial graph convolution over the joints, temporal convolution over the
frames, stacked ten times.

ST-GCN (Yan et al., AAAI 2018): graph convolution with a learned edge-importance mask on the
``stgcn_spatial`` partition, 9-frame temporal convolution. ST-GCN++ (Duan et al., ACM MM 2022,
"PYSKL"): the same backbone with a learned adjacency initialised from the ``spatial`` partition,
a residual branch inside the graph convolution and the multi-scale temporal convolution
(:class:`~vidcore.skeleton.models.gcn_blocks.MultiScaleTCN`). MMAction2 builds both from one class
(``STGCN``); so does this file.

Input ``(N, M, T, J, C)`` float (people, frames, joints, channels); output features
``(N, M, 256, T/4, J)``. Submodule names are MMAction2's (``data_bn``, ``gcn.i.gcn.conv``,
``gcn.i.gcn.PA``, ``gcn.i.tcn.conv``, ``gcn.i.residual.conv`` ...), so ``backbone.*`` keys load as
they are; the adjacency ``A`` is rebuilt from :func:`vidcore.data.skeleton_graphs.graph_adjacency`
(equal to MMAction2's, tests/parity) and kept in the state dict as MMAction2 keeps it.

Published (MMAction2 model zoo, NTU60 XSub, 10 clips, top-1): ST-GCN 2D joint 88.95, 3D joint
88.11; ST-GCN++ 2D joint 89.29, 3D joint 89.14.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.data.skeleton_graphs import graph_adjacency

from ..meta import NTU60_XSUB_2D, NTU60_XSUB_3D, NTU120_XSUB_2D, NTU120_XSUB_3D, SYNTH_COCO_2D
from ..recognizer import SkeletonRecognizer
from ..registry import register_preset
from .gcn_blocks import (
    GCNHead,
    MultiScaleTCN,
    ResidualGCNBlock,
    UnitTCN,
    convert_mmaction_gcn,
    gcn_backbone_forward,
    register_gcn_streams,
)

__all__ = ["STGCN", "STGCNBlock", "UnitGCN", "stgcn_backbone", "stgcnpp_backbone"]

Adaptive = Literal["importance", "offset", "init"] | None


class UnitGCN(nn.Module):
    """Spatial graph convolution (MMAction2's ``unit_gcn`` with ``conv_pos="pre"``).

    A 1x1 convolution maps ``C_in`` to ``K * C_out`` channels (one group per adjacency subset),
    then one einsum aggregates every subset over the joints and sums the subsets:
    ``out[n, c, t, w] = sum_k sum_v y[n, k, c, t, v] * A_k[v, w]``; then BatchNorm, the optional
    residual, ReLU.

    Args:
        in_channels, out_channels: channels.
        adjacency: ``(K, J, J)`` partitioned adjacency.
        adaptive: how the adjacency learns: ``"importance"`` (``A * PA``, PA initialised to 1:
            ST-GCN's edge importance), ``"offset"`` (``A + PA``, PA ~ U(-1e-6, 1e-6)), ``"init"``
            (``A`` itself is a parameter: ST-GCN++), ``None`` (fixed).
        with_res: residual branch (1x1 conv + BN when the widths differ) added before the ReLU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: Tensor,
        *,
        adaptive: Adaptive = "importance",
        with_res: bool = False,
    ) -> None:
        super().__init__()
        if adaptive not in ("importance", "offset", "init", None):
            raise ValueError(f"adaptive must be 'importance', 'offset', 'init' or None, got {adaptive!r}")
        self.num_subsets = adjacency.shape[0]
        self.out_channels = out_channels
        self.adaptive = adaptive
        if adaptive == "init":
            self.A = nn.Parameter(adjacency.clone())
        else:
            self.register_buffer("A", adjacency.clone())
        if adaptive == "importance":
            self.PA = nn.Parameter(torch.ones_like(adjacency))
        elif adaptive == "offset":
            self.PA = nn.Parameter(torch.empty_like(adjacency).uniform_(-1e-6, 1e-6))
        self.conv = nn.Conv2d(in_channels, out_channels * self.num_subsets, 1)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()
        self.with_res = with_res
        if with_res and in_channels != out_channels:
            self.down: nn.Module | None = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels)
            )
        else:
            self.down = None

    def adjacency(self) -> Tensor:
        """The effective ``(K, J, J)`` adjacency."""
        if self.adaptive == "importance":
            return self.A * self.PA
        if self.adaptive == "offset":
            return self.A + self.PA
        return self.A

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, T, J) -> (B, C_out, T, J)``; channels-last input (as the backbone runs) makes
        the graph aggregation one matrix product without copies."""
        n, cin, t, v = x.shape
        k, c = self.num_subsets, self.out_channels
        # the 1x1 convolution as one matrix product over the channels: (B, T, J, C_in) -> (B, T, J, K*C)
        y = F.linear(x.permute(0, 2, 3, 1), self.conv.weight.view(k * c, cin), self.conv.bias)
        y = y.reshape(n * t, v * k, c)  # (B, T, J, K*C) -> (B*T, J*K, C)
        a = self.adjacency().permute(2, 1, 0).reshape(v, v * k)  # (K, J, W) -> (W, J, K) -> (W, J*K)
        # out[b, t, w, c] = sum_{j, k} A_k[j, w] * y[b, t, j, k, c]
        y = torch.matmul(a, y).view(n, t, v, c).permute(0, 3, 1, 2)  # (B*T, W, C) -> (B, C, T, W)
        y = self.bn(y)
        if self.with_res:
            y = y + (x if self.down is None else self.down(x))
        return self.act(y)


class STGCNBlock(ResidualGCNBlock):
    """Graph convolution, temporal convolution, residual, ReLU (MMAction2's ``STGCNBlock``).

    Args:
        in_channels, out_channels: channels.
        adjacency: ``(K, J, J)``.
        stride: temporal stride of the temporal convolution (and of the residual projection).
        residual: add the block's input (projected by a strided 1x1 ``UnitTCN`` when the width or
            stride changes).
        adaptive, gcn_with_res: see :class:`UnitGCN`.
        tcn: ``"unit"`` (9-frame ``UnitTCN``) or ``"multiscale"`` (``MultiScaleTCN``).
        dropout: dropout of the temporal convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: Tensor,
        *,
        stride: int = 1,
        residual: bool = True,
        adaptive: Adaptive = "importance",
        gcn_with_res: bool = False,
        tcn: Literal["unit", "multiscale"] = "unit",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.gcn = UnitGCN(in_channels, out_channels, adjacency, adaptive=adaptive, with_res=gcn_with_res)
        if tcn == "unit":
            self.tcn: nn.Module = UnitTCN(out_channels, out_channels, 9, stride=stride, dropout=dropout)
        elif tcn == "multiscale":
            self.tcn = MultiScaleTCN(out_channels, out_channels, stride=stride, dropout=dropout)
        else:
            raise ValueError(f"tcn must be 'unit' or 'multiscale', got {tcn!r}")
        self._set_residual(in_channels, out_channels, stride, residual)


class STGCN(nn.Module):
    """The ST-GCN backbone (MMAction2's ``STGCN``).

    Args:
        adjacency: ``(K, J, J)`` partitioned adjacency (:func:`graph_adjacency`).
        in_channels: input channels ``C``.
        base_channels: width of the first stages.
        data_bn: input BatchNorm over ``"VC"`` (joints x channels, shared by people), ``"MVC"``
            (people x joints x channels) or ``None``.
        num_person: people ``M`` (for ``data_bn="MVC"``).
        ch_ratio: width multiplier at each inflate stage.
        num_stages: blocks (stage 1 maps ``in_channels`` to ``base_channels`` without residual).
        inflate_stages, down_stages: 1-based stages that multiply the width / halve the frames.
        adaptive, gcn_with_res, tcn: per-block settings (:class:`STGCNBlock`).
        dropout: temporal-convolution dropout (not in stage 1, as MMAction2).
    """

    def __init__(
        self,
        adjacency: Tensor,
        *,
        in_channels: int = 3,
        base_channels: int = 64,
        data_bn: Literal["VC", "MVC"] | None = "VC",
        num_person: int = 2,
        ch_ratio: int = 2,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        adaptive: Adaptive = "importance",
        gcn_with_res: bool = False,
        tcn: Literal["unit", "multiscale"] = "unit",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        num_joints = adjacency.shape[-1]
        self.data_bn_type = data_bn
        if data_bn == "MVC":
            self.data_bn: nn.Module = nn.BatchNorm1d(num_person * in_channels * num_joints)
        elif data_bn == "VC":
            self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        elif data_bn is None:
            self.data_bn = nn.Identity()
        else:
            raise ValueError(f"data_bn must be 'VC', 'MVC' or None, got {data_bn!r}")
        common = dict(adaptive=adaptive, gcn_with_res=gcn_with_res, tcn=tcn)
        blocks: list[nn.Module] = []
        if in_channels != base_channels:
            blocks.append(STGCNBlock(in_channels, base_channels, adjacency, residual=False, **common))  # type: ignore[arg-type]
        width, inflations = base_channels, 0
        for i in range(2, num_stages + 1):
            inflations += i in inflate_stages
            out = int(base_channels * ch_ratio**inflations + 1e-4)
            blocks.append(
                STGCNBlock(
                    width, out, adjacency, stride=1 + (i in down_stages), dropout=dropout, **common  # type: ignore[arg-type]
                )
            )
            width = out
        self.gcn = nn.ModuleList(blocks)
        self.out_channels = width

    def forward(self, x: Tensor) -> Tensor:
        """``(N, M, T, J, C) -> (N, M, C_out, T', J)``."""
        return gcn_backbone_forward(x, self.data_bn, self.data_bn_type, self.gcn, channels_last=True)


# -- builders and presets ------------------------------------------------------------------------


def _adjacency(layout: str, strategy: str) -> Tensor:
    return torch.tensor(graph_adjacency(layout, strategy), dtype=torch.float32)


def stgcn_backbone(layout: str = "coco", *, in_channels: int = 3) -> STGCN:
    """ST-GCN as MMAction2 configures it: ``stgcn_spatial`` partition, edge importance, ``VC`` data BN."""
    return STGCN(_adjacency(layout, "stgcn_spatial"), in_channels=in_channels)


def stgcnpp_backbone(layout: str = "coco", *, in_channels: int = 3) -> STGCN:
    """ST-GCN++: ``spatial`` partition as a learned adjacency, residual graph convolution,
    multi-scale temporal convolution."""
    return STGCN(
        _adjacency(layout, "spatial"), in_channels=in_channels, adaptive="init", gcn_with_res=True, tcn="multiscale"
    )


register_gcn_streams(
    "stgcn",
    stgcn_backbone,
    [(NTU60_XSUB_2D, "2d"), (NTU60_XSUB_3D, "3d"), (NTU120_XSUB_2D, "2d"), (NTU120_XSUB_3D, "3d")],
    "skeleton/stgcn/stgcn_8xb16-{stream}-u100-80e_{dataset}-keypoint-{dim}.py",
    convert_mmaction_gcn,
    "ST-GCN; MMAction2 reports 88.95 top-1 (NTU60 XSub 2D joint, 10 clips); 3.09M parameters.",
    strategy="stgcn_spatial",
)
register_gcn_streams(
    "stgcnpp",
    stgcnpp_backbone,
    [(NTU60_XSUB_2D, "2d"), (NTU60_XSUB_3D, "3d")],
    "skeleton/stgcnpp/stgcnpp_8xb16-{stream}-u100-80e_{dataset}-keypoint-{dim}.py",
    convert_mmaction_gcn,
    "ST-GCN++; MMAction2 reports 89.29 top-1 (NTU60 XSub 2D joint, 10 clips); 1.39M parameters.",
    strategy="spatial",
)


@register_preset(
    replace(
        SYNTH_COCO_2D,
        convert_mmaction=convert_mmaction_gcn,
        notes="ST-GCN (the NTU60 2D architecture, 3.09M parameters at 60 classes) for the built-in synthetic "
        "skeleton set (vidcore-data synth --skeleton); trained by `python -m vidcore.skeleton.demo`.",
    )
)
def stgcn_joint_synth_coco_2d(num_classes: int = 10) -> SkeletonRecognizer:
    backbone = stgcn_backbone("coco")
    return SkeletonRecognizer(backbone, GCNHead(backbone.out_channels, num_classes), input_key="keypoint")
