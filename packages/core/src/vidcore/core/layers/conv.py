"""Convolution, normalisation and activation in one block (1D, 2D or 3D).

``ConvNormAct`` keeps MMCV's ``ConvModule`` submodule names (``conv``, ``bn``, ``activate``), so an
MMAction2 state dict entry such as ``backbone.conv1.conv.weight`` or ``backbone.conv1.bn.running_mean``
loads into the same key here without renaming.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from .init import constant_init, kaiming_init

__all__ = ["ActName", "ConvNormAct", "make_activation"]

ActName = Literal["relu", "relu6", "leaky_relu", "gelu", "silu", "sigmoid", "hardswish", "tanh"]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


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
    if act == "silu":
        return nn.SiLU(inplace=inplace)
    if act == "sigmoid":
        return nn.Sigmoid()
    if act == "hardswish":
        return nn.Hardswish(inplace=inplace)
    if act == "tanh":
        return nn.Tanh()
    raise ValueError(
        f"unknown activation {act!r}; expected one of relu, relu6, leaky_relu, gelu, silu, sigmoid, "
        "hardswish, tanh (or None for no activation)"
    )


class ConvNormAct(nn.Module):
    """``conv -> bn -> activate`` with MMCV ``ConvModule`` names and default initialisation.

    Args:
        in_ch, out_ch: input and output channels.
        kernel_size, stride, padding, dilation: as for ``nn.ConvNd`` (an int or a tuple of ``dims`` ints).
        dims: 1, 2 or 3 (``Conv1d``/``BatchNorm1d`` ... ``Conv3d``/``BatchNorm3d``).
        groups: convolution groups (``groups=in_ch`` gives a depthwise conv).
        bias: whether the conv has a bias. ``"auto"`` is MMCV's default: a bias only without a norm.
        norm: ``"bn"`` for batch norm (submodule ``bn``) or None.
        act: activation name (submodule ``activate``) or None.
        norm_eps, norm_momentum: batch-norm parameters (PyTorch's defaults 1e-5, 0.1).
        inplace: in-place activation where the activation supports it.
        negative_slope: slope of ``leaky_relu``.

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
        norm: Literal["bn"] | None = "bn",
        act: ActName | None = "relu",
        norm_eps: float = 1e-5,
        norm_momentum: float = 0.1,
        inplace: bool = True,
        negative_slope: float = 0.01,
    ) -> None:
        super().__init__()
        if dims not in _CONV:
            raise ValueError(f"dims must be 1, 2 or 3, got {dims!r}")
        if norm not in (None, "bn"):
            raise ValueError(f"norm must be 'bn' or None, got {norm!r}")
        if bias == "auto":
            bias = norm is None
        self.dims = dims
        self.conv = _CONV[dims](
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
            _BN[dims](out_ch, eps=norm_eps, momentum=norm_momentum) if norm == "bn" else None
        )
        self.activate: nn.Module | None = (
            make_activation(act, inplace=inplace, negative_slope=negative_slope) if act is not None else None
        )
        self._act = act
        self._negative_slope = negative_slope
        self.init_weights()

    def init_weights(self) -> None:
        """Kaiming-normal conv (fan_out), norm weight 1 and bias 0 (MMCV ``ConvModule`` defaults)."""
        if self._act == "leaky_relu":
            kaiming_init(self.conv, a=self._negative_slope, nonlinearity="leaky_relu")
        else:
            kaiming_init(self.conv, a=0.0, nonlinearity="relu")
        if self.bn is not None:
            constant_init(self.bn, 1.0, bias=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x
