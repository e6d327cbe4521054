"""SlowOnly Fast R-CNN detectors for AVA (Feichtenhofer et al., ICCV 2019; MMAction2's
``detection/slowonly`` configs).

The backbone is vidcore-recognition's SlowOnly :class:`ResNet3d` (1x7x7 stem, stages 4-5 inflated
3x1x1, no temporal striding) with the last stage unstrided (``spatial_strides=(1, 2, 2, 1)``), so
a 256-pixel clip gives a 16x16 map of 2048 channels (stride 16). The RoI head pools the clip over
time, RoI-aligns 8x8 per person box on that map, max-pools it and classifies 81 outputs.
MMAction2's ``backbone.`` keys are ResNet3dSlowOnly's, which the recognition backbone shares.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from vidcore.recognition.models.resnet3d import NonLocalSpec, ResNet3d

from ..detector import AVADetector, convert_mmaction_detector
from ..meta import AVA21, SYNTH
from ..registry import register_preset
from .roi_head import AVARoIHead, BBoxHeadAVA, PoolMode, RoIExtractor3D

__all__ = ["slowonly_ava_backbone", "slowonly_detector"]

#: MMAction2's SlowOnly-NL settings (embedded Gaussian, scaled, sub-sampled, BN after the output).
SLOWONLY_NL = NonLocalSpec(mode="embedded_gaussian", sub_sample=True, use_scale=True, norm=True)


def slowonly_ava_backbone(
    depth: int = 50,
    *,
    non_local: bool = False,
    base_channels: int = 64,
    spatial_strides: tuple[int, int, int, int] = (1, 2, 2, 1),
    inflate: tuple[int, int, int, int] = (0, 0, 1, 1),
) -> ResNet3d:
    """SlowOnly ResNet (50/101 in MMAction2; 18/34 and a narrower ``base_channels`` for small
    models) with stride 16 (last stage unstrided; ``spatial_strides=(1, 2, 1, 1)`` gives stride 8);
    with ``non_local`` the NL blocks of MMAction2's ``slowonly ... r50-nl`` AVA configs (res3
    blocks 0, 2; res4 0, 2, 4). ``inflate`` marks the stages whose blocks have temporal (3x1x1 /
    3x3x3 basic) convolutions: SlowOnly's are the last two."""
    return ResNet3d(
        depth,
        base_channels=base_channels,
        spatial_strides=spatial_strides,
        conv1_kernel=(1, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=inflate,
        with_pool2=False,
        non_local=(0, (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), 0) if non_local else (0, 0, 0, 0),
        non_local_spec=SLOWONLY_NL if non_local else None,
    )


def slowonly_detector(
    depth: int = 50,
    num_classes: int = 81,
    *,
    non_local: bool = False,
    temporal_pool_mode: PoolMode = "avg",
    with_global: bool = False,
    dropout_ratio: float = 0.5,
    mlp_head: bool = False,
    focal_alpha: float = 1.0,
    focal_gamma: float = 0.0,
    base_channels: int = 64,
    featmap_stride: Literal[8, 16] = 16,
    inflate: tuple[int, int, int, int] = (0, 0, 1, 1),
    background_iou: float | None = None,
) -> AVADetector:
    """A SlowOnly detector (2048 RoI channels for R50/R101, twice that with ``with_global``);
    ``featmap_stride=8`` leaves the third stage unstrided too (small inputs); ``background_iou``: see
    :class:`~vidcore.detection.detector.AVADetector`."""
    strides = (1, 2, 2, 1) if featmap_stride == 16 else (1, 2, 1, 1)
    backbone = slowonly_ava_backbone(
        depth, non_local=non_local, base_channels=base_channels, spatial_strides=strides, inflate=inflate
    )
    channels = backbone.feat_dim * (2 if with_global else 1)
    head = AVARoIHead(
        RoIExtractor3D(8, featmap_stride, temporal_pool_mode=temporal_pool_mode, with_global=with_global),
        BBoxHeadAVA(channels, num_classes, dropout_ratio=dropout_ratio, mlp_head=mlp_head,
                    focal_alpha=focal_alpha, focal_gamma=focal_gamma),
    )  # fmt: skip
    return AVADetector(backbone, head, background_iou=background_iou)


# -- presets ---------------------------------------------------------------------------------------

_CFG = "detection/slowonly/"
_SLOWONLY = replace(AVA21, convert_mmaction=convert_mmaction_detector)


@register_preset(
    replace(
        _SLOWONLY,
        clip_len=4,
        frame_interval=16,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r50_8xb16-4x16x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 4x16; MMAction2 reports 20.72 frame-mAP on AVA v2.1 (K400 pre-training).",
    )
)
def slowonly_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50, 4 frames 16 apart around the keyframe."""
    return slowonly_detector(50, num_classes)


@register_preset(
    replace(
        _SLOWONLY,
        clip_len=4,
        frame_interval=16,
        mmaction_config=_CFG + "slowonly_kinetics700-pretrained-r50_8xb16-4x16x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 4x16 from Kinetics-700 pre-training (same network as the K400 one).",
    )
)
def slowonly_r50_k700_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50 4x16 (Kinetics-700 pre-trained weights)."""
    return slowonly_detector(50, num_classes)


@register_preset(
    replace(
        _SLOWONLY,
        clip_len=4,
        frame_interval=16,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r50-nl_8xb16-4x16x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 with non-local blocks in res3/res4, 4x16.",
    )
)
def slowonly_r50_nl_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50-NL 4x16."""
    return slowonly_detector(50, num_classes, non_local=True)


@register_preset(
    replace(
        _SLOWONLY,
        clip_len=8,
        frame_interval=8,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r50-nl_8xb16-8x8x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 with non-local blocks in res3/res4, 8x8.",
    )
)
def slowonly_r50_nl_8x8x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50-NL 8x8."""
    return slowonly_detector(50, num_classes, non_local=True)


@register_preset(
    replace(
        _SLOWONLY,
        clip_len=8,
        frame_interval=8,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r101_8xb16-8x8x1-20e_ava21-rgb.py",
        notes="SlowOnly-R101 8x8.",
    )
)
def slowonly_r101_8x8x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R101, 8 frames 8 apart around the keyframe."""
    return slowonly_detector(101, num_classes)


@register_preset(
    replace(
        SYNTH,
        convert_mmaction=convert_mmaction_detector,
        notes="A small SlowOnly (ResNet-18 layout, 16 stem channels, 128 RoI channels, temporal convolutions "
        "from res3 on, background RoIs in the loss) for the synthetic detection set "
        "(vidcore.data.synth_detection); trained from scratch by the demo.",
    )
)
def slowonly_r18_synth(num_classes: int = 5) -> AVADetector:
    """SlowOnly-R18 with 16 base channels, stride 16, 8 frames 1 apart (one second at 8 fps), and
    temporal convolutions in res3 too (``inflate=(0, 1, 1, 1)``): on 96-pixel frames res4/res5 see a
    6x6 map, where the synthetic actors' 10-pixel moves are under one cell; res3's 12x12 map (stride 8)
    resolves them, for 3 % more parameters and about the same compute. Sampled RoIs on no actor
    (IoU < 0.5) are trained towards all-zero targets (``background_iou=0.5``): the synthetic
    proposals include boxes on empty background, which the AVA loss alone never sees."""
    return slowonly_detector(
        18, num_classes, base_channels=16, dropout_ratio=0.2, inflate=(0, 1, 1, 1), background_iou=0.5
    )
