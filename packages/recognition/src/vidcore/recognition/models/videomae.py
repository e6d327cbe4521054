"""VideoMAE's video ViT (Tong et al., "VideoMAE: Masked Autoencoders are Data-Efficient Learners
for Self-Supervised Video Pre-Training", NeurIPS 2022; Wang et al., "VideoMAE V2: Scaling Video
Masked Autoencoders with Dual Masking", CVPR 2023), as fine-tuned for classification.

A plain ViT over space-time "tubelets": a ``tubelet x patch x patch`` (2x16x16) convolution
cuts the clip into ``T/2 * (H/16) * (W/16)`` tokens (1568 for 16x224x224), a fixed sinusoidal
position table is added, pre-norm blocks (joint space-time attention, biases on queries and
values only, GELU MLP) follow, and the mean of the tokens goes through ``fc_norm`` to the linear
head. VideoMAE V2's distilled ViT-S/B are the same network.

Submodule names follow MMAction2's ``VisionTransformer`` (``mmaction/models/backbones/vit_mae.py``)
except ``patch_embed`` (a bare ``Conv3d``, MMAction2 ``patch_embed.projection``) and the MLP
(``mlp.fc1``/``mlp.fc2``, MMAction2 ``mlp.layers.0.0``/``mlp.layers.1``):
:func:`convert_mmaction_videomae` maps them. Parameter counts with 400 classes (MMAction2's, measured):
ViT-S 22,033,936 (V2 distilled), ViT-B 86,534,800, ViT-L 304,270,736. Masked pre-training of
this ViT: :mod:`vidcore.recognition.pretrain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.layers import TransformerBlock, drop_path_rates, sinusoid_position_table, trunc_normal_

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import convert_mmaction_recognizer
from .transformer_common import maybe_checkpoint

__all__ = [
    "VIDEOMAE_SIZES",
    "VideoViT",
    "convert_mmaction_videomae",
    "interpolate_pos_embed",
    "rename_videomae_key",
    "videomae_recognizer",
    "videomae_vit",
]


def interpolate_pos_embed(table: Tensor, grid: tuple[int, int], size: tuple[int, int]) -> Tensor:
    """Resize a ``(1, T' * gh * gw, C)`` position table to another spatial grid ``size = (h, w)``:
    each of the ``T'`` temporal slices is resized bicubically (``align_corners=False``), as
    MMAction2's VideoMAE does for inputs of another size. Returns ``(1, T' * h * w, C)``."""
    c = table.shape[-1]
    t = table.shape[1] // (grid[0] * grid[1])
    x = table.reshape(t, grid[0], grid[1], c).permute(0, 3, 1, 2)  # (T', gh, gw, C) -> (T', C, gh, gw)
    x = F.interpolate(x, size=size, mode="bicubic", align_corners=False)
    return x.permute(0, 2, 3, 1).reshape(1, t * size[0] * size[1], c)  # (T', C, h, w) -> (1, T'*h*w, C)


class VideoViT(nn.Module):
    """The VideoMAE ViT backbone.

    Args:
        img_size: side of the (square) frames the position table is built for; other sizes are
            accepted and the table is resized (:func:`interpolate_pos_embed`).
        patch_size: spatial side of a patch.
        tubelet_size: frames per token.
        num_frames: frames per clip (fixed: the table has ``num_frames / tubelet_size`` temporal rows).
        in_channels: input channels.
        embed_dim, depth, num_heads, mlp_ratio: width, blocks, heads, MLP expansion.
        qkv_bias: biases on queries and values (``"qv"``, VideoMAE), on all three (True) or none.
        drop_rate, attn_drop_rate, drop_path_rate: dropout after projections / on attention
            probabilities / stochastic depth (rising linearly to ``drop_path_rate``).
        init_values: LayerScale init (0: none, as MMAction2's configs).
        learnable_pos_embed: a learned table (parameter) instead of the fixed sinusoidal one (buffer).
        use_mean_pooling: features = ``fc_norm(mean of tokens)``; otherwise ``norm(tokens)[:, 0]``
            (MMAction2's choice; there is no class token).
        norm_eps: LayerNorm epsilon (1e-6).
        with_cp: activation checkpointing per block while training (:func:`maybe_checkpoint`).

    Input ``(N, C, T, H, W)``; output ``(N, embed_dim)``. :meth:`forward_tokens` gives the tokens.
    """

    pos_embed: Tensor

    def __init__(
        self,
        *,
        img_size: int = 224,
        patch_size: int = 16,
        tubelet_size: int = 2,
        num_frames: int = 16,
        in_channels: int = 3,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        qkv_bias: bool | Literal["qv"] = "qv",
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        init_values: float = 0.0,
        learnable_pos_embed: bool = False,
        use_mean_pooling: bool = True,
        norm_eps: float = 1e-6,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.with_cp = with_cp
        if num_frames % tubelet_size or img_size % patch_size:
            raise ValueError(
                f"num_frames {num_frames} must be a multiple of tubelet_size {tubelet_size} and "
                f"img_size {img_size} of patch_size {patch_size}"
            )
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.num_frames = num_frames
        self.grid_size = (img_size // patch_size, img_size // patch_size)
        self.feat_dim = embed_dim
        num_patches = (num_frames // tubelet_size) * self.grid_size[0] * self.grid_size[1]
        kernel = (tubelet_size, patch_size, patch_size)
        self.patch_embed = nn.Conv3d(in_channels, embed_dim, kernel, stride=kernel)
        if learnable_pos_embed:
            self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, embed_dim))
            trunc_normal_(self.pos_embed, std=0.02)
        else:
            self.register_buffer("pos_embed", sinusoid_position_table(num_patches, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        norm = partial(nn.LayerNorm, eps=norm_eps)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                embed_dim,
                num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop=drop_rate,
                attn_drop=attn_drop_rate,
                drop_path=rate,
                init_values=init_values,
                norm_layer=norm,
            )
            for rate in drop_path_rates(drop_path_rate, depth)
        )
        self.norm = nn.Identity() if use_mean_pooling else norm(embed_dim)
        self.fc_norm = norm(embed_dim) if use_mean_pooling else None
        self.apply(_init_vit)

    def patchify(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        """Tokens with position embeddings ``(N, L, C)`` of a clip ``(N, C, T, H, W)``, and the
        spatial grid ``(h, w)`` of the tokens (``L = T/tubelet * h * w``, ordered t, y, x)."""
        if x.shape[2] != self.num_frames:
            raise ValueError(
                f"this VideoMAE ViT takes clips of {self.num_frames} frames, got {x.shape[2]} "
                f"(input {tuple(x.shape)}, expected (N, C, T, H, W))"
            )
        x = self.patch_embed(x)  # (N, C, T/2, h, w)
        grid = (x.shape[3], x.shape[4])
        x = x.flatten(2).transpose(1, 2)  # (N, C, T/2, h, w) -> (N, L, C)
        pos = self.pos_embed
        if grid != self.grid_size:
            pos = interpolate_pos_embed(pos, self.grid_size, grid)
        return self.pos_drop(x + pos.to(x.dtype)), grid

    def forward_tokens(self, x: Tensor) -> Tensor:
        """Output tokens ``(N, L, C)`` after the blocks (and ``norm`` when not mean-pooling)."""
        x, _ = self.patchify(x)
        cp = self.with_cp and self.training
        for block in self.blocks:
            x = maybe_checkpoint(block, x, enabled=cp)
        return self.norm(x)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, T, H, W)`` -> ``(N, embed_dim)``."""
        x = self.forward_tokens(x)
        if self.fc_norm is not None:
            return self.fc_norm(x.mean(dim=1))
        return x[:, 0]


def _init_vit(m: nn.Module) -> None:
    """MMAction2's VideoMAE initialisation: linear layers truncated-normal (std 0.02) with zero
    biases, LayerNorms at 1/0; the patch convolution keeps PyTorch's default."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


#: (width, depth, heads) of VideoMAE's ViT sizes, as MMAction2's configs.
VIDEOMAE_SIZES: dict[str, tuple[int, int, int]] = {
    "small": (384, 12, 6),
    "base": (768, 12, 12),
    "large": (1024, 24, 16),
}


def videomae_vit(size: str, *, num_frames: int = 16, img_size: int = 224, with_cp: bool = False) -> VideoViT:
    """VideoMAE's ViT-S/B/L (``"small"``: 384 wide, 12 blocks, 6 heads; ``"base"``: 768, 12, 12;
    ``"large"``: 1024, 24, 16), patch 16, tubelet 2, as MMAction2's configs; ``with_cp``:
    activation checkpointing per block while training."""
    if size not in VIDEOMAE_SIZES:
        raise ValueError(f"unknown VideoMAE ViT size {size!r}; expected one of {sorted(VIDEOMAE_SIZES)}")
    width, depth, heads = VIDEOMAE_SIZES[size]
    return VideoViT(
        embed_dim=width, depth=depth, num_heads=heads, num_frames=num_frames, img_size=img_size, with_cp=with_cp
    )


# -- conversion ------------------------------------------------------------------------------------


def convert_mmaction_videomae(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 VideoMAE recognizer state dict -> ours: ``patch_embed.projection.`` ->
    ``patch_embed.``, ``mlp.layers.0.0.`` -> ``mlp.fc1.``, ``mlp.layers.1.`` -> ``mlp.fc2.``,
    ``cls_head.`` -> ``head.``; everything else (``pos_embed``, ``q_bias``/``v_bias``, norms) keeps its name."""
    return {rename_videomae_key(k): v for k, v in convert_mmaction_recognizer(state_dict).items()}


def rename_videomae_key(key: str) -> str:
    """One MMAction2 VisionTransformer key -> ours: ``.patch_embed.projection.`` ->
    ``.patch_embed.``, ``.mlp.layers.0.0.`` -> ``.mlp.fc1.``, ``.mlp.layers.1.`` -> ``.mlp.fc2.``."""
    key = key.replace(".patch_embed.projection.", ".patch_embed.")
    return key.replace(".mlp.layers.0.0.", ".mlp.fc1.").replace(".mlp.layers.1.", ".mlp.fc2.")


# -- presets ---------------------------------------------------------------------------------------


_VIDEOMAE = replace(
    K400_3D,
    clip_len=16,
    frame_interval=4,
    test_num_clips=5,
    test_crops=3,
    test_crop_size=224,
    convert_mmaction=convert_mmaction_videomae,
    notes="MMAction2 ships only the test pipeline (16x4 clips, 5 clips x 3 crops of 224 after a 224 short-side resize).",
)


def videomae_recognizer(size: str, num_classes: int, *, num_frames: int = 16, img_size: int = 224) -> Recognizer:
    """VideoMAE ViT-S/B/L (:func:`videomae_vit`) with MMAction2's head (linear ``fc_cls``, no
    dropout) and ImageNet normalization: what every preset below builds."""
    backbone = videomae_vit(size, num_frames=num_frames, img_size=img_size)
    return Recognizer(backbone, I3DHead(num_classes, backbone.feat_dim, spatial_pool=False, dropout=0.0, init_std=0.02))


@register_preset(
    replace(_VIDEOMAE, mmaction_config="recognition/videomae/vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py")
)
def videomae_vit_base_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE ViT-B/16 fine-tuned on Kinetics-400 (16 frames 4 apart); 86,534,800 parameters."""
    return videomae_recognizer("base", num_classes)


@register_preset(
    replace(_VIDEOMAE, mmaction_config="recognition/videomae/vit-large-p16_videomae-k400-pre_16x4x1_kinetics-400.py")
)
def videomae_vit_large_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE ViT-L/16 fine-tuned on Kinetics-400 (16 frames 4 apart); 304,270,736 parameters."""
    return videomae_recognizer("large", num_classes)


@register_preset(
    replace(
        _VIDEOMAE,
        mmaction_config="recognition/videomaev2/vit-small-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400.py",
    )
)
def videomaev2_vit_small_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE V2 ViT-S/16 distilled from ViT-g (K710), fine-tuned on Kinetics-400; 22,033,936 parameters."""
    return videomae_recognizer("small", num_classes)


@register_preset(
    replace(
        _VIDEOMAE,
        mmaction_config="recognition/videomaev2/vit-base-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400.py",
    )
)
def videomaev2_vit_base_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE V2 ViT-B/16 distilled from ViT-g (K710), fine-tuned on Kinetics-400; 86,534,800 parameters."""
    return videomae_recognizer("base", num_classes)
