"""Preset metadata shared by many skeleton presets: one object per label set and input kind,
varied per preset with :func:`dataclasses.replace` (see :mod:`vidcore.skeleton.registry`).

The values are MMAction2's: the NTU GCN configs sample 100 frames per clip, keep 2 people and test
on 10 clips; 2D NTU poses are COCO-17 HRNet keypoints (x, y, score), 3D ones NTU-25 Kinect joints;
PoseC3D samples 48 frames, draws 56x56 heatmaps with sigma 0.6 and tests on 10 clips with a flipped
copy (FineGYM: 99 classes; Kinetics-400 keypoints: 400).
"""

from __future__ import annotations

from .registry import Preset

__all__ = [
    "FINEGYM_HEATMAP",
    "HMDB51_HEATMAP",
    "K400_HEATMAP",
    "NTU60_XSUB_2D",
    "NTU60_XSUB_3D",
    "NTU60_XSUB_HEATMAP",
    "NTU120_XSUB_2D",
    "NTU120_XSUB_3D",
    "SYNTH_COCO_2D",
    "UCF101_HEATMAP",
]

_GCN_CLS = ("head.fc",)
_C3D_CLS = ("head.fc_cls",)

#: NTU RGB+D 60, cross-subject, 2D HRNet keypoints on the COCO-17 layout.
NTU60_XSUB_2D = Preset(dataset="ntu60_xsub", num_classes=60, graph="coco", pre_normalize="2d", classifier=_GCN_CLS)
#: NTU RGB+D 60, cross-subject, 3D Kinect joints (NTU-25 layout).
NTU60_XSUB_3D = Preset(
    dataset="ntu60_xsub", num_classes=60, graph="nturgb+d", pre_normalize="3d", classifier=_GCN_CLS
)
#: NTU RGB+D 120, cross-subject, 2D.
NTU120_XSUB_2D = Preset(
    dataset="ntu120_xsub", num_classes=120, graph="coco", pre_normalize="2d", classifier=_GCN_CLS
)
#: NTU RGB+D 120, cross-subject, 3D.
NTU120_XSUB_3D = Preset(
    dataset="ntu120_xsub", num_classes=120, graph="nturgb+d", pre_normalize="3d", classifier=_GCN_CLS
)

_HEATMAP = dict(
    input_key="heatmap", graph="coco", pre_normalize=None, in_channels=17, clip_len=48, num_person=1,
    test_num_clips=10, heatmap_size=56, heatmap_sigma=0.6, test_flip=True, classifier=_C3D_CLS,
)  # fmt: skip

#: NTU RGB+D 60 cross-subject, PoseC3D joint heatmaps of COCO-17 keypoints.
NTU60_XSUB_HEATMAP = Preset(dataset="ntu60_xsub", num_classes=60, **_HEATMAP)  # type: ignore[arg-type]
#: FineGYM (99 classes), PoseC3D heatmaps.
FINEGYM_HEATMAP = Preset(dataset="gym", num_classes=99, **_HEATMAP)  # type: ignore[arg-type]
#: Kinetics-400 keypoints, PoseC3D heatmaps.
K400_HEATMAP = Preset(dataset="kinetics400", num_classes=400, **_HEATMAP)  # type: ignore[arg-type]
#: UCF101 split 1, PoseC3D heatmaps.
UCF101_HEATMAP = Preset(dataset="ucf101", num_classes=101, **_HEATMAP)  # type: ignore[arg-type]
#: HMDB51 split 1, PoseC3D heatmaps.
HMDB51_HEATMAP = Preset(dataset="hmdb51", num_classes=51, **_HEATMAP)  # type: ignore[arg-type]

#: vidcore's synthetic skeleton set (``vidcore-data synth --skeleton``): 10 motions, one person,
#: COCO-17 2D keypoints, sequences of 40-72 frames; 20-frame clips keep the demo within minutes.
#: Coordinates are body-centred (``"2d_centered"``): the people stand anywhere in the frame, and on
#: frame coordinates (``"2d"``) ST-GCN from scratch reached 17 % after 2 epochs where centred
#: coordinates reach 78 % (same seed and recipe, 300 training sequences).
SYNTH_COCO_2D = Preset(
    dataset="vidcore_synth_skeleton", num_classes=10, graph="coco", pre_normalize="2d_centered", clip_len=20,
    num_person=1, test_num_clips=5, classifier=_GCN_CLS,
)  # fmt: skip

#: PoseC3D on the synthetic skeleton set: joint heatmaps of 12-frame clips at 32 x 32 pixels (a
#: small budget for CPU training), no flip in training (it would turn walking left into walking
#: right) nor at test time, 2 test clips.
SYNTH_COCO_HEATMAP = Preset(
    dataset="vidcore_synth_skeleton", num_classes=10, input_key="heatmap", graph="coco", pre_normalize=None,
    in_channels=17, clip_len=12, num_person=1, test_num_clips=2, heatmap_size=32, test_heatmap_size=32,
    heatmap_sigma=0.6, test_flip=False, train_flip=False, classifier=_C3D_CLS,
)  # fmt: skip
