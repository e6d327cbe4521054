"""Video Swin Transformer (Liu et al., "Video Swin Transformer", CVPR 2022).

A 2x4x4 patch embedding (Conv3d + LayerNorm), then four stages of Swin blocks: multi-head
self-attention inside non-overlapping 3D windows (8x7x7 tokens by default) with a learned
relative position bias, every other block on windows shifted by half a window (a cyclic roll plus
a mask that keeps tokens from attending across the seams), and a patch merging layer (2x2
spatial neighbours concatenated, LayerNorm, linear 4C -> 2C) between stages. The last stage is
followed by a LayerNorm (``norm3``); an :class:`~vidcore.recognition.models.heads3d.I3DHead`
classifies the average-pooled features. Swin-T has 28.16M parameters with 400 classes.

Attention runs on ``torch.nn.functional.scaled_dot_product_attention`` with the relative
position bias (plus the shift mask, -100 across seams as in MMAction2) as a float ``attn_mask``.

MMAction2's behaviours kept for parity (``SwinTransformer3D`` in ``mmaction/models/backbones/swin.py``):

- a window dimension larger than the feature map shrinks to the feature map's size and its
  shift becomes 0; the bias of a shrunken window is read from the top-left ``N x N`` corner of the
  full window's relative-position index (MMAction2's ``relative_position_index[:N, :N]``);
- feature maps are zero-padded (after ``norm1``) to a multiple of the window, and the padded
  tokens take part in the attention as keys (they are not masked out);
- the input is zero-padded to a multiple of the patch size.

Submodule names follow MMAction2 (``patch_embed.proj``, ``layers.0.blocks.1.attn.qkv``,
``layers.0.downsample.reduction``, ``norm3`` ...), so its checkpoints load after ``cls_head.`` ->
``head.``; its ``relative_position_index`` buffers are rebuilt, not loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.layers import DropPath, Mlp, MultiheadSelfAttention, trunc_normal_

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .transformer_common import maybe_checkpoint

__all__ = [
    "SWIN_ARCHS",
    "PatchEmbed3D",
    "PatchMerging",
    "SwinBlock3D",
    "SwinStage",
    "SwinTransformer3D",
    "WindowAttention3D",
    "convert_mmaction_swin",
    "relative_position_index_3d",
    "shift_window_mask",
    "swin_backbone",
    "window_partition",
    "window_reverse",
]

Size3 = tuple[int, int, int]

#: (embed_dim, depths, num_heads) of MMAction2's ``arch`` names.
SWIN_ARCHS: dict[str, tuple[int, tuple[int, ...], tuple[int, ...]]] = {
    "tiny": (96, (2, 2, 6, 2), (3, 6, 12, 24)),
    "small": (96, (2, 2, 18, 2), (3, 6, 12, 24)),
    "base": (128, (2, 2, 18, 2), (4, 8, 16, 32)),
    "large": (192, (2, 2, 18, 2), (6, 12, 24, 48)),
}


def window_partition(x: Tensor, window: Size3) -> Tensor:
    """``(B, D, H, W, C)`` (each of D, H, W a multiple of the window) -> ``(B*nW, wd*wh*ww, C)``,
    windows in (d, h, w) raster order per clip."""
    b, d, h, w, c = x.shape
    wd, wh, ww = window
    # (B, D, H, W, C) -> (B, D/wd, wd, H/wh, wh, W/ww, ww, C) -> (B, D/wd, H/wh, W/ww, wd, wh, ww, C)
    x = x.view(b, d // wd, wd, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 5, 2, 4, 6, 7)
    return x.reshape(-1, wd * wh * ww, c)


def window_reverse(windows: Tensor, window: Size3, b: int, d: int, h: int, w: int) -> Tensor:
    """Inverse of :func:`window_partition`: ``(B*nW, wd*wh*ww, C)`` -> ``(B, D, H, W, C)``."""
    wd, wh, ww = window
    # (B*nW, N, C) -> (B, D/wd, H/wh, W/ww, wd, wh, ww, C) -> (B, D/wd, wd, H/wh, wh, W/ww, ww, C)
    x = windows.view(b, d // wd, h // wh, w // ww, wd, wh, ww, -1).permute(0, 1, 4, 2, 5, 3, 6, 7)
    return x.reshape(b, d, h, w, -1)


def relative_position_index_3d(window: Size3) -> Tensor:
    """``(N, N)`` int64 index into the ``(2wd-1)(2wh-1)(2ww-1)``-row bias table for every pair of
    the ``N = wd*wh*ww`` tokens of a window (row = query, column = key)."""
    wd, wh, ww = window
    coords = torch.stack(
        torch.meshgrid(torch.arange(wd), torch.arange(wh), torch.arange(ww), indexing="ij")
    ).flatten(1)  # (3, N)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # (N, N, 3), offsets of query - key
    rel = rel + torch.tensor([wd - 1, wh - 1, ww - 1])  # shift each offset to start at 0
    return rel[..., 0] * (2 * wh - 1) * (2 * ww - 1) + rel[..., 1] * (2 * ww - 1) + rel[..., 2]


def _shift_regions(size: int, window: int, shift: int, device: torch.device | None) -> Tensor:
    """Region of each position along one axis before the cyclic shift: 0 for ``[0, size - window)``,
    1 for ``[size - window, size - shift)``, 2 for the last ``shift``; all 0 without a shift."""
    i = torch.arange(size, device=device)
    if shift == 0:
        return torch.zeros_like(i)
    return (i >= size - window).long() + (i >= size - shift).long()


def shift_window_mask(size: Size3, window: Size3, shift: Size3, device: torch.device | None = None) -> Tensor:
    """The shifted-window attention mask ``(nW, N, N)`` for a padded map of ``size`` (D, H, W):
    0 where query and key come from the same region before the cyclic shift, -100 elsewhere."""
    rd, rh, rw = (_shift_regions(s, w, h, device) for s, w, h in zip(size, window, shift))
    region = rd[:, None, None] * 9 + rh[None, :, None] * 3 + rw[None, None, :]  # (D, H, W) region ids
    labels = window_partition(region[None, :, :, :, None], window).squeeze(-1)  # (nW, N)
    same = labels.unsqueeze(1) == labels.unsqueeze(2)  # (nW, N, N)
    return (same.float() - 1.0) * 100.0


def _fit_window(size: Size3, window: Size3, shift: Size3) -> tuple[Size3, Size3]:
    """MMAction2's ``get_window_size``: a window dimension not smaller than the map shrinks to the
    map, without shift."""
    win = tuple(s if s <= w else w for s, w in zip(size, window))
    sh = tuple(0 if s <= w else h for s, w, h in zip(size, window, shift))
    return win, sh  # type: ignore[return-value]


class WindowAttention3D(MultiheadSelfAttention):
    """Multi-head self-attention inside one window with a learned relative position bias.

    Args:
        dim: token width ``C``.
        window_size: the full window ``(wd, wh, ww)``; the bias table has
            ``(2wd-1)(2wh-1)(2ww-1)`` rows, one column per head.
        num_heads, qkv_bias, qk_scale, attn_drop, proj_drop: as
            :class:`~vidcore.core.layers.MultiheadSelfAttention`.

    Input ``(B*nW, N, C)`` windows of ``N <= wd*wh*ww`` tokens; output the same shape.
    """

    relative_position_index: Tensor

    def __init__(
        self,
        dim: int,
        window_size: Size3,
        num_heads: int,
        *,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__(dim, num_heads, qkv_bias, attn_drop, proj_drop, qk_scale=qk_scale)
        self.window_size = tuple(window_size)
        wd, wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wd - 1) * (2 * wh - 1) * (2 * ww - 1), num_heads)
        )
        # Rebuilt from the window size, never loaded (MMAction2 saves its copy; the converter drops it).
        self.register_buffer(
            "relative_position_index", relative_position_index_3d(self.window_size), persistent=False
        )
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def position_bias(self, n: int) -> Tensor:
        """The ``(heads, N, N)`` bias of a window of ``N`` tokens."""
        index = self.relative_position_index[:n, :n].reshape(-1)
        return self.relative_position_bias_table[index].view(n, n, -1).permute(2, 0, 1)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:  # type: ignore[override]
        """``x`` ``(B*nW, N, C)``; ``mask`` ``(nW, N, N)`` for shifted windows (windows of each clip
        in raster order), or ``None``."""
        bw, n, c = x.shape
        bias = self.position_bias(n).unsqueeze(0)  # (1, heads, N, N)
        if mask is None or mask.shape[0] == bw:  # no shift, or the windows of a single clip
            if mask is not None:
                bias = bias + mask.unsqueeze(1)  # (nW, heads, N, N)
            return super().forward(x, bias)
        nw = mask.shape[0]
        bias = bias + mask.unsqueeze(1)  # (nW, heads, N, N), shared by the clips of the batch
        q, k, v = self._qkv(x)  # (B*nW, heads, N, d) each
        # (B*nW, heads, N, d) -> (B, nW, heads, N, d): the mask broadcasts over the clips
        q, k, v = (t.reshape(bw // nw, nw, self.num_heads, n, self.head_dim) for t in (q, k, v))
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.attn_drop if self.training else 0.0, scale=self.scale
        )
        out = out.reshape(bw, self.num_heads, n, self.head_dim).transpose(1, 2).reshape(bw, n, c)
        return self.proj_drop(self.proj(out))


class SwinBlock3D(nn.Module):
    """``x + DropPath(W-MSA(LN(x)))`` then ``x + DropPath(MLP(LN(x)))`` on ``(B, D, H, W, C)`` maps.

    The window and shift are given per call (the stage fits them to its map); a zero shift means
    plain windows, otherwise the map is rolled by ``-shift`` and ``mask`` separates the regions.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: Size3,
        *,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(
            dim, window_size, num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale, attn_drop=attn_drop, proj_drop=drop
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        self.with_cp = with_cp

    def _attend(self, x: Tensor, window: Size3, shift: Size3, mask: Tensor | None) -> Tensor:
        b, d, h, w, _ = x.shape
        x = self.norm1(x)
        pad_d, pad_h, pad_w = ((win - s % win) % win for s, win in zip((d, h, w), window))
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h, 0, pad_d))  # zeros after the norm, as MMAction2
        dp, hp, wp = d + pad_d, h + pad_h, w + pad_w
        shifted = any(s > 0 for s in shift)
        if shifted:
            x = torch.roll(x, shifts=(-shift[0], -shift[1], -shift[2]), dims=(1, 2, 3))
        windows = self.attn(window_partition(x, window), mask if shifted else None)  # (B*nW, N, C)
        x = window_reverse(windows, window, b, dp, hp, wp)  # (B, Dp, Hp, Wp, C)
        if shifted:
            x = torch.roll(x, shifts=shift, dims=(1, 2, 3))
        if pad_d or pad_h or pad_w:
            x = x[:, :d, :h, :w].contiguous()
        return x

    def _inner(self, x: Tensor, window: Size3, shift: Size3, mask: Tensor | None) -> Tensor:
        x = x + self.drop_path(self._attend(x, window, shift, mask))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def forward(self, x: Tensor, window: Size3, shift: Size3, mask: Tensor | None = None) -> Tensor:
        """``x`` ``(B, D, H, W, C)`` -> same shape."""
        return maybe_checkpoint(self._inner, x, window, shift, mask, enabled=self.with_cp and self.training)


class PatchMerging(nn.Module):
    """Concatenate each 2x2 spatial neighbourhood, LayerNorm(4C), linear 4C -> 2C (no bias).

    ``(B, D, H, W, C)`` -> ``(B, D, ceil(H/2), ceil(W/2), 2C)`` (odd sizes are zero-padded).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.out_dim = 2 * dim

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[2], x.shape[3]
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        # MMAction2's order: (even h, even w), (odd h, even w), (even h, odd w), (odd h, odd w)
        x = torch.cat([x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class SwinStage(nn.Module):
    """``depth`` Swin blocks alternating plain and shifted (by half the window) windows, then an
    optional :class:`PatchMerging`. Input and output ``(B, D, H, W, C)``."""

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: Size3,
        *,
        drop_paths: Sequence[float],
        downsample: bool,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.window_size: Size3 = tuple(window_size)  # type: ignore[assignment]
        self.shift_size: Size3 = tuple(w // 2 for w in window_size)  # type: ignore[assignment]
        self.blocks = nn.ModuleList(
            SwinBlock3D(
                dim, num_heads, self.window_size, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale,
                drop=drop, attn_drop=attn_drop, drop_path=drop_paths[i], with_cp=with_cp,
            )
            for i in range(depth)
        )  # fmt: skip
        self.downsample = PatchMerging(dim) if downsample else None
        self.out_dim = 2 * dim if downsample else dim

    def forward_blocks(self, x: Tensor) -> Tensor:
        """The blocks without the patch merging: ``(B, D, H, W, C)`` -> same shape."""
        size: Size3 = (x.shape[1], x.shape[2], x.shape[3])
        window, shift = _fit_window(size, self.window_size, self.shift_size)
        mask = None
        if any(s > 0 for s in shift):
            padded = tuple((s + w - 1) // w * w for s, w in zip(size, window))  # positive: exports exactly
            mask = shift_window_mask(padded, window, shift, x.device).to(x.dtype)  # type: ignore[arg-type]
        no_shift: Size3 = (0, 0, 0)
        for i, blk in enumerate(self.blocks):
            x = blk(x, window, shift if i % 2 else no_shift, mask)
        return x

    def forward(self, x: Tensor) -> Tensor:
        x = self.forward_blocks(x)
        return self.downsample(x) if self.downsample is not None else x


class PatchEmbed3D(nn.Module):
    """Non-overlapping ``patch_size`` patches -> ``dim`` channels (Conv3d), then LayerNorm.

    ``(B, C, T, H, W)`` (zero-padded at the end to multiples of the patch) ->
    ``(B, dim, T/pt, H/ph, W/pw)``.
    """

    def __init__(self, patch_size: Size3 = (2, 4, 4), in_channels: int = 3, dim: int = 96, *, norm: bool = True) -> None:
        super().__init__()
        self.patch_size: Size3 = tuple(patch_size)  # type: ignore[assignment]
        self.proj = nn.Conv3d(in_channels, dim, self.patch_size, stride=self.patch_size)
        self.norm = nn.LayerNorm(dim) if norm else None

    def forward(self, x: Tensor) -> Tensor:
        t, h, w = x.shape[2:]
        pt, ph, pw = self.patch_size
        pads = ((pw - w % pw) % pw, (ph - h % ph) % ph, (pt - t % pt) % pt)
        if any(pads):
            x = F.pad(x, (0, pads[0], 0, pads[1], 0, pads[2]))
        x = self.proj(x)  # (B, dim, T', H', W')
        if self.norm is not None:
            x = self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)  # LayerNorm over channels
        return x


class SwinTransformer3D(nn.Module):
    """The Video Swin backbone.

    Args:
        embed_dim: channels after the patch embedding (96 for T/S, 128 for B, 192 for L).
        depths: blocks per stage.
        num_heads: heads per stage.
        patch_size: ``(pt, ph, pw)`` of the patch embedding.
        window_size: attention window ``(wd, wh, ww)`` in tokens.
        mlp_ratio: MLP hidden width / token width.
        qkv_bias, qk_scale: of the attention projections.
        drop_rate: dropout after the patch embedding, in the MLPs and after the attention projection.
        attn_drop_rate: dropout on the attention probabilities.
        drop_path_rate: stochastic depth, rising linearly from 0 over all blocks to this value.
        patch_norm: LayerNorm after the patch embedding.
        in_channels: input channels.
        with_cp: activation checkpointing per block while training (:func:`maybe_checkpoint`).

    Input ``(N, C, T, H, W)``; output ``(N, 8*embed_dim, T/2, H/32, W/32)`` (after ``norm3``).
    """

    def __init__(
        self,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        *,
        patch_size: Size3 = (2, 4, 4),
        window_size: Size3 = (8, 7, 7),
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        patch_norm: bool = True,
        in_channels: int = 3,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        if len(depths) != len(num_heads) or not 1 <= len(depths) <= 4:
            raise ValueError(f"need 1-4 stages with a head count each, got depths {depths}, heads {num_heads}")
        self.patch_embed = PatchEmbed3D(patch_size, in_channels, embed_dim, norm=patch_norm)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, sum(depths), device="cpu").tolist()
        self.layers = nn.ModuleList()
        dim = embed_dim
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            stage = SwinStage(
                dim, depth, heads, window_size, drop_paths=rates[:depth], downsample=i < len(depths) - 1,
                mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop_rate,
                attn_drop=attn_drop_rate, with_cp=with_cp,
            )  # fmt: skip
            rates = rates[depth:]
            self.layers.append(stage)
            if i < len(depths) - 1:
                dim = stage.out_dim
        self.feat_dim = dim
        self.last = len(depths) - 1
        # MMAction2 names the final norm after the stage index it follows (norm3 for four stages).
        self.add_module(f"norm{self.last}", nn.LayerNorm(dim))

        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, T, H, W) -> (N, feat_dim, T/2, H/32, W/32)."""
        x = self.pos_drop(self.patch_embed(x))
        x = x.permute(0, 2, 3, 4, 1)  # (N, C, T, H, W) -> (N, T, H, W, C)
        for stage in self.layers[: self.last]:
            x = stage(x)
        x = getattr(self, f"norm{self.last}")(self.layers[self.last].forward_blocks(x))
        return x.permute(0, 4, 1, 2, 3).contiguous()  # (N, T, H, W, C) -> (N, C, T, H, W)


def swin_backbone(arch: str, *, drop_path_rate: float = 0.1, **kwargs: object) -> SwinTransformer3D:
    """Video Swin ``"tiny"``, ``"small"``, ``"base"`` or ``"large"`` (patch 2x4x4, window 8x7x7)."""
    if arch not in SWIN_ARCHS:
        raise ValueError(f"unknown Swin arch {arch!r}; choose from {sorted(SWIN_ARCHS)}")
    dim, depths, heads = SWIN_ARCHS[arch]
    return SwinTransformer3D(dim, depths, heads, drop_path_rate=drop_path_rate, **kwargs)  # type: ignore[arg-type]


def convert_mmaction_swin(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """An MMAction2 Video Swin recognizer state dict -> ours: ``cls_head.`` -> ``head.``, the
    ``relative_position_index`` buffers (rebuilt here from the window size) and
    ``data_preprocessor.`` entries dropped, every other key kept."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor.") or key.endswith(".relative_position_index"):
            continue
        if key.startswith("cls_head."):
            key = "head." + key[len("cls_head.") :]
        out[key] = value
    return out


# -- presets ---------------------------------------------------------------------------------------


def _swin(arch: str, num_classes: int, drop_path_rate: float) -> Recognizer:
    backbone = swin_backbone(arch, drop_path_rate=drop_path_rate)
    return Recognizer(backbone, I3DHead(num_classes, backbone.feat_dim, dropout=0.5), input_layout="NCTHW")


_SWIN = replace(
    K400_3D,
    clip_len=32,
    frame_interval=2,
    test_num_clips=4,
    test_crops=3,
    test_crop_size=224,
    convert_mmaction=convert_mmaction_swin,
)
_CFG = "recognition/swin/swin-{}-p244-w877_{}-pre_{}-amp-32x2x1-30e_{}-rgb.py"


@register_preset(
    replace(
        _SWIN,
        mmaction_config=_CFG.format("tiny", "in1k", "8xb8", "kinetics400"),
        notes="Video Swin-T (ImageNet-1k pre-trained); tested on 4 clips x 3 crops of 224.",
    )
)
def swin_tiny_p244_w877_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Video Swin-T, 32 frames 2 apart: 28.16M parameters with 400 classes."""
    return _swin("tiny", num_classes, 0.1)


@register_preset(
    replace(
        _SWIN,
        mmaction_config=_CFG.format("small", "in1k", "8xb8", "kinetics400"),
        notes="Video Swin-S (ImageNet-1k pre-trained); tested on 4 clips x 3 crops of 224.",
    )
)
def swin_small_p244_w877_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Video Swin-S, 32 frames 2 apart: 49.82M parameters with 400 classes."""
    return _swin("small", num_classes, 0.2)


@register_preset(
    replace(
        _SWIN,
        mmaction_config=_CFG.format("base", "in1k", "8xb8", "kinetics400"),
        notes="Video Swin-B (ImageNet-1k pre-trained); tested on 4 clips x 3 crops of 224.",
    )
)
def swin_base_p244_w877_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Video Swin-B, 32 frames 2 apart: 88.05M parameters with 400 classes."""
    return _swin("base", num_classes, 0.3)


@register_preset(
    replace(
        _SWIN,
        mmaction_config=_CFG.format("large", "in22k", "8xb8", "kinetics400"),
        notes="Video Swin-L (ImageNet-22k pre-trained); tested on 4 clips x 3 crops of 224.",
    )
)
def swin_large_p244_w877_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """Video Swin-L, 32 frames 2 apart: 196.95M parameters with 400 classes."""
    return _swin("large", num_classes, 0.4)


@register_preset(
    replace(
        _SWIN,
        dataset="kinetics700",
        num_classes=700,
        mmaction_config=_CFG.format("large", "in22k", "16xb8", "kinetics700"),
        notes="Video Swin-L (ImageNet-22k pre-trained) on Kinetics-700; 4 clips x 3 crops of 224.",
    )
)
def swin_large_p244_w877_32x2x1_kinetics700(num_classes: int = 700) -> Recognizer:
    """Video Swin-L on Kinetics-700, 32 frames 2 apart: 197.42M parameters with 700 classes."""
    return _swin("large", num_classes, 0.4)


@register_preset(
    replace(
        _SWIN,
        dataset="kinetics710",
        num_classes=710,
        mmaction_config=_CFG.format("small", "in1k", "32xb4", "kinetics710"),
        notes="Video Swin-S on Kinetics-710 (the union of Kinetics-400/600/700, 710 classes); "
        "4 clips x 3 crops of 224.",
    )
)
def swin_small_p244_w877_32x2x1_kinetics710(num_classes: int = 710) -> Recognizer:
    """Video Swin-S on Kinetics-710, 32 frames 2 apart: 50.06M parameters with 710 classes."""
    return _swin("small", num_classes, 0.2)
