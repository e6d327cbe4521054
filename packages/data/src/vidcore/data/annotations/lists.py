"""Whitespace-separated list files in MMAction2's formats: rawframes, videos, audio, raw-video clips.

Formats (one record a line, blank lines ignored, labels are 0-based class indices):

- rawframe list: ``frame_dir total_frames label [label ...]``; with ``with_offset=True``
  ``frame_dir offset total_frames label [label ...]`` (the clip is frames ``offset ..
  offset + total_frames - 1`` of the folder, counted from the folder's ``start_index``, as
  MMAction2's ``RawFrameDecode`` adds ``offset`` to every sampled index).
- video list: ``path label [label ...]`` (``path`` alone means unlabeled, label -1 in MMAction2).
- audio list and audio feature list: ``file total_frames label [label ...]`` (``file`` is a
  waveform or a ``.npy`` feature matrix).
- raw-video list (MMAction2 0.x ``RawVideoDataset``): ``video_dir label num_clips
  positive_clip_index [...]``, or the same fields as a JSON list of objects.

More than one label is accepted only with ``multi_label=True`` (MMAction2's ``multi_class``), so a
file with a stray extra column is caught instead of silently read as multi-label.

Lists are read bytes-safe: a file name that is not UTF-8 is kept as Python spells such names
(``surrogateescape``), so it opens the very file. Entries are joined to a dataset's root with
``_common.resolve_entry``, which refuses those that resolve outside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vidcore.data.annotations._common import (
    LineErrors,
    PathArg,
    Source,
    atomic_write_text,
    check_token,
    iter_lines,
    load_json,
    parse_int,
)
from vidcore.data.errors import AnnotationError


class _Labelled:
    """Mixin: ``labels`` is a tuple of class indices, empty when the line had none."""

    labels: tuple[int, ...]

    @property
    def label(self) -> int:
        """The single class index; -1 when unlabeled. Raises ``ValueError`` for multi-label records."""
        if not self.labels:
            return -1
        if len(self.labels) > 1:
            raise ValueError(f"record has {len(self.labels)} labels {self.labels}; use .labels")
        return self.labels[0]


@dataclass(frozen=True)
class RawframeRecord(_Labelled):
    """One folder of extracted frames: ``total_frames`` frames starting at ``offset``."""

    frame_dir: str
    total_frames: int
    labels: tuple[int, ...] = ()
    offset: int = 0
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class VideoRecord(_Labelled):
    """One video file."""

    path: str
    labels: tuple[int, ...] = ()
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AudioRecord(_Labelled):
    """One audio file (waveform) or feature file (``.npy``, ``(total_frames, F)``)."""

    path: str
    total_frames: int
    labels: tuple[int, ...] = ()
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RawVideoRecord:
    """A video stored as a folder of pre-cut clips, some of which are positive (MMAction2 0.x)."""

    video_dir: str
    label: int
    num_clips: int
    positive_clip_inds: tuple[int, ...]
    source: Source | None = field(default=None, compare=False)


def _labels(
    tokens: list[str], path: PathArg, line: int, multi_label: bool, *, required: bool
) -> tuple[int, ...]:
    labels = tuple(parse_int(t, path, line, "label", minimum=0) for t in tokens)
    if required and not labels:
        raise AnnotationError(path, line, "expected at least one label after the frame count")
    if len(labels) > 1 and not multi_label:
        raise AnnotationError(
            path,
            line,
            f"expected one label, got {len(labels)} ({' '.join(tokens)}); for a multi-label list pass "
            "--multi-label (multi_label=True)",
        )
    return labels


def read_rawframe_list(
    path: PathArg, *, with_offset: bool = False, multi_label: bool = False
) -> list[RawframeRecord]:
    """Parse a rawframe list (see the module docstring). Unlabeled lines get ``labels=()``."""
    records = []
    need = 3 if with_offset else 2
    layout = "frame_dir offset total_frames label" if with_offset else "frame_dir total_frames label"
    errors = LineErrors(path)
    for number, text in iter_lines(path, bytes_safe=True):
        with errors.on_line():
            tokens = text.split()
            if len(tokens) < need:
                raise AnnotationError(path, number, f"expected '{layout} [label ...]', got {text!r}")
            offset = parse_int(tokens[1], path, number, "offset", minimum=0) if with_offset else 0
            total = parse_int(tokens[need - 1], path, number, "total_frames", minimum=0)
            labels = _labels(tokens[need:], path, number, multi_label, required=False)
            records.append(RawframeRecord(tokens[0], total, labels, offset, (str(path), number)))
    errors.raise_if_any()
    return records


def write_rawframe_list(
    records: Iterable[RawframeRecord], path: PathArg, *, with_offset: bool = False
) -> None:
    """Write records in the rawframe-list format (``offset`` column only with ``with_offset``)."""
    lines = []
    for r in records:
        check_token(r.frame_dir, "frame_dir")
        if r.offset and not with_offset:
            raise ValueError(f"record {r.frame_dir} has offset {r.offset}; write with with_offset=True")
        cols = [r.frame_dir] + ([str(r.offset)] if with_offset else []) + [str(r.total_frames)]
        lines.append(" ".join(cols + [str(x) for x in r.labels]))
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_video_list(
    path: PathArg, *, multi_label: bool = False, delimiter: str | None = None
) -> list[VideoRecord]:
    """Parse a video list ``path label [label ...]``; ``delimiter=None`` splits on any whitespace."""
    records = []
    errors = LineErrors(path)
    for number, text in iter_lines(path, bytes_safe=True):
        with errors.on_line():
            tokens = [t for t in text.split(delimiter) if t] if delimiter is None else text.split(delimiter)
            labels = _labels(tokens[1:], path, number, multi_label, required=False)
            records.append(VideoRecord(tokens[0], labels, (str(path), number)))
    errors.raise_if_any()
    return records


def write_video_list(records: Iterable[VideoRecord], path: PathArg, *, delimiter: str = " ") -> None:
    """Write records as ``path label [label ...]``."""
    lines = []
    for r in records:
        if delimiter == " ":
            check_token(r.path, "path")
        lines.append(delimiter.join([r.path, *map(str, r.labels)]))
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_audio_list(path: PathArg, *, multi_label: bool = False) -> list[AudioRecord]:
    """Parse an audio (feature) list ``file total_frames label [label ...]``; a label is required."""
    records = []
    errors = LineErrors(path)
    for number, text in iter_lines(path, bytes_safe=True):
        with errors.on_line():
            tokens = text.split()
            if len(tokens) < 3:
                raise AnnotationError(
                    path, number, f"expected 'file total_frames label [label ...]', got {text!r}"
                )
            total = parse_int(tokens[1], path, number, "total_frames", minimum=0)
            labels = _labels(tokens[2:], path, number, multi_label, required=True)
            records.append(AudioRecord(tokens[0], total, labels, (str(path), number)))
    errors.raise_if_any()
    return records


def write_audio_list(records: Iterable[AudioRecord], path: PathArg) -> None:
    """Write records as ``file total_frames label [label ...]``."""
    lines = []
    for r in records:
        check_token(r.path, "path")
        if not r.labels:
            raise ValueError(f"audio record {r.path} has no label; the format requires one")
        lines.append(" ".join([r.path, str(r.total_frames), *map(str, r.labels)]))
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_rawvideo_list(path: PathArg) -> list[RawVideoRecord]:
    """Parse a raw-video list: text ``video_dir label num_clips pos [pos ...]`` or a ``.json`` list."""
    p = Path(path)
    records = []
    if p.suffix == ".json":
        data = load_json(p)
        if not isinstance(data, list):
            raise AnnotationError(p, None, f"expected a JSON list of clip records, got {type(data).__name__}")
        for i, item in enumerate(data):
            try:
                records.append(
                    RawVideoRecord(
                        str(item["video_dir"]),
                        int(item["label"]),
                        int(item["num_clips"]),
                        tuple(int(x) for x in item.get("positive_clip_inds", [])),
                        (str(p), 0),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise AnnotationError(
                    p, None, f"record {i}: expected video_dir, label, num_clips, positive_clip_inds ({exc!r})"
                ) from None
        return records
    errors = LineErrors(p)
    for number, text in iter_lines(p, bytes_safe=True):
        with errors.on_line():
            tokens = text.split()
            if len(tokens) < 3:
                raise AnnotationError(
                    p, number, f"expected 'video_dir label num_clips [positive_clip ...]', got {text!r}"
                )
            label = parse_int(tokens[1], p, number, "label", minimum=0)
            num_clips = parse_int(tokens[2], p, number, "num_clips", minimum=1)
            pos = tuple(parse_int(t, p, number, "positive clip index", minimum=0) for t in tokens[3:])
            if any(x >= num_clips for x in pos):
                raise AnnotationError(
                    p, number, f"expected positive clip indices < num_clips={num_clips}, got {pos}"
                )
            records.append(RawVideoRecord(tokens[0], label, num_clips, pos, (str(p), number)))
    errors.raise_if_any()
    return records


def dump_json_records(records: Iterable[RawVideoRecord]) -> str:
    """Raw-video records as the JSON list MMAction2 0.x reads."""
    return json.dumps(
        [
            {
                "video_dir": r.video_dir,
                "label": r.label,
                "num_clips": r.num_clips,
                "positive_clip_inds": list(r.positive_clip_inds),
            }
            for r in records
        ],
        indent=2,
    )
