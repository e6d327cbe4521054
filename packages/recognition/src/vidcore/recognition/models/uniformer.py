"""UniFormer (V1) (Li et al., "UniFormer: Unified Transformer for Efficient Spatiotemporal
Representation Learning", ICLR 2022).

Four stages, each opened by a patch embedding (a 3x4x4 convolution with stride 2x4x4 first, then
1x2x2 convolutions with stride 1x2x2, each followed by a LayerNorm over channels): the first two
stages relate tokens locally (``CBlock``: a depthwise 3x3x3 position convolution, BatchNorm, a
1x1x1 -> depthwise 5x5x5 -> 1x1x1 "affinity" convolution, and a 1x1x1 convolutional MLP), the
last two globally (``SABlock``: the depthwise position convolution, then multi-head
self-attention and an MLP over all space-time tokens, with LayerNorms). A final BatchNorm, then
an :class:`~vidcore.recognition.models.heads3d.I3DHead` without dropout.
UniFormer-S has 21.40M parameters with 400 classes, UniFormer-B 49.81M.

Self-attention runs on ``torch.nn.functional.scaled_dot_product_attention`` (core's
:class:`~vidcore.core.layers.MultiheadSelfAttention`). Submodule names follow MMAction2's
``UniFormer`` (``patch_embed1.proj``, ``blocks1.0.attn``, ``blocks3.0.attn.qkv``, ``norm``), so
its checkpoints load after ``cls_head.`` -> ``head.``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from vidcore.core.layers import DropPath, Mlp, MultiheadSelfAttention, trunc_normal_

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import convert_mmaction_recognizer
from .transformer_common import maybe_checkpoint

__all__ = ["CBlock", "ConvMlp", "SABlock", "UniFormer", "UniFormerPatchEmbed", "uniformer_backbone"]


class ConvMlp(nn.Module):
    """The MLP as 1x1x1 convolutions on ``(N, C, T, H, W)``: ``fc1 -> GELU -> drop -> fc2 -> drop``."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Conv3d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv3d(hidden, dim, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class CBlock(nn.Module):
    """Local relation block on ``(N, C, T, H, W)`` (shape kept):
    ``x + pos(x)``, ``x + DropPath(conv2(attn(conv1(BN(x)))))``, ``x + DropPath(MLP(BN(x)))``,
    where ``pos`` is a depthwise 3x3x3 conv and ``attn`` a depthwise 5x5x5 conv."""

    def __init__(self, dim: int, *, mlp_ratio: float = 4.0, drop: float = 0.0, drop_path: float = 0.0) -> None:
        super().__init__()
        self.pos_embed = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.BatchNorm3d(dim)
        self.conv1 = nn.Conv3d(dim, dim, 1)
        self.conv2 = nn.Conv3d(dim, dim, 1)
        self.attn = nn.Conv3d(dim, dim, 5, padding=2, groups=dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.BatchNorm3d(dim)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pos_embed(x)
        x = x + self.drop_path(self.conv2(self.attn(self.conv1(self.norm1(x)))))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SABlock(nn.Module):
    """Global relation block on ``(N, C, T, H, W)`` (shape kept): ``x + pos(x)``, then a pre-norm
    transformer block (self-attention over the ``T*H*W`` tokens, MLP) on the flattened tokens."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        self.pos_embed = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiheadSelfAttention(dim, num_heads, qkv_bias, attn_drop, drop, qk_scale=qk_scale)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pos_embed(x)
        b, c, t, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)  # (N, C, T, H, W) -> (N, T*H*W, C)
        x = x + self.drop_path(self.attn(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x.transpose(1, 2).reshape(b, c, t, h, w)  # (N, T*H*W, C) -> (N, C, T, H, W)


class UniFormerPatchEmbed(nn.Module):
    """A strided Conv3d (``kernel = stride`` spatially; the first one also 3 frames with temporal
    stride 2 and padding 1), then LayerNorm over channels. ``(N, C, T, H, W)`` -> ``(N, dim, T', H', W')``."""

    def __init__(self, in_channels: int, dim: int, patch: int, *, temporal: bool) -> None:
        super().__init__()
        if temporal:
            self.proj = nn.Conv3d(in_channels, dim, (3, patch, patch), (2, patch, patch), (1, 0, 0))
        else:
            self.proj = nn.Conv3d(in_channels, dim, (1, patch, patch), (1, patch, patch))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3).contiguous()  # LayerNorm over C


class UniFormer(nn.Module):
    """The UniFormer (V1) backbone.

    Args:
        depths: blocks per stage (two local stages, then two global ones).
        embed_dims: widths of the four stages.
        head_dim: attention head width of the global stages (heads = width / head_dim).
        mlp_ratio: MLP hidden width / width.
        qkv_bias, qk_scale: of the attention.
        drop_rate, attn_drop_rate: dropout (MLPs, after the patch embedding; attention probabilities).
        drop_path_rate: stochastic depth, rising linearly from 0 over all blocks.
        in_channels: input channels.
        with_cp: activation checkpointing per block while training (:func:`maybe_checkpoint`).

    Input ``(N, C, T, H, W)``; output ``(N, embed_dims[-1], T/2, H/32, W/32)`` after the final BatchNorm.
    """

    def __init__(
        self,
        depths: Sequence[int] = (5, 8, 20, 7),
        embed_dims: Sequence[int] = (64, 128, 320, 512),
        *,
        head_dim: int = 64,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        in_channels: int = 3,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        if len(depths) != 4 or len(embed_dims) != 4:
            raise ValueError(f"UniFormer has four stages, got depths {depths} and widths {embed_dims}")
        self.with_cp = with_cp
        dims = list(embed_dims)
        self.patch_embed1 = UniFormerPatchEmbed(in_channels, dims[0], 4, temporal=True)
        self.patch_embed2 = UniFormerPatchEmbed(dims[0], dims[1], 2, temporal=False)
        self.patch_embed3 = UniFormerPatchEmbed(dims[1], dims[2], 2, temporal=False)
        self.patch_embed4 = UniFormerPatchEmbed(dims[2], dims[3], 2, temporal=False)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, sum(depths), device="cpu").tolist()
        start = [sum(depths[:i]) for i in range(4)]
        for s in range(2):
            blocks = [
                CBlock(dims[s], mlp_ratio=mlp_ratio, drop=drop_rate, drop_path=rates[start[s] + i])
                for i in range(depths[s])
            ]
            self.add_module(f"blocks{s + 1}", nn.ModuleList(blocks))
        for s in range(2, 4):
            heads = dims[s] // head_dim
            blocks = [
                SABlock(
                    dims[s], heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop_rate,
                    attn_drop=attn_drop_rate, drop_path=rates[start[s] + i],
                )
                for i in range(depths[s])
            ]
            self.add_module(f"blocks{s + 1}", nn.ModuleList(blocks))
        self.norm = nn.BatchNorm3d(dims[-1])
        self.feat_dim = dims[-1]

        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _run(self, block: nn.Module, x: Tensor) -> Tensor:
        return maybe_checkpoint(block, x, enabled=self.with_cp and self.training)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, T, H, W) -> (N, embed_dims[-1], T/2, H/32, W/32)."""
        x = self.pos_drop(self.patch_embed1(x))  # (N, C1, T/2, H/4, W/4)
        for s in range(1, 5):
            if s > 1:
                x = getattr(self, f"patch_embed{s}")(x)  # halves H and W
            for block in getattr(self, f"blocks{s}"):
                x = self._run(block, x)
        return self.norm(x)


def uniformer_backbone(size: str, *, drop_path_rate: float = 0.0, with_cp: bool = False) -> UniFormer:
    """UniFormer ``"small"`` (depths 3, 4, 8, 3) or ``"base"`` (5, 8, 20, 7), widths 64/128/320/512."""
    depths = {"small": (3, 4, 8, 3), "base": (5, 8, 20, 7)}
    if size not in depths:
        raise ValueError(f"unknown UniFormer size {size!r}; choose from {sorted(depths)}")
    return UniFormer(depths[size], (64, 128, 320, 512), head_dim=64, drop_path_rate=drop_path_rate, with_cp=with_cp)


#: MMAction2's UniFormer checkpoints convert as every recognizer's: ``cls_head.`` -> ``head.``.
convert_mmaction_uniformer = convert_mmaction_recognizer


# -- presets ---------------------------------------------------------------------------------------

_MEAN, _STD = (114.75, 114.75, 114.75), (57.375, 57.375, 57.375)


def _uniformer(size: str, num_classes: int, drop_path_rate: float) -> Recognizer:
    backbone = uniformer_backbone(size, drop_path_rate=drop_path_rate)
    head = I3DHead(num_classes, backbone.feat_dim, dropout=0.0)
    return Recognizer(backbone, head, mean=_MEAN, std=_STD, input_layout="NCTHW")


_UNIFORMER = replace(
    K400_3D,
    mean=_MEAN,
    std=_STD,
    frame_interval=4,
    test_num_clips=4,
    test_crops=1,
    test_crop_size=224,
    convert_mmaction=convert_mmaction_uniformer,
)
_NOTE = (
    "UniFormer-{} with weights converted from the official release (MMAction2 ships a test config "
    "only); tested on 4 clips x 1 centre crop (MMAction2 resizes to 224 before that crop)."
)


@register_preset(
    replace(
        _UNIFORMER,
        clip_len=16,
        mmaction_config="recognition/uniformer/uniformer-small_imagenet1k-pre_16x4x1_kinetics400-rgb.py",
        notes=_NOTE.format("S"),
    )
)
def uniformer_small_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormer-S, 16 frames 4 apart: 21.40M parameters with 400 classes."""
    return _uniformer("small", num_classes, 0.1)


@register_preset(
    replace(
        _UNIFORMER,
        clip_len=16,
        mmaction_config="recognition/uniformer/uniformer-base_imagenet1k-pre_16x4x1_kinetics400-rgb.py",
        notes=_NOTE.format("B"),
    )
)
def uniformer_base_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormer-B, 16 frames 4 apart: 49.81M parameters with 400 classes."""
    return _uniformer("base", num_classes, 0.3)


@register_preset(
    replace(
        _UNIFORMER,
        clip_len=32,
        mmaction_config="recognition/uniformer/uniformer-base_imagenet1k-pre_32x4x1_kinetics400-rgb.py",
        notes=_NOTE.format("B"),
    )
)
def uniformer_base_32x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormer-B, 32 frames 4 apart: 49.81M parameters with 400 classes."""
    return _uniformer("base", num_classes, 0.3)
