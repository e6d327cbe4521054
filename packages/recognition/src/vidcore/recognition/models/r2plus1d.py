"""R(2+1)D (Tran et al., "A Closer Look at Spatiotemporal Convolutions for Action Recognition", CVPR 2018).

Every t x k x k convolution of a 3D ResNet is factorised into a 1 x k x k spatial convolution to
``M`` channels, BatchNorm, ReLU and a t x 1 x 1 temporal convolution, with
``M = floor(3 * t * k^2 * C_in * C_out / (k^2 * C_in + 3 * C_out))`` (MMAction2 computes ``M`` with
t fixed to 3, whatever the kernel, so 1x1x1 shortcuts are factorised as well; we keep that so
its checkpoints load). Submodules ``conv_s``, ``bn_s``, ``conv_t`` sit where MMAction2 puts them
(``layer1.0.conv1.conv.conv_s.weight``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from torch import Tensor, nn

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import ResNet3d, convert_mmaction_recognizer

__all__ = ["Conv2plus1d", "r2plus1d_r34_backbone"]


def _triple(v: int | Sequence[int]) -> tuple[int, int, int]:
    t = (v, v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 3:
        raise ValueError(f"expected an int or 3 ints, got {v!r}")
    return t  # type: ignore[return-value]


class Conv2plus1d(nn.Module):
    """A (2+1)D convolution with the signature of ``nn.Conv3d`` (``dilation``/``groups`` must be 1).

    The BatchNorm between the two convolutions keeps PyTorch's default eps (1e-5), as in MMAction2.
    Input ``(N, C_in, T, H, W)``; output ``(N, C_out, T', H', W')`` as the unfactorised conv gives.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if _triple(dilation) != (1, 1, 1) or groups != 1:
            raise ValueError("Conv2plus1d supports dilation 1 and groups 1 only")
        k, s, p = _triple(kernel_size), _triple(stride), _triple(padding)
        mid = int(
            3 * in_channels * out_channels * k[1] * k[2] / (in_channels * k[1] * k[2] + 3 * out_channels)
        )
        self.in_channels, self.out_channels, self.mid_channels = in_channels, out_channels, mid
        self.conv_s = nn.Conv3d(
            in_channels, mid, (1, k[1], k[2]), (1, s[1], s[2]), (0, p[1], p[2]), bias=bias
        )
        self.bn_s = nn.BatchNorm3d(mid)
        self.relu = nn.ReLU(inplace=True)
        self.conv_t = nn.Conv3d(mid, out_channels, (k[0], 1, 1), (s[0], 1, 1), (p[0], 0, 0), bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_t(self.relu(self.bn_s(self.conv_s(x))))


def r2plus1d_r34_backbone() -> ResNet3d:
    """R(2+1)D-34 as MMAction2's ``r2plus1d_r34``: factorised 3x7x7 stem, all blocks 3x3x3,
    temporal stride 2 in stages 2-4, BatchNorm eps 1e-3, no temporal pool. 512 channels out."""
    return ResNet3d(
        34,
        conv1_kernel=(3, 7, 7),
        temporal_strides=(1, 2, 2, 2),
        inflate=(1, 1, 1, 1),
        with_pool2=False,
        norm_eps=1e-3,
        conv_layer=Conv2plus1d,
        zero_init_residual=False,
    )


# -- presets ---------------------------------------------------------------------------------------



@register_preset(
    replace(
        K400_3D,
        clip_len=8,
        frame_interval=8,
        mmaction_config="recognition/r2plus1d/r2plus1d_r34_8xb8-8x8x1-180e_kinetics400-rgb.py",
        convert_mmaction=convert_mmaction_recognizer,
        notes="R(2+1)D-34 from scratch (MMAction2 trains it with SyncBN, eps 1e-3; BatchNorm3d here).",
    )
)
def r2plus1d_r34_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """R(2+1)D-34, 8 frames 8 apart; 63.76M parameters with 400 classes."""
    return Recognizer(r2plus1d_r34_backbone(), I3DHead(num_classes, 512), input_layout="NCTHW")
