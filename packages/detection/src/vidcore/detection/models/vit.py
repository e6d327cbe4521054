"""VideoMAE ViT Fast R-CNN detectors for AVA-Kinetics (MMAction2's ``detection/videomae`` configs:
ViT-B/L, patch 16, tubelet 2, Kinetics-400 VideoMAE pre-training, 16 frames 4 apart).

The backbone is vidcore-recognition's :class:`~vidcore.recognition.models.videomae.VideoViT`
without mean pooling (MMAction2's ``use_mean_pooling=False, return_feat_map=True``): the tokens go
through the final LayerNorm (``norm``) and are laid back on their grid, so a ``16 x H x W`` clip
gives an ``(N, C, 8, H/16, W/16)`` map (stride 16, the sinusoidal position table resized
bicubically for frames other than 224x224). The RoI head is the SlowOnly one: temporal average,
aligned RoIAlign 8x8, spatial max, dropout 0.5, a linear 81-way classifier on 768 (ViT-B) or
1024 (ViT-L) channels.

MMAction2 mapping: ``backbone.`` keys are the VideoMAE recognizer's backbone keys, so the
recognition family's two renames apply (:func:`convert_mmaction_vit_detector`):
``backbone.patch_embed.projection.`` -> ``backbone.patch_embed.``, ``mlp.layers.0.0.`` ->
``mlp.fc1.``, ``mlp.layers.1.`` -> ``mlp.fc2.``; ``roi_head.bbox_head.`` keys are kept. Parameter
counts (MMAction2's backbone + ``BBoxHeadAVA`` built from the configs, measured): ViT-B
86,289,489, ViT-L 303,943,761.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from torch import Tensor

from vidcore.recognition.models.videomae import VIDEOMAE_SIZES, VideoViT, rename_videomae_key

from ..detector import AVADetector
from ..meta import AVA22
from ..registry import register_preset
from .roi_head import AVARoIHead, BBoxHeadAVA, RoIExtractor3D

__all__ = ["VideoViTFeatureMap", "convert_mmaction_vit_detector", "videomae_detector"]


class VideoViTFeatureMap(VideoViT):
    """The VideoMAE ViT returning its token map: ``(N, C, T, H, W)`` -> ``(N, embed_dim,
    T / tubelet, H / patch, W / patch)`` (MMAction2's ``VisionTransformer(return_feat_map=True)``)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(use_mean_pooling=False, **kwargs)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        n, _, t, h, w = x.shape
        tokens = self.forward_tokens(x)  # (N, L, C), L = t' * h' * w' ordered t, y, x; after ``norm``
        grid = (t // self.tubelet_size, h // self.patch_size, w // self.patch_size)
        return tokens.reshape(n, *grid, -1).permute(0, 4, 1, 2, 3)  # (N, t', h', w', C) -> (N, C, t', h', w')


def videomae_detector(
    size: str = "base",
    num_classes: int = 81,
    *,
    num_frames: int = 16,
    img_size: int = 224,
    drop_path_rate: float = 0.2,
    dropout_ratio: float = 0.5,
) -> AVADetector:
    """A VideoMAE ViT-B/L AVA detector as MMAction2's configs build it (stochastic depth 0.2,
    LayerNorm eps 1e-6, biases on queries and values, fixed sinusoidal positions for 16x224x224)."""
    if size not in VIDEOMAE_SIZES:
        raise ValueError(f"unknown VideoMAE ViT size {size!r}; expected one of {sorted(VIDEOMAE_SIZES)}")
    width, depth, heads = VIDEOMAE_SIZES[size]
    backbone = VideoViTFeatureMap(
        embed_dim=width, depth=depth, num_heads=heads, num_frames=num_frames, img_size=img_size,
        drop_path_rate=drop_path_rate,
    )  # fmt: skip
    head = AVARoIHead(RoIExtractor3D(8, 16), BBoxHeadAVA(width, num_classes, dropout_ratio=dropout_ratio))
    return AVADetector(backbone, head)


def convert_mmaction_vit_detector(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """An MMAction2 VideoMAE ``FastRCNN`` state dict -> ours (see the module docs): the backbone's
    patch projection and MLP renamed, ``data_preprocessor.*`` dropped, the rest kept."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor."):
            continue
        out[rename_videomae_key(key) if key.startswith("backbone.") else key] = value
    return out


# -- presets ---------------------------------------------------------------------------------------

_CFG = "detection/videomae/"
_VIT = replace(AVA22, clip_len=16, frame_interval=4, convert_mmaction=convert_mmaction_vit_detector)


@register_preset(
    replace(
        _VIT,
        mmaction_config=_CFG + "vit-base-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py",
        notes="VideoMAE ViT-B/16 (Kinetics-400 VideoMAE), 16x4, trained on AVA-Kinetics, evaluated on AVA v2.2; "
        "MMAction2 trains it with AdamW 1.25e-4, layer-wise lr decay 0.75, gradient clipping 40.",
    )
)
def videomae_vit_base_p16_16x4x1_ava_kinetics(num_classes: int = 81) -> AVADetector:
    """VideoMAE ViT-B/16, 16 frames 4 apart around the keyframe."""
    return videomae_detector("base", num_classes)


@register_preset(
    replace(
        _VIT,
        mmaction_config=_CFG + "vit-large-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py",
        notes="VideoMAE ViT-L/16 (Kinetics-400 VideoMAE), 16x4, trained on AVA-Kinetics, evaluated on AVA v2.2; "
        "MMAction2 trains it with AdamW 2.5e-4, layer-wise lr decay 0.8, gradient clipping 40.",
    )
)
def videomae_vit_large_p16_16x4x1_ava_kinetics(num_classes: int = 81) -> AVADetector:
    """VideoMAE ViT-L/16, 16 frames 4 apart around the keyframe."""
    return videomae_detector("large", num_classes)
