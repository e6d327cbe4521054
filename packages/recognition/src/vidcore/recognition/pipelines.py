"""Sample pipelines (frame sampler + transforms) for a preset, as MMAction2's recipes build them.

Three stages, as in every MMAction2 recognition config:

- **train**: ``SampleFrames(clip_len, frame_interval, num_clips)`` (random offsets) -> resize the
  short side to ``short_side`` -> random crop (``MultiScaleCrop`` for 2D models, as TSN/TSM;
  ``RandomResizedCrop`` for 3D models, as SlowOnly/SlowFast/X3D) -> resize to ``crop_size`` square
  -> horizontal flip with probability 0.5 (with ``flip_label_map`` swapping mirrored classes);
- **val**: one deterministic view (``test_mode`` sampling, one clip or the segment centres) ->
  short side -> ``CenterCrop(crop_size)``;
- **test**: the preset's test views: ``test_num_clips`` clips (3D) or segments (2D, twice with
  ``test_twice_sample``) -> short side -> ``ThreeCrop``/``TenCrop``/``CenterCrop`` of
  ``test_crop_size``.

Presets with ``sampling="uniform_sample"`` (UniFormerV2, MViTv2 on Something-Something V2) sample
as MMAction2's ``UniformSample`` (:func:`~vidcore.data.samplers.uniform_sample`): one frame in each
of ``clip_len`` equal segments of the video, a random one in training, and in test mode
``test_num_clips`` clips whose frames sit ``k / (test_num_clips + 1)`` of the way into each
segment (one clip, ``k = 1``, for validation); ``frame_interval`` is not used.

    from vidcore.recognition.pipelines import test_pipeline
    pipe = test_pipeline(get_preset("tsm_r50_1x1x8_kinetics400"))
    dataset = VideoDataset(list_file, root, sampler=pipe.sampler, transform=pipe.transform,
                           num_views=pipe.num_views)

Sizes are in pixels; the sampled clip of one view has ``pipe.frames_per_view`` frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal

import numpy as np
import torch

from vidcore.data.samplers import dense_sample, sample_frames, uniform_sample
from vidcore.data.transforms import (
    CenterCrop,
    Compose,
    Flip,
    MultiScaleCrop,
    RandAugment,
    RandomCrop,
    RandomErasing,
    RandomResizedCrop,
    Resize,
    TenCrop,
    ThreeCrop,
    VideoTransform,
)

from .registry import Preset

__all__ = [
    "Pipeline",
    "TorchSeededSampler",
    "TrainCrop",
    "resolve_preset",
    "test_pipeline",
    "train_pipeline",
    "val_pipeline",
]

TrainCrop = Literal["auto", "multiscale", "random_resized", "random"]


@dataclass(frozen=True)
class Pipeline:
    """A frame sampler, the transforms applied to the decoded clip, and the views it yields.

    Attributes:
        sampler: ``(num_frames, *, rng) -> int64 (num_views * frames_per_view,)`` 0-based indices
            (picklable, for DataLoader workers).
        transform: applied to the decoded ``VideoSample``; crops multiply ``meta["num_views"]``.
        num_views: views in the *sampled* indices (clips, or twice-sampled segment sets): pass it
            as the dataset's ``num_views``. Spatial crops add views on top (``views`` below).
        views: views per video after the transforms (``num_views`` x crops), as the batch holds
            them: ``(N, views, T, C, H, W)`` when ``views > 1``.
        frames_per_view: ``T`` of one view.
        crop_size: side of the square frames that come out.
    """

    sampler: Callable[..., np.ndarray]
    transform: Compose
    num_views: int
    views: int
    frames_per_view: int
    crop_size: int


class TorchSeededSampler:
    """Wraps a sampler so its random draws come from torch's global generator.

    Datasets without a seed hand the sampler fresh OS entropy; training runs should instead be
    reproducible from the trainer's seed. torch's generator is seeded by the trainer
    (``seed_everything``) and re-seeded by the DataLoader in each worker, so drawing the sampler's
    seed from it makes the clips a function of the run's seed. Picklable.
    """

    def __init__(self, sampler: Callable[..., np.ndarray]) -> None:
        self.sampler = sampler

    def __call__(self, num_frames: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
        seed = int(torch.randint(0, 2**62, (1,)).item())
        return self.sampler(num_frames, rng=np.random.default_rng(seed))

    def __repr__(self) -> str:
        return f"TorchSeededSampler({self.sampler!r})"


def resolve_preset(
    preset: Preset,
    *,
    short_side: int | None = None,
    crop_size: int | None = None,
    test_crop_size: int | None = None,
    test_num_clips: int | None = None,
    test_crops: int | None = None,
    test_twice_sample: bool | None = None,
) -> Preset:
    """``preset`` with the given sizes / test views replaced (``None`` keeps the preset's value).

    When only ``short_side`` and ``crop_size`` are given, ``test_crop_size`` follows the preset's
    own relation: equal to the short side if the preset tests on full-height crops (three-crop
    recipes), else to ``crop_size``.
    """
    changes: dict[str, Any] = {}
    if short_side is not None:
        changes["short_side"] = int(short_side)
    if crop_size is not None:
        changes["crop_size"] = int(crop_size)
    if test_crop_size is not None:
        changes["test_crop_size"] = int(test_crop_size)
    elif short_side is not None or crop_size is not None:
        full_height = preset.test_crop_size == preset.short_side and preset.test_crop_size != preset.crop_size
        changes["test_crop_size"] = (
            changes.get("short_side", preset.short_side)
            if full_height
            else changes.get("crop_size", preset.crop_size)
        )
    if test_num_clips is not None:
        changes["test_num_clips"] = int(test_num_clips)
    if test_crops is not None:
        changes["test_crops"] = int(test_crops)
    if test_twice_sample is not None:
        changes["test_twice_sample"] = bool(test_twice_sample)
    if not changes:
        return preset
    out = replace(preset, **changes)
    if out.crop_size > out.short_side:
        raise ValueError(
            f"crop_size {out.crop_size} is larger than short_side {out.short_side} for preset {preset.name}"
        )
    return out


def _is_2d(preset: Preset) -> bool:
    return preset.input_layout == "NCHW"


def _train_sampler(preset: Preset) -> Callable[..., np.ndarray]:
    if preset.sampling == "uniform_sample":
        return partial(uniform_sample, clip_len=preset.clip_len, num_clips=1)
    if preset.sampling == "dense":
        return partial(
            dense_sample,
            clip_len=preset.clip_len,
            frame_interval=preset.frame_interval,
            num_clips=preset.num_clips,
        )
    return partial(
        sample_frames,
        clip_len=preset.clip_len,
        frame_interval=preset.frame_interval,
        num_clips=preset.num_clips,
    )


def _frames_per_view(preset: Preset) -> int:
    return preset.num_clips * preset.clip_len if _is_2d(preset) else preset.clip_len


def train_pipeline(
    preset: Preset,
    *,
    flip: bool = True,
    flip_label_map: Mapping[int, int] | None = None,
    crop: TrainCrop = "auto",
    seeded_by_torch: bool = True,
    rand_augment: tuple[int, int] | None = None,
    random_erasing: float = 0.0,
) -> Pipeline:
    """The training pipeline of ``preset`` (apply size overrides first with :func:`resolve_preset`).

    Args:
        flip: random horizontal flip (p=0.5). Turn it off for direction-sensitive labels without a
            ``flip_label_map`` (Something-Something's "left to right" classes).
        flip_label_map: class swaps applied to flipped samples, e.g. ``{86: 87, 87: 86, ...}``.
            Defaults to the preset's ``flip_label_map`` (from its ``flip_pairs``).
        crop: ``"multiscale"`` (TSN/TSM: scales 1, .875, .75, .66 of the short side, 13 fixed
            positions), ``"random_resized"`` (area 8-100%, ratio 3/4-4/3), ``"random"`` (a plain
            ``crop_size`` crop, C3D), or ``"auto"``: the preset's ``train_crop`` if set,
            else multiscale for 2D presets and random-resized for 3D ones.
        seeded_by_torch: draw the sampler's randomness from torch's generator
            (:class:`TorchSeededSampler`), so a trainer's seed reproduces the clips.
        rand_augment: ``(magnitude, num_ops)``: :class:`~vidcore.data.transforms.RandAugment`
            with one draw per clip, after the short-side resize and before the crop (the place
            MMAction2's MViT / VideoMAE-style configs give it, ``magnitude=7, num_layers=4``).
        random_erasing: probability of erasing one random-coloured rectangle per clip, after the
            flip (MMAction2's ``RandomErasing(erase_prob=..., mode="rand")``); 0: off.
    """
    size = preset.crop_size
    if crop == "auto":
        crop = preset.train_crop or ("multiscale" if _is_2d(preset) else "random_resized")
    steps: list[VideoTransform] = [Resize((-1, preset.short_side))]
    if rand_augment is not None:
        magnitude, num_ops = rand_augment
        steps.append(RandAugment(num_ops=int(num_ops), magnitude=int(magnitude)))
    if crop == "multiscale":
        steps.append(MultiScaleCrop(size, (1, 0.875, 0.75, 0.66), random_crop=False, max_wh_scale_gap=1,
                                    num_fixed_crops=13))  # fmt: skip
        steps.append(Resize((size, size), keep_ratio=False))
    elif crop == "random_resized":
        steps.append(RandomResizedCrop())
        steps.append(Resize((size, size), keep_ratio=False))
    elif crop == "random":
        steps.append(RandomCrop(size))
    else:
        raise ValueError(f"crop must be 'auto', 'multiscale', 'random_resized' or 'random', got {crop!r}")
    if flip:
        fmap = flip_label_map if flip_label_map is not None else preset.flip_label_map
        steps.append(Flip(0.5, flip_label_map=fmap))
    if random_erasing > 0:
        steps.append(RandomErasing(erase_prob=random_erasing, mode="rand"))
    sampler = _train_sampler(preset)
    return Pipeline(
        sampler=TorchSeededSampler(sampler) if seeded_by_torch else sampler,
        transform=Compose(steps),
        num_views=1,
        views=1,
        frames_per_view=_frames_per_view(preset),
        crop_size=size,
    )


def val_pipeline(preset: Preset) -> Pipeline:
    """One deterministic view per video: test-mode sampling of one clip (3D) or the segment
    centres (2D), short side resize, ``CenterCrop(crop_size)`` (MMAction2's ``val_pipeline``)."""
    if preset.sampling == "uniform_sample":
        sampler = partial(uniform_sample, clip_len=preset.clip_len, num_clips=1, test_mode=True)
    elif preset.sampling == "dense":
        sampler = partial(
            dense_sample, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
            num_clips=preset.num_clips, test_mode=True, num_sample_positions=1,
        )  # fmt: skip
    else:
        sampler = partial(
            sample_frames, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
            num_clips=preset.num_clips if _is_2d(preset) else 1, test_mode=True,
        )  # fmt: skip
    transform = Compose([Resize((-1, preset.short_side)), CenterCrop(preset.crop_size)])
    return Pipeline(sampler, transform, 1, 1, _frames_per_view(preset), preset.crop_size)


def test_pipeline(preset: Preset) -> Pipeline:
    """The preset's test views (MMAction2's ``test_pipeline``).

    2D presets: ``test_num_clips`` segments (one view; two with ``test_twice_sample``; dense
    presets: 10 sample positions); 3D presets: ``test_num_clips`` clips. Then the short side is
    resized to ``short_side`` (to ``test_crop_size`` for three-crop, which needs crops spanning the
    full short side) and ``test_crops`` crops of ``test_crop_size`` are taken: 1 centre, 3 along the
    long side, 10 corners+centre with mirrors.
    """
    if _is_2d(preset):
        if preset.sampling == "dense":
            positions = 10
            sampler = partial(
                dense_sample, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
                num_clips=preset.test_num_clips, test_mode=True, num_sample_positions=positions,
            )  # fmt: skip
            num_views = positions
        else:
            sampler = partial(
                sample_frames, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
                num_clips=preset.test_num_clips, test_mode=True, twice_sample=preset.test_twice_sample,
            )  # fmt: skip
            num_views = 2 if preset.test_twice_sample else 1
        frames = preset.test_num_clips * preset.clip_len
    else:
        if preset.sampling == "uniform_sample":
            sampler = partial(uniform_sample, clip_len=preset.clip_len, num_clips=preset.test_num_clips, test_mode=True)
        else:
            sampler = partial(
                sample_frames, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
                num_clips=preset.test_num_clips, test_mode=True,
            )  # fmt: skip
        num_views = preset.test_num_clips
        frames = preset.clip_len
    size = preset.test_crop_size
    if preset.test_crops == 3:
        steps: list[VideoTransform] = [Resize((-1, size)), ThreeCrop(size)]
    elif preset.test_crops == 10:
        steps = [Resize((-1, max(preset.short_side, size))), TenCrop(size)]
    else:
        steps = [Resize((-1, max(preset.short_side, size))), CenterCrop(size)]
    return Pipeline(sampler, Compose(steps), num_views, num_views * preset.test_crops, frames, size)


# Not a pytest test, even when imported into a test module.
test_pipeline.__test__ = False  # type: ignore[attr-defined]
