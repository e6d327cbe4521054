"""Skeleton sequences from an MMAction2 skeleton pickle."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidcore.data.annotations._common import PathArg
from vidcore.data.annotations.safe_pickle import safe_load_pickle
from vidcore.data.annotations.skeleton import PoseRecord, SkeletonAnnotations, read_skeleton_pickle
from vidcore.data.datasets.base import FrameSampler, OnError, SkippingDataset, Transform
from vidcore.data.errors import DataError
from vidcore.data.types import PoseSample


class PoseDataset(SkippingDataset):
    """``PoseSample``s from a skeleton pickle (see ``vidcore.data.annotations.skeleton``).

    Args:
        annotations: the pickle path, a loaded ``SkeletonAnnotations`` or a list of ``PoseRecord``.
        split: keep only the records named in this split (``"xsub_train"``, ``"train"``...).
        sampler: frame sampler over ``total_frames`` (e.g. ``partial(uniform_sample_pose,
            clip_len=100)``); the sample's keypoints are ``keypoint[:, inds]``. ``None`` keeps all.
        skeleton_root: for records without ``keypoint`` in the pickle, load
            ``skeleton_root / f"{frame_dir}.pkl"`` (a dict of the missing fields, as MMAction2's
            ``data_prefix["skeleton"]``).
        valid_ratio, box_thr: MMAction2's filter for detection-based pickles: keep records whose
            ``valid[box_thr] / total_frames >= valid_ratio``.
        transform, on_error, seed: see ``SkippingDataset``.

    Items: ``keypoint`` float32 ``(M, T, V, C)``, ``keypoint_score`` float32 ``(M, T, V)`` (``None``
    when the pickle has none); ``meta``: ``frame_dir``, ``record``, ``total_frames``,
    ``frame_inds`` (with a sampler) and ``index``.
    """

    def __init__(
        self,
        annotations: PathArg | SkeletonAnnotations | Sequence[PoseRecord],
        *,
        split: str | None = None,
        sampler: FrameSampler | None = None,
        transform: Transform | None = None,
        skeleton_root: PathArg | None = None,
        valid_ratio: float | None = None,
        box_thr: float = 0.5,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(transform=transform, on_error=on_error, seed=seed)
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_skeleton_pickle(annotations)  # type: ignore[arg-type]
        if isinstance(annotations, SkeletonAnnotations):
            records = annotations.select(split) if split is not None else annotations.records
        else:
            if split is not None:
                raise ValueError(
                    "split needs the whole pickle (path or SkeletonAnnotations), not a record list"
                )
            records = list(annotations)  # type: ignore[arg-type]
        if valid_ratio is not None and valid_ratio > 0:
            kept = []
            for r in records:
                valid = r.extra.get("valid")
                if not isinstance(valid, dict) or box_thr not in valid:
                    raise ValueError(
                        f"valid_ratio needs a 'valid' dict with key {box_thr} in record {r.frame_dir}"
                    )
                if valid[box_thr] / max(r.total_frames, 1) >= valid_ratio:
                    kept.append(r)
            records = kept
        self.records: list[PoseRecord] = records
        self.sampler = sampler
        self.skeleton_root = None if skeleton_root is None else Path(skeleton_root)

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        where = f" ({r.source[0]} record {r.source[1]})" if r.source else ""
        return f"{r.frame_dir}{where}"

    def _keypoints(self, r: PoseRecord) -> tuple[np.ndarray, np.ndarray | None]:
        if r.keypoint is not None:
            return r.keypoint, r.keypoint_score
        if self.skeleton_root is None:
            raise DataError(f"{r.frame_dir}: the record has no 'keypoint' and no skeleton_root was given")
        extra = safe_load_pickle(self.skeleton_root / f"{r.frame_dir}.pkl")
        if not isinstance(extra, dict) or "keypoint" not in extra:
            raise DataError(f"{self.skeleton_root / r.frame_dir}.pkl: expected a dict with 'keypoint'")
        kp = np.asarray(extra["keypoint"])
        score = extra.get("keypoint_score")
        if kp.ndim != 4:
            raise DataError(f"{r.frame_dir}: expected keypoint (M, T, V, C), got shape {kp.shape}")
        return kp, None if score is None else np.asarray(score)

    def load(self, index: int, rng: np.random.Generator) -> PoseSample:
        r = self.records[index]
        kp, score = self._keypoints(r)
        total = kp.shape[1]
        meta: dict[str, Any] = {"frame_dir": r.frame_dir, "record": r.source, "total_frames": total}
        if self.sampler is not None:
            if total <= 0:
                raise DataError(f"{r.frame_dir}: no frames to sample")
            inds = np.asarray(self.sampler(total, rng=rng), dtype=np.int64).reshape(-1)
            kp = kp[:, inds]
            score = None if score is None else score[:, inds]
            meta["frame_inds"] = inds
        return PoseSample(
            keypoint=np.ascontiguousarray(kp, dtype=np.float32),
            keypoint_score=None if score is None else np.ascontiguousarray(score, dtype=np.float32),
            label=r.label,
            img_shape=r.img_shape,
            total_frames=r.total_frames,
            meta=meta,
        )
