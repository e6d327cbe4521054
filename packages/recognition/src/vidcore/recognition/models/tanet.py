"""TANet: Temporal Adaptive Network (Liu et al., "TAM: Temporal Adaptive Module for Video
Recognition", ICCV 2021, arXiv:2005.06803).

Every Bottleneck of a 2D ResNet gets a temporal adaptive module (TAM) after its first 1x1 conv.
TAM computes, per channel, from the spatially pooled frame sequence ``(T,)``:

- a local branch: a sigmoid attention over time (conv1d over channels),
- a global branch: a softmax-normalised temporal kernel of size ``K`` (an MLP on ``T``),

then re-weights the features with the local attention and convolves them over time with the
per-channel (per-video) adaptive kernel.

Published (MMAction2 model zoo, Kinetics-400 dense 1x1x8, 8 x 3 crops): TANet-R50 top-1 76.25%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys

from ..meta import K400_2D, STHV1_2D
from ..recognizer import IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .resnet import ResNet
from .tsm import TSMHead

__all__ = ["TAM", "TANet", "convert_mmaction_tanet", "tanet_resnet"]

#: The TANet configs of MMAction2 normalise with 103.5 (not 103.53) for the blue channel.
TANET_MEAN_255: tuple[float, float, float] = (123.675, 116.28, 103.5)


class TAM(nn.Module):
    """Temporal adaptive module on frames ``(B*T, C, H, W)`` (same shape out).

    Args:
        in_channels: ``C``.
        num_segments: ``T``.
        alpha: hidden width of the global branch is ``alpha * T``.
        adaptive_kernel_size: ``K``, length of the learned temporal kernel.
        beta: channel reduction of the local branch.
        conv1d_kernel_size: temporal kernel of the local branch's first conv1d.
        adaptive_convolution_stride, adaptive_convolution_padding: of the adaptive temporal conv.
    """

    def __init__(
        self,
        in_channels: int,
        num_segments: int,
        *,
        alpha: int = 2,
        adaptive_kernel_size: int = 3,
        beta: int = 4,
        conv1d_kernel_size: int = 3,
        adaptive_convolution_stride: int = 1,
        adaptive_convolution_padding: int = 1,
    ) -> None:
        super().__init__()
        if alpha <= 0 or beta <= 0:
            raise ValueError(f"alpha and beta must be positive, got {alpha}, {beta}")
        self.in_channels = in_channels
        self.num_segments = num_segments
        self.stride = adaptive_convolution_stride
        self.padding = adaptive_convolution_padding
        t = num_segments
        # global branch: (T,) -> K kernel weights summing to 1
        self.G = nn.Sequential(
            nn.Linear(t, t * alpha, bias=False),
            nn.BatchNorm1d(t * alpha),
            nn.ReLU(inplace=True),
            nn.Linear(t * alpha, adaptive_kernel_size, bias=False),
            nn.Softmax(dim=-1),
        )
        # local branch: (C, T) -> attention (C, T) in (0, 1)
        self.L = nn.Sequential(
            nn.Conv1d(in_channels, in_channels // beta, conv1d_kernel_size, padding=conv1d_kernel_size // 2, bias=False),
            nn.BatchNorm1d(in_channels // beta),
            nn.ReLU(inplace=True),
            nn.Conv1d(in_channels // beta, in_channels, 1, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        t = self.num_segments
        b = nt // t
        # (B*T, C, H, W) -> (B, C, T, H, W)
        x5 = x.view(b, t, c, h, w).permute(0, 2, 1, 3, 4).contiguous()
        pooled = F.adaptive_avg_pool2d(x5.view(-1, t, h, w), (1, 1))  # (B*C, T, 1, 1)
        kernel = self.G(pooled.view(-1, t)).view(b * c, 1, -1, 1)  # (B*C, 1, K, 1)
        attention = self.L(pooled.view(-1, c, t)).view(b, c, t, 1, 1)
        # one temporal kernel per (video, channel): a grouped conv with B*C groups
        y = F.conv2d(
            (x5 * attention).view(1, b * c, t, h * w),
            kernel,
            stride=(self.stride, 1),
            padding=(self.padding, 0),
            groups=b * c,
        )
        # (1, B*C, T, H*W) -> (B*T, C, H, W)
        return y.view(b, c, t, h, w).permute(0, 2, 1, 3, 4).contiguous().view(nt, c, h, w)


class TANet(ResNet):
    """ResNet with a :class:`TAM` after ``conv1`` of every residual block.

    Args:
        depth: 18, 34, 50, 101 or 152 (MMAction2 supports Bottleneck depths only).
        num_segments: frames ``T`` per clip (at least 3); input ``(B*T, C, H, W)``.
        alpha, adaptive_kernel_size, beta: :class:`TAM` settings (paper defaults 2, 3, 4).
        in_channels, frozen_stages, norm_eval, partial_bn: as :class:`ResNet`.
    """

    def __init__(
        self,
        depth: int,
        num_segments: int = 8,
        *,
        alpha: int = 2,
        adaptive_kernel_size: int = 3,
        beta: int = 4,
        in_channels: int = 3,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        partial_bn: bool = False,
    ) -> None:
        super().__init__(
            depth, in_channels=in_channels, frozen_stages=frozen_stages, norm_eval=norm_eval, partial_bn=partial_bn
        )
        if num_segments < 3:
            raise ValueError(f"TANet needs at least 3 segments, got {num_segments}")
        self.num_segments = num_segments
        for block in self.blocks():
            tam = TAM(
                block.conv1.conv.out_channels,
                num_segments,
                alpha=alpha,
                adaptive_kernel_size=adaptive_kernel_size,
                beta=beta,
            )
            block.set_temporal(tam, "conv1")


def convert_mmaction_tanet(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 TANet (``TABlock(block, tam)``) -> ours (``temporal`` hook in the block)."""
    return remap_keys(
        state_dict,
        [
            (r"^(backbone\.layer\d\.\d+)\.block\.", r"\1."),
            (r"^(backbone\.layer\d\.\d+)\.tam\.", r"\1.temporal."),
            (r"^cls_head\.", "head."),
        ],
    )


def tanet_resnet(
    depth: int,
    *,
    num_classes: int,
    num_segments: int = 8,
    dropout: float = 0.5,
    mean: Sequence[float] = TANET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
) -> Recognizer:
    """TANet on a ResNet-``depth`` backbone with a :class:`~.tsm.TSMHead`."""
    backbone = TANet(depth, num_segments)
    head = TSMHead(backbone.feat_dim, num_classes, dropout=dropout)
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


# ---------------------------------------------------------------------------------------- presets
_CFG = "recognition/tanet/tanet_imagenet-pretrained-r50_"


_TANET_STHV1 = replace(STHV1_2D, mean=TANET_MEAN_255, convert_mmaction=convert_mmaction_tanet)


@register_preset(
    replace(
        K400_2D,
        num_clips=8,
        sampling="dense",
        test_num_clips=8,
        test_crops=3,
        test_crop_size=256,
        mean=TANET_MEAN_255,
        mmaction_config=_CFG + "8xb8-dense-1x1x8-100e_kinetics400-rgb.py",
        convert_mmaction=convert_mmaction_tanet,
        notes="MMAction2 zoo top-1 76.25% (dense 8 frames x 3 crops).",
    )
)
def tanet_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tanet_resnet(50, num_classes=num_classes, num_segments=8, dropout=0.5)


@register_preset(
    replace(
        _TANET_STHV1,
        num_clips=8,
        test_num_clips=8,
        test_crops=3,
        test_twice_sample=True,
        test_crop_size=256,
        mmaction_config=_CFG + "8xb8-1x1x8-50e_sthv1-rgb.py",
    )
)
def tanet_r50_1x1x8_sthv1(num_classes: int = 174) -> Recognizer:
    return tanet_resnet(50, num_classes=num_classes, num_segments=8, dropout=0.6)


@register_preset(
    replace(
        _TANET_STHV1,
        num_clips=16,
        test_num_clips=16,
        mmaction_config=_CFG + "8xb6-1x1x16-50e_sthv1-rgb.py",
    )
)
def tanet_r50_1x1x16_sthv1(num_classes: int = 174) -> Recognizer:
    return tanet_resnet(50, num_classes=num_classes, num_segments=16, dropout=0.6)
