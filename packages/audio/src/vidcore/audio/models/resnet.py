"""2D ResNet (He et al., CVPR 2016) on log-mel spectrograms: the backbone of MMAction2's audio TSN
(``tsn_r18_8xb320-64x1x1-100e_kinetics400-audio-feature``: ResNet-18 with one input channel).

The layout is MMAction2's ``ResNet`` (torchvision's network with MMCV ``ConvModule`` names:
``conv1.conv``/``conv1.bn`` stem, max-pool, ``layerN.M.conv1.conv``..., ``layerN.0.downsample.conv``),
so MMAction2 state dicts load without renaming below ``backbone.``. vidcore-audio keeps its own copy
rather than importing vidcore-recognition's (task packages do not depend on each other); this one
has no temporal hooks.

Input ``(B, 1, T, F)`` (time rows x mel bands); output ``(B, feat_dim, T/32, F/32)``: 512 channels
for ResNet-18/34, 2048 for 50/101/152; a 128x80 clip gives a 4x3 map.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from vidcore.core.layers import ConvNormAct

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "batchnorm_eval", "freeze_modules"]

#: depth -> (bottleneck?, blocks per stage)
_ARCH: dict[int, tuple[bool, tuple[int, int, int, int]]] = {
    18: (False, (2, 2, 2, 2)),
    34: (False, (3, 4, 6, 3)),
    50: (True, (3, 4, 6, 3)),
    101: (True, (3, 4, 23, 3)),
    152: (True, (3, 8, 36, 3)),
}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (ResNet-18/34); the stride is on ``conv1``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = ConvNormAct(inplanes, planes, 3, stride, 1)
        self.conv2 = ConvNormAct(planes, planes, 3, 1, 1, act=None)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 with 4x expansion (ResNet-50/101/152, ``style="pytorch"``)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = ConvNormAct(inplanes, planes, 1)
        self.conv2 = ConvNormAct(planes, planes, 3, stride, 1)
        self.conv3 = ConvNormAct(planes, planes * 4, 1, act=None)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class ResNet(nn.Module):
    """2D ResNet backbone (MMAction2 ``ResNet`` key layout).

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input channels (1 for a log-mel spectrogram).
        strides: stride of the first block of each stage.
        frozen_stages: the stem and stages ``1..frozen_stages`` are frozen (no grad, BatchNorm in
            eval mode); -1 freezes nothing, 0 the stem only.
        norm_eval: keep every BatchNorm in eval mode during training.
    """

    def __init__(
        self,
        depth: int,
        *,
        in_channels: int = 1,
        strides: Sequence[int] = (1, 2, 2, 2),
        frozen_stages: int = -1,
        norm_eval: bool = False,
    ) -> None:
        super().__init__()
        if depth not in _ARCH:
            raise ValueError(f"ResNet depth must be one of {sorted(_ARCH)}, got {depth}")
        if len(strides) != 4:
            raise ValueError(f"strides needs one entry per stage (4), got {tuple(strides)}")
        bottleneck, stage_blocks = _ARCH[depth]
        block: type[BasicBlock] | type[Bottleneck] = Bottleneck if bottleneck else BasicBlock
        self.depth = depth
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.conv1 = ConvNormAct(in_channels, 64, 7, 2, 3)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = 64
        for i, num_blocks in enumerate(stage_blocks):
            planes = 64 * 2**i
            downsample = None
            if strides[i] != 1 or inplanes != planes * block.expansion:
                downsample = ConvNormAct(inplanes, planes * block.expansion, 1, strides[i], act=None)
            layers = [block(inplanes, planes, strides[i], downsample)]
            inplanes = planes * block.expansion
            layers += [block(inplanes, planes) for _ in range(1, num_blocks)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*layers))
        self.feat_dim = inplanes

    def stages(self) -> list[nn.Sequential]:
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))  # (B, 1, T, F) -> (B, 64, T/4, F/4)
        for stage in self.stages():
            x = stage(x)
        return x  # (B, feat_dim, T/32, F/32)

    def train(self, mode: bool = True) -> ResNet:
        super().train(mode)
        if mode:
            if self.frozen_stages >= 0:
                freeze_modules([self.conv1, *self.stages()[: self.frozen_stages]])
            if self.norm_eval:
                batchnorm_eval(self)
        return self


def freeze_modules(parts: Sequence[nn.Module]) -> None:
    """Eval mode and no gradients for every module in ``parts`` (frozen stages)."""
    for m in parts:
        m.eval()
        for p in m.parameters():
            p.requires_grad_(False)


def batchnorm_eval(model: nn.Module) -> None:
    """Every BatchNorm of ``model`` in eval mode (running statistics kept: ``norm_eval``)."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
