"""THUMOS14 temporal annotations: the per-class txt files of ``TH14_Temporal_annotations_validation``
/ ``TH14_Temporal_annotations_test`` (what MMAction2's ``tools/data/thumos14/download_annotations.sh``
unpacks; MMAction2 ships no THUMOS14 json), read into the ActivityNet records of
:mod:`vidcore.data.annotations.activitynet`, so that the localization datasets and evaluation
take them as they take ActivityNet.

A folder holds one file per class, ``<Class>_val.txt`` or ``<Class>_test.txt``, whose lines are
``video start end`` (the video id, start and end in seconds, whitespace separated, e.g.
``video_validation_0000051 67.5 75.9``), and ``Ambiguous_val.txt`` / ``Ambiguous_test.txt``
(segments the official evaluation ignores: not a class, returned apart). A line that is not
``video start end`` with ``0 <= start <= end`` is an error naming the file and line; all bad lines
of a file are reported together.

The txt files give no video lengths: pass ``durations`` (seconds by video id, e.g. from the
videos' metadata) to get them in the records; without, a video's ``duration_second`` is the end of
its latest segment (a lower bound), which is enough for the evaluation but not for normalising
segments to a feature span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vidcore.data.annotations._common import LineErrors, PathArg, iter_lines, parse_float
from vidcore.data.annotations.activitynet import ActivityNetRecord, Segment
from vidcore.data.errors import AnnotationError

__all__ = ["Thumos14Segment", "read_thumos14_annotations", "read_thumos14_file", "read_thumos14_segments"]

_FILE = re.compile(r"^(.+)_(val|test)\.txt$")
#: The file suffix's subset, in ActivityNet's vocabulary.
SUBSETS = {"val": "validation", "test": "testing"}
#: The file of segments that are not a class.
AMBIGUOUS = "Ambiguous"


@dataclass(frozen=True)
class Thumos14Segment:
    """One line: ``video`` ``[start, end]`` seconds of class ``label``; ``source`` is ``(file, line)``."""

    video: str
    start: float
    end: float
    label: str
    subset: str
    source: tuple[str, int]


def read_thumos14_file(path: PathArg) -> list[Thumos14Segment]:
    """One ``<Class>_{val,test}.txt`` file's segments, in file order."""
    p = Path(path)
    m = _FILE.match(p.name)
    if m is None:
        raise AnnotationError(p, None, "expected a file named <Class>_val.txt or <Class>_test.txt")
    label, subset = m.group(1), SUBSETS[m.group(2)]
    out = []
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            parts = text.split()
            if len(parts) != 3:
                raise AnnotationError(p, number, f"expected 'video start end' (seconds), got {text!r}")
            start = parse_float(parts[1], p, number, "start (seconds)")
            end = parse_float(parts[2], p, number, "end (seconds)")
            if not 0 <= start <= end:
                raise AnnotationError(p, number, f"expected 0 <= start <= end, got {start} {end}")
            out.append(Thumos14Segment(parts[0], start, end, label, subset, (str(p), number)))
    errors.raise_if_any()
    return out


def read_thumos14_segments(folder: PathArg) -> tuple[list[Thumos14Segment], list[str], list[Thumos14Segment]]:
    """Every class file of a THUMOS14 annotation folder: ``(segments, classes, ambiguous)``, the
    segments in sorted class order then file order, the classes sorted, the ``Ambiguous`` file's
    segments apart."""
    d = Path(folder)
    if not d.is_dir():
        raise AnnotationError(d, None, "expected a folder of <Class>_val.txt / <Class>_test.txt files")
    files = sorted(f for f in d.iterdir() if _FILE.match(f.name))
    classes = sorted({_FILE.match(f.name).group(1) for f in files} - {AMBIGUOUS})  # type: ignore[union-attr]
    if not classes:
        raise AnnotationError(d, None, "no <Class>_val.txt / <Class>_test.txt files")
    segments: list[Thumos14Segment] = []
    ambiguous: list[Thumos14Segment] = []
    for f in files:
        (ambiguous if f.name.startswith(AMBIGUOUS + "_") else segments).extend(read_thumos14_file(f))
    segments.sort(key=lambda s: classes.index(s.label))  # stable: file order within a class
    return segments, classes, ambiguous


def read_thumos14_annotations(
    folder: PathArg, durations: Mapping[str, float] | None = None, *, fps: float | None = None
) -> list[ActivityNetRecord]:
    """A THUMOS14 annotation folder as one :class:`ActivityNetRecord` per video (sorted by id):
    its segments in time order, ``subset`` ``"validation"``/``"testing"`` from the file names,
    ``duration_second`` from ``durations`` (else the latest segment end; see the module
    docstring), ``duration_frame`` from ``fps`` when given, ``source`` the first line naming it."""
    segments, _, _ = read_thumos14_segments(folder)
    by_video: dict[str, list[Thumos14Segment]] = {}
    for s in segments:
        by_video.setdefault(s.video, []).append(s)
    records = []
    for video in sorted(by_video):
        rows = sorted(by_video[video], key=lambda s: (s.start, s.end, s.label))
        subsets = {s.subset for s in rows}
        if len(subsets) > 1:
            where = min(rows, key=lambda s: s.source).source
            raise AnnotationError(Path(where[0]), where[1], f"video {video} is in both the val and test files")
        duration = float(durations[video]) if durations is not None and video in durations else max(s.end for s in rows)
        records.append(
            ActivityNetRecord(
                video_name=video,
                duration_second=duration,
                segments=tuple(Segment(s.start, s.end, s.label) for s in rows),
                duration_frame=round(duration * fps) if fps else None,
                fps=fps,
                subset=subsets.pop(),
                source=min((s.source for s in rows), key=lambda src: (src[0], src[1])),
            )
        )
    return records
