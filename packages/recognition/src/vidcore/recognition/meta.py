"""Preset metadata shared by many recognition presets: one object per label set and model layout,
varied per preset with :func:`dataclasses.replace` (see :mod:`vidcore.recognition.registry`).

The values are MMAction2's: Kinetics-400 3D models test on 10 clips x 3 crops of 256 pixels;
Something-Something models flip with the label map that swaps the left/right classes.
"""

from __future__ import annotations

from .registry import Preset

__all__ = [
    "K400_2D",
    "K400_3D",
    "STHV1_2D",
    "STHV1_FLIP_PAIRS",
    "STHV2_2D",
    "STHV2_FLIP_PAIRS",
    "UCF101_3D",
]

#: Something-Something V1 classes that swap under a horizontal flip ("... from left to right" ...).
STHV1_FLIP_PAIRS: tuple[tuple[int, int], ...] = ((2, 4), (4, 2), (30, 41), (41, 30), (52, 66), (66, 52))
#: Something-Something V2 classes that swap under a horizontal flip.
STHV2_FLIP_PAIRS: tuple[tuple[int, int], ...] = (
    (86, 87), (87, 86), (93, 94), (94, 93), (166, 167), (167, 166),
)  # fmt: skip

_CLS = ("head.fc_cls",)

#: Kinetics-400, 2D (TSN/TSM family): segments of one frame, 224 crops.
K400_2D = Preset(dataset="kinetics400", num_classes=400, input_layout="NCHW", classifier=_CLS)
#: Kinetics-400, 3D: one clip in training, 10 clips x 3 crops of 256 pixels at test time.
K400_3D = Preset(
    dataset="kinetics400",
    num_classes=400,
    input_layout="NCTHW",
    test_num_clips=10,
    test_crops=3,
    test_crop_size=256,
    classifier=_CLS,
)
#: Something-Something V1, 2D.
STHV1_2D = Preset(
    dataset="sthv1", num_classes=174, input_layout="NCHW", flip_pairs=STHV1_FLIP_PAIRS, classifier=_CLS
)
#: Something-Something V2, 2D.
STHV2_2D = Preset(
    dataset="sthv2", num_classes=174, input_layout="NCHW", flip_pairs=STHV2_FLIP_PAIRS, classifier=_CLS
)
#: UCF101 (split 1), 3D.
UCF101_3D = Preset(dataset="ucf101", num_classes=101, input_layout="NCTHW", classifier=_CLS)
