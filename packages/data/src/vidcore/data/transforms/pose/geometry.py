"""Geometric transforms of 2D keypoints in pixels: compact crop, resize, centre / random crop, flip.

They move the coordinate frame (``img_shape``, ``(H, W)`` in pixels) and the keypoints with it; a
crop records itself in ``meta["crop_quadruple"]`` (x, y, w, h as fractions of the original frame).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vidcore.data.skeleton_graphs import COCO17, SkeletonLayout, get_layout, swap_index
from vidcore.data.transforms.pose.base import Params, PoseTransform, check_keypoint, img_shape_of
from vidcore.data.types import PoseSample

__all__ = ["PoseCenterCrop", "PoseCompact", "PoseFlip", "PoseRandomResizedCrop", "PoseResize"]


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
        kp = check_keypoint(sample, "PoseCompact").copy()
        h, w = img_shape_of(sample, "PoseCompact")
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
        kp = check_keypoint(sample, "PoseResize").copy()
        h, w = img_shape_of(sample, "PoseResize")
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
    h, w = img_shape_of(sample, "crop")
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
        check_keypoint(sample, "PoseCenterCrop")
        h, w = img_shape_of(sample, "PoseCenterCrop")
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
        h, w = img_shape_of(sample, "PoseRandomResizedCrop")
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
        check_keypoint(sample, "PoseRandomResizedCrop")
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
        kp = check_keypoint(sample, "PoseFlip")
        if params is None or "flip" not in params:
            raise ValueError("PoseFlip.apply needs params={'flip': bool}")
        if not params["flip"]:
            return replace(sample, meta={**sample.meta, "flip": False})
        _, w = img_shape_of(sample, "PoseFlip")
        order = swap_index(kp.shape[2], self.left, self.right)
        kp = kp[:, :, order].copy()
        x = kp[..., 0]
        x[x != 0] = w - x[x != 0]
        score = sample.keypoint_score
        score = None if score is None else np.asarray(score)[:, :, order].copy()
        return replace(sample, keypoint=kp, keypoint_score=score, meta={**sample.meta, "flip": True})
