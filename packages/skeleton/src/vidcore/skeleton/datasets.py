"""Skeleton datasets as MMAction2 configures them: an MMAction2 skeleton pickle (read by vidcore-data's
restricted reader), one of its named splits, and the pipeline a preset implies.

- GCN presets (``input_key="keypoint"``): ``PreNormalize2D`` / ``PreNormalize3D`` / :class:`CenterBody2D` ->
  ``GenSkeFeat(layout, feats)`` (joint, bone, joint motion, bone motion) -> ``UniformSampleFrames``
  (``clip_len``; ``test_num_clips`` clips at test time) -> ``FormatGCNInput(num_person)``: samples
  ``(clips, M, T, J, C)``.
- PoseC3D presets (``input_key="heatmap"``): ``UniformSampleFrames`` -> ``PoseCompact`` -> resize
  (short side 64) -> random resized crop to ``heatmap_size`` + flip (training, ``train_flip``) or centre crop of
  ``test_heatmap_size`` (test) -> ``GeneratePoseTarget`` (with the flipped copy at test time when
  ``test_flip``) -> ``FormatHeatmapShape``: samples ``(views, K, T, H, W)``.

A sample whose keypoints cannot feed the model (a wrong array shape, a joint count that is not the
layout's, NaN or infinite coordinates) is skipped with the file, the ``frame_dir`` and the reason
(``vidcore.data``'s skipping datasets), unless ``on_error="raise"``. Splits are the names in the
pickle's ``split`` dict (``xsub_train``, ``xsub_val``, ``train``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.data.annotations.safe_pickle import safe_load_pickle
from vidcore.data.annotations.skeleton import PoseRecord, SkeletonAnnotations, read_skeleton_pickle
from vidcore.data.datasets import PoseDataset
from vidcore.data.datasets.base import OnError, SkippedSample
from vidcore.data.errors import AnnotationError, DataError
from vidcore.data.samplers import uniform_sample_pose
from vidcore.data.skeleton_graphs import get_layout
from vidcore.data.transforms.base import Compose, Params
from vidcore.data.transforms.pose import (
    FormatGCNInput,
    FormatHeatmapShape,
    GeneratePoseTarget,
    GenSkeFeat,
    PoseCenterCrop,
    PoseCompact,
    PoseFlip,
    PoseRandomResizedCrop,
    PoseResize,
    PreNormalize2D,
    PreNormalize3D,
)
from vidcore.data.transforms.pose.base import PoseTransform, check_keypoint
from vidcore.data.types import PoseSample

from .recognizer import SkeletonBatch
from .registry import Preset

__all__ = ["CenterBody2D", "SkeletonDataset", "build_pipeline", "collate_skeleton", "read_annotations"]

_INVALID = "_vidcore_invalid"
_KNOWN = {"frame_dir", "filename", "label", "total_frames", "img_shape", "original_shape", "keypoint", "keypoint_score"}


def _record_problem(item: Any) -> str | None:
    """Why a raw pickle record cannot be parsed as a skeleton sequence, or None."""
    if not isinstance(item, dict):
        return f"expected a dict, got {type(item).__name__}"
    kp = item.get("keypoint")
    if kp is None:
        return None
    if not isinstance(kp, np.ndarray) or kp.ndim != 4 or kp.shape[-1] not in (2, 3):
        return f"keypoint must be an array (M, T, V, C) with C in (2, 3), got {getattr(kp, 'shape', type(kp).__name__)}"
    score = item.get("keypoint_score")
    if score is not None and np.shape(score) != kp.shape[:3]:
        return f"keypoint_score shape {np.shape(score)} does not match keypoint (M, T, V) = {kp.shape[:3]}"
    if "total_frames" in item and kp.shape[1] != item["total_frames"]:
        return f"keypoint has T={kp.shape[1]} frames but total_frames={item['total_frames']}"
    return None


def read_annotations(path: str | Path) -> SkeletonAnnotations:
    """The pickle's splits and records. A file whose records all parse goes through
    ``read_skeleton_pickle`` as is; otherwise each bad record becomes a placeholder that the dataset
    skips with its reason (instead of refusing the whole file)."""
    try:
        return read_skeleton_pickle(path)
    except AnnotationError:
        data = safe_load_pickle(path)  # raises for a file that is not a skeleton pickle at all
        if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
            raise
    records: list[PoseRecord] = []
    for i, item in enumerate(data["annotations"]):
        problem = _record_problem(item)
        key = "filename" if isinstance(item, dict) and "filename" in item else "frame_dir"
        ident = item.get(key, f"record {i}") if isinstance(item, dict) else f"record {i}"
        record = None
        if problem is None:
            try:
                record = PoseRecord(
                    frame_dir=str(item[key]),
                    label=int(item["label"]),
                    total_frames=int(item["total_frames"]),
                    keypoint=item.get("keypoint"),
                    keypoint_score=item.get("keypoint_score"),
                    img_shape=tuple(int(v) for v in item["img_shape"]) if item.get("img_shape") is not None else None,  # type: ignore[arg-type]
                    original_shape=(
                        tuple(int(v) for v in item["original_shape"]) if item.get("original_shape") is not None else None  # type: ignore[arg-type]
                    ),
                    extra={k: v for k, v in item.items() if k not in _KNOWN},
                    identifier_key=key,
                    source=(str(path), i),
                )
            except (KeyError, TypeError, ValueError) as exc:
                problem = f"malformed record ({type(exc).__name__}: {exc})"
        if record is None:
            record = PoseRecord(
                frame_dir=str(ident), label=-1, total_frames=0, extra={_INVALID: problem}, source=(str(path), i)
            )
        records.append(record)
    split = {str(k): [str(x) for x in v] for k, v in data.get("split", {}).items()}
    return SkeletonAnnotations(split, records, str(path))


class CenterBody2D(PoseTransform):
    """Body-centred 2D coordinates: ``PreNormalize2D``'s units (``x / (W/2)``, ``y / (H/2)``) with
    each person's own centre as the origin instead of the image centre, and missing joints at that
    origin.

    The centre of person ``m`` is the mean pixel position of its visible joints over the whole
    sequence (visible: score > 0, or, without scores, not at pixel ``(0, 0)``, where pose
    estimators put missing joints); ``x' = (x - cx_m) / (W/2)``, ``y' = (y - cy_m) / (H/2)``, and a
    missing joint becomes ``(0, 0)`` instead of ``PreNormalize2D``'s ``(-1, -1)`` corner. Motion
    within the sequence (walking across the frame) is kept; where the person stands is not. Only
    the first two channels change; ``img_shape`` falls back to ``img_shape`` given here.

    Not an MMAction2 transform: vidcore's synthetic preset uses it (see
    :data:`vidcore.skeleton.meta.SYNTH_COCO_2D`), because a GCN trained from scratch for a few epochs
    on absolute frame positions spends its steps on where the person stands.
    """

    def __init__(self, img_shape: tuple[int, int] = (1080, 1920)) -> None:
        self.img_shape = img_shape

    def apply(self, sample: PoseSample, params: Params | None = None) -> PoseSample:
        kp = check_keypoint(sample, "CenterBody2D", dims=(2, 3)).astype(np.float32, copy=True)
        h, w = sample.img_shape if sample.img_shape is not None else self.img_shape
        if sample.keypoint_score is not None:
            visible = np.asarray(sample.keypoint_score) > 0  # (M, T, V)
        else:
            visible = np.any(kp[..., :2] != 0, axis=-1)
        count = np.maximum(visible.sum(axis=(1, 2)), 1)  # (M,)
        centre = (kp[..., :2] * visible[..., None]).sum(axis=(1, 2)) / count[:, None]  # (M, 2) pixels
        kp[..., :2] = (kp[..., :2] - centre[:, None, None, :]) / np.array([w / 2, h / 2], dtype=np.float32)
        kp[..., :2] *= visible[..., None]
        return replace(sample, keypoint=kp)


def build_pipeline(preset: Preset, *, test_mode: bool, num_clips: int | None = None) -> tuple[Any, Compose]:
    """``(sampler, transforms)`` of ``preset`` for training (``test_mode=False``) or testing.
    ``num_clips`` overrides the clips sampled (default: 1 in training, ``test_num_clips`` in test)."""
    clips = num_clips if num_clips is not None else (preset.test_num_clips if test_mode else 1)
    sampler = partial(uniform_sample_pose, clip_len=preset.clip_len, num_clips=clips, test_mode=test_mode)
    layout = get_layout(preset.graph)
    if preset.input_key == "keypoint":
        steps: list[Any] = []
        if preset.pre_normalize == "2d":
            steps.append(PreNormalize2D())
        elif preset.pre_normalize == "3d":
            steps.append(PreNormalize3D())
        elif preset.pre_normalize == "2d_centered":
            steps.append(CenterBody2D())
        steps += [GenSkeFeat(layout, preset.feats), FormatGCNInput(preset.num_person, num_clips=clips)]
        return sampler, Compose(steps)
    with_kp, with_limb = not preset.with_limb, preset.with_limb
    if test_mode:
        size = preset.test_heatmap_size
        steps = [PoseCompact(hw_ratio=1.0, allow_imgpad=True), PoseResize(short_side=size), PoseCenterCrop((size, size))]
        double = preset.test_flip
    else:
        size = preset.heatmap_size
        steps = [
            PoseCompact(hw_ratio=1.0, allow_imgpad=True),
            PoseResize(short_side=64),
            PoseRandomResizedCrop(area_range=(0.56, 1.0)),
            PoseResize((size, size)),
        ]
        if preset.train_flip:
            steps.append(PoseFlip(0.5, layout=layout))
        double = False
    steps += [
        GeneratePoseTarget(
            sigma=preset.heatmap_sigma, with_kp=with_kp, with_limb=with_limb, layout=layout, double=double
        ),
        FormatHeatmapShape(num_clips=clips),
    ]
    return sampler, Compose(steps)


class SkeletonDataset(PoseDataset):
    """Samples of a skeleton pickle ready for a preset's model.

    Args:
        annotations: the pickle path (or loaded :class:`SkeletonAnnotations`).
        preset: the model's preset (layout, features, clip length, people, heatmap settings).
        split: a name in the pickle's ``split`` dict; ``None`` keeps every record.
        test_mode: test-time sampling (``test_num_clips`` clips, deterministic) and transforms.
        num_clips: override the clips per sample.
        on_error, seed: see ``vidcore.data.datasets.base.SkippingDataset``.

    Items: ``GCNSample`` (``keypoint`` ``(clips, M, T, J, C)``) or ``HeatmapSample`` (``heatmap``
    ``(views, K, T, H, W)``), with ``meta["frame_dir"]``; bad samples are ``SkippedSample`` markers.
    """

    def __init__(
        self,
        annotations: str | Path | SkeletonAnnotations,
        preset: Preset,
        *,
        split: str | None = None,
        test_mode: bool = False,
        num_clips: int | None = None,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        if not isinstance(annotations, SkeletonAnnotations):
            annotations = read_annotations(annotations)
        sampler, self.pipeline = build_pipeline(preset, test_mode=test_mode, num_clips=num_clips)
        super().__init__(annotations, split=split, sampler=sampler, on_error=on_error, seed=seed)
        self.preset = preset
        self.test_mode = test_mode
        self.num_joints = get_layout(preset.graph).num_joints

    def _check(self, r: PoseRecord) -> None:
        if _INVALID in r.extra:
            raise DataError(r.extra[_INVALID])
        kp = r.keypoint
        if kp is None:
            return  # loaded from skeleton_root by the base class, checked below
        if kp.shape[2] != self.num_joints:
            raise DataError(
                f"keypoint has {kp.shape[2]} joints but layout {self.preset.graph!r} has {self.num_joints} "
                f"(shape {kp.shape}, expected (M, T, {self.num_joints}, C))"
            )
        if not np.isfinite(kp).all():
            bad = np.argwhere(~np.isfinite(kp))[0]
            raise DataError(f"keypoint has NaN or infinite coordinates (first at person {bad[0]}, frame {bad[1]}, joint {bad[2]})")
        if r.keypoint_score is not None and not np.isfinite(r.keypoint_score).all():
            raise DataError("keypoint_score has NaN or infinite values")
        if kp.shape[1] == 0:
            raise DataError("no frames")

    def load(self, index: int, rng: np.random.Generator) -> Any:
        self._check(self.records[index])
        sample: PoseSample = super().load(index, rng)
        return self.pipeline(sample, rng=rng)


def collate_skeleton(samples: Sequence[Any]) -> SkeletonBatch:
    """Stack ``GCNSample`` / ``HeatmapSample`` items into a :class:`SkeletonBatch`: ``keypoint``
    ``(N, clips, M, T, J, C)`` or ``heatmap`` ``(N, views, K, T, H, W)``, ``label`` ``(N,)``,
    ``index``, ``frame_dir``; ``SkippedSample`` markers go to ``skipped``."""
    skipped = tuple(str(s) for s in samples if isinstance(s, SkippedSample))
    good = [s for s in samples if not isinstance(s, SkippedSample)]
    if not good:
        return SkeletonBatch(skipped=skipped, label=torch.zeros(0, dtype=torch.int64))
    label = torch.tensor([int(s.label) for s in good], dtype=torch.int64)
    index = torch.tensor([int(s.meta.get("index", -1)) for s in good], dtype=torch.int64)
    frame_dir = tuple(str(s.meta.get("frame_dir", "")) for s in good)
    if hasattr(good[0], "keypoint"):
        x = torch.from_numpy(np.stack([s.keypoint for s in good]))
        return SkeletonBatch(keypoint=x, label=label, index=index, frame_dir=frame_dir, skipped=skipped)
    x = torch.from_numpy(np.stack([s.heatmap for s in good]))
    return SkeletonBatch(heatmap=x, label=label, index=index, frame_dir=frame_dir, skipped=skipped)
