"""X3D (Feichtenhofer, "X3D: Expanding Architectures for Efficient Video Recognition", CVPR 2020).

A stem of a 1x3x3 conv (no norm) and a depthwise 5x1x1 conv, four stages of inverted bottlenecks
(1x1x1 expand, depthwise 3x3x3, squeeze-excitation on every other block, swish, 1x1x1 project)
and a 1x1x1 ``conv5``. The expansion factors: ``gamma_w`` scales the 24-channel base width,
``gamma_b`` the bottleneck width, ``gamma_d`` the block counts (1, 2, 5, 3). X3D-S and X3D-M share
the network (gamma_w=1, gamma_b=2.25, gamma_d=2.2) and differ in input size; X3D-L has gamma_d=5.

Submodule names follow MMAction2's ``X3D`` (``conv1_s.conv``, ``conv1_t.conv``, ``layer1.0.se_module.fc1``,
``conv5.conv`` ...), so its checkpoints load as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import X3DHead
from .resnet3d import ConvBnAct3d, convert_mmaction_recognizer

__all__ = ["X3D", "BlockX3D", "SEModule", "round_width", "x3d_backbone"]


def round_width(width: float, multiplier: float, *, min_width: int = 8, divisor: int = 8) -> int:
    """``width * multiplier`` rounded to a multiple of ``divisor`` (at least ``min_width``, and not
    more than 10% below the exact value), the X3D/EfficientNet rule."""
    w = width * multiplier
    out = max(min_width, int(w + divisor / 2) // divisor * divisor)
    if out < 0.9 * w:
        out += divisor
    return int(out)


class SEModule(nn.Module):
    """Squeeze-excitation: global average pool, 1x1x1 conv to ``round_width(C, ratio)``, ReLU,
    1x1x1 conv back to C, sigmoid, scale the input. Input and output ``(N, C, T, H, W)``."""

    def __init__(self, channels: int, ratio: float) -> None:
        super().__init__()
        self.bottleneck = round_width(channels, ratio)
        self.fc1 = nn.Conv3d(channels, self.bottleneck, 1)
        self.fc2 = nn.Conv3d(self.bottleneck, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean(dim=(2, 3, 4), keepdim=True)  # (N, C, 1, 1, 1)
        s = self.fc2(F.relu(self.fc1(s)))
        return x * s.sigmoid()


class BlockX3D(nn.Module):
    """X3D residual block; ``inplanes -> planes (expanded) -> outplanes``.

    ``spatial_stride`` applies in the depthwise conv; ``se_ratio`` None disables squeeze-excitation.
    """

    def __init__(
        self,
        inplanes: int,
        planes: int,
        outplanes: int,
        *,
        spatial_stride: int = 1,
        downsample: nn.Module | None = None,
        se_ratio: float | None = None,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.conv1 = ConvBnAct3d(inplanes, planes, 1)
        self.conv2 = ConvBnAct3d(
            planes, planes, 3, (1, spatial_stride, spatial_stride), 1, groups=planes, act=False
        )
        self.se_module = SEModule(planes, se_ratio) if se_ratio is not None else None
        self.conv3 = ConvBnAct3d(planes, outplanes, 1, act=False)
        self.downsample = downsample
        self.with_cp = with_cp

    def _inner(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.conv2(self.conv1(x))
        if self.se_module is not None:
            out = self.se_module(out)
        out = self.conv3(F.silu(out))  # swish(x) = x * sigmoid(x)
        return out + identity

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            out = checkpoint(self._inner, x, use_reentrant=False)
        else:
            out = self._inner(x)
        return F.relu(out, inplace=True)


class X3D(nn.Module):
    """The X3D backbone.

    Args:
        gamma_w: width multiplier of the 24-channel base.
        gamma_b: bottleneck expansion (and ``conv5`` expansion).
        gamma_d: depth multiplier of the block counts (1, 2, 5, 3).
        in_channels: input channels.
        num_stages: stages to build (1-4).
        spatial_strides: per stage, spatial stride of its first block.
        se_style: "half" (SE on blocks 0, 2, 4 ...) or "all".
        se_ratio: SE bottleneck ratio; None turns SE off.
        frozen_stages / norm_eval / with_cp / zero_init_residual: as in :class:`ResNet3d`.

    Input ``(N, C, T, H, W)``; output ``(N, feat_dim, T, H/32, W/32)`` (feat_dim 432 for S/M/L).
    """

    def __init__(
        self,
        gamma_w: float = 1.0,
        gamma_b: float = 2.25,
        gamma_d: float = 2.2,
        *,
        in_channels: int = 3,
        num_stages: int = 4,
        spatial_strides: Sequence[int] = (2, 2, 2, 2),
        se_style: Literal["half", "all"] = "half",
        se_ratio: float | None = 1 / 16,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        with_cp: bool = False,
        zero_init_residual: bool = True,
    ) -> None:
        super().__init__()
        if se_style not in ("half", "all"):
            raise ValueError(f"se_style must be 'half' or 'all', got {se_style!r}")
        if not 1 <= num_stages <= 4 or len(spatial_strides) < num_stages:
            raise ValueError(
                f"need 1..4 stages with a stride each, got {num_stages} and {tuple(spatial_strides)}"
            )
        self.base_channels = round_width(24, gamma_w) if gamma_w else 24
        self.stage_blocks = [math.ceil(gamma_d * n) if gamma_d else n for n in (1, 2, 5, 3)][:num_stages]
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.conv1_s = ConvBnAct3d(
            in_channels, self.base_channels, (1, 3, 3), (1, 2, 2), (0, 1, 1), norm=False, act=False
        )
        self.conv1_t = ConvBnAct3d(
            self.base_channels, self.base_channels, (5, 1, 1), 1, (2, 0, 0), groups=self.base_channels
        )
        self.res_layers: list[str] = []
        layer_in = self.base_channels
        for i, n in enumerate(self.stage_blocks):
            out_ch = self.base_channels * 2**i
            mid = int(out_ch * gamma_b)
            stride = spatial_strides[i]
            downsample = None
            if stride != 1 or layer_in != out_ch:
                downsample = ConvBnAct3d(layer_in, out_ch, 1, (1, stride, stride), act=False)
            blocks = []
            for j in range(n):
                use_se = se_style == "all" or j % 2 == 0
                blocks.append(
                    BlockX3D(
                        layer_in if j == 0 else out_ch,
                        mid,
                        out_ch,
                        spatial_stride=stride if j == 0 else 1,
                        downsample=downsample if j == 0 else None,
                        se_ratio=se_ratio if use_se else None,
                        with_cp=with_cp,
                    )
                )
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            self.res_layers.append(f"layer{i + 1}")
            layer_in = out_ch
        self.conv5 = ConvBnAct3d(layer_in, int(layer_in * gamma_b), 1)
        self.feat_dim = int(layer_in * gamma_b)

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BlockX3D):
                    nn.init.zeros_(m.conv3.bn.weight)  # type: ignore[union-attr]

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, T, H, W) -> (N, feat_dim, T, H/32, W/32)."""
        x = self.conv1_t(self.conv1_s(x))  # (N, 24, T, H/2, W/2)
        for name in self.res_layers:
            x = getattr(self, name)(x)
        return self.conv5(x)

    def train(self, mode: bool = True) -> X3D:
        super().train(mode)
        frozen: list[nn.Module] = []
        if self.frozen_stages >= 0:
            frozen = [self.conv1_s, self.conv1_t] + [
                getattr(self, f"layer{i}") for i in range(1, self.frozen_stages + 1)
            ]
        for m in frozen:
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self


def x3d_backbone(size: Literal["s", "m", "l"]) -> X3D:
    """X3D-S/M (gamma_w=1, gamma_b=2.25, gamma_d=2.2, as MMAction2's ``x3d`` config) or X3D-L (gamma_d=5)."""
    gamma_d = {"s": 2.2, "m": 2.2, "l": 5.0}[size]
    return X3D(gamma_w=1.0, gamma_b=2.25, gamma_d=gamma_d)


# -- presets ---------------------------------------------------------------------------------------


_X3D_MEAN, _X3D_STD = (114.75, 114.75, 114.75), (57.38, 57.38, 57.38)


_X3D = replace(K400_3D, mean=_X3D_MEAN, std=_X3D_STD, target_fps=30, classifier=('head.fc2',), convert_mmaction=convert_mmaction_recognizer)


@register_preset(
    replace(
        _X3D,
        clip_len=13,
        frame_interval=6,
        short_side=182,
        crop_size=160,
        test_crop_size=182,
        mmaction_config="recognition/x3d/x3d_s_13x6x1_facebook-kinetics400-rgb.py",
        notes="X3D-S (weights converted from SlowFast by MMAction2); trained on 160 crops, tested on 182.",
    )
)
def x3d_s_13x6x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """X3D-S: 13 frames 6 apart (at 30 fps); 3.79M parameters with 400 classes."""
    return Recognizer(
        x3d_backbone("s"), X3DHead(num_classes, 432), mean=_X3D_MEAN, std=_X3D_STD, input_layout="NCTHW"
    )


@register_preset(
    replace(
        _X3D,
        clip_len=16,
        frame_interval=5,
        mmaction_config="recognition/x3d/x3d_m_16x5x1_facebook-kinetics400-rgb.py",
        notes="X3D-M (weights converted from SlowFast by MMAction2); trained on 224 crops, tested on 256.",
    )
)
def x3d_m_16x5x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """X3D-M: 16 frames 5 apart (at 30 fps); 3.79M parameters with 400 classes."""
    return Recognizer(
        x3d_backbone("m"), X3DHead(num_classes, 432), mean=_X3D_MEAN, std=_X3D_STD, input_layout="NCTHW"
    )


@register_preset(
    replace(
        _X3D,
        clip_len=16,
        frame_interval=5,
        short_side=356,
        crop_size=312,
        test_crop_size=356,
        notes="X3D-L (gamma_d=5; the paper's 16x5 clips, 312 train / 356 test crops). MMAction2 ships no config.",
    )
)
def x3d_l_16x5x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """X3D-L: 16 frames 5 apart (at 30 fps); 6.15M parameters with 400 classes."""
    return Recognizer(
        x3d_backbone("l"), X3DHead(num_classes, 432), mean=_X3D_MEAN, std=_X3D_STD, input_layout="NCTHW"
    )
