"""GCN features: bones, motions, multi-stream features and the ``(num_clips, M, T, V, C)`` GCN input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from vidcore.data.skeleton_graphs import SkeletonLayout, get_layout
from vidcore.data.transforms.pose.base import GCNSample, Params, PoseTransform, check_keypoint
from vidcore.data.types import PoseSample

__all__ = ["FormatGCNInput", "GenSkeFeat", "JointToBone", "ToMotion", "joint_to_bone", "to_motion"]


def joint_to_bone(keypoint: np.ndarray, layout: SkeletonLayout | str = "nturgb+d") -> np.ndarray:
    """Bones ``kp[..., v, :] - kp[..., parent(v), :]`` of ``(M, T, V, C)`` keypoints, C in {2, 3}.

    For the 2D layouts (coco, openpose) a third channel is a score and becomes the mean score of the
    two joints; for nturgb+d all three channels are coordinates.
    """
    lay = get_layout(layout)
    kp = np.asarray(keypoint)
    if kp.ndim != 4 or kp.shape[-1] not in (2, 3):
        raise ValueError(f"joint_to_bone: keypoint must be (M, T, V, C in {{2, 3}}), got {kp.shape}")
    if kp.shape[2] != lay.num_joints:
        raise ValueError(
            f"joint_to_bone: layout {lay.name!r} has {lay.num_joints} joints, got V={kp.shape[2]}"
        )
    parents = lay.parents
    bone = (kp - kp[:, :, parents]).astype(np.float32)
    # joints that are not children in bone_pairs stay zero, as in MMAction2
    listed = np.zeros(lay.num_joints, dtype=bool)
    listed[[c for c, _ in lay.bone_pairs]] = True
    bone[:, :, ~listed] = 0
    if kp.shape[-1] == 3 and lay.name in ("coco", "openpose"):
        bone[..., 2] = (kp[..., 2] + kp[:, :, parents, 2]) / 2
        bone[:, :, ~listed, 2] = 0
    return bone


def to_motion(data: np.ndarray, layout: SkeletonLayout | str = "nturgb+d") -> np.ndarray:
    """Temporal differences ``x[t+1] - x[t]`` of ``(M, T, V, C)``; the last frame is zero.

    For the 2D layouts a third (score) channel becomes the mean score of the two frames.
    """
    lay = get_layout(layout)
    x = np.asarray(data)
    if x.ndim != 4 or x.shape[-1] not in (2, 3):
        raise ValueError(f"to_motion: data must be (M, T, V, C in {{2, 3}}), got {x.shape}")
    motion = np.zeros_like(x)
    motion[:, :-1] = np.diff(x, axis=1)
    if x.shape[-1] == 3 and lay.name in ("coco", "openpose"):
        motion[:, :-1, :, 2] = (x[:, :-1, :, 2] + x[:, 1:, :, 2]) / 2
    return motion


class JointToBone(PoseTransform):
    """PoseSample -> PoseSample whose ``keypoint`` holds bones (see ``joint_to_bone``)."""

    def __init__(self, layout: SkeletonLayout | str = "nturgb+d") -> None:
        self.layout = get_layout(layout)

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        return replace(sample, keypoint=joint_to_bone(check_keypoint(sample, "JointToBone"), self.layout))


class ToMotion(PoseTransform):
    """PoseSample -> PoseSample whose ``keypoint`` holds temporal differences (see ``to_motion``)."""

    def __init__(self, layout: SkeletonLayout | str = "nturgb+d") -> None:
        self.layout = get_layout(layout)

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        return replace(sample, keypoint=to_motion(check_keypoint(sample, "ToMotion"), self.layout))


class GenSkeFeat(PoseTransform):
    """Multi-stream GCN features: concatenate joints ``"j"``, bones ``"b"``, joint motion ``"jm"`` and
    bone motion ``"bm"`` in the order of ``feats`` along ``axis`` (MMAction2's ``GenSkeFeat`` with
    ``MergeSkeFeat``).

    For the 2D layouts, the scores are first appended to the coordinates as a third channel (and
    ``keypoint_score`` becomes None), so bones and motions carry mean scores.
    """

    FEATS = ("j", "b", "jm", "bm")

    def __init__(
        self, layout: SkeletonLayout | str = "nturgb+d", feats: Sequence[str] = ("j",), axis: int = -1
    ) -> None:
        unknown = set(feats) - set(self.FEATS)
        if unknown or not feats:
            raise ValueError(f"GenSkeFeat: feats must be a non-empty subset of {self.FEATS}, got {feats}")
        self.layout = get_layout(layout)
        self.feats = tuple(feats)
        self.axis = axis

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = check_keypoint(sample, "GenSkeFeat", dims=(2, 3))
        score = sample.keypoint_score
        if score is not None:
            if self.layout.name == "nturgb+d":
                raise ValueError("GenSkeFeat: nturgb+d skeletons are 3D and carry no keypoint_score")
            if kp.shape[-1] != 2:
                raise ValueError(f"GenSkeFeat: scores go with 2D keypoints, got C={kp.shape[-1]}")
            kp = np.concatenate([kp, np.asarray(score, dtype=kp.dtype)[..., None]], axis=-1)
        streams: dict[str, np.ndarray] = {"j": kp}
        if "b" in self.feats or "bm" in self.feats:
            streams["b"] = joint_to_bone(kp, self.layout)
        if "jm" in self.feats:
            streams["jm"] = to_motion(kp, self.layout)
        if "bm" in self.feats:
            streams["bm"] = to_motion(streams["b"], self.layout)
        merged = np.concatenate([streams[name] for name in self.feats], axis=self.axis)
        return replace(sample, keypoint=merged, keypoint_score=None)


class FormatGCNInput(PoseTransform):
    """PoseSample -> GCNSample ``(num_clips, num_person, T, V, C)`` float32.

    Scores (if any) are appended as the last channel; people beyond ``num_person`` are dropped and
    missing ones are zeros, or copies of the only person with ``mode="loop"``; the T axis is split
    into ``num_clips`` clips (as stacked by a multi-clip sampler).
    """

    def __init__(
        self, num_person: int = 2, mode: Literal["zero", "loop"] = "zero", num_clips: int = 1
    ) -> None:
        if mode not in ("zero", "loop"):
            raise ValueError(f"FormatGCNInput: mode must be 'zero' or 'loop', got {mode!r}")
        self.num_person = num_person
        self.mode = mode
        self.num_clips = num_clips

    def apply(self, sample: PoseSample, params: Params | None = None) -> GCNSample:
        kp = check_keypoint(sample, "FormatGCNInput")
        if sample.keypoint_score is not None:
            kp = np.concatenate([kp, np.asarray(sample.keypoint_score, dtype=kp.dtype)[..., None]], axis=-1)
        m = kp.shape[0]
        if m < self.num_person:
            pad = np.zeros((self.num_person - m, *kp.shape[1:]), dtype=kp.dtype)
            if self.mode == "loop" and m == 1:
                pad[:] = kp[0]
            kp = np.concatenate([kp, pad], axis=0)
        else:
            kp = kp[: self.num_person]
        m, t, v, c = kp.shape
        if t % self.num_clips:
            raise ValueError(f"FormatGCNInput: {t} frames do not split into {self.num_clips} clips")
        # (M, N*T, V, C) -> (M, N, T, V, C) -> (N, M, T, V, C)
        kp = kp.reshape(m, self.num_clips, t // self.num_clips, v, c).transpose(1, 0, 2, 3, 4)
        return GCNSample(
            keypoint=np.ascontiguousarray(kp, dtype=np.float32), label=sample.label, meta=dict(sample.meta)
        )
