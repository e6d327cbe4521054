"""Layers shared by the graph-convolution families (ST-GCN, ST-GCN++, 2s-AGCN): the temporal
convolution units and the GCN classification head.

Feature layout inside a GCN: ``(B, C, T, J)`` (clips x people, channels, frames, joints).
Submodule names are MMAction2's (``unit_tcn``: ``conv``, ``bn``; ``mstcn``: ``branches.i``,
``transform``, ``bn``; ``GCNHead``: ``fc``) so its state dicts load unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Literal

import torch
from torch import Tensor, nn

from ..recognizer import SkeletonRecognizer
from ..registry import Preset, register_preset

__all__ = ["GCNHead", "MultiScaleTCN", "UnitTCN", "convert_mmaction_gcn", "register_gcn_streams"]


class UnitTCN(nn.Module):
    """Temporal convolution ``(k, 1)`` + BatchNorm (+ dropout): MMAction2's ``unit_tcn``.

    Args:
        in_channels, out_channels: channels.
        kernel_size: temporal kernel (frames); padding keeps ``T`` at stride 1.
        stride: temporal stride. dilation: temporal dilation.
        norm: apply BatchNorm after the convolution (``False``: MMAction2's ``norm=None``).
        dropout: dropout probability after the norm.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 9,
        *,
        stride: int = 1,
        dilation: int = 1,
        norm: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        pad = (kernel_size + (kernel_size - 1) * (dilation - 1) - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, out_channels, (kernel_size, 1), stride=(stride, 1), padding=(pad, 0), dilation=(dilation, 1)
        )
        self.bn = nn.BatchNorm2d(out_channels) if norm else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, T, J) -> (B, C_out, T / stride, J)``."""
        return self.drop(self.bn(self.conv(x)))




def gcn_backbone_forward(
    x: Tensor, data_bn: nn.Module, data_bn_type: str | None, blocks: nn.ModuleList, *, channels_last: bool = False
) -> Tensor:
    """The ST-GCN / AAGCN backbone pass: input BatchNorm over ``"MVC"`` (people x joints x
    channels) or ``"VC"``, then the blocks on every person: ``(N, M, T, J, C) -> (N, M, C', T', J)``.
    ``channels_last``: the blocks get ``(N*M, C, T, J)`` stored as ``(N*M, T, J, C)`` (ST-GCN's
    graph convolution is then copy-free matrix products)."""
    n, m, t, v, c = x.shape
    x = x.permute(0, 1, 3, 4, 2).contiguous()  # (N, M, T, J, C) -> (N, M, J, C, T)
    if data_bn_type == "MVC":
        x = data_bn(x.view(n, m * v * c, t))
    else:
        x = data_bn(x.view(n * m, v * c, t))
    # (.., J*C, T) -> (N, M, J, C, T) -> (N*M, C, T, J)
    x = x.view(n, m, v, c, t).permute(0, 1, 3, 4, 2).contiguous().view(n * m, c, t, v)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    for block in blocks:
        x = block(x)
    return x.reshape(n, m, *x.shape[1:])  # (N*M, C', T', J) -> (N, M, C', T', J)

class ResidualGCNBlock(nn.Module):
    """Base of the ST-GCN / AAGCN blocks: ``relu(tcn(gcn(x)) + residual(x))``, the residual being
    none, the identity (same width and stride 1) or a 1-frame ``UnitTCN`` projection (MMAction2's
    ``residual`` submodule name). Subclasses build ``gcn`` and ``tcn`` and call
    :meth:`_set_residual`."""

    gcn: nn.Module
    tcn: nn.Module

    def _set_residual(self, in_channels: int, out_channels: int, stride: int, residual: bool) -> None:
        self.relu = nn.ReLU()
        self.residual_mode: Literal["none", "identity", "project"]
        if not residual:
            self.residual_mode = "none"
        elif in_channels == out_channels and stride == 1:
            self.residual_mode = "identity"
        else:
            self.residual_mode = "project"
            self.residual = UnitTCN(in_channels, out_channels, 1, stride=stride)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, T, J) -> (B, C_out, T / stride, J)``."""
        y = self.tcn(self.gcn(x))
        if self.residual_mode == "identity":
            y = y + x
        elif self.residual_mode == "project":
            y = y + self.residual(x)
        return self.relu(y)

class MultiScaleTCN(nn.Module):
    """ST-GCN++'s multi-scale temporal convolution (MMAction2's ``mstcn``): parallel branches of
    1x1 conv + BN + ReLU followed by a dilated 3-frame convolution (dilations 1-4), a 3-frame
    max-pool, and a strided 1x1 conv; concatenated, then BN + ReLU + 1x1 conv, then BN.

    Args:
        in_channels, out_channels: channels.
        stride: temporal stride.
        dilations: dilations of the 3-frame convolution branches.
        dropout: dropout after the final norm.

    Branch 0 takes the remainder channels: ``out - (out // n) * (n - 1)`` with ``n`` branches.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        stride: int = 1,
        dilations: Sequence[int] = (1, 2, 3, 4),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        n = len(dilations) + 2
        mid = out_channels // n
        rem = out_channels - mid * (n - 1)
        branches: list[nn.Module] = []
        for i, d in enumerate(dilations):
            c = rem if i == 0 else mid
            branches.append(
                nn.Sequential(
                    nn.Conv2d(in_channels, c, 1),
                    nn.BatchNorm2d(c),
                    nn.ReLU(),
                    UnitTCN(c, c, 3, stride=stride, dilation=d, norm=False),
                )
            )
        branches.append(
            nn.Sequential(
                nn.Conv2d(in_channels, mid, 1),
                nn.BatchNorm2d(mid),
                nn.ReLU(),
                nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)),
            )
        )
        branches.append(nn.Conv2d(in_channels, mid, 1, stride=(stride, 1)))
        self.branches = nn.ModuleList(branches)
        total = rem + mid * (n - 1)
        self.transform = nn.Sequential(nn.BatchNorm2d(total), nn.ReLU(), nn.Conv2d(total, out_channels, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, T, J) -> (B, C_out, T / stride, J)``."""
        feat = torch.cat([branch(x) for branch in self.branches], dim=1)
        return self.drop(self.bn(self.transform(feat)))


class GCNHead(nn.Module):
    """Average over frames, joints and people, then a linear classifier (MMAction2's ``GCNHead``).

    Input ``(N, M, C, T, J)`` backbone features; output logits ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int, num_classes: int, *, dropout: float = 0.0, init_std: float = 0.01) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self._init_fc()

    def _init_fc(self) -> None:
        nn.init.normal_(self.fc.weight, 0.0, self.init_std)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 5:
            raise ValueError(f"GCNHead expects (N, M, C, T, J) features, got {tuple(x.shape)}")
        pooled = x.mean(dim=(3, 4)).mean(dim=1)  # (N, M, C, T, J) -> (N, M, C) -> (N, C)
        return self.fc(self.dropout(pooled))

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.in_channels, num_classes, device=self.fc.weight.device)
        self._init_fc()


# -- checkpoint conversion -----------------------------------------------------------------------


def convert_mmaction_gcn(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """An MMAction2 ``RecognizerGCN`` state dict -> ours: ``cls_head.`` becomes ``head.``;
    ``backbone.`` keys (adjacency buffers included) are kept; ``data_preprocessor.`` dropped."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor."):
            continue
        if key.startswith("cls_head."):
            key = "head." + key[len("cls_head.") :]
        out[key] = value
    return out


#: MMAction2's stream names (in config file names) and the features each one feeds.
STREAMS: dict[str, tuple[str, ...]] = {"joint": ("j",), "bone": ("b",), "joint-motion": ("jm",), "bone-motion": ("bm",)}


def register_gcn_streams(
    family: str,
    build: Callable[[str], nn.Module],
    metas: Sequence[tuple[Preset, str]],
    config: str,
    convert: Callable[[Mapping[str, Tensor]], dict[str, Tensor]],
    notes: str,
    *,
    strategy: str,
) -> None:
    """Register ``{family}_{stream}_80e_{dataset}_keypoint_{2d|3d}`` presets: one per input stream
    (joint, bone, joint motion, bone motion; MMAction2 trains one model per stream and fuses their
    scores) and label set, each with that stream's MMAction2 config. ``build(layout)`` returns the
    backbone (with ``out_channels``) on the ``strategy`` graph partition; the head is :class:`GCNHead`."""
    for meta, dim in metas:
        for stream, feats in STREAMS.items():
            name = f"{family}_{stream.replace('-', '_')}_80e_{meta.dataset}_keypoint_{dim}"
            cfg = config.format(stream=stream, dataset=meta.dataset.replace("_", "-"), dim=dim)

            def builder(
                num_classes: int = meta.num_classes, _layout: str = meta.graph
            ) -> SkeletonRecognizer:
                backbone = build(_layout)
                head = GCNHead(int(backbone.out_channels), num_classes)
                return SkeletonRecognizer(backbone, head, input_key="keypoint")

            builder.__name__ = builder.__qualname__ = name
            builder.__module__ = build.__module__  # the family's module, not this helper's
            builder.__doc__ = f"{family} on the {stream} stream of {meta.dataset} ({dim.upper()} keypoints)."
            register_preset(
                replace(
                    meta, feats=feats, graph_strategy=strategy, mmaction_config=cfg, convert_mmaction=convert, notes=notes
                )
            )(
                builder
            )
