"""Pose decoding: per-box pickles to dense ``(M, T, V, 2)`` arrays, frame selection, padding in time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from vidcore.data.transforms.base import RngLike
from vidcore.data.transforms.pose.base import Params, PoseTransform, check_keypoint
from vidcore.data.types import PoseSample

__all__ = ["PadTo", "PoseDecode", "decompress_pose"]


def decompress_pose(
    keypoint: np.ndarray,
    frame_inds: np.ndarray,
    *,
    total_frames: int,
    squeeze: bool = True,
    max_person: int = 10,
    anno_inds: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-box poses ``(N, V, 3)`` (x, y, score) with their frame of each box to dense arrays.

    MMAction2's ``DecompressPose``: boxes are placed person slot by person slot in the order they
    appear within their frame; the number of people is the most frequent box count per frame (the
    mode of ``frame_inds``); with more than ``max_person`` people, each frame's people are sorted by
    total score and the first ``max_person`` kept. ``squeeze`` drops frames without any box.

    Returns:
        ``(keypoint (M, T, V, 2) float32, keypoint_score (M, T, V) float32, total_frames)``.
    """
    keypoint = np.asarray(keypoint)
    frame_inds = np.asarray(frame_inds).astype(np.int64)
    if anno_inds is not None:
        frame_inds = frame_inds[anno_inds]
        keypoint = keypoint[anno_inds]
    if keypoint.ndim != 3 or keypoint.shape[-1] < 3 or len(keypoint) != len(frame_inds):
        raise ValueError(
            f"decompress_pose: expected keypoint (N, V, 3) with N = len(frame_inds) = {len(frame_inds)}, "
            f"got {keypoint.shape}"
        )
    if len(frame_inds) == 0:
        raise ValueError("decompress_pose: no boxes")
    if np.any(np.diff(frame_inds) < 0):
        raise ValueError("decompress_pose: frame_inds must be non-decreasing")
    if squeeze:
        frame_inds = np.unique(frame_inds, return_inverse=True)[1].reshape(-1)
        total_frames = int(frame_inds.max()) + 1
    elif frame_inds.max() >= total_frames or frame_inds.min() < 0:
        raise ValueError(f"decompress_pose: a frame index is outside [0, {total_frames})")
    counts = np.bincount(frame_inds)
    # MMAction2 takes the count of the most frequent frame index (scipy.stats.mode): the most boxes
    # any frame holds.
    num_person = int(counts.max())
    num_joints = keypoint.shape[1]
    # slot of each box within its frame: rank among the boxes of the same frame
    first = np.searchsorted(frame_inds, frame_inds, side="left")
    slot = np.arange(len(frame_inds)) - first
    kp = np.zeros((num_person, total_frames, num_joints, 2), dtype=np.float16)
    score = np.zeros((num_person, total_frames, num_joints), dtype=np.float16)
    kp[slot, frame_inds] = keypoint[:, :, :2]
    score[slot, frame_inds] = keypoint[:, :, 2]
    if num_person > max_person:
        for t in range(total_frames):
            n = counts[t] if t < len(counts) else 0
            if n == 0:
                continue
            order = sorted(range(n), key=lambda i: -float(score[i, t].astype(np.float32).sum()))
            kp[:n, t] = kp[order, t]
            score[:n, t] = score[order, t]
        num_person = max_person
    return kp[:num_person].astype(np.float32), score[:num_person].astype(np.float32), total_frames


class PoseDecode(PoseTransform):
    """Select frames ``frame_inds`` (0-based, from a sampler such as ``uniform_sample_pose``).

    Called as ``PoseDecode()(sample, frame_inds, offset=0)``; ``params`` of ``apply`` is
    ``{"frame_inds": indices or None, "offset": int}``. ``offset`` is added to every index
    (MMAction2's ``offset`` key). Without indices every frame is kept. Keypoints and scores become
    float32. ``total_frames`` of the output is the number of selected frames.
    """

    def __call__(
        self,
        sample: PoseSample,
        frame_inds: np.ndarray | Sequence[int] | None = None,
        *,
        offset: int = 0,
        rng: RngLike = None,
    ) -> PoseSample:
        self.check_input(sample)
        return self.apply(sample, {"frame_inds": frame_inds, "offset": offset})

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        params = params or {}
        frame_inds, offset = params.get("frame_inds"), int(params.get("offset", 0))
        kp = check_keypoint(sample, "PoseDecode")
        if frame_inds is None:
            inds = np.arange(kp.shape[1])
        else:
            inds = np.asarray(frame_inds).reshape(-1).astype(np.int64)
        inds = inds + offset
        if inds.size and (inds.min() < -kp.shape[1] or inds.max() >= kp.shape[1]):
            raise IndexError(f"PoseDecode: frame index outside [0, {kp.shape[1]}) in {inds.tolist()}")
        score = sample.keypoint_score
        return replace(
            sample,
            keypoint=kp[:, inds].astype(np.float32),
            keypoint_score=None if score is None else np.asarray(score)[:, inds].astype(np.float32),
            total_frames=len(inds),
            meta={**sample.meta, "frame_inds": inds},
        )


class PadTo(PoseTransform):
    """Make the sequence ``length`` frames long by repeating it from the start (``"loop"``) or zeros.

    Differences from MMAction2's ``PadTo``: the scores are padded with the keypoints (MMAction2 pads
    only ``keypoint``), and a sequence longer than ``length`` raises ``ValueError`` (an assert there).
    """

    def __init__(self, length: int, mode: Literal["loop", "zero"] = "loop") -> None:
        if mode not in ("loop", "zero"):
            raise ValueError(f"PadTo: mode must be 'loop' or 'zero', got {mode!r}")
        if length < 1:
            raise ValueError(f"PadTo: length must be >= 1, got {length}")
        self.length = length
        self.mode = mode

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = check_keypoint(sample, "PadTo")
        t = kp.shape[1]
        if t > self.length:
            raise ValueError(f"PadTo: the sequence has {t} frames, more than length={self.length}")
        if t == 0:
            raise ValueError("PadTo: the sequence has no frames")
        inds = np.arange(self.length) % t
        new_kp = kp[:, inds].copy()
        score = None if sample.keypoint_score is None else np.asarray(sample.keypoint_score)[:, inds].copy()
        if self.mode == "zero":
            new_kp[:, t:] = 0
            if score is not None:
                score[:, t:] = 0
        return replace(sample, keypoint=new_kp, keypoint_score=score, total_frames=self.length)
