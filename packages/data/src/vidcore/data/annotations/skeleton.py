"""Skeleton annotation pickles (MMAction2 ``PoseDataset`` format), loaded without running code.

The file holds ``{"split": {name: [identifier, ...]}, "annotations": [record, ...]}`` where each
record is a dict with ``frame_dir`` (or ``filename``), ``label``, ``total_frames``, ``img_shape``
``(H, W)``, ``keypoint`` float ``(M, T, V, C)`` (M people, T frames, V joints, C = 2 or 3) and
``keypoint_score`` ``(M, T, V)``; 2D-pose pickles made from detections may also hold
``box_score``, ``frame_inds``, ``valid`` and ``original_shape``, which are kept in ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidcore.data.annotations._common import PathArg, Source
from vidcore.data.annotations.safe_pickle import dump_pickle, safe_load_pickle
from vidcore.data.errors import AnnotationError

_KNOWN = {
    "frame_dir",
    "filename",
    "label",
    "total_frames",
    "img_shape",
    "original_shape",
    "keypoint",
    "keypoint_score",
}


@dataclass
class PoseRecord:
    """One skeleton sequence. ``source`` is ``(file, index of the record in "annotations")``."""

    frame_dir: str
    label: int
    total_frames: int
    keypoint: np.ndarray | None = None
    keypoint_score: np.ndarray | None = None
    img_shape: tuple[int, int] | None = None
    original_shape: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    identifier_key: str = "frame_dir"
    source: Source | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The record as the dict MMAction2 stores (``identifier_key`` names the id field)."""
        d: dict[str, Any] = {
            self.identifier_key: self.frame_dir,
            "label": self.label,
            "total_frames": self.total_frames,
        }
        for key in ("img_shape", "original_shape", "keypoint", "keypoint_score"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        d.update(self.extra)
        return d


@dataclass
class SkeletonAnnotations:
    """The whole pickle: named splits (lists of identifiers) and the records."""

    split: dict[str, list[str]]
    records: list[PoseRecord]
    source: str | None = None

    def select(self, split: str) -> list[PoseRecord]:
        """The records whose identifier is listed under ``split`` (in file order)."""
        if split not in self.split:
            raise KeyError(f"split {split!r} not in {sorted(self.split)} ({self.source})")
        wanted = set(self.split[split])
        return [r for r in self.records if r.frame_dir in wanted]


def _shape2(value: Any, path: Path, where: str, key: str) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        h, w = (int(x) for x in value)
    except (TypeError, ValueError):
        raise AnnotationError(
            path, None, f"{where}: expected {key} as (height, width), got {value!r}"
        ) from None
    return h, w


def _parse_record(item: Any, index: int, path: Path) -> PoseRecord:
    where = f"annotation {index}"
    if not isinstance(item, dict):
        raise AnnotationError(path, None, f"{where}: expected a dict, got {type(item).__name__}")
    key = "filename" if "filename" in item else "frame_dir"
    if key not in item:
        raise AnnotationError(
            path, None, f"{where}: expected a 'frame_dir' or 'filename' field, got keys {sorted(item)}"
        )
    where = f"{where} ({key} {item[key]!r})"
    for required in ("label", "total_frames"):
        if required not in item:
            raise AnnotationError(path, None, f"{where}: missing {required!r}")
    try:
        label, total = int(item["label"]), int(item["total_frames"])
    except (TypeError, ValueError):
        raise AnnotationError(path, None, f"{where}: expected integer label and total_frames") from None
    kp = item.get("keypoint")
    score = item.get("keypoint_score")
    if kp is not None:
        if not isinstance(kp, np.ndarray) or kp.ndim != 4 or kp.shape[-1] not in (2, 3):
            got = getattr(kp, "shape", type(kp).__name__)
            raise AnnotationError(
                path, None, f"{where}: expected keypoint as an array (M, T, V, C) with C in (2, 3), got {got}"
            )
        if kp.shape[1] != total:
            raise AnnotationError(
                path, None, f"{where}: keypoint has T={kp.shape[1]} frames but total_frames={total}"
            )
        if score is not None and (not isinstance(score, np.ndarray) or score.shape != kp.shape[:3]):
            got = getattr(score, "shape", type(score).__name__)
            raise AnnotationError(
                path, None, f"{where}: expected keypoint_score of shape {kp.shape[:3]} (M, T, V), got {got}"
            )
    elif score is not None:
        raise AnnotationError(path, None, f"{where}: keypoint_score without keypoint")
    return PoseRecord(
        frame_dir=str(item[key]),
        label=label,
        total_frames=total,
        keypoint=kp,
        keypoint_score=score,
        img_shape=_shape2(item.get("img_shape"), path, where, "img_shape"),
        original_shape=_shape2(item.get("original_shape"), path, where, "original_shape"),
        extra={k: v for k, v in item.items() if k not in _KNOWN},
        identifier_key=key,
        source=(str(path), index),
    )


def read_skeleton_pickle(path: PathArg) -> SkeletonAnnotations:
    """Load and validate a skeleton pickle through the restricted unpickler.

    A plain list of records (no ``split``) is accepted too and gets an empty split table.
    """
    p = Path(path)
    data = safe_load_pickle(p)
    if isinstance(data, list):
        data = {"split": {}, "annotations": data}
    if not isinstance(data, dict) or "annotations" not in data:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise AnnotationError(
            p, None, f"expected a dict with 'split' and 'annotations' (or a list of records), got {got}"
        )
    split = data.get("split", {})
    if not isinstance(split, dict) or not all(isinstance(v, (list, tuple)) for v in split.values()):
        raise AnnotationError(p, None, "expected 'split' as a dict of name -> list of identifiers")
    annotations = data["annotations"]
    if not isinstance(annotations, list):
        raise AnnotationError(p, None, f"expected 'annotations' as a list, got {type(annotations).__name__}")
    records = [_parse_record(item, i, p) for i, item in enumerate(annotations)]
    return SkeletonAnnotations({str(k): [str(x) for x in v] for k, v in split.items()}, records, str(p))


def write_skeleton_pickle(annotations: SkeletonAnnotations | Iterable[PoseRecord], path: PathArg) -> None:
    """Write the MMAction2 skeleton-pickle layout (records only: an empty split table)."""
    if not isinstance(annotations, SkeletonAnnotations):
        annotations = SkeletonAnnotations({}, list(annotations))
    dump_pickle({"split": annotations.split, "annotations": [r.to_dict() for r in annotations.records]}, path)
