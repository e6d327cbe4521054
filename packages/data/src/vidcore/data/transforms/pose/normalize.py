"""Skeleton normalisation: 2D pixel coordinates to ``[-1, 1]``, 3D skeletons centred and rotated."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from vidcore.data.transforms.pose.base import Params, PoseTransform, check_keypoint
from vidcore.data.types import PoseSample

__all__ = ["PreNormalize2D", "PreNormalize3D"]


class PreNormalize2D(PoseTransform):
    """Map pixel coordinates to ``[-1, 1]``: ``x' = (x - W/2) / (W/2)``, ``y' = (y - H/2) / (H/2)``.

    Uses the sample's ``img_shape`` (H, W) and falls back to ``img_shape`` given here (MMAction2's
    default 1080 x 1920). Only the first two channels change.
    """

    def __init__(self, img_shape: tuple[int, int] = (1080, 1920)) -> None:
        self.img_shape = img_shape

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = check_keypoint(sample, "PreNormalize2D").copy()
        h, w = sample.img_shape if sample.img_shape is not None else self.img_shape
        kp[..., 0] = (kp[..., 0] - w / 2) / (w / 2)
        kp[..., 1] = (kp[..., 1] - h / 2) / (h / 2)
        return replace(sample, keypoint=kp)


def _rotation_between(v: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rotation by the angle between ``v`` and ``target`` about ``v x target``.

    Applied as ``R @ v`` it turns ``v`` onto the direction of ``target``. Identity for a zero vector,
    a zero angle or a zero axis (v parallel or anti-parallel to target), as in MMAction2.
    """
    v = np.asarray(v, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if np.abs(v).sum() < 1e-6 or np.abs(target).sum() < 1e-6:
        return np.eye(3)
    cos = np.clip(np.dot(v / np.linalg.norm(v), target / np.linalg.norm(target)), -1.0, 1.0)
    theta = math.acos(cos)
    axis = np.cross(v, target)
    if np.abs(axis).sum() < 1e-6 or abs(theta) < 1e-6:
        return np.eye(3)
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    # Rodrigues: R = I + sin(theta) [k]x + (1 - cos(theta)) [k]x^2
    return np.eye(3) + math.sin(theta) * cross + (1.0 - math.cos(theta)) * (cross @ cross)


class PreNormalize3D(PoseTransform):
    """Centre and rotate 3D skeletons (NTU RGB+D, x/y/z in metres), as 2s-AGCN and MMAction2 do.

    1. Keep the frames where the main person is present (the person with more non-empty frames
       becomes person 0; at most 2 people).
    2. ``align_center``: subtract the main person's joint 1 (spine middle; the last joint for
       layouts other than 25 joints) in the first kept frame from every non-missing joint.
    3. ``align_spine``: rotate so that ``zaxis[0] -> zaxis[1]`` (spine base -> spine middle) of the
       first frame points along +z.
    4. ``align_shoulder``: rotate so that ``xaxis[0] -> xaxis[1]`` (right -> left shoulder) points
       along +x... as MMAction2 computes it: the vector from ``xaxis[1]`` to ``xaxis[0]`` is turned
       onto +x.

    The output is float32 (MMAction2 returns float64); ``meta["body_center"]`` holds the centre
    subtracted (``None`` without ``align_center``).
    """

    def __init__(
        self,
        zaxis: tuple[int, int] = (0, 1),
        xaxis: tuple[int, int] = (8, 4),
        align_spine: bool = True,
        align_shoulder: bool = True,
        align_center: bool = True,
    ) -> None:
        self.zaxis = tuple(zaxis)
        self.xaxis = tuple(xaxis)
        self.align_spine = align_spine
        self.align_shoulder = align_shoulder
        self.align_center = align_center

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        skeleton = check_keypoint(sample, "PreNormalize3D", dims=(3,)).astype(np.float64)
        m, _t, v, _ = skeleton.shape
        if skeleton.sum() == 0:
            return replace(sample, keypoint=np.asarray(sample.keypoint).copy())
        if m not in (1, 2):
            raise ValueError(f"PreNormalize3D: expects 1 or 2 people, got M={m}")
        present = ~np.all(np.isclose(skeleton, 0), axis=(2, 3))  # (M, T)
        main = 0
        if m == 2 and present[0].sum() < present[1].sum():
            main = 1
        keep = np.flatnonzero(present[main])
        skeleton = skeleton[:, keep]
        if main == 1:
            skeleton = skeleton[[1, 0]]
        score = sample.keypoint_score
        if score is not None:
            score = np.asarray(score)[:, keep]
            if main == 1:
                score = score[[1, 0]]
        center = None
        if self.align_center:
            center = (skeleton[0, 0, 1] if v == 25 else skeleton[0, 0, -1]).copy()
            mask = (skeleton != 0).sum(-1, keepdims=True) > 0
            skeleton = (skeleton - center) * mask
        if self.align_spine:
            bottom, top = skeleton[0, 0, self.zaxis[0]], skeleton[0, 0, self.zaxis[1]]
            rot = _rotation_between(top - bottom, np.array([0.0, 0.0, 1.0]))
            skeleton = skeleton @ rot.T  # (M, T, V, 3): every point p -> R p
        if self.align_shoulder:
            right, left = skeleton[0, 0, self.xaxis[0]], skeleton[0, 0, self.xaxis[1]]
            rot = _rotation_between(right - left, np.array([1.0, 0.0, 0.0]))
            skeleton = skeleton @ rot.T
        return replace(
            sample,
            keypoint=skeleton.astype(np.float32),
            keypoint_score=score,
            total_frames=skeleton.shape[1],
            meta={**sample.meta, "body_center": center},
        )
