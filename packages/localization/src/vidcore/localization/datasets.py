"""Feature datasets for temporal localization: one feature file per video, rescaled to a fixed
temporal scale, with the ground truth of an ActivityNet annotation file.

Feature files are MMAction2's: a csv with one header line and ``T`` rows of ``C`` values
(``activitynet_feature_cuhk/csv_mean_100/v_<id>.csv``), or a ``.npy`` array ``(T, C)``. A file
with ``T != temporal_scale`` rows is resampled to ``temporal_scale`` positions: averaged over
equal bins when longer (``adaptive_avg_pool1d``), linearly interpolated at the bin centres when
shorter. Ground-truth segments become fractions of the feature span
(:meth:`~vidcore.data.annotations.activitynet.ActivityNetRecord.normalized_segments`).

A malformed annotation file raises an ``AnnotationError`` naming the file and the video id (the
reader of vidcore-data); a missing or malformed feature file is skipped with its path and video
id (``on_error="skip"``) or raises (``on_error="raise"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from vidcore.core.batch import Batch
from vidcore.data.annotations._common import PathArg
from vidcore.data.annotations.activitynet import ActivityNetRecord
from vidcore.data.datasets.activitynet import ActivityNetDataset, LocalizationSample, load_feature_file
from vidcore.data.datasets.base import OnError, SkippedSample
from vidcore.data.errors import DataError

from .postprocess import video_span_seconds

__all__ = ["FeatureDataset", "LocalizationBatch", "collate_localization", "load_features", "rescale_features"]


def rescale_features(features: np.ndarray | Tensor, temporal_scale: int) -> Tensor:
    """``(T, C)`` -> float32 ``(temporal_scale, C)`` (see the module docstring)."""
    x = torch.as_tensor(np.asarray(features, dtype=np.float32)).T[None]  # (T, C) -> (1, C, T)
    t = x.shape[-1]
    if t == temporal_scale:
        out = x
    elif t > temporal_scale:
        out = F.adaptive_avg_pool1d(x, temporal_scale)
    else:
        out = F.interpolate(x, size=temporal_scale, mode="linear", align_corners=False)
    return out[0].T.contiguous()  # (1, C, S) -> (S, C)


def load_features(path: PathArg, temporal_scale: int | None = 100) -> Tensor:
    """One video's features as float32 ``(C, temporal_scale)`` (the models' layout), from a csv
    or ``.npy`` file ``(T, C)``; ``temporal_scale=None`` keeps ``T``."""
    arr = load_feature_file(Path(path))
    if arr.shape[0] == 0:
        raise DataError(f"{path}: no feature rows")
    feats = rescale_features(arr, temporal_scale) if temporal_scale else torch.from_numpy(arr)
    return feats.T.contiguous()  # (S, C) -> (C, S)


@dataclasses.dataclass(kw_only=True)
class LocalizationBatch(Batch):
    """A batch of feature sequences with their ground truth.

    Attributes:
        features: float32 ``(N, C, T)``.
        gt_segments: per video, float32 ``(n_i, 2)`` [start, end] fractions of the feature span.
        gt_labels: per video, int64 ``(n_i,)`` class indices (-1 without a label map).
        video_name: per video, its id as in the annotation file.
        duration_second: float64 ``(N,)`` video durations.
        duration_frame: int64 ``(N,)`` frame counts (0 when unknown).
    """

    features: Tensor
    gt_segments: tuple[Tensor, ...] = ()
    gt_labels: tuple[Tensor, ...] = ()
    video_name: tuple[str, ...] = ()
    duration_second: Tensor | None = None
    duration_frame: Tensor | None = None

    def video_duration(self, i: int, interval: int = 16) -> float:
        """Seconds covered by video ``i``'s features (MMAction2's post-processing span)."""
        if self.duration_second is None:
            return 1.0
        frames = int(self.duration_frame[i]) if self.duration_frame is not None else 0
        return video_span_seconds(float(self.duration_second[i]), frames or None, interval)


def collate_localization(samples: Sequence[LocalizationSample | SkippedSample]) -> LocalizationBatch:
    """Stack :class:`LocalizationSample` items into a :class:`LocalizationBatch`; skipped samples
    are left out and reported in ``skipped``."""
    skipped = tuple(str(s) for s in samples if isinstance(s, SkippedSample))
    kept = [s for s in samples if not isinstance(s, SkippedSample)]
    if not kept:
        return LocalizationBatch(features=torch.zeros(0, 0, 0), skipped=skipped)
    return LocalizationBatch(
        features=torch.stack([s.features for s in kept]),
        gt_segments=tuple(s.gt_segments for s in kept),
        gt_labels=tuple(s.gt_labels for s in kept),
        video_name=tuple(str(s.meta["video_name"]) for s in kept),
        duration_second=torch.tensor([float(s.meta["duration_second"]) for s in kept], dtype=torch.float64),
        duration_frame=torch.tensor([int(s.meta.get("duration_frame") or 0) for s in kept], dtype=torch.int64),
        index=torch.tensor([int(s.meta.get("index", -1)) for s in kept], dtype=torch.int64),
        skipped=skipped,
    )


class FeatureDataset(ActivityNetDataset):
    """One item per video: features ``(C, temporal_scale)`` and ground truth.

    Args:
        annotations: ActivityNet JSON (MMAction2's or the official layout) or records.
        feature_root: folder of ``<video_name><ext>`` feature files.
        temporal_scale: positions after rescaling (100).
        feature_ext: ``".csv"``, ``".npy"``, or ``None`` to take whichever exists (csv first).
        subset: keep only videos of this subset (``"training"``, ``"validation"``) when the file
            records subsets.
        require_segments: leave out videos without ground-truth segments (training needs them).
        label_map, transform, on_error, seed: see ``ActivityNetDataset``.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[ActivityNetRecord],
        feature_root: PathArg = "",
        *,
        temporal_scale: int = 100,
        feature_ext: str | None = None,
        subset: str | None = None,
        require_segments: bool = False,
        label_map: Any = None,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            annotations, feature_root, feature_ext=feature_ext or ".csv", label_map=label_map,
            on_error=on_error, seed=seed,
        )  # fmt: skip
        if subset is not None:
            self.records = [r for r in self.records if r.subset is None or r.subset == subset]
        if require_segments:
            self.records = [r for r in self.records if r.segments]
        self.scale = temporal_scale
        self.auto_ext = feature_ext is None

    def _path(self, name: str) -> Path:
        if self.auto_ext:
            for ext in (".csv", ".npy"):
                p = self.feature_root / f"{name}{ext}"
                if p.is_file():
                    return p
        return self.feature_root / f"{name}{self.feature_ext}"

    def describe(self, index: int) -> str:
        r = self.records[index]
        return f"{self._path(r.video_name)} (video {r.video_name})"

    def load(self, index: int, rng: np.random.Generator) -> LocalizationSample:
        r = self.records[index]
        path = self._path(r.video_name)
        try:
            feats = load_features(path, self.scale)
        except DataError as exc:
            raise DataError(f"video {r.video_name}: {exc}") from None
        sample = LocalizationSample(
            features=feats,
            gt_segments=torch.from_numpy(r.normalized_segments()),
            gt_labels=torch.full((len(r.segments),), -1, dtype=torch.int64),
            meta={
                "video_name": r.video_name, "duration_second": r.duration_second,
                "duration_frame": r.duration_frame, "feature_frame": r.feature_frame,
                "record": r.source, "source": str(path), "index": index,
            },
        )  # fmt: skip
        if self.label_map is not None:
            try:
                labels = [self.label_map.id_of(s.label) for s in r.segments]
            except KeyError as exc:
                raise DataError(f"video {r.video_name}: {exc.args[0]}") from None
            sample.gt_labels = torch.tensor(labels, dtype=torch.int64)
        return sample
