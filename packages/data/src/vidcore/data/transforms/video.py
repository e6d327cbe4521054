"""Video transform classes: random parameters drawn in ``make_params``, applied in ``apply``.

Every class is called on a ``VideoSample`` (frames uint8 ``(T, C, H, W)``, optional boxes and
keypoints) or on a bare ``(T, C, H, W)`` tensor, and returns the same kind of thing, new; the
input is never modified in place, though outputs may share memory with it (crops are views, no-op
parameters return the same frames), as in torchvision. The classes derive from the one transform
base, ``vidcore.data.transforms.base.Transform``, which pose and audio transforms share; the
``rng`` argument of ``__call__`` follows its rule (``as_generator``):

- a ``numpy.random.Generator`` (used directly), an ``int`` seed, or a ``torch.Generator``;
- ``None`` (the default): a seed drawn from torch's global generator, which ``torch.manual_seed``
  fixes and ``DataLoader`` reseeds in every worker, so workers never repeat each other.

``Compose`` turns one seed into one generator that all its transforms draw from, so
``pipeline(sample, rng=seed)`` reproduces a whole pipeline. ``make_params(sample, rng)`` and
``apply(sample, params)`` can be called separately, e.g. to apply fixed parameters in a test.

Sizes follow MMAction2 configs: ``crop_size``/``input_size`` pairs are ``(width, height)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from vidcore.data.transforms import functional as F
from vidcore.data.transforms.base import Compose, Params, RngLike, Transform, as_generator
from vidcore.data.types import VideoSample

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Flip",
    "MultiScaleCrop",
    "RandAugment",
    "RandomCrop",
    "RandomErasing",
    "RandomRescale",
    "RandomResizedCrop",
    "Resize",
    "TenCrop",
    "ThreeCrop",
    "VideoTransform",
    "as_generator",
]


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """``int`` or ``(width, height)`` -> ``(width, height)``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f"{name} must be a positive int or a (width, height) pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _copy(sample: VideoSample) -> VideoSample:
    """A new sample sharing the input's frames (no-op parameters copy no pixels)."""
    return dataclasses.replace(sample, meta=dict(sample.meta))


class VideoTransform(Transform[VideoSample]):
    """Base class of the video transforms: ``make_params(sample, rng) -> dict`` then
    ``apply(sample, params) -> sample`` (see ``vidcore.data.transforms.base.Transform``).

    Called on a ``VideoSample`` or on a bare ``(T, C, H, W)`` tensor, which is wrapped in a
    ``VideoSample`` and unwrapped again (returns the transformed tensor).
    """

    input_type = VideoSample

    def __call__(self, sample: VideoSample | torch.Tensor, *, rng: RngLike = None) -> Any:
        if isinstance(sample, VideoSample):
            return super().__call__(sample, rng=rng)
        if isinstance(sample, torch.Tensor):
            if sample.ndim != 4:
                raise ValueError(f"expected a (T, C, H, W) video, got shape {tuple(sample.shape)}")
            return self(VideoSample(video=sample), rng=rng).video
        raise TypeError(f"expected a VideoSample or a (T, C, H, W) tensor, got {type(sample).__name__}")


# ---------------------------------------------------------------- geometry


class Resize(VideoTransform):
    """Resize frames with MMAction2's ``Resize(scale, keep_ratio)`` semantics (deterministic).

    Args:
        scale: ``(-1, 256)``: short side to 256, keep ratio; ``(340, 256)`` with ``keep_ratio``:
            as large as fits in those bounds (long <= 340, short <= 256); ``(224, 224)`` with
            ``keep_ratio=False``: exactly ``width x height``; a float: multiply both sides. A bare
            int is refused as ambiguous (write ``(-1, n)`` for the short side).
        interpolation: "bilinear" (default, as MMAction2), "bicubic" or "nearest".
        antialias: low-pass before shrinking; ``False`` matches OpenCV's ``INTER_LINEAR`` that
            MMAction2 uses, ``True`` is torchvision's default.
    """

    def __init__(
        self,
        scale: float | tuple[int, int],
        *,
        keep_ratio: bool = True,
        interpolation: Literal["bilinear", "bicubic", "nearest"] = "bilinear",
        antialias: bool = False,
    ) -> None:
        if isinstance(scale, (int, np.integer)) and not isinstance(scale, bool):
            raise TypeError(f"Resize(scale={scale}) is ambiguous: use (-1, {scale}) for the short side")
        F.rescale_size(16, 16, scale, keep_ratio=keep_ratio)  # validate now, not in a worker
        self.scale = scale
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation
        self.antialias = antialias

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """``(H', W')`` for an ``H x W`` input."""
        new_w, new_h = F.rescale_size(width, height, self.scale, keep_ratio=self.keep_ratio)
        return new_h, new_w

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        size = self.output_size(*F.image_size(sample))
        return F.resize(sample, size, interpolation=self.interpolation, antialias=self.antialias)


class RandomRescale(VideoTransform):
    """Resize the short side to a random length in ``scale_range`` (inclusive), keeping the ratio."""

    def __init__(
        self, scale_range: tuple[int, int], *, interpolation: str = "bilinear", antialias: bool = False
    ):
        lo, hi = scale_range
        if not 0 < lo <= hi:
            raise ValueError(f"scale_range must be (low, high) with 0 < low <= high, got {scale_range!r}")
        self.scale_range = (int(lo), int(hi))
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        return {"short_side": int(rng.integers(self.scale_range[0], self.scale_range[1] + 1))}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        h, w = F.image_size(sample)
        new_w, new_h = F.rescale_size(w, h, (-1, params["short_side"]))
        return F.resize(sample, (new_h, new_w), interpolation=self.interpolation, antialias=self.antialias)


class _Crop(VideoTransform):
    """A crop whose window is ``params = {"top", "left", "height", "width"}``."""

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        return F.crop(sample, params["top"], params["left"], params["height"], params["width"])


class RandomCrop(_Crop):
    """A ``size`` crop at a uniformly random position (every position possible; MMAction2 never
    draws the last row/column offset, a difference of one pixel in reach).

    Args:
        size: int (square) or ``(width, height)``; must fit in the frames.
    """

    def __init__(self, size: int | tuple[int, int]) -> None:
        self.size = _pair(size, "size")

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        cw, ch = self.size
        if ch > h or cw > w:
            raise ValueError(f"RandomCrop size {cw}x{ch} (w x h) does not fit in {w}x{h} frames")
        return {
            "top": int(rng.integers(0, h - ch + 1)),
            "left": int(rng.integers(0, w - cw + 1)),
            "height": ch,
            "width": cw,
        }


class CenterCrop(_Crop):
    """The central ``crop_size`` window; offsets ``(W - w) // 2``, ``(H - h) // 2`` as MMAction2.

    Args:
        crop_size: int or ``(width, height)``; must fit in the frames.
    """

    def __init__(self, crop_size: int | tuple[int, int]) -> None:
        self.crop_size = _pair(crop_size, "crop_size")

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        cw, ch = self.crop_size
        if ch > h or cw > w:
            raise ValueError(f"CenterCrop size {cw}x{ch} (w x h) does not fit in {w}x{h} frames")
        return {"top": (h - ch) // 2, "left": (w - cw) // 2, "height": ch, "width": cw}


class RandomResizedCrop(_Crop):
    """A random window of random area and aspect ratio (MMAction2 RandomResizedCrop).

    Up to ``max_attempts`` candidates with area fraction uniform in ``area_range`` and aspect ratio
    (w/h) log-uniform in ``aspect_ratio_range``; the first that fits is placed uniformly at
    random; if none fits, the central square. As in MMAction2 the window is only cropped; give
    ``size=(width, height)`` to also resize it (torchvision style), or follow with ``Resize``.
    """

    def __init__(
        self,
        area_range: tuple[float, float] = (0.08, 1.0),
        aspect_ratio_range: tuple[float, float] = (3 / 4, 4 / 3),
        *,
        size: int | tuple[int, int] | None = None,
        max_attempts: int = 10,
        interpolation: str = "bilinear",
        antialias: bool = False,
    ) -> None:
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError(f"area_range must satisfy 0 < low <= high <= 1, got {area_range!r}")
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError(f"aspect_ratio_range must satisfy 0 < low <= high, got {aspect_ratio_range!r}")
        self.area_range = tuple(area_range)
        self.aspect_ratio_range = tuple(aspect_ratio_range)
        self.size = None if size is None else _pair(size, "size")
        self.max_attempts = max_attempts
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        lo, hi = self.aspect_ratio_range
        ratios = np.exp(rng.uniform(np.log(lo), np.log(hi), size=self.max_attempts))
        areas = rng.uniform(*self.area_range, size=self.max_attempts) * (h * w)
        widths = np.round(np.sqrt(areas * ratios)).astype(np.int64)
        heights = np.round(np.sqrt(areas / ratios)).astype(np.int64)
        for cw, ch in zip(widths, heights, strict=True):
            if 0 < ch <= h and 0 < cw <= w:
                return {
                    "top": int(rng.integers(0, h - ch + 1)),
                    "left": int(rng.integers(0, w - cw + 1)),
                    "height": int(ch),
                    "width": int(cw),
                }
        side = min(h, w)
        return {"top": (h - side) // 2, "left": (w - side) // 2, "height": side, "width": side}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        out = super().apply(sample, params)
        if self.size is not None:
            out = F.resize(
                out, (self.size[1], self.size[0]), interpolation=self.interpolation, antialias=self.antialias
            )
        return out


class MultiScaleCrop(_Crop):
    """TSN's multi-scale crop (MMAction2 MultiScaleCrop): crop only, resize afterwards.

    Crop sides are ``int(min(H, W) * s)`` for ``s`` in ``scales``; the width and height scales are
    chosen among pairs whose indices differ by at most ``max_wh_scale_gap``, and a side within 2
    pixels of ``input_size`` snaps to it. The window is placed uniformly (``random_crop``) or at
    one of 5 fixed positions (corners, centre; 13 with ``num_fixed_crops=13``: also edge centres
    and quarter points) on a grid of quarter steps ``(W - w) // 4``, ``(H - h) // 4``.

    Args:
        input_size: int or ``(width, height)`` of the network input (for the snap only).
        scales: TSN uses ``(1, 0.875, 0.75, 0.66)``.
    """

    def __init__(
        self,
        input_size: int | tuple[int, int],
        scales: Sequence[float] = (1,),
        *,
        max_wh_scale_gap: int = 1,
        random_crop: bool = False,
        num_fixed_crops: Literal[5, 13] = 5,
    ) -> None:
        if num_fixed_crops not in (5, 13):
            raise ValueError(f"num_fixed_crops must be 5 or 13, got {num_fixed_crops!r}")
        if not scales or any(not 0 < s <= 1 for s in scales):
            raise ValueError(f"scales must be fractions in (0, 1], got {scales!r}")
        self.input_size = _pair(input_size, "input_size")
        self.scales = tuple(scales)
        self.max_wh_scale_gap = max_wh_scale_gap
        self.random_crop = random_crop
        self.num_fixed_crops = num_fixed_crops

    def candidate_sizes(self, height: int, width: int) -> list[tuple[int, int]]:
        """Every ``(crop_w, crop_h)`` this transform may choose for an ``H x W`` frame."""
        sides = [int(min(height, width) * s) for s in self.scales]
        out = []
        for i, ch in enumerate(sides):
            for j, cw in enumerate(sides):
                if abs(i - j) <= self.max_wh_scale_gap:
                    size = [cw, ch]
                    for k in range(2):
                        if abs(size[k] - self.input_size[k]) < 3:
                            size[k] = self.input_size[k]
                    out.append((min(size[0], width), min(size[1], height)))
        return out

    def fixed_offsets(self, height: int, width: int, crop_w: int, crop_h: int) -> list[tuple[int, int]]:
        """The fixed ``(left, top)`` positions for a ``crop_w x crop_h`` window."""
        ws, hs = (width - crop_w) // 4, (height - crop_h) // 4
        grid = [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)]
        if self.num_fixed_crops == 13:
            grid += [(0, 2), (4, 2), (2, 4), (2, 0), (1, 1), (3, 1), (1, 3), (3, 3)]
        return [(i * ws, j * hs) for i, j in grid]

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        sizes = self.candidate_sizes(h, w)
        cw, ch = sizes[int(rng.integers(len(sizes)))]
        if cw < 1 or ch < 1:
            raise ValueError(f"MultiScaleCrop: frames of {w}x{h} are too small for scales {self.scales}")
        if self.random_crop:
            left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        else:
            offsets = self.fixed_offsets(h, w, cw, ch)
            left, top = offsets[int(rng.integers(len(offsets)))]
        return {"top": top, "left": left, "height": ch, "width": cw}


class ThreeCrop(VideoTransform):
    """Three views along the long side: start, end, middle (MMAction2 order), stacked as views.

    The crop must span the frame's full height or full width (resize the short side to the crop
    first). Output ``(3*T, C, h, w)`` with ``meta["num_views"]`` tripled.
    """

    def __init__(self, crop_size: int | tuple[int, int]) -> None:
        self.crop_size = _pair(crop_size, "crop_size")

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        cw, ch = self.crop_size
        if ch == h and cw <= w:
            step = (w - cw) // 2
            windows = [(0, 0, ch, cw), (0, 2 * step, ch, cw), (0, step, ch, cw)]
        elif cw == w and ch <= h:
            step = (h - ch) // 2
            windows = [(0, 0, ch, cw), (2 * step, 0, ch, cw), (step, 0, ch, cw)]
        else:
            raise ValueError(
                f"ThreeCrop {cw}x{ch} (w x h) needs the crop to span the full height or width of {w}x{h} frames"
            )
        return {"windows": windows}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        return F.multi_crop(sample, params["windows"])


class TenCrop(VideoTransform):
    """Corners and centre, each followed by its mirror (MMAction2 order), stacked as 10 views."""

    def __init__(self, crop_size: int | tuple[int, int]) -> None:
        self.crop_size = _pair(crop_size, "crop_size")

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        cw, ch = self.crop_size
        if ch > h or cw > w:
            raise ValueError(f"TenCrop size {cw}x{ch} (w x h) does not fit in {w}x{h} frames")
        ws, hs = (w - cw) // 4, (h - ch) // 4
        grid = [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)]
        return {"windows": [(j * hs, i * ws, ch, cw) for i, j in grid]}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        return F.multi_crop(sample, params["windows"], with_flips=True)


class Flip(VideoTransform):
    """Mirror with probability ``flip_ratio``; boxes, keypoints and label follow.

    Args:
        direction: "horizontal" or "vertical".
        flip_label_map: class swaps applied when flipped, e.g. ``make_flip_label_map(names)``.
        left_kp, right_kp: joint indices swapped by a horizontal flip (e.g. COCO's left/right).
    """

    def __init__(
        self,
        flip_ratio: float = 0.5,
        direction: Literal["horizontal", "vertical"] = "horizontal",
        *,
        flip_label_map: Mapping[int, int] | None = None,
        left_kp: Sequence[int] | None = None,
        right_kp: Sequence[int] | None = None,
    ) -> None:
        if direction not in ("horizontal", "vertical"):
            raise ValueError(f"direction must be 'horizontal' or 'vertical', got {direction!r}")
        if not 0.0 <= flip_ratio <= 1.0:
            raise ValueError(f"flip_ratio must be in [0, 1], got {flip_ratio!r}")
        self.flip_ratio = flip_ratio
        self.direction = direction
        self.flip_label_map = None if flip_label_map is None else dict(flip_label_map)
        self.left_kp = None if left_kp is None else list(left_kp)
        self.right_kp = None if right_kp is None else list(right_kp)

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        return {"flip": bool(rng.random() < self.flip_ratio)}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        if not params["flip"]:
            return _copy(sample)
        if self.direction == "vertical":
            return F.vflip(sample)
        return F.hflip(sample, label_map=self.flip_label_map, left_kp=self.left_kp, right_kp=self.right_kp)


# ---------------------------------------------------------------- photometric


def _jitter_range(
    value: float | tuple[float, float], centre: float, bound: float, name: str
) -> tuple[float, float]:
    lo, hi = (centre - value, centre + value) if isinstance(value, (int, float)) else tuple(value)
    if not (centre - bound <= lo <= hi <= centre + bound):
        raise ValueError(f"{name} must lie within [{centre - bound}, {centre + bound}], got {value!r}")
    return float(lo), float(hi)


class ColorJitter(VideoTransform):
    """Random brightness, contrast, saturation and hue, the same for every frame of the clip.

    A float ``v`` means factors in ``[1 - v, 1 + v]`` (hue: shift in ``[-v, v]`` turns, ``v <=
    0.5``); a pair gives the range. The four are applied in a random order per call (torchvision
    semantics; MMAction2 fixes one order per transform instance). Runs on torchvision's uint8 kernels.
    """

    def __init__(
        self,
        brightness: float | tuple[float, float] = 0.5,
        contrast: float | tuple[float, float] = 0.5,
        saturation: float | tuple[float, float] = 0.5,
        hue: float | tuple[float, float] = 0.1,
    ) -> None:
        self.brightness = _jitter_range(brightness, 1.0, 1.0, "brightness")
        self.contrast = _jitter_range(contrast, 1.0, 1.0, "contrast")
        self.saturation = _jitter_range(saturation, 1.0, 1.0, "saturation")
        self.hue = _jitter_range(hue, 0.0, 0.5, "hue")

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        return {
            "brightness": float(rng.uniform(*self.brightness)),
            "contrast": float(rng.uniform(*self.contrast)),
            "saturation": float(rng.uniform(*self.saturation)),
            "hue": float(rng.uniform(*self.hue)),
            "order": [int(i) for i in rng.permutation(4)],
        }

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        return F.adjust_color(sample, **params)


class RandomErasing(VideoTransform):
    """Erase one random rectangle, the same in every frame (MMAction2/mmcls RandomErasing).

    With probability ``erase_prob``, a window of area fraction in ``[min_area_ratio,
    max_area_ratio]`` and aspect ratio (h/w) log-uniform in ``aspect_range`` is filled with
    ``fill_color`` (``mode="const"``) or random colours (``mode="rand"``: uniform 0-255, or normal
    around ``fill_color`` with ``fill_std``). Colours are in 0-255 units.
    """

    def __init__(
        self,
        erase_prob: float = 0.5,
        min_area_ratio: float = 0.02,
        max_area_ratio: float = 1 / 3,
        aspect_range: float | tuple[float, float] = (3 / 10, 10 / 3),
        mode: Literal["const", "rand"] = "const",
        fill_color: float | Sequence[float] = (128, 128, 128),
        fill_std: float | Sequence[float] | None = None,
    ) -> None:
        if not 0.0 <= erase_prob <= 1.0:
            raise ValueError(f"erase_prob must be in [0, 1], got {erase_prob!r}")
        if not 0.0 <= min_area_ratio <= max_area_ratio <= 1.0:
            raise ValueError("need 0 <= min_area_ratio <= max_area_ratio <= 1")
        if isinstance(aspect_range, (int, float)):
            a = min(aspect_range, 1 / aspect_range)
            aspect_range = (a, 1 / a)
        if not 0 < aspect_range[0] <= aspect_range[1]:
            raise ValueError(f"aspect_range must be (low, high) with 0 < low <= high, got {aspect_range!r}")
        if mode not in ("const", "rand"):
            raise ValueError(f"mode must be 'const' or 'rand', got {mode!r}")
        self.erase_prob = erase_prob
        self.min_area_ratio = min_area_ratio
        self.max_area_ratio = max_area_ratio
        self.aspect_range = tuple(aspect_range)
        self.mode = mode
        self.fill_color = (
            [float(fill_color)] * 3 if isinstance(fill_color, (int, float)) else list(fill_color)
        )
        self.fill_std = (
            None
            if fill_std is None
            else ([float(fill_std)] * 3 if isinstance(fill_std, (int, float)) else list(fill_std))
        )

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        if rng.random() >= self.erase_prob:
            return {"erase": False}
        h, w = F.image_size(sample)
        c = int(sample.video.shape[-3])
        ratio = math.exp(rng.uniform(math.log(self.aspect_range[0]), math.log(self.aspect_range[1])))
        area = h * w * rng.uniform(self.min_area_ratio, self.max_area_ratio)
        eh = max(1, min(round(math.sqrt(area * ratio)), h))
        ew = max(1, min(round(math.sqrt(area / ratio)), w))
        top = int(rng.integers(0, h - eh + 1))
        left = int(rng.integers(0, w - ew + 1))
        colour = np.resize(np.asarray(self.fill_color, dtype=np.float64), c)
        if self.mode == "const":
            fill = colour
        elif self.fill_std is None:
            fill = rng.uniform(0, 256, size=(c, eh, ew))
        else:
            std = np.resize(np.asarray(self.fill_std, dtype=np.float64), c)
            fill = rng.normal(colour[:, None, None], std[:, None, None], size=(c, eh, ew))
        fill = torch.from_numpy(np.clip(np.floor(fill), 0, 255))
        return {"erase": True, "top": top, "left": left, "height": eh, "width": ew, "fill": fill}

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        if not params["erase"]:
            return _copy(sample)
        return F.erase(
            sample, params["top"], params["left"], params["height"], params["width"], params["fill"]
        )


# ---------------------------------------------------------------- RandAugment

_GEOMETRIC = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
_SIGNED = {
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
}
_RANDAUGMENT_OPS = (
    "Identity",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "AutoContrast",
    "Equalize",
)


class RandAugment(VideoTransform):
    """RandAugment with one draw per clip: every frame gets the same ``num_ops`` operations.

    The op space and magnitude scale are torchvision's ``RandAugment`` (Cubuk et al. 2020;
    ``magnitude`` out of ``num_magnitude_bins - 1``): shears up to 0.3, translations up to
    ``150/331`` of the side, rotations up to 30 degrees, colour factors ``1 +- 0.9``, posterize to
    4-8 bits, solarize thresholds, autocontrast, equalize, identity. Geometric ops move boxes and
    keypoints with the pixels (uncovered pixels take ``fill``). (MMAction2's VideoMAE configs use
    PyTorchVideo's variant, which draws per-op probabilities and Gaussian magnitudes.)
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        *,
        interpolation: Literal["bilinear", "nearest"] = "nearest",
        fill: float = 0,
    ) -> None:
        if not 0 <= magnitude < num_magnitude_bins:
            raise ValueError(f"magnitude must be in [0, {num_magnitude_bins - 1}], got {magnitude}")
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _magnitude(self, op: str, height: int, width: int) -> float:
        frac = self.magnitude / (self.num_magnitude_bins - 1)
        if op in ("ShearX", "ShearY"):
            return 0.3 * frac
        if op == "TranslateX":
            return 150.0 / 331.0 * width * frac
        if op == "TranslateY":
            return 150.0 / 331.0 * height * frac
        if op == "Rotate":
            return 30.0 * frac
        if op in ("Brightness", "Color", "Contrast", "Sharpness"):
            return 0.9 * frac
        if op == "Posterize":
            return float(8 - round(self.magnitude / ((self.num_magnitude_bins - 1) / 4)))
        if op == "Solarize":
            return 255.0 * (1.0 - frac)
        return 0.0

    def make_params(self, sample: VideoSample, rng: np.random.Generator) -> Params:
        h, w = F.image_size(sample)
        ops = []
        for _ in range(self.num_ops):
            op = _RANDAUGMENT_OPS[int(rng.integers(len(_RANDAUGMENT_OPS)))]
            mag = self._magnitude(op, h, w)
            if op in _SIGNED and rng.random() < 0.5:
                mag = -mag
            ops.append((op, mag))
        return {"ops": ops}

    def _affine_args(self, op: str, mag: float) -> dict[str, Any]:
        args: dict[str, Any] = {"angle": 0.0, "translate": [0, 0], "scale": 1.0, "shear": [0.0, 0.0]}
        if op == "ShearX":
            args["shear"] = [math.degrees(math.atan(mag)), 0.0]
            args["center"] = [0, 0]
        elif op == "ShearY":
            args["shear"] = [0.0, math.degrees(math.atan(mag))]
            args["center"] = [0, 0]
        elif op == "TranslateX":
            args["translate"] = [int(mag), 0]
        elif op == "TranslateY":
            args["translate"] = [0, int(mag)]
        elif op == "Rotate":
            args["angle"] = mag
        return args

    def apply(self, sample: VideoSample, params: Params) -> VideoSample:
        original = video = tv_tensors.Video(sample.video.as_subclass(torch.Tensor))
        boxes, kps, meta = sample.boxes, sample.keypoints, dict(sample.meta)
        h, w = F.image_size(sample)
        interp = InterpolationMode.NEAREST if self.interpolation == "nearest" else InterpolationMode.BILINEAR
        for op, mag in params["ops"]:
            if op in _GEOMETRIC:
                args = self._affine_args(op, mag)
                video = TF.affine(video, **args, interpolation=interp, fill=[float(self.fill)])
                if boxes is not None:
                    boxes = _affine_boxes(boxes, args, h, w)
                if isinstance(meta.get("proposals"), torch.Tensor):
                    meta["proposals"] = _affine_boxes(meta["proposals"], args, h, w)
                if kps is not None:
                    flat = tv_tensors.KeyPoints(kps.reshape(-1, 2), canvas_size=(h, w))
                    kps = TF.affine(flat, **args).as_subclass(torch.Tensor).reshape(kps.shape).to(kps.dtype)
            elif op == "Brightness":
                video = TF.adjust_brightness(video, 1.0 + mag)
            elif op == "Color":
                video = TF.adjust_saturation(video, 1.0 + mag)
            elif op == "Contrast":
                video = TF.adjust_contrast(video, 1.0 + mag)
            elif op == "Sharpness":
                video = TF.adjust_sharpness(video, 1.0 + mag)
            elif op == "Posterize":
                video = TF.posterize(video, int(mag))
            elif op == "Solarize":
                video = TF.solarize(video, mag)
            elif op == "AutoContrast":
                video = TF.autocontrast(video)
            elif op == "Equalize":
                video = TF.equalize(video)
        if video is original:
            video = video.clone()
        return dataclasses.replace(
            sample, video=tv_tensors.Video(video), boxes=boxes, keypoints=kps, meta=meta
        )


def _affine_boxes(boxes: torch.Tensor, args: dict[str, Any], height: int, width: int) -> torch.Tensor:
    """XYXY boxes through ``TF.affine`` (enclosing boxes of the moved corners), clamped to the frame."""
    typed = isinstance(boxes, tv_tensors.BoundingBoxes)
    b = boxes if typed else tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=(height, width))
    data = TF.affine(b, **args).as_subclass(torch.Tensor)
    limits = torch.tensor([width, height, width, height], dtype=data.dtype, device=data.device)
    data = torch.minimum(data.clamp(min=0), limits)
    return tv_tensors.wrap(data, like=b) if typed else data
