"""``vidcore-data check``: verify an annotation file against the data it describes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXAMPLES = """examples:
  vidcore-data check lists/ucf101_train.txt --root data/ucf101/videos --label-map lists/label_map.txt
  vidcore-data check lists/k400_train_frames.txt --root data/k400/rawframes --format rawframes
  vidcore-data check ava_train_v2.2.csv --root data/ava/rawframes --format ava
  vidcore-data check ntu60_2d.pkl --format pose --num-classes 60

Checks every record: the file/folder exists and decodes (first and last frame), the frame count
in the list is the true one (rawframe folders, feature files), labels are in range of the label
map or --num-classes. Prints one line per problem (file:line: what is wrong) and exits 1 if any."""

FORMATS = (
    "auto",
    "video",
    "rawframes",
    "rawframes-offset",
    "audio-features",
    "audio",
    "pose",
    "ava",
    "activitynet",
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "check",
        help="check that every record of an annotation file is readable and consistent",
        description="Check an annotation file: every record readable, frame counts true, labels in range.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("annotation", type=Path, help="list file, skeleton pickle, AVA csv or ActivityNet json")
    p.add_argument(
        "--root", type=Path, default=Path(""), help="folder the annotation's paths are relative to"
    )
    p.add_argument(
        "--format", choices=FORMATS, default="auto", help="annotation format (auto: guess from the file)"
    )
    p.add_argument(
        "--label-map", type=Path, default=None, help="label map whose classes the labels must index"
    )
    p.add_argument(
        "--num-classes", type=int, default=None, help="labels must be < this (instead of --label-map)"
    )
    p.add_argument("--multi-label", action="store_true", help="lines may carry several labels")
    p.add_argument("--filename-tmpl", default="img_{:05d}.jpg", help="rawframe file names")
    p.add_argument("--start-index", type=int, default=1, help="number of the first rawframe file")
    p.add_argument("--backend", default="auto", help="video decoder backend")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _guess_format(path: Path, root: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        return "pose"
    if suffix == ".json":
        return "activitynet"
    if suffix == ".csv":
        return "ava"
    from vidcore.data.annotations._common import iter_lines

    for _, text in iter_lines(path):
        first = text.split()[0]
        if (root / first).is_dir():
            return "rawframes"
        if first.endswith(".npy") or (root / f"{first}.npy").is_file():
            return "audio-features"
        if first.lower().endswith((".wav", ".flac", ".mp3", ".ogg", ".m4a")):
            return "audio"
        return "video"
    return "video"


class _Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, source: Any, message: str) -> None:
        where = f"{source[0]}:{source[1]}" if isinstance(source, tuple) else str(source)
        self.problems.append(f"{where}: {message}")


def _label_check(num_classes: int | None) -> Callable[[Any, tuple[int, ...], _Report], None]:
    def check(source: Any, labels: tuple[int, ...], report: _Report) -> None:
        if num_classes is None:
            return
        bad = [x for x in labels if not 0 <= x < num_classes]
        if bad:
            report.add(source, f"label {bad[0]} out of range: expected 0 <= label < {num_classes}")

    return check


def _check_video(path: Path, backend: str) -> tuple[int, str | None]:
    from vidcore.data.decoders import open_video
    from vidcore.data.errors import DataError

    try:
        with open_video(str(path), backend=backend) as reader:
            n = reader.num_frames
            if n <= 0:
                return 0, "no frames"
            reader.get_frames([0, n - 1])
            return n, None
    except DataError as exc:
        return 0, str(exc)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    import vidcore.data.annotations as A
    from vidcore.data.errors import AnnotationError, DataError

    fmt = args.format if args.format != "auto" else _guess_format(args.annotation, args.root)
    num_classes = args.num_classes
    try:
        if args.label_map is not None:
            num_classes = A.read_label_map(args.label_map).num_classes
        records: list[Any]
        if fmt == "video":
            records = A.read_video_list(args.annotation, multi_label=args.multi_label)
        elif fmt in ("rawframes", "rawframes-offset"):
            records = A.read_rawframe_list(
                args.annotation, with_offset=fmt == "rawframes-offset", multi_label=args.multi_label
            )
        elif fmt in ("audio", "audio-features"):
            records = A.read_audio_list(args.annotation, multi_label=args.multi_label)
        elif fmt == "pose":
            records = A.read_skeleton_pickle(args.annotation).records
        elif fmt == "ava":
            records = A.group_keyframes(A.read_ava_csv(args.annotation, kind="gt"))
        else:
            records = A.read_activitynet_json(args.annotation)
    except AnnotationError as exc:
        print(f"check: {exc}")
        return 1

    report = _Report()
    check_labels = _label_check(num_classes)
    root: Path = args.root
    bar = tqdm(
        records, desc=f"check {args.annotation.name}", unit="rec", disable=args.no_progress, file=sys.stderr
    )
    for r in bar:
        try:
            if fmt == "video":
                check_labels(r.source, r.labels, report)
                _, err = _check_video(root / r.path, args.backend)
                if err:
                    report.add(r.source, err)
            elif fmt in ("rawframes", "rawframes-offset"):
                check_labels(r.source, r.labels, report)
                _check_rawframes(r, root, args, report)
            elif fmt == "audio-features":
                check_labels(r.source, r.labels, report)
                _check_features(r, root, report)
            elif fmt == "audio":
                check_labels(r.source, r.labels, report)
                from vidcore.data.decoders import read_audio

                wave, _ = read_audio(str(root / r.path))
                if wave.size == 0:
                    report.add(r.source, f"{root / r.path}: no audio samples")
            elif fmt == "pose":
                check_labels(r.source, (r.label,), report)
                if r.keypoint is None and not (root / f"{r.frame_dir}.pkl").is_file():
                    report.add(
                        r.source, f"{r.frame_dir}: no keypoint in the record and no {root / r.frame_dir}.pkl"
                    )
            elif fmt == "ava":
                for acts in r.actions:
                    check_labels(r.sources[0] if r.sources else args.annotation, acts, report)
                if not (root / r.video_id).is_dir() and not any(root.glob(f"{r.video_id}.*")):
                    report.add(
                        r.sources[0] if r.sources else args.annotation,
                        f"no frame folder or video for {r.video_id} under {root}",
                    )
            else:
                feature = root / f"{r.video_name}.csv"
                if not feature.is_file() and not feature.with_suffix(".npy").is_file():
                    report.add(r.source, f"feature file {feature} (.csv or .npy) not found")
        except (DataError, OSError) as exc:
            report.add(getattr(r, "source", args.annotation), str(exc))
    bar.close()
    n = len(records)
    if report.problems:
        for line in report.problems:
            print(line)
        print(f"check: {args.annotation} ({fmt}): {len(report.problems)} problem(s) in {n} record(s)")
        return 1
    print(f"check: {args.annotation} ({fmt}): {n} record(s) OK")
    return 0


def _check_rawframes(r: Any, root: Path, args: argparse.Namespace, report: _Report) -> None:
    from vidcore.data.decoders import RawFrameReader

    folder = root / r.frame_dir
    if not folder.is_dir():
        report.add(r.source, f"frame folder {folder} not found")
        return
    reader = RawFrameReader(folder, filename_tmpl=args.filename_tmpl, start_index=args.start_index)
    with reader:
        present = reader.num_frames
        need = r.offset + r.total_frames
        if present < need or (r.offset == 0 and present != r.total_frames):
            report.add(
                r.source,
                f"{folder}: list says {r.total_frames} frames (offset {r.offset}), the folder has {present}",
            )
            return
        if r.total_frames > 0:
            reader.get_frames([r.offset, need - 1])


def _check_features(r: Any, root: Path, report: _Report) -> None:
    import numpy as np

    path = root / r.path
    if not path.exists() and path.suffix != ".npy":
        path = path.with_name(path.name + ".npy")
    if not path.is_file():
        report.add(r.source, f"feature file {path} not found")
        return
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        report.add(r.source, f"{path}: not a readable .npy array ({exc})")
        return
    if arr.ndim != 2 or arr.shape[0] != r.total_frames:
        report.add(
            r.source,
            f"{path}: list says {r.total_frames} frames, the file holds shape {arr.shape} (expected (T, F))",
        )
