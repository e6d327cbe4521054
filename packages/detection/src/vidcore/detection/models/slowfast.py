"""SlowFast Fast R-CNN detectors for AVA (Feichtenhofer et al., ICCV 2019; MMAction2's
``detection/slowfast`` configs).

The backbone is vidcore-recognition's :class:`ResNet3dSlowFast` with both pathways' last stage
unstrided (stride 16). The RoI extractor resizes the slow features (2048 channels) to the fast
pathway's frame count (nearest), pools both over time and concatenates them (2304 channels) before
RoIAlign. Variants: ``context`` (the whole frame's pooled features concatenated to every RoI, 4608
channels), ``temporal_max`` (max instead of mean over time) and focal loss (alpha 3, gamma 1).
"""

from __future__ import annotations

from dataclasses import replace

from vidcore.recognition.models.slowfast import ResNet3dPathway, ResNet3dSlowFast

from ..detector import AVADetector, convert_mmaction_detector
from ..meta import AVA21, AVA22
from ..registry import register_preset
from .roi_head import AVARoIHead, BBoxHeadAVA, PoolMode, RoIExtractor3D

__all__ = ["slowfast_ava_backbone", "slowfast_detector"]


def slowfast_ava_backbone(
    depth: int = 50, *, resample_rate: int = 8, speed_ratio: int = 8, channel_ratio: int = 8, fusion_kernel: int = 5
) -> ResNet3dSlowFast:
    """SlowFast-R50/R101 with stride 16: slow 1x7x7 stem, stages 4-5 inflated; fast 8-channel
    5x7x7 stem; both ``spatial_strides=(1, 2, 2, 1)`` (4x16: tau 8, alpha 8, fusion kernel 5;
    8x8: tau 4, alpha 4, fusion kernel 7)."""
    slow = ResNet3dPathway(
        depth,
        lateral=True,
        speed_ratio=speed_ratio,
        channel_ratio=channel_ratio,
        fusion_kernel=fusion_kernel,
        conv1_kernel=(1, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=(0, 0, 1, 1),
        spatial_strides=(1, 2, 2, 1),
        with_pool2=False,
    )
    fast = ResNet3dPathway(
        depth,
        lateral=False,
        base_channels=64 // channel_ratio,
        conv1_kernel=(5, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        spatial_strides=(1, 2, 2, 1),
        with_pool2=False,
    )
    return ResNet3dSlowFast(slow, fast, resample_rate=resample_rate, speed_ratio=speed_ratio)


def slowfast_detector(
    depth: int = 50,
    num_classes: int = 81,
    *,
    resample_rate: int = 8,
    speed_ratio: int = 8,
    fusion_kernel: int = 5,
    temporal_pool_mode: PoolMode = "avg",
    with_global: bool = False,
    dropout_ratio: float = 0.5,
    focal_alpha: float = 1.0,
    focal_gamma: float = 0.0,
) -> AVADetector:
    """A SlowFast detector (2304 RoI channels, 4608 with ``with_global``)."""
    channels = 2304 * (2 if with_global else 1)
    head = AVARoIHead(
        RoIExtractor3D(8, 16, temporal_pool_mode=temporal_pool_mode, with_global=with_global),
        BBoxHeadAVA(channels, num_classes, dropout_ratio=dropout_ratio, focal_alpha=focal_alpha,
                    focal_gamma=focal_gamma),
    )  # fmt: skip
    backbone = slowfast_ava_backbone(
        depth, resample_rate=resample_rate, speed_ratio=speed_ratio, fusion_kernel=fusion_kernel
    )
    return AVADetector(backbone, head)


# -- presets ---------------------------------------------------------------------------------------

_CFG = "detection/slowfast/"
_SF21 = replace(AVA21, clip_len=32, frame_interval=2, convert_mmaction=convert_mmaction_detector)
_SF22 = replace(AVA22, clip_len=32, frame_interval=2, convert_mmaction=convert_mmaction_detector)


@register_preset(
    replace(
        _SF21,
        mmaction_config=_CFG + "slowfast_kinetics400-pretrained-r50_8xb16-4x16x1-20e_ava21-rgb.py",
        notes="SlowFast-R50 4x16 (32 frames 2 apart; slow 4, fast 32); MMAction2 reports 24.32 frame-mAP.",
    )
)
def slowfast_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 4x16."""
    return slowfast_detector(50, num_classes)


@register_preset(
    replace(
        _SF21,
        mmaction_config=_CFG + "slowfast_kinetics400-pretrained-r50-context_8xb16-4x16x1-20e_ava21-rgb.py",
        notes="SlowFast-R50 4x16 with the whole-frame context feature.",
    )
)
def slowfast_r50_context_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 4x16 + context."""
    return slowfast_detector(50, num_classes, with_global=True)


@register_preset(
    replace(
        _SF21,
        mmaction_config=_CFG + "slowfast_kinetics400-pretrained-r50_8xb8-8x8x1-20e_ava21-rgb.py",
        notes="SlowFast-R50 8x8 (slow 8, fast 32).",
    )
)
def slowfast_r50_8x8x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8."""
    return slowfast_detector(50, num_classes, resample_rate=4, speed_ratio=4, fusion_kernel=7)


@register_preset(
    replace(
        _SF22,
        mmaction_config=_CFG + "slowfast_kinetics400-pretrained-r50_8xb6-8x8x1-cosine-10e_ava22-rgb.py",
        notes="SlowFast-R50 8x8 on AVA v2.2.",
    )
)
def slowfast_r50_8x8x1_ava22(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8, AVA v2.2."""
    return slowfast_detector(50, num_classes, resample_rate=4, speed_ratio=4, fusion_kernel=7)


@register_preset(
    replace(
        _SF22,
        mmaction_config=_CFG + "slowfast_kinetics400-pretrained-r50-temporal-max_8xb6-8x8x1-cosine-10e_ava22-rgb.py",
        notes="SlowFast-R50 8x8, max over time before RoIAlign, AVA v2.2.",
    )
)
def slowfast_r50_temporal_max_8x8x1_ava22(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8 with temporal max pooling."""
    return slowfast_detector(50, num_classes, resample_rate=4, speed_ratio=4, fusion_kernel=7, temporal_pool_mode="max")


@register_preset(
    replace(
        _SF22,
        mmaction_config=_CFG
        + "slowfast_r50-k400-pre-temporal-max-focal-alpha3-gamma1_8xb6-8x8x1-cosine-10e_ava22-rgb.py",
        notes="SlowFast-R50 8x8, temporal max, focal loss (alpha 3, gamma 1), AVA v2.2.",
    )
)
def slowfast_r50_temporal_max_focal_8x8x1_ava22(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8 with temporal max pooling and focal loss."""
    return slowfast_detector(
        50, num_classes, resample_rate=4, speed_ratio=4, fusion_kernel=7, temporal_pool_mode="max",
        focal_alpha=3.0, focal_gamma=1.0,
    )  # fmt: skip


@register_preset(
    replace(
        _SF22,
        notes="SlowFast-R101 8x8: MMAction2 1.2.0 ships no AVA config for it; the same network as "
        "slowfast_r50_8x8x1_ava22 with the R101 pathways (backbone keys as MMAction2's ResNet3dSlowFast).",
    )
)
def slowfast_r101_8x8x1_ava22(num_classes: int = 81) -> AVADetector:
    """SlowFast-R101 8x8 (no stock MMAction2 AVA config)."""
    return slowfast_detector(101, num_classes, resample_rate=4, speed_ratio=4, fusion_kernel=7)
