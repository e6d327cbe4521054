"""Temporal-localisation annotations: ActivityNet JSON (MMAction2's and the official layout),
localisation results JSON, and the SSN-style proposal list.

MMAction2 layout: ``{video_name: {"duration_second", "duration_frame", "annotations": [{"segment":
[start_s, end_s], "label"}], "feature_frame", "fps", "rfps"}}``. The official ActivityNet layout,
``{"database": {id: {"duration", "subset", "annotations", ...}}}`` (or the inner dict alone), is
read into the same record with the frame fields left ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidcore.data.annotations._common import PathArg, Source, atomic_write_text, iter_lines, load_json
from vidcore.data.errors import AnnotationError


@dataclass(frozen=True)
class Segment:
    """A labelled time interval in seconds (``score`` set for predictions)."""

    start: float
    end: float
    label: str
    score: float | None = None


@dataclass(frozen=True)
class ActivityNetRecord:
    """One video. ``source`` is ``(file, index of the video in the file)``."""

    video_name: str
    duration_second: float
    segments: tuple[Segment, ...] = ()
    duration_frame: int | None = None
    feature_frame: int | None = None
    fps: float | None = None
    rfps: float | None = None
    subset: str | None = None
    source: Source | None = field(default=None, compare=False)

    def normalized_segments(self) -> np.ndarray:
        """``(n, 2)`` float32 segment bounds as fractions of the feature span, clipped to [0, 1].

        As MMAction2's ``GenerateLocalizationLabels``: the features cover ``feature_frame`` of the
        ``duration_frame`` frames, so times are divided by ``feature_frame / duration_frame *
        duration_second`` seconds (the plain duration when the frame fields are absent).
        """
        span = self.duration_second
        if self.duration_frame and self.feature_frame:
            span = self.feature_frame / self.duration_frame * self.duration_second
        if not self.segments:
            return np.zeros((0, 2), dtype=np.float32)
        b = np.array([[s.start, s.end] for s in self.segments], dtype=np.float64) / span
        return np.clip(b, 0.0, 1.0).astype(np.float32)


def _segments(items: object, p: Path, where: str, *, scored: bool = False) -> tuple[Segment, ...]:
    if not isinstance(items, list):
        raise AnnotationError(
            p, None, f"{where}: expected a list of {{'segment': [start, end], 'label': ...}}"
        )
    out = []
    for j, a in enumerate(items):
        try:
            start, end = (float(x) for x in a["segment"])
            label = str(a["label"])
            score = float(a["score"]) if scored else None
        except (KeyError, TypeError, ValueError):
            need = "'segment' [start, end], 'label'" + (" and 'score'" if scored else "")
            raise AnnotationError(p, None, f"{where}, segment {j}: expected {need}, got {a!r}") from None
        if end < start:
            raise AnnotationError(
                p, None, f"{where}, segment {j}: expected start <= end, got [{start}, {end}]"
            )
        out.append(Segment(start, end, label, score))
    return tuple(out)


def read_activitynet_json(path: PathArg) -> list[ActivityNetRecord]:
    """Read either layout (see the module docstring) into records, in file order."""
    p = Path(path)
    data = load_json(p)
    if isinstance(data, dict) and isinstance(data.get("database"), dict):
        data = data["database"]
    if not isinstance(data, dict):
        raise AnnotationError(p, None, f"expected a JSON object video -> info, got {type(data).__name__}")
    records = []
    for index, (name, info) in enumerate(data.items()):
        where = f"video {name!r}"
        if not isinstance(info, dict):
            raise AnnotationError(p, None, f"{where}: expected an object, got {type(info).__name__}")
        try:
            if "duration_second" in info:
                duration = float(info["duration_second"])
            else:
                duration = float(info["duration"])
            frames = int(info["duration_frame"]) if "duration_frame" in info else None
            feature = int(info["feature_frame"]) if "feature_frame" in info else None
            fps = float(info["fps"]) if "fps" in info else None
            rfps = float(info["rfps"]) if "rfps" in info else None
        except KeyError:
            raise AnnotationError(
                p, None, f"{where}: expected 'duration_second' (or 'duration'), got keys {sorted(info)}"
            ) from None
        except (TypeError, ValueError) as exc:
            raise AnnotationError(
                p, None, f"{where}: expected numeric duration/frame/fps fields ({exc})"
            ) from None
        segs = _segments(info.get("annotations", []), p, where)
        subset = info.get("subset")
        records.append(
            ActivityNetRecord(
                str(name),
                duration,
                segs,
                frames,
                feature,
                fps,
                rfps,
                None if subset is None else str(subset),
                (str(p), index),
            )
        )
    return records


def write_activitynet_json(records: Iterable[ActivityNetRecord], path: PathArg) -> None:
    """Write MMAction2's layout (fields that are ``None`` are left out)."""
    out = {}
    for r in records:
        info: dict[str, object] = {"duration_second": r.duration_second}
        if r.duration_frame is not None:
            info["duration_frame"] = r.duration_frame
        info["annotations"] = [{"segment": [s.start, s.end], "label": s.label} for s in r.segments]
        for key in ("feature_frame", "fps", "rfps", "subset"):
            if getattr(r, key) is not None:
                info[key] = getattr(r, key)
        out[r.video_name] = info
    atomic_write_text(path, json.dumps(out, indent=2) + "\n")


def read_localization_results(path: PathArg) -> dict[str, tuple[Segment, ...]]:
    """Read a results file ``{"results": {video_id: [{"label", "score", "segment"}]}}``."""
    p = Path(path)
    data = load_json(p)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise AnnotationError(
            p, None, "expected a JSON object with a 'results' object (video -> scored segments)"
        )
    return {str(k): _segments(v, p, f"video {k!r}", scored=True) for k, v in data["results"].items()}


@dataclass(frozen=True)
class ProposalListEntry:
    """One video of an SSN proposal list. Ground truths are ``(label, start, end)``; proposals are
    ``(label, best_iou, overlap_self, start, end)``; times are frames, or fractions in the
    normalised variant."""

    video_id: str
    num_frames: float
    gts: tuple[tuple[int, float, float], ...]
    proposals: tuple[tuple[int, float, float, float, float], ...]
    source: Source | None = field(default=None, compare=False)


def read_proposal_list(path: PathArg) -> list[ProposalListEntry]:
    """Parse blocks of ``# idx / video_id / a / b / num_gts / gt lines / num_proposals / proposal
    lines`` (``num_frames = a * b``, as MMAction2 0.x ``load_localize_proposal_file``)."""
    lines = list(iter_lines(path))
    out = []
    i = 0

    def take(what: str) -> tuple[int, str]:
        nonlocal i
        if i >= len(lines):
            raise AnnotationError(path, lines[-1][0] if lines else None, f"file ends early: expected {what}")
        i += 1
        return lines[i - 1]

    def number(what: str, *, integer: bool) -> tuple[int, float]:
        n, t = take(what)
        try:
            return n, (int(t) if integer else float(t))
        except ValueError:
            raise AnnotationError(path, n, f"expected {what}, got {t!r}") from None

    while i < len(lines):
        n, t = take("'# index'")
        header = n
        if not t.startswith("#"):
            raise AnnotationError(path, n, f"expected a block header '# index', got {t!r}")
        _, vid = take("video id")
        _, a = number("a frame count", integer=False)
        _, b = number("a frame-count factor", integer=False)
        _, num_gts = number("the number of ground truths", integer=True)
        gts = []
        for _ in range(int(num_gts)):
            n, t = take("a ground-truth line 'label start end'")
            parts = t.split()
            try:
                if len(parts) != 3:
                    raise ValueError
                gts.append((int(parts[0]), float(parts[1]), float(parts[2])))
            except ValueError:
                raise AnnotationError(path, n, f"expected 'label start end', got {t!r}") from None
        _, num_props = number("the number of proposals", integer=True)
        props = []
        for _ in range(int(num_props)):
            n, t = take("a proposal line")
            parts = t.split()
            try:
                if len(parts) != 5:
                    raise ValueError
                props.append(
                    (int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3]), float(parts[4]))
                )
            except ValueError:
                raise AnnotationError(
                    path, n, f"expected 'label best_iou overlap_self start end', got {t!r}"
                ) from None
        out.append(ProposalListEntry(vid, a * b, tuple(gts), tuple(props), (str(path), header)))
    return out
