"""The non-local block (Wang et al., "Non-local Neural Networks", CVPR 2018), as used by I3D-NL and TSM-NL.

Submodule names, modes, sub-sampling and initialisation follow MMCV's ``NonLocal1d/2d/3d`` so an
MMAction2 checkpoint loads key for key: ``g.conv.*``, ``theta.conv.*``, ``phi.conv.*``,
``conv_out.conv.*``, ``conv_out.bn.*``; with ``sub_sample=True`` the max-pool follows ``g`` and ``phi``
in an ``nn.Sequential``, so their keys become ``g.0.conv.*`` and ``phi.0.conv.*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from .conv import ConvNormAct
from .init import constant_init, normal_init

__all__ = ["NonLocalBlock"]

NonLocalMode = Literal["embedded_gaussian", "dot_product", "gaussian"]

_POOL = {1: lambda: nn.MaxPool1d(2), 2: lambda: nn.MaxPool2d((2, 2)), 3: lambda: nn.MaxPool3d((1, 2, 2))}


class NonLocalBlock(nn.Module):
    """``z = x + W_z( f(θ(x), φ(x)) g(x) )`` over all positions of a 1D/2D/3D feature map.

    Args:
        in_channels: channels ``C`` of the input.
        dims: 1, 2 or 3: the input is ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, T, H, W)``.
        reduction: the embeddings have ``max(C // reduction, 1)`` channels.
        mode: the pairwise function ``f`` over positions ``i, j`` with ``θ_i, φ_j`` the embeddings:
            ``"embedded_gaussian"``: ``softmax_j(θ_iᵀ φ_j / s)`` with ``s = sqrt(C')`` when ``use_scale``
            else 1; ``"dot_product"``: ``θ_iᵀ φ_j / M`` with ``M`` the number of (sub-sampled) positions
            ``j``; ``"gaussian"``: ``softmax_j(x_iᵀ x_j)`` on the raw input (no ``theta``/``phi`` convs).
        sub_sample: max-pool the ``g`` and ``phi`` branches spatially by 2 (kernel 2, (2, 2) or (1, 2, 2)).
        use_scale: divide the embedded-Gaussian logits by ``sqrt(C')`` (MMCV's default True; the
            MMAction2 I3D-NL/TSM-NL configs set False).
        norm: ``"bn"`` puts a batch norm after ``conv_out`` (the I3D-NL/TSM-NL configs do); default
            None as in MMCV.
        zero_init: initialise ``conv_out``'s norm (or its conv, without a norm) to zero so the block
            starts as the identity; otherwise ``N(0, init_std²)``.
        init_std: std of the normal initialisation of the ``g``/``theta``/``phi`` convs.

    Output has the input's shape. The pairwise matrix is ``(N, P, P')`` with ``P`` positions
    (``T*H*W`` for 3D) and ``P'`` the sub-sampled count, so memory grows quadratically with ``P``.
    """

    def __init__(
        self,
        in_channels: int,
        *,
        dims: Literal[1, 2, 3] = 3,
        reduction: int = 2,
        mode: NonLocalMode = "embedded_gaussian",
        sub_sample: bool = False,
        use_scale: bool = True,
        norm: Literal["bn"] | None = None,
        zero_init: bool = True,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        if mode not in ("embedded_gaussian", "dot_product", "gaussian"):
            raise ValueError(
                f"mode must be 'embedded_gaussian', 'dot_product' or 'gaussian', got {mode!r} "
                "(MMCV's 'concatenation' mode is not implemented)"
            )
        if dims not in _POOL:
            raise ValueError(f"dims must be 1, 2 or 3, got {dims!r}")
        self.in_channels = in_channels
        self.inter_channels = max(in_channels // reduction, 1)
        self.mode = mode
        self.dims = dims
        self.sub_sample = sub_sample
        self.use_scale = use_scale
        ci = self.inter_channels

        def proj(cin: int, cout: int) -> ConvNormAct:
            return ConvNormAct(cin, cout, 1, dims=dims, bias=True, norm=None, act=None)

        g: nn.Module = proj(in_channels, ci)
        self.conv_out = ConvNormAct(ci, in_channels, 1, dims=dims, bias="auto", norm=norm, act=None)
        theta: nn.Module | None = None
        phi: nn.Module | None = None
        if mode != "gaussian":
            theta = proj(in_channels, ci)
            phi = proj(in_channels, ci)
        if sub_sample:
            g = nn.Sequential(g, _POOL[dims]())
            phi = nn.Sequential(phi, _POOL[dims]()) if phi is not None else _POOL[dims]()
        self.g = g
        # In gaussian mode ``theta`` does not exist and ``phi`` is the identity or a bare max-pool.
        self.theta = theta
        self.phi = phi if phi is not None else nn.Identity()
        self.init_weights(std=init_std, zero_init=zero_init)

    @staticmethod
    def _conv(m: nn.Module) -> nn.Module:
        block = m[0] if isinstance(m, nn.Sequential) else m
        assert isinstance(block, ConvNormAct)
        return block.conv

    def init_weights(self, std: float = 0.01, zero_init: bool = True) -> None:
        """Normal(0, std²) for the ``g``/``theta``/``phi`` convs (bias 0), ``conv_out`` as ``zero_init`` says."""
        normal_init(self._conv(self.g), std=std)
        if self.theta is not None:
            normal_init(self._conv(self.theta), std=std)
            normal_init(self._conv(self.phi), std=std)
        target = self.conv_out.bn if self.conv_out.bn is not None else self.conv_out.conv
        if zero_init:
            constant_init(target, 0.0)
        else:
            normal_init(target, std=std)

    def pairwise(self, x: torch.Tensor) -> torch.Tensor:
        """The pairwise weights ``f`` ``(N, P, P')`` for input ``x``."""
        n = x.shape[0]
        if self.theta is None:  # gaussian: raw features, (N, C, ...) -> (N, P, C) and (N, C, P')
            theta_x = x.reshape(n, self.in_channels, -1).transpose(1, 2)
            phi_x = self.phi(x).reshape(n, self.in_channels, -1)
        else:
            theta_x = self.theta(x).reshape(n, self.inter_channels, -1).transpose(1, 2)
            phi_x = self.phi(x).reshape(n, self.inter_channels, -1)
        logits = torch.matmul(theta_x, phi_x)  # (N, P, P')
        if self.mode == "dot_product":
            return logits / logits.shape[-1]
        if self.mode == "embedded_gaussian" and self.use_scale:
            logits = logits / theta_x.shape[-1] ** 0.5
        return logits.softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != self.dims + 2:
            raise ValueError(
                f"NonLocalBlock(dims={self.dims}) expects a {self.dims + 2}-D input, got {tuple(x.shape)}"
            )
        n = x.shape[0]
        g_x = self.g(x).reshape(n, self.inter_channels, -1).transpose(1, 2)  # (N, P', C')
        y = torch.matmul(self.pairwise(x), g_x)  # (N, P, C')
        # contiguous: conv_out then runs the same kernel as MMCV (a strided input changes float32 rounding)
        y = y.transpose(1, 2).contiguous().reshape(n, self.inter_channels, *x.shape[2:])  # (N, C', *spatial)
        return x + self.conv_out(y)


@dataclass(frozen=True)
class NonLocalSpec:
    """Settings of the non-local blocks a backbone inserts after chosen residual blocks (one
    object instead of four loose arguments; I3D, SlowOnly and TSM all take it).

    ``mode``: pairwise function ("embedded_gaussian", "dot_product", "gaussian"); ``sub_sample``:
    max-pool 1x2x2 on the key/value paths; ``use_scale``: divide the embedded-gaussian logits by
    sqrt(inter_channels) (MMAction2's I3D-NL and TSM-NL configs use False, its SlowOnly-NL configs
    True); ``norm``: BatchNorm after the output projection (all three); ``reduction``: inner width
    ``channels // reduction``.
    """

    mode: Literal["embedded_gaussian", "dot_product", "gaussian"] = "embedded_gaussian"
    sub_sample: bool = True
    use_scale: bool = False
    norm: bool = True
    reduction: int = 2

    def build(self, channels: int, dims: Literal[1, 2, 3] = 3) -> NonLocalBlock:
        """A :class:`NonLocalBlock` over ``channels`` with these settings."""
        return NonLocalBlock(channels, **self.block_kwargs(), dims=dims)

    def block_kwargs(self) -> dict[str, object]:
        """The :class:`NonLocalBlock` keyword arguments these settings stand for (without ``dims``)."""
        return {
            "reduction": self.reduction,
            "mode": self.mode,
            "sub_sample": self.sub_sample,
            "use_scale": self.use_scale,
            "norm": "bn" if self.norm else None,
        }
