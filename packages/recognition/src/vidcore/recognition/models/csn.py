"""Channel-separated networks (Tran et al., "Video Classification with Channel-Separated
Convolutional Networks", ICCV 2019).

A 3D ResNet bottleneck whose 3x3x3 convolution is depthwise: "ir" (interaction-reduced) replaces
it by a depthwise conv, "ip" (interaction-preserved) puts a 1x1x1 conv (with BN, no ReLU) before
the depthwise one. The middle conv becomes an ``nn.Sequential`` (``conv2.0``, ``conv2.1`` as in
MMAction2's ``CSNBottleneck3d``), so its checkpoints load as is. BatchNorm eps is 1e-3 and every
stage after the first halves time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from torch import nn

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import Bottleneck3d, ConvBnAct3d, ResNet3d, convert_mmaction_recognizer

__all__ = ["CSNBottleneck3d", "ResNet3dCSN", "csn_backbone"]

BottleneckMode = Literal["ip", "ir"]


class CSNBottleneck3d(Bottleneck3d):
    """Bottleneck3d with a channel-separated middle convolution (see module docstring)."""

    def __init__(
        self, inplanes: int, planes: int, *, bottleneck_mode: BottleneckMode = "ir", **kwargs: object
    ) -> None:
        super().__init__(inplanes, planes, **kwargs)  # type: ignore[arg-type]
        if bottleneck_mode not in ("ip", "ir"):
            raise ValueError(f"bottleneck_mode must be 'ip' or 'ir', got {bottleneck_mode!r}")
        self.bottleneck_mode = bottleneck_mode
        dense = self.conv2.conv  # the 3x3x3 conv Bottleneck3d built; reuse its geometry
        eps = self.conv2.bn.eps
        layers: list[nn.Module] = []
        if bottleneck_mode == "ip":
            layers.append(ConvBnAct3d(planes, planes, 1, norm_eps=eps, act=False))
        layers.append(
            ConvBnAct3d(
                planes,
                planes,
                dense.kernel_size,
                dense.stride,
                dense.padding,
                dilation=dense.dilation,
                groups=planes,
                norm_eps=eps,
            )
        )
        self.conv2 = nn.Sequential(*layers)


class ResNet3dCSN(ResNet3d):
    """ResNet3d built from :class:`CSNBottleneck3d` (depth 50, 101 or 152).

    Defaults follow MMAction2's ``ResNet3dCSN``: 3x7x7 stem, temporal strides (1, 2, 2, 2),
    3x3x3 inflation in every block, BatchNorm eps 1e-3, no temporal pool after stage 1.
    ``bn_frozen`` with ``norm_eval`` also stops gradients to the BatchNorm affine parameters.
    """

    def __init__(
        self,
        depth: int = 152,
        *,
        bottleneck_mode: BottleneckMode = "ir",
        temporal_strides: Sequence[int] = (1, 2, 2, 2),
        conv1_kernel: Sequence[int] = (3, 7, 7),
        norm_eps: float = 1e-3,
        inflate_style: Literal["3x1x1", "3x3x3"] = "3x3x3",
        with_pool2: bool = False,
        bn_frozen: bool = False,
        zero_init_residual: bool = False,
        **kwargs: object,
    ) -> None:
        if depth not in (50, 101, 152):
            raise ValueError(f"CSN depth must be 50, 101 or 152, got {depth}")
        self.bottleneck_mode = bottleneck_mode
        self.bn_frozen = bn_frozen
        super().__init__(
            depth,
            temporal_strides=temporal_strides,
            conv1_kernel=conv1_kernel,
            norm_eps=norm_eps,
            inflate_style=inflate_style,
            with_pool2=with_pool2,
            zero_init_residual=zero_init_residual,
            **kwargs,  # type: ignore[arg-type]
        )

    def _block_type(self, depth: int) -> tuple[type[nn.Module], tuple[int, ...]]:
        _, blocks = super()._block_type(depth)
        return CSNBottleneck3d, blocks

    def _block_extra_kwargs(self) -> dict[str, object]:
        return {"bottleneck_mode": self.bottleneck_mode}

    def train(self, mode: bool = True) -> ResNet3dCSN:
        super().train(mode)
        if mode and self.norm_eval and self.bn_frozen:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    for p in m.parameters():
                        p.requires_grad_(False)
        return self


def csn_backbone(
    bottleneck_mode: BottleneckMode, depth: int = 152, *, bn_frozen: bool = False
) -> ResNet3dCSN:
    """ipCSN (``"ip"``) or irCSN (``"ir"``) of depth 50/101/152 as MMAction2's ``ircsn_r152`` /
    ``ipcsn_r152`` configs. ``bn_frozen=True`` gives the ``bnfrozen`` variants (BN in eval mode and
    frozen while training)."""
    return ResNet3dCSN(depth, bottleneck_mode=bottleneck_mode, norm_eval=bn_frozen, bn_frozen=bn_frozen)


# -- presets ---------------------------------------------------------------------------------------


_CSN_MEAN, _CSN_STD = (110.2008, 100.63983, 95.99475), (58.14765, 56.46975, 55.332195)


_CSN = replace(K400_3D, clip_len=32, frame_interval=2, mean=_CSN_MEAN, std=_CSN_STD, convert_mmaction=convert_mmaction_recognizer)
_CSN_IMAGENET = replace(K400_3D, clip_len=32, frame_interval=2, convert_mmaction=convert_mmaction_recognizer)


@register_preset(
    replace(
        _CSN,
        mmaction_config="recognition/csn/ipcsn_r152_32x2x1-180e_kinetics400-rgb.py",
        notes="ipCSN-152; BatchNorm frozen (eval mode, no gradients) in training as in the config.",
    )
)
def ipcsn_r152_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Interaction-preserved CSN-152, 32 frames 2 apart; 33.02M parameters with 400 classes."""
    backbone = csn_backbone("ip", bn_frozen=True)
    return Recognizer(
        backbone, I3DHead(num_classes, 2048), mean=_CSN_MEAN, std=_CSN_STD, input_layout="NCTHW"
    )


@register_preset(
    replace(
        _CSN,
        mmaction_config="recognition/csn/ircsn_r152_32x2x1-180e_kinetics400-rgb.py",
        notes="irCSN-152; BatchNorm frozen (eval mode, no gradients) in training as in the config.",
    )
)
def ircsn_r152_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Interaction-reduced CSN-152, 32 frames 2 apart; 29.70M parameters with 400 classes."""
    backbone = csn_backbone("ir", bn_frozen=True)
    return Recognizer(
        backbone, I3DHead(num_classes, 2048), mean=_CSN_MEAN, std=_CSN_STD, input_layout="NCTHW"
    )


@register_preset(
    replace(
        _CSN_IMAGENET,
        mmaction_config="recognition/csn/ircsn_ig65m-pretrained-r50-bnfrozen_8xb12-32x2x1-58e_kinetics400-rgb.py",
        notes="irCSN-50 fine-tuned from IG-65M with frozen BatchNorm; ImageNet mean/std as in that config.",
    )
)
def ircsn_r50_ig65m_bnfrozen_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Interaction-reduced CSN-50, 32 frames 2 apart."""
    return Recognizer(
        csn_backbone("ir", 50, bn_frozen=True), I3DHead(num_classes, 2048), input_layout="NCTHW"
    )
