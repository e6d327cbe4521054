"""ResNetAudio: the audio-only ResNet of "Audiovisual SlowFast Networks for Video Recognition"
(Xiao et al., arXiv 2001.08740), MMAction2's ``ResNetAudio`` and the ``audioonly_r50`` config
(``audioonly_r50_8xb160-64x1x1-100e_kinetics400-audio-feature``: depth 50, 6.32M parameters with
400 classes, test on 10 clips averaged as probabilities).

Unlike an ImageNet ResNet it keeps full time-frequency resolution in the stem: a 9x9 convolution
factorized into a 9x1 (time) and a 1x9 (frequency) branch that are summed, stride 1, no max-pool;
32 base channels. In the first two stages the 3x3 convolution of each bottleneck is factorized the
same way (3x1 and 1x3 branches, each with BatchNorm + ReLU, concatenated to ``2 * planes``
channels); in the last two stages it is a plain 3x3 convolution with neither norm nor activation.

Key layout (MMAction2's, below ``backbone.``): ``conv1.conv.conv_1.{conv,bn}`` and
``conv1.conv.conv_2.{conv,bn}`` (the two stem branches), ``conv1.bn``; in a block ``conv1.{conv,bn}``,
``conv2.conv.conv_{1,2}.{conv,bn}`` (factorized) or ``conv2.conv.weight`` (plain), ``conv3.{conv,bn}``,
``downsample.{conv,bn}``. Input ``(B, 1, T, F)``; output ``(B, 1024, T/8, F/8)`` for depth 50.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import torch
from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import ConvNormAct, constant_init, kaiming_init

from ..meta import K400_AUDIO
from ..recognizer import AudioRecognizer
from ..registry import register_preset
from .head import AudioHead
from .resnet import batchnorm_eval, freeze_modules

__all__ = [
    "AudioBottleneck",
    "ConvAudio",
    "ResNetAudio",
    "audioonly_resnet",
    "convert_mmaction_resnet_audio",
]

_STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


class ConvAudio(nn.Module):
    """A ``k x k`` convolution factorized into a ``k x 1`` (time) and a ``1 x k`` (frequency)
    branch, each conv -> BatchNorm -> ReLU, merged by ``"sum"`` (``out_ch`` channels) or
    ``"concat"`` (``2 * out_ch``). Both branches use the same stride; padding keeps ``k // 2``.
    """

    def __init__(
        self, in_ch: int, out_ch: int, kernel_size: int, *, stride: int = 1, op: Literal["sum", "concat"] = "concat"
    ) -> None:
        super().__init__()
        if op not in ("sum", "concat"):
            raise ValueError(f"ConvAudio op must be 'sum' or 'concat', got {op!r}")
        self.op = op
        self.out_channels = out_ch if op == "sum" else 2 * out_ch
        k = kernel_size
        self.conv_1 = ConvNormAct(in_ch, out_ch, (k, 1), stride, (k // 2, 0))
        self.conv_2 = ConvNormAct(in_ch, out_ch, (1, k), stride, (0, k // 2))

    def forward(self, x: Tensor) -> Tensor:
        a, b = self.conv_1(x), self.conv_2(x)
        return a + b if self.op == "sum" else torch.cat([a, b], dim=1)


class _Wrapped(nn.Module):
    """``conv [-> bn -> relu]`` where ``conv`` is any module (MMCV ``ConvModule`` around a custom
    conv: the keys ``conv.*``, ``bn.*``)."""

    def __init__(self, conv: nn.Module, norm_channels: int | None = None) -> None:
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm2d(norm_channels) if norm_channels is not None else None
        self.activate = nn.ReLU(inplace=True) if norm_channels is not None else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.activate(self.bn(x))  # type: ignore[misc]
        return x


class AudioBottleneck(nn.Module):
    """1x1 (BN, ReLU) -> 3x3 with the stride (factorized: :class:`ConvAudio` concat; plain: a bare
    conv) -> 1x1 to ``4 * planes`` (BN) -> + shortcut -> ReLU."""

    expansion = 4

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None, *, factorize: bool
    ) -> None:
        super().__init__()
        self.conv1 = ConvNormAct(inplanes, planes, 1)
        if factorize:
            self.conv2: nn.Module = _Wrapped(ConvAudio(planes, planes, 3, stride=stride, op="concat"))
        else:
            self.conv2 = ConvNormAct(planes, planes, 3, stride, 1, norm=None, act=None)
        self.conv3 = ConvNormAct(2 * planes if factorize else planes, planes * 4, 1, act=None)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class ResNetAudio(nn.Module):
    """The audio ResNet backbone.

    Args:
        depth: 50, 101 or 152.
        in_channels: input channels (1: a log-mel spectrogram).
        base_channels: stem output channels; stage ``i`` has ``base_channels * 2**i`` planes.
        strides: stride of the first block of each stage.
        conv1_kernel, conv1_stride: the factorized stem convolution.
        factorize: per stage, 1 to factorize the 3x3 convolutions of its blocks.
        frozen_stages: the stem and stages ``1..frozen_stages`` frozen; -1 none.
        norm_eval: keep every BatchNorm in eval mode during training.
        zero_init_residual: the last BatchNorm of every block starts at 0 (as MMAction2).
    """

    def __init__(
        self,
        depth: int = 50,
        *,
        in_channels: int = 1,
        base_channels: int = 32,
        strides: Sequence[int] = (1, 2, 2, 2),
        conv1_kernel: int = 9,
        conv1_stride: int = 1,
        factorize: Sequence[int] = (1, 1, 0, 0),
        frozen_stages: int = -1,
        norm_eval: bool = False,
        zero_init_residual: bool = True,
    ) -> None:
        super().__init__()
        if depth not in _STAGE_BLOCKS:
            raise ValueError(f"ResNetAudio depth must be one of {sorted(_STAGE_BLOCKS)}, got {depth}")
        if len(strides) != 4 or len(factorize) != 4:
            raise ValueError("strides and factorize need one entry per stage (4)")
        self.depth = depth
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        stem = ConvAudio(in_channels, base_channels, conv1_kernel, stride=conv1_stride, op="sum")
        self.conv1 = _Wrapped(stem, norm_channels=base_channels)
        inplanes = base_channels
        for i, num_blocks in enumerate(_STAGE_BLOCKS[depth]):
            planes = base_channels * 2**i
            downsample = None
            if strides[i] != 1 or inplanes != planes * 4:
                downsample = ConvNormAct(inplanes, planes * 4, 1, strides[i], act=None)
            fac = bool(factorize[i])
            blocks = [AudioBottleneck(inplanes, planes, strides[i], downsample, factorize=fac)]
            inplanes = planes * 4
            blocks += [AudioBottleneck(inplanes, planes, factorize=fac) for _ in range(1, num_blocks)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.feat_dim = inplanes
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                kaiming_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                constant_init(m, 1.0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, AudioBottleneck):
                    constant_init(m.conv3.bn, 0.0)  # type: ignore[arg-type]

    def stages(self) -> list[nn.Sequential]:
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)  # (B, 1, T, F) -> (B, 32, T, F)
        for stage in self.stages():
            x = stage(x)
        return x  # (B, 1024, T/8, F/8) for the default strides

    def train(self, mode: bool = True) -> ResNetAudio:
        super().train(mode)
        if mode:
            if self.frozen_stages >= 0:
                freeze_modules([self.conv1, *self.stages()[: self.frozen_stages]])
            if self.norm_eval:
                batchnorm_eval(self)
        return self


def convert_mmaction_resnet_audio(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """MMAction2 ``RecognizerAudio`` + ``ResNetAudio`` + ``TSNAudioHead`` state dict -> ours.

    The backbone keys are identical; ``cls_head.`` becomes ``head.``.
    """
    return remap_keys(dict(state_dict), [(r"^cls_head\.", "head.")])


def audioonly_resnet(
    depth: int, *, num_classes: int, dropout: float = 0.5, frozen_stages: int = -1, norm_eval: bool = False
) -> AudioRecognizer:
    """ResNetAudio-``depth`` with the audio head; test views averaged as probabilities."""
    backbone = ResNetAudio(depth, frozen_stages=frozen_stages, norm_eval=norm_eval)
    head = AudioHead(backbone.feat_dim, num_classes, dropout=dropout)
    return AudioRecognizer(backbone, head, average_clips="prob")


# ---------------------------------------------------------------------------------------- presets


@register_preset(
    replace(
        K400_AUDIO,
        test_num_clips=10,
        mmaction_config="recognition_audio/audioonly/audioonly_r50_8xb160-64x1x1-100e_kinetics400-audio-feature.py",
        convert_mmaction=convert_mmaction_resnet_audio,
        notes="Test on 10 clips of 64 video frames (MMAction2's test pipeline), probabilities averaged.",
    )
)
def audioonly_r50_64x1x1_kinetics400_audio_feature(num_classes: int = 400) -> AudioRecognizer:
    return audioonly_resnet(50, num_classes=num_classes, dropout=0.5)
