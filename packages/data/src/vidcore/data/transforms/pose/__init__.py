"""Skeleton transforms: on ``PoseSample`` (keypoints ``(M, T, V, C)``), to GCN input or PoseC3D heatmaps.

Each transform is a small class with typed constructor arguments, called on a ``PoseSample`` and
returning a new one (the input is never modified). They derive from the one transform base
(``vidcore.data.transforms.base.Transform``, through ``PoseTransform``): random transforms split in
two, ``make_params(sample, rng)`` draws the random choices (a dict) and ``apply(sample, params)``
uses them deterministically, so a seed reproduces a result and a test can fix the parameters;
``__call__(sample, rng=seed_or_generator)`` does both, as the video transforms do, so one
``Compose`` drives a pose pipeline too.

The arithmetic matches MMAction2 1.2.0 (``mmaction/datasets/transforms/pose_transforms.py`` and the
keypoint branches of ``Flip``/``FormatGCNInput``/``FormatShape``); where we differ on purpose it is
written in the class docstring. Typical pipelines::

    # ST-GCN style (NTU 3D joints)
    PreNormalize3D() -> GenSkeFeat("nturgb+d", ("j",)) -> (sampler + PoseDecode) -> FormatGCNInput(2)
    # PoseC3D (COCO 2D keypoints)
    (sampler + PoseDecode) -> PoseCompact(hw_ratio=1.0) -> PoseResize/Crop -> PoseFlip(0.5)
        -> GeneratePoseTarget(sigma=0.6) -> FormatHeatmapShape(num_clips)

Modules, by concern (every name is importable from this package):

- ``base``: ``PoseTransform`` and the output samples ``HeatmapSample``, ``GCNSample``;
- ``decode``: ``decompress_pose``, ``PoseDecode``, ``PadTo``;
- ``normalize``: ``PreNormalize2D``, ``PreNormalize3D``;
- ``geometry``: ``PoseCompact``, ``PoseResize``, ``PoseCenterCrop``, ``PoseRandomResizedCrop``,
  ``PoseFlip``;
- ``heatmaps``: ``generate_heatmaps``, ``GeneratePoseTarget``, ``FormatHeatmapShape``;
- ``gcn``: ``joint_to_bone``, ``to_motion``, ``JointToBone``, ``ToMotion``, ``GenSkeFeat``,
  ``FormatGCNInput``.

Conventions: a joint with coordinates exactly 0 is "missing" (the COCO/NTU pickles store absent
people and joints as zeros); ``PoseCompact``, ``PoseFlip`` and ``PoseResize`` leave such coordinates
at 0 as MMAction2 does.
"""

from __future__ import annotations

from vidcore.data.transforms.pose.base import GCNSample, HeatmapSample, PoseTransform
from vidcore.data.transforms.pose.decode import PadTo, PoseDecode, decompress_pose
from vidcore.data.transforms.pose.gcn import (
    FormatGCNInput,
    GenSkeFeat,
    JointToBone,
    ToMotion,
    joint_to_bone,
    to_motion,
)
from vidcore.data.transforms.pose.geometry import (
    PoseCenterCrop,
    PoseCompact,
    PoseFlip,
    PoseRandomResizedCrop,
    PoseResize,
)
from vidcore.data.transforms.pose.heatmaps import FormatHeatmapShape, GeneratePoseTarget, generate_heatmaps
from vidcore.data.transforms.pose.normalize import PreNormalize2D, PreNormalize3D

__all__ = [
    "FormatGCNInput",
    "FormatHeatmapShape",
    "GCNSample",
    "GenSkeFeat",
    "GeneratePoseTarget",
    "HeatmapSample",
    "JointToBone",
    "PadTo",
    "PoseCenterCrop",
    "PoseCompact",
    "PoseDecode",
    "PoseFlip",
    "PoseRandomResizedCrop",
    "PoseResize",
    "PoseTransform",
    "PreNormalize2D",
    "PreNormalize3D",
    "ToMotion",
    "decompress_pose",
    "generate_heatmaps",
    "joint_to_bone",
    "to_motion",
]
