"""AVA spatio-temporal action files.

- ground truth csv, one box-action pair a line: ``video_id,timestamp,x1,y1,x2,y2,action_id,person_id``
  (box corners normalised to [0, 1], timestamp in seconds, action ids 1-based as in the label map);
- detection results csv: the same with a float ``score`` in place of ``person_id``;
- proposals pickle: ``{"video_id,timestamp": ndarray (n, 4) or (n, 5)}`` (x1, y1, x2, y2[, score]),
  timestamp written with 4 digits (``"0f39OWEqJ24,0902"``);
- excluded timestamps csv: ``video_id,timestamp``;
- label maps: see ``vidcore.data.annotations.labelmap`` (pbtxt ``item { name: id: }``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from vidcore.data.annotations._common import (
    LineErrors,
    PathArg,
    Source,
    atomic_write_text,
    iter_lines,
    parse_float,
    parse_int,
)
from vidcore.data.annotations.safe_pickle import dump_pickle, safe_load_pickle
from vidcore.data.errors import AnnotationError


@dataclass(frozen=True)
class AVABoxRecord:
    """One line of an AVA csv: one action of one person box at one keyframe."""

    video_id: str
    timestamp: int
    box: tuple[float, float, float, float]
    action_id: int
    person_id: int | None = None
    score: float | None = None
    source: Source | None = field(default=None, compare=False)

    @property
    def img_key(self) -> str:
        """``"video_id,TTTT"``: the key proposals pickles use."""
        return img_key(self.video_id, self.timestamp)


@dataclass
class AVAKeyframe:
    """All annotated people at one keyframe: boxes merged across lines with identical coordinates.

    ``boxes`` float32 ``(N, 4)`` normalised x1, y1, x2, y2; ``actions[i]`` the sorted action ids of box
    i; ``person_ids`` ``(N,)`` int64 (-1 where the file had none).
    """

    video_id: str
    timestamp: int
    boxes: np.ndarray
    actions: list[tuple[int, ...]]
    person_ids: np.ndarray
    sources: list[Source] = field(default_factory=list)

    @property
    def img_key(self) -> str:
        return img_key(self.video_id, self.timestamp)


@dataclass(frozen=True)
class ExcludedTimestamp:
    video_id: str
    timestamp: int
    source: Source | None = field(default=None, compare=False)


def img_key(video_id: str, timestamp: int) -> str:
    """The ``"video_id,timestamp"`` key with the timestamp zero-padded to 4 digits."""
    return f"{video_id},{timestamp:04d}"


def read_ava_csv(path: PathArg, *, kind: Literal["auto", "gt", "pred"] = "auto") -> list[AVABoxRecord]:
    """Parse a ground-truth (``gt``) or results (``pred``) csv; ``auto`` reads an 8th column holding
    an integer as ``person_id`` and one holding a decimal number as ``score``. A 7-column line has
    neither."""
    records = []
    errors = LineErrors(path)
    for number, text in iter_lines(path):
        with errors.on_line():
            cols = [c.strip() for c in text.split(",")]
            if len(cols) not in (7, 8):
                raise AnnotationError(
                    path,
                    number,
                    f"expected 'video_id,timestamp,x1,y1,x2,y2,action_id[,person_id|score]', got {len(cols)} columns",
                )
            ts = parse_int(cols[1], path, number, "timestamp (seconds)", minimum=0)
            box = tuple(parse_float(c, path, number, "box coordinate") for c in cols[2:6])
            x1, y1, x2, y2 = box
            if not (0.0 <= x1 <= x2 <= 1.0 and 0.0 <= y1 <= y2 <= 1.0):
                raise AnnotationError(
                    path,
                    number,
                    f"expected a normalised box with 0 <= x1 <= x2 <= 1 and 0 <= y1 <= y2 <= 1, got {box}",
                )
            action = parse_int(cols[6], path, number, "action_id", minimum=0)
            person = score = None
            if len(cols) == 8:
                is_score = kind == "pred" or (kind == "auto" and not cols[7].lstrip("-").isdigit())
                if is_score:
                    score = parse_float(cols[7], path, number, "score")
                else:
                    person = parse_int(cols[7], path, number, "person_id")
            records.append(AVABoxRecord(cols[0], ts, box, action, person, score, (str(path), number)))  # type: ignore[arg-type]
    errors.raise_if_any()
    return records


def write_ava_csv(records: Iterable[AVABoxRecord], path: PathArg, *, decimals: int | None = 3) -> None:
    """Write AVA csv lines; box coordinates with ``decimals`` digits (``None``: exact ``repr``)."""

    def num(x: float) -> str:
        return repr(float(x)) if decimals is None else f"{x:.{decimals}f}"

    lines = []
    for r in records:
        if "," in r.video_id:
            raise ValueError(f"video_id {r.video_id!r} contains a comma")
        cols = [r.video_id, f"{r.timestamp:04d}", *map(num, r.box), str(r.action_id)]
        if r.score is not None:
            cols.append(repr(float(r.score)))
        elif r.person_id is not None:
            cols.append(str(r.person_id))
        lines.append(",".join(cols))
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def group_keyframes(records: Iterable[AVABoxRecord]) -> list[AVAKeyframe]:
    """Merge csv lines into keyframes, in first-appearance order; lines with the same
    (video, timestamp) and identical box coordinates become one box with several actions."""
    by_key: dict[tuple[str, int], dict[tuple[float, ...], tuple[list[int], int, list[Source]]]] = {}
    for r in records:
        boxes = by_key.setdefault((r.video_id, r.timestamp), {})
        entry = boxes.setdefault(r.box, ([], -1 if r.person_id is None else r.person_id, []))
        if r.action_id not in entry[0]:
            entry[0].append(r.action_id)
        if r.source is not None:
            entry[2].append(r.source)
    out = []
    for (vid, ts), boxes in by_key.items():
        out.append(
            AVAKeyframe(
                vid,
                ts,
                np.array(list(boxes), dtype=np.float32).reshape(-1, 4),
                [tuple(sorted(a)) for a, _, _ in boxes.values()],
                np.array([p for _, p, _ in boxes.values()], dtype=np.int64),
                [s for _, _, srcs in boxes.values() for s in srcs],
            )
        )
    return out


def read_ava_proposals(path: PathArg) -> dict[str, np.ndarray]:
    """Load a proposals pickle (restricted unpickler) and check every entry: key ``"video,TTTT"``,
    value float ``(n, 4)`` or ``(n, 5)``. Values are returned as float32 arrays."""
    p = Path(path)
    data = safe_load_pickle(p)
    if not isinstance(data, dict):
        raise AnnotationError(
            p, None, f"expected a dict 'video_id,timestamp' -> array, got {type(data).__name__}"
        )
    out = {}
    for key, value in data.items():
        if not isinstance(key, str) or key.count(",") != 1 or not key.split(",")[1].isdigit():
            raise AnnotationError(p, None, f"expected keys 'video_id,timestamp', got {key!r}")
        arr = np.asarray(value)
        if arr.size == 0:
            arr = arr.reshape(0, 5)
        if arr.ndim != 2 or arr.shape[1] not in (4, 5) or not np.issubdtype(arr.dtype, np.number):
            raise AnnotationError(
                p,
                None,
                f"{key}: expected an (n, 4) or (n, 5) numeric array, got shape {arr.shape} {arr.dtype}",
            )
        out[key] = arr.astype(np.float32)
    return out


def write_ava_proposals(proposals: dict[str, np.ndarray], path: PathArg) -> None:
    """Write a proposals pickle in the layout ``read_ava_proposals`` reads."""
    dump_pickle({k: np.asarray(v) for k, v in proposals.items()}, path)


def read_excluded_timestamps(path: PathArg) -> list[ExcludedTimestamp]:
    """Parse ``video_id,timestamp`` lines."""
    out = []
    errors = LineErrors(path)
    for number, text in iter_lines(path):
        with errors.on_line():
            cols = [c.strip() for c in text.split(",")]
            if len(cols) != 2:
                raise AnnotationError(path, number, f"expected 'video_id,timestamp', got {text!r}")
            out.append(
                ExcludedTimestamp(
                    cols[0], parse_int(cols[1], path, number, "timestamp", minimum=0), (str(path), number)
                )
            )
    errors.raise_if_any()
    return out


def write_excluded_timestamps(items: Iterable[ExcludedTimestamp], path: PathArg) -> None:
    atomic_write_text(path, "".join(f"{e.video_id},{e.timestamp:04d}\n" for e in items))
