"""PoseC3D: a slim SlowOnly 3D ResNet-50 on stacked pseudo-heatmaps of joints or limbs.

Duan et al., "Revisiting Skeleton-based Action Recognition", CVPR 2022. The backbone is
vidcore-recognition's :class:`~vidcore.recognition.models.resnet3d.ResNet3d` configured as MMAction2's
``ResNet3dSlowOnly`` in the PoseC3D configs: 17 input channels (COCO joints, or its 17 limbs),
32 base channels, three stages of (4, 6, 3) bottlenecks starting at res3 (no stem striding or
pooling in space, stages 2-3 inflated, temporal stride 2 in the last stage), then
:class:`~vidcore.recognition.models.heads3d.I3DHead` (512 features, dropout 0.5).

Input ``(B, K, T, H, W)`` float heatmaps in [0, 1] (no normalisation), e.g. ``(B, 17, 48, 56, 56)``;
output logits ``(B, num_classes)``. Keys are MMAction2's (``backbone.conv1.conv``,
``backbone.layer1.0.conv1.conv`` ..., ``cls_head.fc_cls`` -> ``head.fc_cls``).

Published (MMAction2 model zoo, 10 clips x 2 flips, top-1): NTU60 XSub keypoint 93.6, limb 93.5;
FineGYM mean class accuracy keypoint 93.5, limb 93.6; Kinetics-400 47.4; UCF101 86.8 and HMDB51
69.6 (split 1, from Kinetics-400 keypoints). The Kinetics/UCF/HMDB configs use (3, 4, 6) blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from torch import Tensor

from vidcore.recognition.models.heads3d import I3DHead
from vidcore.recognition.models.resnet3d import ResNet3d

from ..meta import (
    FINEGYM_HEATMAP,
    HMDB51_HEATMAP,
    K400_HEATMAP,
    NTU60_XSUB_HEATMAP,
    SYNTH_COCO_HEATMAP,
    UCF101_HEATMAP,
)
from ..recognizer import SkeletonRecognizer
from ..registry import register_preset

__all__ = ["convert_mmaction_posec3d", "posec3d_backbone", "posec3d_slowonly_r50"]


def posec3d_backbone(in_channels: int = 17, stage_blocks: tuple[int, int, int] = (4, 6, 3)) -> ResNet3d:
    """The SlowOnly-R50 of MMAction2's PoseC3D configs (``ResNet3dSlowOnly(depth=50,
    in_channels=17, base_channels=32, num_stages=3, out_indices=(2,), stage_blocks=(4, 6, 3),
    conv1_stride_s=1, pool1_stride_s=1, inflate=(0, 1, 1), spatial_strides=(2, 2, 2),
    temporal_strides=(1, 1, 2))``): ``(B, K, T, H, W) -> (B, 512, T/2, H/8, W/8)``. The Kinetics,
    UCF101 and HMDB51 configs use ``stage_blocks=(3, 4, 6)``."""
    return ResNet3d(
        50,
        in_channels=in_channels,
        base_channels=32,
        num_stages=3,
        stage_blocks=stage_blocks,
        out_indices=(2,),
        conv1_kernel=(1, 7, 7),
        conv1_stride_s=1,
        pool1_stride_s=1,
        inflate=(0, 1, 1),
        spatial_strides=(2, 2, 2),
        temporal_strides=(1, 1, 2),
        dilations=(1, 1, 1),
        with_pool2=False,
    )


def posec3d_slowonly_r50(
    num_classes: int,
    *,
    in_channels: int = 17,
    stage_blocks: tuple[int, int, int] = (4, 6, 3),
    dropout: float = 0.5,
) -> SkeletonRecognizer:
    """PoseC3D recognizer: :func:`posec3d_backbone` + ``I3DHead(512)``, heatmap input."""
    backbone = posec3d_backbone(in_channels, stage_blocks)
    return SkeletonRecognizer(backbone, I3DHead(num_classes, backbone.feat_dim, dropout=dropout), input_key="heatmap")


def convert_mmaction_posec3d(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 ``Recognizer3D`` keys -> ours: ``cls_head.`` becomes ``head.``; ``backbone.`` kept
    (the submodule names are MMAction2's); ``data_preprocessor.`` dropped."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor."):
            continue
        out["head." + key[len("cls_head.") :] if key.startswith("cls_head.") else key] = value
    return out


_CFG = "skeleton/posec3d/"
_NTU = replace(NTU60_XSUB_HEATMAP, convert_mmaction=convert_mmaction_posec3d)
_GYM = replace(FINEGYM_HEATMAP, convert_mmaction=convert_mmaction_posec3d)


@register_preset(
    replace(
        _NTU,
        mmaction_config=_CFG + "slowonly_r50_8xb16-u48-240e_ntu60-xsub-keypoint.py",
        notes="PoseC3D joint heatmaps; MMAction2 reports 93.6 top-1 (NTU60 XSub, 10 clips x 2 flips); 2.03M parameters.",
    )
)
def posec3d_slowonly_r50_ntu60_xsub_keypoint(num_classes: int = 60) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes)


@register_preset(
    replace(
        _NTU,
        with_limb=True,
        mmaction_config=_CFG + "slowonly_r50_8xb16-u48-240e_ntu60-xsub-limb.py",
        notes="PoseC3D limb heatmaps (17 COCO limbs); MMAction2 reports 93.5 top-1 (NTU60 XSub).",
    )
)
def posec3d_slowonly_r50_ntu60_xsub_limb(num_classes: int = 60) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes)


@register_preset(
    replace(
        _GYM,
        mmaction_config=_CFG + "slowonly_r50_8xb16-u48-240e_gym-keypoint.py",
        notes="PoseC3D joint heatmaps on FineGYM (99 classes); MMAction2 reports 93.5 mean class accuracy; 2.05M parameters.",
    )
)
def posec3d_slowonly_r50_gym_keypoint(num_classes: int = 99) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes)


@register_preset(
    replace(
        _GYM,
        with_limb=True,
        mmaction_config=_CFG + "slowonly_r50_8xb16-u48-240e_gym-limb.py",
        notes="PoseC3D limb heatmaps on FineGYM (99 classes); MMAction2 reports 93.6 mean class accuracy.",
    )
)
def posec3d_slowonly_r50_gym_limb(num_classes: int = 99) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes)


@register_preset(
    replace(
        K400_HEATMAP,
        convert_mmaction=convert_mmaction_posec3d,
        mmaction_config=_CFG + "slowonly_r50_8xb32-u48-240e_k400-keypoint.py",
        notes="PoseC3D joint heatmaps on Kinetics-400 keypoints; MMAction2 reports 47.4 top-1.",
    )
)
def posec3d_slowonly_r50_k400_keypoint(num_classes: int = 400) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes, stage_blocks=(3, 4, 6))


@register_preset(
    replace(
        UCF101_HEATMAP,
        convert_mmaction=convert_mmaction_posec3d,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r50_8xb16-u48-120e_ucf101-split1-keypoint.py",
        notes="PoseC3D on UCF101 split 1 keypoints (fine-tuned from Kinetics-400 keypoints); MMAction2 reports 86.8 top-1.",
    )
)
def posec3d_slowonly_r50_ucf101_split1_keypoint(num_classes: int = 101) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes, stage_blocks=(3, 4, 6))


@register_preset(
    replace(
        HMDB51_HEATMAP,
        convert_mmaction=convert_mmaction_posec3d,
        mmaction_config=_CFG + "slowonly_kinetics400-pretrained-r50_8xb16-u48-120e_hmdb51-split1-keypoint.py",
        notes="PoseC3D on HMDB51 split 1 keypoints (fine-tuned from Kinetics-400 keypoints); MMAction2 reports 69.6 top-1.",
    )
)
def posec3d_slowonly_r50_hmdb51_split1_keypoint(num_classes: int = 51) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes, stage_blocks=(3, 4, 6))


@register_preset(
    replace(
        SYNTH_COCO_HEATMAP,
        convert_mmaction=convert_mmaction_posec3d,
        notes="PoseC3D (the NTU60 SlowOnly-R50) on the built-in synthetic skeleton set, 12 frames of "
        "32 x 32 heatmaps; trained by `python -m vidcore.skeleton.demo --model posec3d`.",
    )
)
def posec3d_slowonly_r50_synth_coco_keypoint(num_classes: int = 10) -> SkeletonRecognizer:
    return posec3d_slowonly_r50(num_classes)
