"""Skeleton transforms: on ``PoseSample`` (keypoints ``(M, T, V, C)``), to GCN input or PoseC3D heatmaps.

Each transform is a small class with typed constructor arguments, called on a ``PoseSample`` and
returning a new one (the input is never modified). Random transforms split in two:
``make_params(sample, rng)`` draws the random choices (a dict) and ``apply(sample, params)`` uses
them deterministically, so a seed reproduces a result and a test can fix the parameters;
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

Conventions: a joint with coordinates exactly 0 is "missing" (the COCO/NTU pickles store absent
people and joints as zeros); ``PoseCompact``, ``PoseFlip`` and ``PoseResize`` leave such coordinates
at 0 as MMAction2 does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from vidcore.data.skeleton_graphs import COCO17, SkeletonLayout, get_layout, swap_index
from vidcore.data.types import Label, PoseSample

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


# --------------------------------------------------------------------------------------------------
# Output samples of the formatting transforms
# --------------------------------------------------------------------------------------------------
@dataclass
class HeatmapSample:
    """PoseC3D input: pseudo heatmaps of joints or limbs.

    Attributes:
        heatmap: float32 in ``[0, 1]``; ``layout`` says its shape: ``"TCHW"`` (``(T, K, H, W)``, one
            stack per frame, as ``GeneratePoseTarget`` makes it; with ``double=True`` the flipped copy
            follows along T, ``(2T, K, H, W)``) or ``"NCTHW"`` (``(N, K, T, H, W)``, N views =
            clips x {original, flipped}, after ``FormatHeatmapShape``). K = joints or limbs.
        label, meta: carried over from the ``PoseSample``.
    """

    heatmap: np.ndarray
    label: Label = -1
    layout: Literal["TCHW", "NCTHW"] = "TCHW"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class GCNSample:
    """GCN input: ``keypoint`` float32 ``(num_clips, M, T, V, C)`` with people padded to M."""

    keypoint: np.ndarray
    label: Label = -1
    meta: dict[str, Any] = field(default_factory=dict)


Params = dict[str, Any]


def _as_generator(rng: Any) -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed, a ``torch.Generator`` or None (a seed drawn
    from torch's global generator, which ``torch.manual_seed`` fixes and DataLoader reseeds per
    worker): the same rule as the video transforms, so one ``Compose`` drives both."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    import torch

    if isinstance(rng, torch.Generator):
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=rng)))
    if rng is None:
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,))))
    raise TypeError(f"rng must be a numpy Generator, torch Generator, int or None, got {type(rng).__name__}")


class PoseTransform:
    """Base class: ``make_params(sample, rng) -> dict`` (random transforms only), then
    ``apply(sample, params) -> sample``; ``__call__(sample, rng=...)`` does both, so these classes
    compose with the video transforms' ``Compose``."""

    random: bool = False

    def make_params(self, sample: PoseSample, rng: np.random.Generator) -> Params:
        """Draw this call's random parameters (none for deterministic transforms)."""
        return {}

    def apply(self, sample: PoseSample, params: Params | None = None) -> Any:
        raise NotImplementedError

    def __call__(self, sample: PoseSample, *, rng: Any = None) -> Any:
        if not isinstance(sample, PoseSample):
            raise TypeError(f"{type(self).__name__}: expected a PoseSample, got {type(sample).__name__}")
        params = self.make_params(sample, _as_generator(rng)) if self.random else {}
        return self.apply(sample, params)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _check_keypoint(sample: PoseSample, name: str, dims: Sequence[int] | None = None) -> np.ndarray:
    kp = np.asarray(sample.keypoint)
    if kp.ndim != 4:
        raise ValueError(f"{name}: keypoint must be (M, T, V, C), got shape {kp.shape}")
    if dims is not None and kp.shape[-1] not in dims:
        raise ValueError(f"{name}: keypoint must have C in {tuple(dims)}, got shape {kp.shape}")
    if sample.keypoint_score is not None and np.shape(sample.keypoint_score) != kp.shape[:3]:
        raise ValueError(
            f"{name}: keypoint_score shape {np.shape(sample.keypoint_score)} does not match "
            f"keypoint (M, T, V) = {kp.shape[:3]}"
        )
    return kp


def _img_shape(sample: PoseSample, name: str) -> tuple[int, int]:
    if sample.img_shape is None:
        raise ValueError(f"{name}: the sample has no img_shape (H, W)")
    h, w = sample.img_shape
    return int(h), int(w)


# --------------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------------
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


class PoseDecode:
    """Select frames ``frame_inds`` (0-based, from a sampler such as ``uniform_sample_pose``).

    ``offset`` is added to every index (MMAction2's ``offset`` key). Keypoints and scores become
    float32. ``total_frames`` of the output is the number of selected frames.
    """

    def __call__(
        self,
        sample: PoseSample,
        frame_inds: np.ndarray | Sequence[int] | None = None,
        *,
        offset: int = 0,
        rng: Any = None,
    ) -> PoseSample:
        kp = _check_keypoint(sample, "PoseDecode")
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
        kp = _check_keypoint(sample, "PadTo")
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


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------
class PreNormalize2D(PoseTransform):
    """Map pixel coordinates to ``[-1, 1]``: ``x' = (x - W/2) / (W/2)``, ``y' = (y - H/2) / (H/2)``.

    Uses the sample's ``img_shape`` (H, W) and falls back to ``img_shape`` given here (MMAction2's
    default 1080 x 1920). Only the first two channels change.
    """

    def __init__(self, img_shape: tuple[int, int] = (1080, 1920)) -> None:
        self.img_shape = img_shape

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = _check_keypoint(sample, "PreNormalize2D").copy()
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
        skeleton = _check_keypoint(sample, "PreNormalize3D", dims=(3,)).astype(np.float64)
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


# --------------------------------------------------------------------------------------------------
# Geometry on 2D keypoints
# --------------------------------------------------------------------------------------------------
def _combine_quadruple(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    """Crop ``b`` (x, y, w, h in [0, 1] of crop ``a``) expressed in the original frame."""
    return a[0] + a[2] * b[0], a[1] + a[3] * b[1], a[2] * b[2], a[3] * b[3]


class PoseCompact(PoseTransform):
    """Crop the coordinate frame to the box around every non-zero joint of the whole clip, padded.

    The tight box (over all people and frames) is grown about its centre by ``1 + padding``; with
    ``hw_ratio`` (a number r or a range (r_min, r_max)) its height is raised to at least
    ``r_min * width`` and then its width to at least ``height / r_max``; with
    ``allow_imgpad=False`` the box is clipped to the image. Box corners are truncated to integers
    (``int()``, towards zero). When the tight box is smaller than ``threshold`` pixels in width or
    height nothing changes. NaN coordinates become 0 (missing). ``img_shape`` becomes the box size
    and ``meta["crop_quadruple"]`` (x, y, w, h as fractions of the original frame) records it.
    """

    def __init__(
        self,
        padding: float = 0.25,
        threshold: int = 10,
        hw_ratio: float | tuple[float, float] | None = None,
        allow_imgpad: bool = True,
    ) -> None:
        if padding < 0:
            raise ValueError(f"PoseCompact: padding must be >= 0, got {padding}")
        self.padding = padding
        self.threshold = threshold
        if hw_ratio is not None and not isinstance(hw_ratio, tuple | list):
            hw_ratio = (hw_ratio, hw_ratio)
        self.hw_ratio = None if hw_ratio is None else (float(hw_ratio[0]), float(hw_ratio[1]))
        self.allow_imgpad = allow_imgpad

    def box(self, keypoint: np.ndarray, img_shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
        """The integer crop box ``(x0, y0, x1, y1)`` for ``keypoint``, or None when it is too small."""
        h, w = img_shape
        kp_x, kp_y = keypoint[..., 0], keypoint[..., 1]
        xs, ys = kp_x[kp_x != 0], kp_y[kp_y != 0]
        min_x = float(xs.min()) if xs.size else math.inf
        max_x = float(xs.max()) if xs.size else -math.inf
        min_y = float(ys.min()) if ys.size else math.inf
        max_y = float(ys.max()) if ys.size else -math.inf
        if max_x - min_x < self.threshold or max_y - min_y < self.threshold:
            return None
        cx, cy = (max_x + min_x) / 2, (max_y + min_y) / 2
        half_w = (max_x - min_x) / 2 * (1 + self.padding)
        half_h = (max_y - min_y) / 2 * (1 + self.padding)
        if self.hw_ratio is not None:
            half_h = max(self.hw_ratio[0] * half_w, half_h)
            half_w = max(1 / self.hw_ratio[1] * half_h, half_w)
        x0, x1, y0, y1 = cx - half_w, cx + half_w, cy - half_h, cy + half_h
        if not self.allow_imgpad:
            return int(max(0, x0)), int(max(0, y0)), int(min(w, x1)), int(min(h, y1))
        return int(x0), int(y0), int(x1), int(y1)

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = _check_keypoint(sample, "PoseCompact").copy()
        h, w = _img_shape(sample, "PoseCompact")
        kp[np.isnan(kp)] = 0
        box = self.box(kp, (h, w))
        if box is None:
            return replace(sample, keypoint=kp)
        x0, y0, x1, y1 = box
        kp_x, kp_y = kp[..., 0], kp[..., 1]  # views into kp
        kp_x[kp_x != 0] -= x0
        kp_y[kp_y != 0] -= y0
        quad = sample.meta.get("crop_quadruple", (0.0, 0.0, 1.0, 1.0))
        quad = _combine_quadruple(quad, (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
        return replace(
            sample, keypoint=kp, img_shape=(y1 - y0, x1 - x0), meta={**sample.meta, "crop_quadruple": quad}
        )


class PoseResize(PoseTransform):
    """Rescale the coordinate frame to ``size`` = (H, W), or its short side to ``short_side``.

    Keypoints are multiplied by ``(new_w / w, new_h / h)`` (MMAction2's ``Resize`` on keypoints;
    exactly one of ``size`` and ``short_side`` is given). With ``short_side``, the long side is
    ``int(long * short_side / short + 0.5)`` as in mmcv's ``rescale_size``.
    """

    def __init__(self, size: tuple[int, int] | None = None, *, short_side: int | None = None) -> None:
        if (size is None) == (short_side is None):
            raise ValueError("PoseResize: give exactly one of size=(H, W) and short_side")
        self.size = size
        self.short_side = short_side

    def output_shape(self, img_shape: tuple[int, int]) -> tuple[int, int]:
        if self.size is not None:
            return int(self.size[0]), int(self.size[1])
        h, w = img_shape
        scale = self.short_side / min(h, w)
        return int(h * scale + 0.5), int(w * scale + 0.5)

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = _check_keypoint(sample, "PoseResize").copy()
        h, w = _img_shape(sample, "PoseResize")
        nh, nw = self.output_shape((h, w))
        kp[..., 0] *= nw / w
        kp[..., 1] *= nh / h
        return replace(sample, keypoint=kp.astype(np.float32, copy=False), img_shape=(nh, nw))


def _crop(sample: PoseSample, box: tuple[int, int, int, int]) -> PoseSample:
    """Shift keypoints into the crop ``(x0, y0, x1, y1)`` and record it (MMAction2 shifts every joint)."""
    x0, y0, x1, y1 = box
    kp = np.asarray(sample.keypoint).copy()
    kp[..., 0] -= x0
    kp[..., 1] -= y0
    h, w = _img_shape(sample, "crop")
    quad = sample.meta.get("crop_quadruple", (0.0, 0.0, 1.0, 1.0))
    quad = _combine_quadruple(quad, (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
    return replace(
        sample, keypoint=kp, img_shape=(y1 - y0, x1 - x0), meta={**sample.meta, "crop_quadruple": quad}
    )


class PoseCenterCrop(PoseTransform):
    """Crop the coordinate frame to ``size`` = (H, W) about its centre (offsets ``(W - w) // 2``)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        _check_keypoint(sample, "PoseCenterCrop")
        h, w = _img_shape(sample, "PoseCenterCrop")
        ch, cw = self.size
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return _crop(sample, (x0, y0, x0 + cw, y0 + ch))


class PoseRandomResizedCrop(PoseTransform):
    """Random crop of a random area fraction and aspect ratio (MMAction2's ``RandomResizedCrop``).

    ``get_params`` tries up to 10 (area, log-uniform ratio) draws and falls back to a centre crop of
    the largest square-ish box, as MMAction2 does; follow with ``PoseResize(size)``.
    """

    def __init__(
        self,
        area_range: tuple[float, float] = (0.08, 1.0),
        aspect_ratio_range: tuple[float, float] = (3 / 4, 4 / 3),
    ) -> None:
        self.area_range = area_range
        self.aspect_ratio_range = aspect_ratio_range

    random = True

    def make_params(self, sample: PoseSample, rng: np.random.Generator) -> Params:
        """``{"box": (x0, y0, x1, y1)}`` in pixels of ``img_shape``."""
        return {"box": self._box(sample, rng)}

    def _box(self, sample: PoseSample, rng: np.random.Generator) -> tuple[int, int, int, int]:
        h, w = _img_shape(sample, "PoseRandomResizedCrop")
        area = h * w
        lo, hi = np.log(self.aspect_ratio_range[0]), np.log(self.aspect_ratio_range[1])
        for _ in range(10):
            ratio = float(np.exp(rng.uniform(lo, hi)))
            target = float(rng.uniform(*self.area_range)) * area
            cw = round(math.sqrt(target * ratio))
            ch = round(math.sqrt(target / ratio))
            if 0 < cw <= w and 0 < ch <= h:
                x0 = int(rng.integers(0, w - cw + 1))
                y0 = int(rng.integers(0, h - ch + 1))
                return x0, y0, x0 + cw, y0 + ch
        cw = ch = min(h, w)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return x0, y0, x0 + cw, y0 + ch

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        if not params or "box" not in params:
            raise ValueError("PoseRandomResizedCrop.apply needs params={'box': (x0, y0, x1, y1)}")
        _check_keypoint(sample, "PoseRandomResizedCrop")
        return _crop(sample, tuple(params["box"]))


class PoseFlip(PoseTransform):
    """Horizontal flip with probability ``flip_ratio``: ``x -> W - x`` for non-zero x, left/right swapped.

    ``left``/``right`` are the joint pairs to exchange (default COCO-17); pass a ``SkeletonLayout``
    as ``layout`` to take them from it. Applying the flip twice gives back the input for every x < W.
    """

    def __init__(
        self,
        flip_ratio: float = 0.5,
        *,
        layout: SkeletonLayout | str | None = None,
        left: Sequence[int] | None = None,
        right: Sequence[int] | None = None,
    ) -> None:
        if not 0.0 <= flip_ratio <= 1.0:
            raise ValueError(f"PoseFlip: flip_ratio must be in [0, 1], got {flip_ratio}")
        self.flip_ratio = flip_ratio
        if layout is not None:
            lay = get_layout(layout)
            left, right = lay.left_joints, lay.right_joints
        elif left is None and right is None:
            left, right = COCO17.left_joints, COCO17.right_joints
        if left is None or right is None or len(left) != len(right):
            raise ValueError("PoseFlip: left and right must be given together with equal lengths")
        self.left = tuple(int(i) for i in left)
        self.right = tuple(int(i) for i in right)

    random = True

    def make_params(self, sample: PoseSample, rng: np.random.Generator) -> Params:
        """``{"flip": bool}``."""
        return {"flip": bool(rng.random() < self.flip_ratio)}

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = _check_keypoint(sample, "PoseFlip")
        if params is None or "flip" not in params:
            raise ValueError("PoseFlip.apply needs params={'flip': bool}")
        if not params["flip"]:
            return replace(sample, meta={**sample.meta, "flip": False})
        _, w = _img_shape(sample, "PoseFlip")
        order = swap_index(kp.shape[2], self.left, self.right)
        kp = kp[:, :, order].copy()
        x = kp[..., 0]
        x[x != 0] = w - x[x != 0]
        score = sample.keypoint_score
        score = None if score is None else np.asarray(score)[:, :, order].copy()
        return replace(sample, keypoint=kp, keypoint_score=score, meta={**sample.meta, "flip": True})


# --------------------------------------------------------------------------------------------------
# PoseC3D heatmaps
# --------------------------------------------------------------------------------------------------
def _window(lo: np.ndarray, hi: np.ndarray, sigma: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """MMAction2's drawing window ``[max(int(lo - 3s), 0), min(int(hi + 3s) + 1, size))`` as two arrays."""
    start = np.maximum(np.trunc(lo.astype(np.float64) - 3 * sigma), 0)  # float64, as MMAction2's
    stop = np.minimum(np.trunc(hi.astype(np.float64) + 3 * sigma) + 1, size)  # scalar arithmetic
    return start, stop


def _draw_joints(out: np.ndarray, kps: np.ndarray, values: np.ndarray, sigma: float, eps: float) -> None:
    """Max-accumulate joint Gaussians into ``out`` (T, K, H, W); ``kps`` (M, T, K, 2), ``values`` (M, T, K).

    Each Gaussian is drawn only on its window, at most ``int(6 sigma) + 2`` pixels wide, so the work
    is a small (T, K, P, P) patch per person scattered into ``out``. The per-pixel arithmetic is
    MMAction2's, in the same order and precision, so the maps agree bit for bit.
    """
    _, h, w = out.shape[1:]
    offsets = np.arange(int(6 * sigma) + 2, dtype=np.float32)
    for person in range(kps.shape[0]):
        mu_x = kps[person, ..., 0]  # (T, K) float32
        mu_y = kps[person, ..., 1]
        value = values[person]
        x0, x1 = _window(mu_x, mu_x, sigma, w)
        y0, y1 = _window(mu_y, mu_y, sigma, h)
        xs = x0.astype(np.float32)[..., None] + offsets  # (T, K, P) pixel columns of the patch
        ys = y0.astype(np.float32)[..., None] + offsets
        inside = (
            (value >= eps)[..., None, None]
            & (ys < y1[..., None])[..., :, None]
            & (xs < x1[..., None])[..., None, :]
        )  # (T, K, P, P)
        tt, kk, iy, ix = np.nonzero(inside)
        if tt.size == 0:
            continue
        px, py = xs[tt, kk, ix], ys[tt, kk, iy]
        cx, cy = mu_x[tt, kk], mu_y[tt, kk]
        patch = np.exp(-((px - cx) ** 2 + (py - cy) ** 2) / 2 / sigma**2).astype(np.float32)
        patch = patch * value[tt, kk]
        yi, xi = py.astype(np.int64), px.astype(np.int64)
        out[tt, kk, yi, xi] = np.maximum(out[tt, kk, yi, xi], patch)


def _draw_limbs(
    out: np.ndarray,
    kps: np.ndarray,
    values: np.ndarray,
    limbs: np.ndarray,
    sigma: float,
    eps: float,
    block: int = 1 << 16,
) -> None:
    """Max-accumulate limb maps into ``out`` (T, L, H, W): a Gaussian of the squared distance to the
    segment between the two joints, valued by the smaller of their scores.

    Each limb is drawn on its window only (the segment's box grown by 3 sigma, truncated as
    MMAction2 does): windows are sorted by size and computed in blocks of about ``block`` pixels on
    a grid as large as the block's largest window, then scattered into ``out``. The per-pixel
    arithmetic is MMAction2's (float32 distances, float64 exponential), so the maps agree bit for
    bit. A limb shorter than one pixel is drawn as the start joint's Gaussian with the start
    joint's score, as MMAction2 does.
    """
    _, _, h, w = out.shape
    for person in range(kps.shape[0]):
        a = kps[person][:, limbs[:, 0]]  # (T, L, 2)
        b = kps[person][:, limbs[:, 1]]
        va = values[person][:, limbs[:, 0]]  # (T, L)
        vb = values[person][:, limbs[:, 1]]
        coeff_v = np.minimum(va, vb)
        # squared length: float32 differences squared and summed in float64 (what MMAction2's scalar
        # arithmetic does under numpy 1.x), then used as float32 in the per-pixel arithmetic.
        diff = (a - b).astype(np.float64)
        d2_ab64 = diff[..., 0] ** 2 + diff[..., 1] ** 2  # (T, L)
        drawn = coeff_v >= eps
        short = drawn & (d2_ab64 < 1)
        if short.any():
            _draw_joints(out, a[None], np.where(short, va, 0)[None], sigma, eps)
        x0, x1 = _window(np.minimum(a[..., 0], b[..., 0]), np.maximum(a[..., 0], b[..., 0]), sigma, w)
        y0, y1 = _window(np.minimum(a[..., 1], b[..., 1]), np.maximum(a[..., 1], b[..., 1]), sigma, h)
        tt, ll = np.nonzero(drawn & ~short & (x1 > x0) & (y1 > y0))  # limbs with a non-empty window
        if tt.size == 0:
            continue
        pw = (x1 - x0)[tt, ll].astype(np.int64)
        ph = (y1 - y0)[tt, ll].astype(np.int64)
        order = np.argsort(pw * ph, kind="stable")
        start = 0
        while start < order.size:
            # the block: the next windows in size order while the padded grid stays under `block`
            n = max(1, block // int(pw[order[start]] * ph[order[start]]))
            sel = order[start : start + n]
            while sel.size > 1 and sel.size * int(pw[sel].max() * ph[sel].max()) > block:
                sel = sel[: max(1, sel.size // 2)]
            start += sel.size
            t_i, l_i = tt[sel], ll[sel]
            gw, gh = int(pw[sel].max()), int(ph[sel].max())
            gx = x0[t_i, l_i].astype(np.float32)[:, None, None] + np.arange(gw, dtype=np.float32)  # (n, 1, gw)
            gy = y0[t_i, l_i].astype(np.float32)[:, None, None] + np.arange(gh, dtype=np.float32)[:, None]
            ax, ay = a[t_i, l_i, 0, None, None], a[t_i, l_i, 1, None, None]  # (n, 1, 1)
            bx, by = b[t_i, l_i, 0, None, None], b[t_i, l_i, 1, None, None]
            ab = d2_ab64[t_i, l_i].astype(np.float32)[:, None, None]
            d2_a = (gx - ax) ** 2 + (gy - ay) ** 2  # (n, gh, gw) float32
            d2_b = (gx - bx) ** 2 + (gy - by) ** 2
            coeff = (d2_a - d2_b + ab) / 2.0 / ab
            d2_line = (gx - (ax + coeff * (bx - ax))) ** 2 + (gy - (ay + coeff * (by - ay))) ** 2
            d2 = np.where(coeff <= 0, d2_a, np.where(coeff >= 1, d2_b, d2_line)).astype(np.float64)
            inside = (gy < y1[t_i, l_i, None, None]) & (gx < x1[t_i, l_i, None, None])  # (n, gh, gw)
            k, iy, ix = np.nonzero(inside)
            patch = np.exp(-d2[k, iy, ix] / 2.0 / sigma**2) * coeff_v[t_i[k], l_i[k]].astype(np.float64)
            ti, li = t_i[k], l_i[k]
            yi = gy[k, iy, 0].astype(np.int64)
            xi = gx[k, 0, ix].astype(np.int64)
            out[ti, li, yi, xi] = np.maximum(out[ti, li, yi, xi], patch.astype(np.float32))


def generate_heatmaps(
    keypoint: np.ndarray,
    keypoint_score: np.ndarray | None,
    img_shape: tuple[int, int],
    *,
    sigma: float = 0.6,
    use_score: bool = True,
    with_kp: bool = True,
    with_limb: bool = False,
    limbs: Sequence[tuple[int, int]] = COCO17.limbs,
    scaling: float = 1.0,
    eps: float = 1e-4,
) -> np.ndarray:
    """PoseC3D pseudo heatmaps ``(T, K, H, W)`` float32 in ``[0, 1]`` from ``(M, T, V, 2)`` keypoints.

    Joint channel v at frame t is ``max_m s * exp(-((x - x_m)^2 + (y - y_m)^2) / (2 sigma^2))`` over
    the pixel grid (x, y integer pixel positions, in ``img_shape`` scaled by ``scaling``), where s is
    the joint's score (1 without ``use_score``); it is exactly ``s`` at the joint's pixel and zero
    outside a +-3 sigma window (truncated to integers as MMAction2 does). A limb channel uses the
    squared distance to the segment between its two joints and ``s = min(s_a, s_b)``. Joints whose
    score is below ``eps`` draw nothing. K = V joints, then the limbs when ``with_limb`` (MMAction2
    with both on writes limbs over the first joint channels and leaves the rest zero: we keep them
    apart).
    """
    kps = np.array(keypoint, dtype=np.float32)
    if kps.ndim != 4 or kps.shape[-1] < 2:
        raise ValueError(f"generate_heatmaps: keypoint must be (M, T, V, C>=2), got {kps.shape}")
    if not (with_kp or with_limb):
        raise ValueError("generate_heatmaps: at least one of with_kp and with_limb must be True")
    if keypoint_score is None or not use_score:
        scores = np.ones(kps.shape[:3], dtype=np.float32)
    else:
        scores = np.asarray(keypoint_score, dtype=np.float32)
    h, w = int(img_shape[0] * scaling + 0.5), int(img_shape[1] * scaling + 0.5)
    kps = kps[..., :2] * np.float32(scaling)
    # non-finite coordinates draw nothing
    bad = ~np.isfinite(kps).all(-1)
    if bad.any():
        kps = np.where(bad[..., None], 0, kps)
        scores = np.where(bad, 0, scores)
    limbs_arr = np.asarray(limbs, dtype=np.int64).reshape(-1, 2)
    num_v = kps.shape[2] if with_kp else 0
    num_l = len(limbs_arr) if with_limb else 0
    out = np.zeros((kps.shape[1], num_v + num_l, h, w), dtype=np.float32)
    if with_kp:
        _draw_joints(out[:, :num_v], kps, scores, sigma, eps)
    if with_limb and num_l:
        _draw_limbs(out[:, num_v:], kps, scores, limbs_arr, sigma, eps)
    return out


class GeneratePoseTarget(PoseTransform):
    """PoseSample -> HeatmapSample (``"TCHW"``): joint and/or limb pseudo heatmaps (PoseC3D).

    See ``generate_heatmaps`` for the maths. With ``double=True`` a mirrored copy follows along T:
    every map reversed along W (pixel ``x -> W - 1 - x``) and its channels permuted by the left/right
    pairs of the joints (or of the limbs, when only limbs are drawn), as MMAction2 does for test-time
    flip averaging. The defaults are COCO-17's (``layout`` picks another).
    """

    def __init__(
        self,
        sigma: float = 0.6,
        use_score: bool = True,
        with_kp: bool = True,
        with_limb: bool = False,
        *,
        layout: SkeletonLayout | str = COCO17,
        skeletons: Sequence[tuple[int, int]] | None = None,
        double: bool = False,
        left_kp: Sequence[int] | None = None,
        right_kp: Sequence[int] | None = None,
        left_limb: Sequence[int] | None = None,
        right_limb: Sequence[int] | None = None,
        scaling: float = 1.0,
    ) -> None:
        if not (with_kp or with_limb):
            raise ValueError("GeneratePoseTarget: at least one of with_kp and with_limb must be True")
        lay = get_layout(layout)
        self.sigma = sigma
        self.use_score = use_score
        self.with_kp = with_kp
        self.with_limb = with_limb
        self.skeletons = tuple(tuple(s) for s in (skeletons if skeletons is not None else lay.limbs))
        self.double = double
        self.left_kp = tuple(left_kp if left_kp is not None else lay.left_joints)
        self.right_kp = tuple(right_kp if right_kp is not None else lay.right_joints)
        self.left_limb = tuple(left_limb if left_limb is not None else lay.left_limbs)
        self.right_limb = tuple(right_limb if right_limb is not None else lay.right_limbs)
        self.scaling = scaling

    def apply(self, sample: PoseSample, params: Params | None = None) -> HeatmapSample:
        kp = _check_keypoint(sample, "GeneratePoseTarget")
        heat = generate_heatmaps(
            kp,
            sample.keypoint_score,
            _img_shape(sample, "GeneratePoseTarget"),
            sigma=self.sigma,
            use_score=self.use_score,
            with_kp=self.with_kp,
            with_limb=self.with_limb,
            limbs=self.skeletons,
            scaling=self.scaling,
        )
        if self.double:
            if self.with_kp:
                order = swap_index(heat.shape[1], self.left_kp, self.right_kp)
            else:
                order = swap_index(heat.shape[1], self.left_limb, self.right_limb)
            heat = np.concatenate([heat, heat[:, order, :, ::-1]], axis=0)
        return HeatmapSample(
            heatmap=np.ascontiguousarray(heat),
            label=sample.label,
            layout="TCHW",
            meta={**sample.meta, "double": self.double},
        )


class FormatHeatmapShape:
    """``"TCHW"`` heatmaps ``(V*num_clips*clip_len, K, H, W)`` -> ``"NCTHW"`` ``(V*num_clips, K, clip_len, H, W)``.

    MMAction2's ``FormatShape('NCTHW_Heatmap')``: frames are grouped as views (e.g. the flipped copy
    of ``double``) x clips x clip_len.
    """

    def __init__(self, num_clips: int = 1) -> None:
        if num_clips < 1:
            raise ValueError(f"FormatHeatmapShape: num_clips must be >= 1, got {num_clips}")
        self.num_clips = num_clips

    def __call__(self, sample: HeatmapSample, *, rng: Any = None) -> HeatmapSample:
        if sample.layout != "TCHW":
            raise ValueError(f"FormatHeatmapShape: expects a TCHW heatmap, got layout {sample.layout!r}")
        heat = sample.heatmap
        t = heat.shape[0]
        views = 2 if sample.meta.get("double") else 1
        if t % (views * self.num_clips):
            raise ValueError(
                f"FormatHeatmapShape: {t} frames do not split into {views} view(s) x {self.num_clips} clips"
            )
        clip_len = t // (views * self.num_clips)
        # (V*N*T, K, H, W) -> (V*N, T, K, H, W) -> (V*N, K, T, H, W)
        heat = heat.reshape((-1, clip_len, *heat.shape[1:])).transpose(0, 2, 1, 3, 4)
        return replace(sample, heatmap=np.ascontiguousarray(heat), layout="NCTHW")


# --------------------------------------------------------------------------------------------------
# GCN features
# --------------------------------------------------------------------------------------------------
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
        return replace(sample, keypoint=joint_to_bone(_check_keypoint(sample, "JointToBone"), self.layout))


class ToMotion(PoseTransform):
    """PoseSample -> PoseSample whose ``keypoint`` holds temporal differences (see ``to_motion``)."""

    def __init__(self, layout: SkeletonLayout | str = "nturgb+d") -> None:
        self.layout = get_layout(layout)

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        return replace(sample, keypoint=to_motion(_check_keypoint(sample, "ToMotion"), self.layout))


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
        kp = _check_keypoint(sample, "GenSkeFeat", dims=(2, 3))
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
        kp = _check_keypoint(sample, "FormatGCNInput")
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
