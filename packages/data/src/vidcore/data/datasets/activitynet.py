"""Temporal action localisation on ActivityNet-style feature sequences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.data.annotations._common import PathArg
from vidcore.data.annotations.activitynet import ActivityNetRecord, read_activitynet_json
from vidcore.data.annotations.labelmap import LabelMap
from vidcore.data.datasets.base import OnError, SkippingDataset, Transform
from vidcore.data.errors import DataError


@dataclass
class LocalizationSample:
    """Features of one untrimmed video with its ground-truth segments.

    Attributes:
        features: float32 ``(C, T)``: C feature channels at T temporal positions (MMAction2's
            ``raw_feature`` layout, the csv transposed).
        gt_segments: float32 ``(n, 2)`` start/end as fractions of the feature span, in [0, 1].
        gt_labels: int64 ``(n,)`` class indices (-1 without a label map).
        label: unused (-1); present so generic code can read ``sample.label``.
        meta: ``video_name``, ``duration_second``, ``feature_frame``, ``record``, ``index``...
    """

    features: torch.Tensor
    gt_segments: torch.Tensor
    gt_labels: torch.Tensor
    label: int = -1
    meta: dict[str, Any] = field(default_factory=dict)


def load_feature_file(path: Path) -> np.ndarray:
    """``(T, C)`` float32 from a csv with one header line (MMAction2's feature files) or a ``.npy``."""
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, dtype=np.float32, delimiter=",", skiprows=1, ndmin=2)
    except FileNotFoundError:
        raise DataError(f"{path}: feature file not found") from None
    except ValueError as exc:
        raise DataError(f"{path}: not a readable feature matrix ({exc})") from None
    if arr.ndim != 2:
        raise DataError(f"{path}: expected a (T, C) feature matrix, got shape {arr.shape}")
    return np.asarray(arr, dtype=np.float32)


class ActivityNetDataset(SkippingDataset):
    """One item per video of an ActivityNet annotation file, features from
    ``feature_root / f"{video_name}{feature_ext}"``.

    Args:
        annotations: annotation JSON (MMAction2's or the official layout) or records.
        feature_root: folder of per-video feature files (csv with a header line, or ``.npy``),
            each ``(T, C)``: T temporal positions (100 for MMAction2's rescaled TSN features).
        label_map: maps segment label names to class indices (``gt_labels``); unknown names raise.
        temporal_scale: if given, the feature length every file must have.
        transform, on_error, seed: see ``SkippingDataset``.

    BMN-style start/end/confidence maps are not built here (a transform can derive them from
    ``gt_segments``).
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[ActivityNetRecord],
        feature_root: PathArg = "",
        *,
        feature_ext: str = ".csv",
        label_map: LabelMap | None = None,
        temporal_scale: int | None = None,
        transform: Transform | None = None,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(transform=transform, on_error=on_error, seed=seed)
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_activitynet_json(annotations)  # type: ignore[arg-type]
        self.records: list[ActivityNetRecord] = list(annotations)  # type: ignore[arg-type]
        self.feature_root = Path(feature_root)
        self.feature_ext = feature_ext
        self.label_map = label_map
        self.temporal_scale = temporal_scale

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        return f"{self.feature_root / (r.video_name + self.feature_ext)} (video {r.video_name})"

    def load(self, index: int, rng: np.random.Generator) -> LocalizationSample:
        r = self.records[index]
        path = self.feature_root / f"{r.video_name}{self.feature_ext}"
        feats = load_feature_file(path)
        if self.temporal_scale is not None and feats.shape[0] != self.temporal_scale:
            raise DataError(
                f"{path}: expected {self.temporal_scale} temporal positions, got {feats.shape[0]}"
            )
        if self.label_map is not None:
            try:
                labels = [self.label_map.id_of(s.label) for s in r.segments]
            except KeyError as exc:
                raise DataError(f"video {r.video_name}: {exc.args[0]}") from None
        else:
            labels = [-1] * len(r.segments)
        meta = {
            "video_name": r.video_name, "duration_second": r.duration_second, "duration_frame": r.duration_frame,
            "feature_frame": r.feature_frame, "record": r.source, "source": str(path),
        }  # fmt: skip
        return LocalizationSample(
            features=torch.from_numpy(np.ascontiguousarray(feats.T)),  # (T, C) -> (C, T)
            gt_segments=torch.from_numpy(r.normalized_segments()),
            gt_labels=torch.tensor(labels, dtype=torch.int64),
            meta=meta,
        )
