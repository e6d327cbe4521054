"""Stochastic depth (DropPath): drop a whole residual branch per sample.

Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DropPath", "drop_path", "set_drop_path_rate"]


def drop_path(
    x: torch.Tensor, p: float = 0.0, training: bool = False, scale_by_keep: bool = True
) -> torch.Tensor:
    """Zero each sample of ``x`` (dim 0) with probability ``p`` while ``training``.

    Kept samples are divided by ``1 - p`` (when ``scale_by_keep``) so the expectation is unchanged.
    Identity when not training or when ``p == 0``. ``x``: ``(N, ...)``, any dtype/device.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"drop path probability must be in [0, 1), got {p}")
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # one draw per sample, broadcast over the rest
    mask = x.new_empty(shape).bernoulli_(keep)
    if scale_by_keep:
        mask.div_(keep)
    return x * mask


class DropPath(nn.Module):
    """Module form of :func:`drop_path` with drop probability ``p``."""

    def __init__(self, p: float = 0.0, scale_by_keep: bool = True) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"drop path probability must be in [0, 1), got {p}")
        self.p = p
        self.scale_by_keep = scale_by_keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training, self.scale_by_keep)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def set_drop_path_rate(module: nn.Module, max_rate: float) -> int:
    """Set the stochastic-depth schedule of a built network: the residual blocks of ``module``
    (every submodule with a ``drop_path`` attribute that is a ``DropPath`` or ``nn.Identity``, in
    registration order, i.e. depth order) get rates rising linearly from 0 to ``max_rate``, the
    ViT / Swin schedule over all blocks of all stages. A zero rate leaves ``nn.Identity``.

    For fine-tuning recipes that change a preset's drop path without rebuilding it (the weights
    are untouched). Returns the number of blocks; raises ``ValueError`` when there is none.
    """
    if not 0.0 <= max_rate < 1.0:
        raise ValueError(f"drop path rate must be in [0, 1), got {max_rate}")
    blocks = [
        m for m in module.modules() if isinstance(getattr(m, "drop_path", None), (DropPath, nn.Identity))
    ]
    if not blocks:
        raise ValueError(f"{type(module).__name__} has no blocks with a drop_path branch")
    for i, block in enumerate(blocks):
        rate = max_rate * i / (len(blocks) - 1) if len(blocks) > 1 else 0.0
        block.drop_path = DropPath(rate) if rate > 0 else nn.Identity()
    return len(blocks)
