"""Weight-initialisation helpers.

The module-level helpers (``kaiming_init``, ``constant_init``, ``normal_init``, ``xavier_init``,
``trunc_normal_init``) take a module and set its ``weight`` and ``bias`` when it has them, with the
same defaults MMCV/MMEngine use, so a block ported from MMAction2 initialises the same way.
``trunc_normal_`` works on a tensor.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

__all__ = [
    "constant_init",
    "kaiming_init",
    "normal_init",
    "trunc_normal_",
    "trunc_normal_init",
    "xavier_init",
]


def _weight(module: nn.Module) -> torch.Tensor | None:
    w = getattr(module, "weight", None)
    return w if isinstance(w, torch.Tensor) else None


def _set_bias(module: nn.Module, value: float) -> None:
    b = getattr(module, "bias", None)
    if isinstance(b, torch.Tensor):
        nn.init.constant_(b, value)


def trunc_normal_(
    tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> torch.Tensor:
    """Fill ``tensor`` in place from N(mean, std²) truncated to ``[a, b]`` (absolute bounds, not in stds).

    This is the ViT/VideoMAE convention: ``trunc_normal_(w, std=0.02)`` cuts at ±2, i.e. at 100 std.
    """
    with torch.no_grad():
        return nn.init.trunc_normal_(tensor, mean=mean, std=std, a=a, b=b)


def constant_init(module: nn.Module, val: float, bias: float = 0.0) -> None:
    """Set every element of ``module.weight`` to ``val`` and of ``module.bias`` to ``bias``."""
    w = _weight(module)
    if w is not None:
        nn.init.constant_(w, val)
    _set_bias(module, bias)


def normal_init(module: nn.Module, mean: float = 0.0, std: float = 1.0, bias: float = 0.0) -> None:
    """``weight ~ N(mean, std²)``, ``bias = bias``."""
    w = _weight(module)
    if w is not None:
        nn.init.normal_(w, mean, std)
    _set_bias(module, bias)


def trunc_normal_init(
    module: nn.Module, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, bias: float = 0.0
) -> None:
    """``weight`` from the truncated normal of :func:`trunc_normal_`, ``bias = bias``."""
    w = _weight(module)
    if w is not None:
        trunc_normal_(w, mean, std, a, b)
    _set_bias(module, bias)


def kaiming_init(
    module: nn.Module,
    a: float = 0.0,
    mode: Literal["fan_in", "fan_out"] = "fan_out",
    nonlinearity: str = "relu",
    bias: float = 0.0,
    distribution: Literal["normal", "uniform"] = "normal",
) -> None:
    """He initialisation of ``module.weight`` (default: normal, fan_out, ReLU gain, as MMCV's ConvModule)."""
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")
    w = _weight(module)
    if w is not None:
        if distribution == "uniform":
            nn.init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
        else:
            nn.init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    _set_bias(module, bias)


def xavier_init(
    module: nn.Module,
    gain: float = 1.0,
    bias: float = 0.0,
    distribution: Literal["normal", "uniform"] = "normal",
) -> None:
    """Glorot initialisation of ``module.weight``; ``bias = bias``."""
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")
    w = _weight(module)
    if w is not None:
        if distribution == "uniform":
            nn.init.xavier_uniform_(w, gain=gain)
        else:
            nn.init.xavier_normal_(w, gain=gain)
    _set_bias(module, bias)
