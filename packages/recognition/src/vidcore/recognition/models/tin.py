"""TIN: Temporal Interlacing Network (Shao et al., AAAI 2020, arXiv:2001.06499).

Like TSM, but the temporal shift of a channel group is learned per clip: an offset network
predicts a fractional shift ``s`` per group, the group is resampled along time by linear
interpolation (``out[t] = x(t - s)``, zero outside the clip), and a weight network rescales each
shifted frame. Written in plain PyTorch (MMAction2 needs MMCV's compiled ``tin_shift`` op).

The interlace acts on the input of each residual branch (before ``conv1``), on the first
``C / shift_div`` channels, split into 4 groups shifted by ``(+o1, +o2, -o1, -o2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys

from ..meta import K400_2D, STHV1_2D, STHV2_2D
from ..recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .resnet import ResNet
from .tsm import TSMHead

__all__ = [
    "OffsetNet",
    "ResNetTIN",
    "TemporalInterlace",
    "WeightNet",
    "convert_mmaction_tin",
    "linear_temporal_shift",
    "tin_resnet",
]


def linear_temporal_shift(x: Tensor, offset: Tensor) -> Tensor:
    """Shift channel groups along time by fractional offsets, with linear interpolation.

    Args:
        x: ``(N, T, C, *rest)``; the ``C`` channels form ``G`` equal consecutive groups.
        offset: ``(N, G)`` float shifts in frames.

    Returns ``out`` of the shape of ``x`` with ``out[n, t, c] = x(n, t - offset[n, g(c)], c)``,
    where ``x(n, p, c)`` interpolates linearly between integer frames and is zero outside
    ``[0, T)``. Differentiable in ``x`` and in ``offset``.
    """
    n, t, c = x.shape[:3]
    g = offset.shape[1]
    if offset.shape[0] != n or c % g:
        raise ValueError(f"offset {tuple(offset.shape)} does not fit x {tuple(x.shape)} (C must split into G groups)")
    rest = x.shape[3:]
    xg = x.reshape(n, t, g, c // g, -1)  # (N, T, G, C/G, R)
    base = torch.floor(offset.detach())
    frac = (offset - base)[:, None, :, None, None]  # (N, 1, G, 1, 1), gradient flows to offset
    times = torch.arange(t, device=x.device)

    def shifted(shift: Tensor) -> Tensor:
        # out[t] = x[t - shift], zero where t - shift is outside [0, T)
        src = times.view(1, t, 1) - shift.long().view(n, 1, g)  # (N, T, G)
        valid = ((src >= 0) & (src < t)).to(x.dtype)
        idx = src.clamp(0, t - 1)[..., None, None].expand(n, t, g, *xg.shape[3:])
        return torch.gather(xg, 1, idx) * valid[..., None, None]

    out = (1 - frac) * shifted(base) + frac * shifted(base + 1)
    return out.reshape(n, t, c, *rest)


class OffsetNet(nn.Module):
    """Predicts one temporal offset per group from the pooled descriptor ``(N, C', T)``.

    conv1d(C' -> 1, k=3) -> fc(T -> T) -> ReLU -> fc(T -> G) -> ``4 * (sigmoid - 0.5)``, so
    offsets lie in (-2, 2) frames; the last bias starts at 0.5108 (offsets start near 0.5).
    Output ``(N, G)``.
    """

    def __init__(self, in_channels: int, groups: int, num_segments: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, 1, 3, padding=1)
        self.fc1 = nn.Linear(num_segments, num_segments)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(num_segments, groups)
        nn.init.constant_(self.fc2.bias, 0.5108)

    def forward(self, x: Tensor) -> Tensor:
        n, _, t = x.shape
        y = self.conv(x).view(n, t)
        y = self.fc2(self.relu(self.fc1(y)))
        return 4 * (torch.sigmoid(y) - 0.5)


class WeightNet(nn.Module):
    """Per-frame, per-group weights in (0, 2) from the descriptor ``(N, C', T)``: conv1d(C' -> G,
    k=3) -> ``2 * sigmoid`` (bias starts at 0, so weights start at 1). Output ``(N, T, G)``."""

    def __init__(self, in_channels: int, groups: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, groups, 3, padding=1)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return 2 * torch.sigmoid(self.conv(x).transpose(1, 2))


class TemporalInterlace(nn.Module):
    """The temporal interlace module on frames ``(B*T, C, H, W)`` (same shape out).

    Args:
        in_channels: ``C``.
        num_segments: ``T``.
        shift_div: the first ``C // shift_div`` channels are interlaced; they form 4 groups
            shifted by ``(+o1, +o2, -o1, -o2)`` and weighted by ``(w1, w2, w1, w2)``.
    """

    deform_groups = 2

    def __init__(self, in_channels: int, num_segments: int = 8, shift_div: int = 4) -> None:
        super().__init__()
        folds = in_channels // shift_div
        if folds % (2 * self.deform_groups):
            raise ValueError(f"in_channels // shift_div = {folds} must be a multiple of 4")
        self.num_segments = num_segments
        self.shift_div = shift_div
        self.offset_net = OffsetNet(folds, self.deform_groups, num_segments)
        self.weight_net = WeightNet(folds, self.deform_groups)

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        t = self.num_segments
        n = nt // t
        folds = c // self.shift_div
        desc = x[:, :folds].reshape(n, t, folds, h, w)
        pooled = desc.mean(dim=3).mean(dim=3).transpose(1, 2)  # (N, C', T)
        offset = self.offset_net(pooled)  # (N, 2)
        offset = torch.cat([offset, -offset], dim=1)  # (N, 4): groups shift +o1, +o2, -o1, -o2
        weight = self.weight_net(pooled).repeat(1, 1, 2)  # (N, T, 4): w1, w2, w1, w2
        shifted = linear_temporal_shift(desc.reshape(n, t, folds, h * w), offset)  # (N, T, C', HW)
        shifted = shifted.view(n, t, 4, folds // 4, h * w) * weight[..., None, None]
        return torch.cat([shifted.reshape(nt, folds, h, w), x[:, folds:]], dim=1)


class ResNetTIN(ResNet):
    """ResNet with a :class:`TemporalInterlace` before ``conv1`` of every residual block.

    Args:
        depth: 18, 34, 50, 101 or 152.
        num_segments: frames ``T`` per clip; input ``(B*T, C, H, W)``.
        shift_div: a ``1/shift_div`` share of each block's input channels is interlaced.
        in_channels, frozen_stages, norm_eval, partial_bn: as :class:`ResNet`.
    """

    def __init__(
        self,
        depth: int,
        num_segments: int = 8,
        *,
        shift_div: int = 4,
        in_channels: int = 3,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        partial_bn: bool = False,
    ) -> None:
        super().__init__(
            depth, in_channels=in_channels, frozen_stages=frozen_stages, norm_eval=norm_eval, partial_bn=partial_bn
        )
        self.num_segments = num_segments
        self.shift_div = shift_div
        for block in self.blocks():
            block.set_temporal(
                TemporalInterlace(block.conv1.conv.in_channels, num_segments, shift_div), "residual"
            )


def convert_mmaction_tin(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 TIN (``ResNetTIN`` + ``TSMHead``) -> ours: ``conv1.conv.net1`` (the interlace)
    becomes ``temporal``, ``conv1.conv.net2`` (the convolution) ``conv1.conv``."""
    return remap_keys(
        state_dict,
        [
            (r"\.conv1\.conv\.net1\.", ".temporal."),
            (r"\.conv1\.conv\.net2\.", ".conv1.conv."),
            (r"^cls_head\.", "head."),
        ],
    )


def tin_resnet(
    depth: int,
    *,
    num_classes: int,
    num_segments: int = 8,
    shift_div: int = 4,
    dropout: float = 0.8,
    mean: Sequence[float] = IMAGENET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
) -> Recognizer:
    """TIN on a ResNet-``depth`` backbone with a :class:`~.tsm.TSMHead`."""
    backbone = ResNetTIN(depth, num_segments, shift_div=shift_div)
    head = TSMHead(backbone.feat_dim, num_classes, dropout=dropout)
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


# ---------------------------------------------------------------------------------------- presets
_CFG = "recognition/tin/"


_TIN_STHV1 = replace(STHV1_2D, num_clips=8, test_num_clips=8, convert_mmaction=convert_mmaction_tin)
_TIN_STHV2 = replace(STHV2_2D, num_clips=8, test_num_clips=8, convert_mmaction=convert_mmaction_tin)
_TIN_K400 = replace(K400_2D, num_clips=8, test_num_clips=8, convert_mmaction=convert_mmaction_tin)


@register_preset(
    replace(
        _TIN_STHV1,
        mmaction_config=_CFG + "tin_imagenet-pretrained-r50_8xb6-1x1x8-40e_sthv1-rgb.py",
        notes="Something-Something V1 is distributed as rawframes. MMAction2 cannot run this model without "
    "MMCV's compiled tin_shift op; vidcore's interlace is pure PyTorch.",
    )
)
def tin_r50_1x1x8_sthv1(num_classes: int = 174) -> Recognizer:
    return tin_resnet(50, num_classes=num_classes, dropout=0.8)


@register_preset(
    replace(
        _TIN_STHV2,
        mmaction_config=_CFG + "tin_imagenet-pretrained-r50_8xb6-1x1x8-40e_sthv2-rgb.py",
    )
)
def tin_r50_1x1x8_sthv2(num_classes: int = 174) -> Recognizer:
    return tin_resnet(50, num_classes=num_classes, dropout=0.8)


@register_preset(
    replace(
        _TIN_K400,
        mmaction_config=_CFG + "tin_kinetics400-pretrained-tsm-r50_1x1x8-50e_kinetics400-rgb.py",
        notes="Fine-tuned from a Kinetics-400 TSM-R50 checkpoint in MMAction2's recipe.",
    )
)
def tin_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tin_resnet(50, num_classes=num_classes, dropout=0.5)
