"""Convolution, normalisation and activation in one block (1D, 2D or 3D).

``ConvNormAct`` keeps MMCV's ``ConvModule`` submodule names (``conv``, ``bn``, ``activate``), so an
MMAction2 state dict entry such as ``backbone.conv1.conv.weight`` or ``backbone.conv1.bn.running_mean``
loads into the same key here without renaming.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

import torch
from torch import nn

from .init import constant_init, kaiming_init

__all__ = ["ActName", "ConvNormAct", "LayerFactory", "QuickGELU", "make_activation"]

ActName = Literal[
    "relu", "relu6", "leaky_relu", "gelu", "quick_gelu", "silu", "sigmoid", "hardswish", "tanh"
]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``: the sigmoid approximation of GELU that CLIP's ViTs were trained with
    (and so UniFormerV2, built on them). Not interchangeable with ``nn.GELU``: they differ by up to
    ~0.02 per activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def make_activation(act: str, *, inplace: bool = False, negative_slope: float = 0.01) -> nn.Module:
    """Build an activation module from its name (one of :data:`ActName`)."""
    if act == "relu":
        return nn.ReLU(inplace=inplace)
    if act == "relu6":
        return nn.ReLU6(inplace=inplace)
    if act == "leaky_relu":
        return nn.LeakyReLU(negative_slope, inplace=inplace)
    if act == "gelu":
        return nn.GELU()
    if act == "quick_gelu":
        return QuickGELU()
    if act == "silu":
        return nn.SiLU(inplace=inplace)
    if act == "sigmoid":
        return nn.Sigmoid()
    if act == "hardswish":
        return nn.Hardswish(inplace=inplace)
    if act == "tanh":
        return nn.Tanh()
    raise ValueError(
        f"unknown activation {act!r}; expected one of relu, relu6, leaky_relu, gelu, quick_gelu, silu, sigmoid, "
        "hardswish, tanh (or None for no activation)"
    )


LayerFactory = Callable[..., nn.Module]


class ConvNormAct(nn.Module):
    """``conv -> bn -> activate`` with MMCV ``ConvModule`` names and default initialisation.

    Layers are passed as callables (``norm_layer=nn.BatchNorm3d``, ``act_layer=nn.ReLU``), the
    way torchvision builds its blocks; ``None`` leaves the stage out.

    Args:
        in_ch, out_ch: input and output channels.
        kernel_size, stride, padding, dilation: as for ``nn.ConvNd`` (an int or a tuple of ``dims`` ints).
        dims: 1, 2 or 3: the default ``conv_layer`` (``nn.Conv{dims}d``) and ``norm_layer``
            (``nn.BatchNorm{dims}d``).
        groups: convolution groups (``groups=in_ch`` gives a depthwise conv).
        bias: whether the conv has a bias. ``"auto"`` is MMCV's default: a bias only without a norm.
        conv_layer: builds the convolution from ``(in_ch, out_ch, kernel_size, stride=, padding=,
            dilation=, groups=, bias=)`` (R(2+1)D passes its factorised convolution).
        norm_layer: builds the norm from ``(out_ch, eps=, momentum=)`` (submodule ``bn``);
            ``None`` for no norm. Default: batch norm of ``dims`` dimensions.
        act_layer: builds the activation with no argument (submodule ``activate``); ``None`` for
            none. Default ``nn.ReLU`` (in place).
        norm_eps, norm_momentum: batch-norm parameters (PyTorch's defaults 1e-5, 0.1).
        norm, act: shorthand names kept for existing callers: ``norm="bn"``/``None`` and an
            activation name from :data:`ActName`/``None``; they override ``norm_layer``/``act_layer``
            when given.

    Input ``(N, in_ch, *spatial)``, output ``(N, out_ch, *spatial')`` where ``spatial`` has ``dims`` axes.
    The conv is initialised with Kaiming-normal (fan_out, gain of ReLU or of the leaky ReLU), the
    norm with weight 1 and bias 0, as ``ConvModule.init_weights`` does.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        *,
        dims: Literal[1, 2, 3] = 2,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool | Literal["auto"] = False,
        conv_layer: LayerFactory | None = None,
        norm_layer: LayerFactory | Literal["default"] | None = "default",
        act_layer: LayerFactory | Literal["default"] | None = "default",
        norm: Literal["bn"] | Literal["unset"] | None = "unset",
        act: ActName | Literal["unset"] | None = "unset",
        norm_eps: float = 1e-5,
        norm_momentum: float = 0.1,
        inplace: bool = True,
        negative_slope: float = 0.01,
    ) -> None:
        super().__init__()
        if dims not in _CONV:
            raise ValueError(f"dims must be 1, 2 or 3, got {dims!r}")
        if norm != "unset":
            if norm not in (None, "bn"):
                raise ValueError(f"norm must be 'bn' or None, got {norm!r}")
            norm_layer = _BN[dims] if norm == "bn" else None
        elif norm_layer == "default":
            norm_layer = _BN[dims]
        if act != "unset":
            act_layer = None if act is None else partial(make_activation, act, inplace=inplace, negative_slope=negative_slope)
        elif act_layer == "default":
            act_layer = partial(nn.ReLU, inplace=inplace)
        if bias == "auto":
            bias = norm_layer is None
        self.dims = dims
        self.conv = (conv_layer or _CONV[dims])(
            in_ch,
            out_ch,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.bn: nn.Module | None = (
            norm_layer(out_ch, eps=norm_eps, momentum=norm_momentum) if norm_layer is not None else None
        )
        self.activate: nn.Module | None = act_layer() if act_layer is not None else None
        self._negative_slope = negative_slope
        self.init_weights()

    def init_weights(self) -> None:
        """Kaiming-normal conv (fan_out), norm weight 1 and bias 0 (MMCV ``ConvModule`` defaults)."""
        if isinstance(self.activate, nn.LeakyReLU):
            kaiming_init(self.conv, a=self.activate.negative_slope, nonlinearity="leaky_relu")
        elif isinstance(self.conv, nn.modules.conv._ConvNd):
            kaiming_init(self.conv, a=0.0, nonlinearity="relu")
        if self.bn is not None and getattr(self.bn, "weight", None) is not None:
            constant_init(self.bn, 1.0, bias=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x
