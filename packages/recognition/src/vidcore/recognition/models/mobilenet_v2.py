"""MobileNetV2 (Sandler et al., CVPR 2018) as a frame backbone, with the temporal shift of TSM
for real-time video recognition (TSM paper, Lin et al., ICCV 2019, section 5).

Layout and names follow MMAction2's ``MobileNetV2``: stem ``conv1``, seven stages ``layer1``..
``layer7`` of inverted residual blocks (``conv.0``.. ``conv.2``, MMCV ``ConvModule`` names), and the
1x1 ``conv2`` to 1280 channels. With ``num_segments`` set, every inverted residual block that has
an expansion conv and an identity shortcut shifts the input of its residual branch in time.

Published (MMAction2 model zoo, Kinetics-400, 8 segments x 3 crops): TSM-MobileNetV2 top-1 69.2%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import ConvNormAct

from ..meta import K400_2D
from ..recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .tsm import TemporalShift, TSMHead

__all__ = ["InvertedResidual", "MobileNetV2", "convert_mmaction_mobilenet_v2_tsm", "make_divisible", "tsm_mobilenet_v2"]

#: (expand ratio, output channels, blocks, stride of the first block) per stage
_ARCH = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def make_divisible(value: float, divisor: int, min_value: int | None = None, min_ratio: float = 0.9) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``min_value``), going one
    step up when rounding would lose more than ``1 - min_ratio`` of it."""
    min_value = divisor if min_value is None else min_value
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < min_ratio * value:
        new += divisor
    return new


class InvertedResidual(nn.Module):
    """Expansion 1x1 (when ``expand_ratio != 1``) -> depthwise 3x3 -> projection 1x1, with an
    identity shortcut when ``stride == 1`` and channels match. ``shift`` (a temporal module, or
    None) is applied to the input of the residual branch."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: float) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        self.stride = stride
        self.use_res_connect = stride == 1 and in_channels == out_channels
        hidden = round(in_channels * expand_ratio)
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvNormAct(in_channels, hidden, 1, act="relu6"))
        layers.append(ConvNormAct(hidden, hidden, 3, stride, 1, groups=hidden, act="relu6"))
        layers.append(ConvNormAct(hidden, out_channels, 1, act=None))
        self.conv = nn.Sequential(*layers)
        self.shift: nn.Module | None = None

    def forward(self, x: Tensor) -> Tensor:
        if not self.use_res_connect:
            return self.conv(x)
        y = self.shift(x) if self.shift is not None else x
        return x + self.conv(y)


class MobileNetV2(nn.Module):
    """MobileNetV2 on frames ``(B, 3, H, W)`` -> ``(B, out_channels, H/32, W/32)``.

    Args:
        widen_factor: channel multiplier.
        num_segments: frames ``T`` per clip for the temporal shift (input ``(B*T, 3, H, W)``);
            None builds the image model without shift.
        shift_div: ``1/shift_div`` of the channels shift each way.
        out_indices: outputs returned, 0-6 the stages, 7 the final 1x1 conv.
        frozen_stages: stem and the first ``frozen_stages`` stages are frozen in training (-1: none).
        norm_eval: keep BatchNorm layers in eval mode during training.
    """

    def __init__(
        self,
        *,
        widen_factor: float = 1.0,
        num_segments: int | None = None,
        shift_div: int = 8,
        out_indices: Sequence[int] = (7,),
        frozen_stages: int = -1,
        norm_eval: bool = False,
    ) -> None:
        super().__init__()
        if not out_indices or any(i not in range(8) for i in out_indices):
            raise ValueError(f"out_indices must lie in 0..7, got {tuple(out_indices)}")
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        channels = make_divisible(32 * widen_factor, 8)
        self.conv1 = ConvNormAct(3, channels, 3, 2, 1, act="relu6")
        self.layer_names: list[str] = []
        for i, (expand, c, n, s) in enumerate(_ARCH):
            out = make_divisible(c * widen_factor, 8)
            blocks = []
            for j in range(n):
                blocks.append(InvertedResidual(channels, out, s if j == 0 else 1, expand))
                channels = out
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            self.layer_names.append(f"layer{i + 1}")
        self.out_channels = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.conv2 = ConvNormAct(channels, self.out_channels, 1, act="relu6")
        self.layer_names.append("conv2")
        self.feat_dim = self.out_channels
        self.num_segments = num_segments
        self.shift_div = shift_div
        if num_segments is not None:
            for m in self.modules():
                if isinstance(m, InvertedResidual) and len(m.conv) == 3 and m.use_res_connect:
                    m.shift = TemporalShift(num_segments, shift_div)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i, name in enumerate(self.layer_names):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> MobileNetV2:
        super().train(mode)
        if mode:
            frozen: list[nn.Module] = [self.conv1] if self.frozen_stages >= 0 else []
            frozen += [getattr(self, n) for n in self.layer_names[: max(self.frozen_stages, 0)]]
            for m in frozen:
                m.eval()
                for p in m.parameters():
                    p.requires_grad_(False)
            if self.norm_eval:
                for m in self.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        m.eval()
        return self


def convert_mmaction_mobilenet_v2_tsm(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 ``MobileNetV2TSM`` + ``TSMHead`` -> ours: the shift wrapper ``conv.0.net``
    disappears, ``cls_head.`` becomes ``head.``."""
    return remap_keys(state_dict, [(r"\.conv\.0\.net\.", ".conv.0."), (r"^cls_head\.", "head.")])


def tsm_mobilenet_v2(
    *,
    num_classes: int,
    num_segments: int = 8,
    shift_div: int = 8,
    widen_factor: float = 1.0,
    dropout: float = 0.5,
    mean: Sequence[float] = IMAGENET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
) -> Recognizer:
    """TSM on MobileNetV2 with a :class:`~.tsm.TSMHead`."""
    backbone = MobileNetV2(widen_factor=widen_factor, num_segments=num_segments, shift_div=shift_div)
    head = TSMHead(backbone.feat_dim, num_classes, dropout=dropout)
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


@register_preset(
    replace(
        K400_2D,
        num_clips=8,
        test_num_clips=8,
        test_crops=3,
        test_crop_size=256,
        mmaction_config="recognition/tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py",
        convert_mmaction=convert_mmaction_mobilenet_v2_tsm,
        notes="Real-time TSM (2.7M parameters at 400 classes).",
    )
)
def tsm_mobilenetv2_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_mobilenet_v2(num_classes=num_classes, num_segments=8)
