"""2D ResNet (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016), the frame
backbone of TSN, TSM, TIN, TANet and TRN.

The layout is torchvision's (``conv1`` 7x7 stem, max-pool, ``layer1``..``layer4``) with MMCV
``ConvModule`` names (``conv1.conv``/``conv1.bn``, ``layerN.M.conv2.bn``, ``layerN.0.downsample.conv``)
so MMAction2 checkpoints load with few renames. The residual blocks carry optional hooks that the
video variants fill in:

- ``temporal`` with ``temporal_place``: a module mixing information across the frames of a clip,
  applied to the block input (``"block"``, TSM's in-place shift), to the residual branch before
  ``conv1`` (``"residual"``, TSM's residual shift, TIN), or after ``conv1`` (``"conv1"``, TANet);
- ``non_local``: a module applied to the block output (TSM + non-local).

Inputs are frames ``(N*T, C, H, W)``; temporal modules know ``T`` (``num_segments``) themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import ConvNormAct

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "TemporalPlace",
    "block_out_channels",
    "convert_torchvision_resnet",
    "resnet_stage_blocks",
]

TemporalPlace = Literal["block", "residual", "conv1"]

#: depth -> (block type, blocks per stage)
_ARCH: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def resnet_stage_blocks(depth: int) -> tuple[int, int, int, int]:
    """Residual blocks per stage of a ResNet of this depth (18, 34, 50, 101 or 152)."""
    if depth not in _ARCH:
        raise ValueError(f"ResNet depth must be one of {sorted(_ARCH)}, got {depth}")
    return _ARCH[depth][1]


class _ResidualBlock(nn.Module):
    """Shared forward of the two block types: hooks, shortcut, residual sum, ReLU."""

    expansion: int = 1

    def __init__(self, downsample: nn.Module | None) -> None:
        super().__init__()
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)
        self.temporal: nn.Module | None = None
        self.temporal_place: TemporalPlace = "residual"
        self.non_local: nn.Module | None = None

    def set_temporal(self, module: nn.Module | None, place: TemporalPlace) -> None:
        """Install a temporal module at ``place`` (see the module docstring)."""
        if place not in ("block", "residual", "conv1"):
            raise ValueError(f"temporal place must be 'block', 'residual' or 'conv1', got {place!r}")
        self.temporal = module
        self.temporal_place = place

    def residual(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _conv1_hooks(self, x: Tensor, conv1: nn.Module) -> Tensor:
        if self.temporal is not None and self.temporal_place == "residual":
            x = self.temporal(x)
        x = conv1(x)
        if self.temporal is not None and self.temporal_place == "conv1":
            x = self.temporal(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        if self.temporal is not None and self.temporal_place == "block":
            x = self.temporal(x)
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.residual(x) + identity)
        if self.non_local is not None:
            out = self.non_local(out)
        return out


class BasicBlock(_ResidualBlock):
    """Two 3x3 convolutions (ResNet-18/34). Stride and dilation apply to ``conv1``."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
    ) -> None:
        super().__init__(downsample)
        self.conv1 = ConvNormAct(inplanes, planes, 3, stride, dilation, dilation=dilation)
        self.conv2 = ConvNormAct(planes, planes, 3, 1, 1, act=None)

    def residual(self, x: Tensor) -> Tensor:
        return self.conv2(self._conv1_hooks(x, self.conv1))


class Bottleneck(_ResidualBlock):
    """1x1 -> 3x3 -> 1x1 with 4x expansion (ResNet-50/101/152).

    ``style="pytorch"`` puts the stride on the 3x3 conv (torchvision, MMAction2's default),
    ``"caffe"`` on the first 1x1.
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
        *,
        style: Literal["pytorch", "caffe"] = "pytorch",
    ) -> None:
        super().__init__(downsample)
        if style not in ("pytorch", "caffe"):
            raise ValueError(f"style must be 'pytorch' or 'caffe', got {style!r}")
        s1, s2 = (1, stride) if style == "pytorch" else (stride, 1)
        self.conv1 = ConvNormAct(inplanes, planes, 1, s1)
        self.conv2 = ConvNormAct(planes, planes, 3, s2, dilation, dilation=dilation)
        self.conv3 = ConvNormAct(planes, planes * self.expansion, 1, act=None)

    def residual(self, x: Tensor) -> Tensor:
        return self.conv3(self.conv2(self._conv1_hooks(x, self.conv1)))


def block_out_channels(block: nn.Module) -> int:
    """Output channels of a :class:`BasicBlock` or :class:`Bottleneck`."""
    last = block.conv3 if isinstance(block, Bottleneck) else block.conv2
    return int(last.conv.out_channels)


class ResNet(nn.Module):
    """2D ResNet backbone on frames.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input channels (3 for RGB, 2 for stacked optical flow x/y).
        num_stages: residual stages built (1-4).
        out_indices: stages whose output is returned (0-based); one index gives a tensor, several a
            tuple.
        strides, dilations: of the first block of each stage.
        style: where Bottleneck puts its stride (``"pytorch"``: on the 3x3 conv).
        frozen_stages: stem and stages ``1..frozen_stages`` are frozen (no grad, BN in eval);
            -1 freezes nothing, 0 the stem only.
        norm_eval: keep every BatchNorm in eval mode during training.
        partial_bn: TSN's partial BN: every BatchNorm except the first frozen (eval mode, no grad of
            its affine parameters) during training.

    Input ``(B, C, H, W)``; output ``(B, feat_dim, H/32, W/32)`` for the last stage (stride 32,
    ``feat_dim`` 512 for ResNet-18/34, 2048 for 50/101/152).
    """

    def __init__(
        self,
        depth: int,
        *,
        in_channels: int = 3,
        num_stages: int = 4,
        out_indices: Sequence[int] = (3,),
        strides: Sequence[int] = (1, 2, 2, 2),
        dilations: Sequence[int] = (1, 1, 1, 1),
        style: Literal["pytorch", "caffe"] = "pytorch",
        frozen_stages: int = -1,
        norm_eval: bool = False,
        partial_bn: bool = False,
    ) -> None:
        super().__init__()
        stage_blocks = resnet_stage_blocks(depth)
        if not 1 <= num_stages <= 4:
            raise ValueError(f"num_stages must be in 1..4, got {num_stages}")
        if len(strides) < num_stages or len(dilations) < num_stages:
            raise ValueError("strides and dilations need one entry per stage")
        if not out_indices or max(out_indices) >= num_stages or min(out_indices) < 0:
            raise ValueError(f"out_indices {tuple(out_indices)} must lie in 0..{num_stages - 1}")
        self.depth = depth
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.partial_bn = partial_bn
        block_kind = _ARCH[depth][0]
        self.conv1 = ConvNormAct(in_channels, 64, 7, 2, 3)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = 64
        self.stage_names: list[str] = []
        for i, num_blocks in enumerate(stage_blocks[:num_stages]):
            planes = 64 * 2**i
            layer = self._make_layer(block_kind, inplanes, planes, num_blocks, strides[i], dilations[i], style)
            inplanes = planes * (4 if block_kind == "bottleneck" else 1)
            name = f"layer{i + 1}"
            self.add_module(name, layer)
            self.stage_names.append(name)
        self.feat_dim = inplanes
        #: optional module applied before ``layer2`` (TSM's temporal max-pool); no parameters.
        self.temporal_pool: nn.Module | None = None

    @staticmethod
    def _make_layer(
        kind: str, inplanes: int, planes: int, num_blocks: int, stride: int, dilation: int, style: str
    ) -> nn.Sequential:
        expansion = 4 if kind == "bottleneck" else 1
        downsample = None
        if stride != 1 or inplanes != planes * expansion:
            downsample = ConvNormAct(inplanes, planes * expansion, 1, stride, act=None)
        blocks: list[nn.Module] = []
        for j in range(num_blocks):
            cin = inplanes if j == 0 else planes * expansion
            s = stride if j == 0 else 1
            ds = downsample if j == 0 else None
            if kind == "bottleneck":
                blocks.append(Bottleneck(cin, planes, s, dilation, ds, style=style))  # type: ignore[arg-type]
            else:
                blocks.append(BasicBlock(cin, planes, s, dilation, ds))
        return nn.Sequential(*blocks)

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, n) for n in self.stage_names]

    def blocks(self) -> list[_ResidualBlock]:
        """Every residual block, stage by stage."""
        return [b for stage in self.stages() for b in stage]  # type: ignore[misc]

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        x = self.maxpool(self.conv1(x))
        outs = []
        for i, stage in enumerate(self.stages()):
            if i == 1 and self.temporal_pool is not None:
                x = self.temporal_pool(x)
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> ResNet:
        super().train(mode)
        if mode:
            self._apply_freezing()
        return self

    def _apply_freezing(self) -> None:
        frozen: list[nn.Module] = []
        if self.frozen_stages >= 0:
            frozen.append(self.conv1)
        frozen.extend(self.stages()[: max(self.frozen_stages, 0)])
        for m in frozen:
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)
        if self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        if self.partial_bn:  # as MMAction2: BatchNorm2d layers only
            bn2d = [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]
            for m in bn2d[1:]:
                m.eval()
                for p in m.parameters():
                    p.requires_grad_(False)


def convert_torchvision_resnet(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """A torchvision ``resnet18/34/50/101/152`` state dict -> :class:`ResNet` keys (ImageNet init).

    ``conv1``/``bn1`` become ``conv1.conv``/``conv1.bn``, ``layerN.M.convK``/``bnK`` become
    ``layerN.M.convK.conv``/``.bn``, ``downsample.0``/``.1`` become ``downsample.conv``/``.bn``;
    the ImageNet classifier ``fc`` is dropped. Load the result into a backbone (or prefix it with
    ``backbone.`` for a recognizer) with ``strict=False`` only for temporal modules that have no
    ImageNet counterpart (TIN, TANet).
    """
    return remap_keys(
        state_dict,
        [
            (r"^conv1\.", "conv1.conv."),
            (r"^bn1\.", "conv1.bn."),
            (r"^(layer\d\.\d+)\.conv(\d)\.", r"\1.conv\2.conv."),
            (r"^(layer\d\.\d+)\.bn(\d)\.", r"\1.conv\2.bn."),
            (r"\.downsample\.0\.", ".downsample.conv."),
            (r"\.downsample\.1\.", ".downsample.bn."),
        ],
        drop=[r"^fc\."],
    )
