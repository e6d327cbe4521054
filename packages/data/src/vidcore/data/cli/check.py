"""``vidcore-data check``: verify an annotation file against the data it describes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidcore.data.cli._jobs import parse_shard
from vidcore.data.cli.check_outputs import PREP_VERBS

EXAMPLES = """examples:
  vidcore-data check lists/ucf101_train.txt --root data/ucf101/videos --label-map lists/label_map.txt
  vidcore-data check lists/k400_train_frames.txt --root data/k400/rawframes --format rawframes
  vidcore-data check lists/k400_val.txt --root data/k400/videos --deep
  vidcore-data check ava_train_v2.2.csv --root data/ava/rawframes --format ava
  vidcore-data check ntu60_2d.pkl --format pose --num-classes 60
  vidcore-data check videos/ --outputs rawframes/ --prep extract-frames    # after extract-frames videos/ rawframes/
  vidcore-data check lists/k400_train.txt --root data/k400/videos --speed   # GOP and what --gop 16 buys

Checks every record: the file/folder exists inside --root and decodes (first and last frame; every
frame with --deep, naming the first bad one), the frame count in the list is the true one (rawframe
folders, feature files), labels are in range of the label map or --num-classes. With --format auto
the format is read from the file's content (and what exists under --root) and printed with the
reason. Prints one line per problem (file:line: what is wrong) and exits 1 if any."""

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
    "proposals",
    "rawvideo",
)

VIDEO_EXTS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".flv", ".mpg", ".mpeg", ".wmv", ".3gp", ".ts", ".ogv")
AUDIO_EXTS = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac", ".opus")
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


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
        "--format", choices=FORMATS, default="auto", help="annotation format (auto: read it from the file)"
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
    p.add_argument(
        "--deep", action="store_true", help="decode every frame of every video/folder and name the first bad one"
    )
    p.add_argument(
        "--allow-outside-root",
        action="store_true",
        help="accept entries that resolve (.., symlinks) outside --root (refused by default)",
    )
    p.add_argument(
        "--max-pixels", type=int, default=None, help="largest frame accepted, in pixels (default 8K UHD)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    speed = p.add_argument_group(
        "decoding speed", "with --speed, instead of checking records: the videos' keyframe spacing (GOP) and the "
        "frames a training clip costs to decode now and after resize-videos --gop N (see vidcore.data.cli.check_speed)",
    )
    speed.add_argument("--speed", action="store_true", help="report the GOP and the expected speed-up of re-encoding")
    speed.add_argument("--gop", type=int, default=16, help="the keyframe interval to compare with (default 16)")
    speed.add_argument("--speed-videos", type=int, default=50, help="videos sampled from the list (default 50)")
    outs = p.add_argument_group(
        "prep outputs", "check what a data-prep run wrote instead of a list: vidcore-data check SRC --outputs OUT "
        "--prep VERB, with SRC, --root, --ext and --shard as given to the verb (see vidcore.data.cli.check_outputs)",
    )
    outs.add_argument("--outputs", type=Path, default=None, metavar="OUT",
                      help="the prep run's output folder: report each missing or corrupt output, exit 1 if any")
    outs.add_argument("--prep", choices=PREP_VERBS, default=None, help="the verb that wrote OUT")
    outs.add_argument("--ext", default=None, help="extensions picked up when SRC is a folder (as the verb's --ext)")
    outs.add_argument("--shard", type=parse_shard, default=None, metavar="I/N", help="check only shard I of N")
    return p


# ------------------------------------------------------------------------------- format detection


class NotAnnotations(Exception):
    """The file is something other than an annotation list ``check`` reads (message: what it is)."""


def _is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _folder_kind(folder: Path) -> tuple[str, int]:
    """``("frames" | "clips" | "other", number of image files)`` for a folder under the root."""
    try:
        names = [n.lower() for n in os.listdir(folder)]
    except OSError:
        return "other", 0
    images = sum(n.endswith(IMAGE_EXTS) for n in names)
    if images:
        return "frames", images
    if any(n.endswith(VIDEO_EXTS) for n in names):
        return "clips", 0
    return "other", 0


def guess_format(path: Path, root: Path, *, multi_label: bool = False) -> tuple[str, str]:
    """``(format, reason)`` for an annotation file, read from its content and what its entries name
    under ``root``. Raises ``NotAnnotations`` for files that are something else (label maps, result
    files, feature files), saying what they look like."""
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        return "pose", "a pickle: skeleton annotations"
    if suffix == ".json":
        return _guess_json(path)
    if suffix == ".csv":
        return _guess_csv(path)
    return _guess_text(path, root, multi_label)


def _guess_json(path: Path) -> tuple[str, str]:
    from vidcore.data.annotations._common import load_json

    data = load_json(path)
    if isinstance(data, list):
        items = [x for x in data[:50] if isinstance(x, dict)]
        if items and all("video_dir" in x and "num_clips" in x for x in items):
            return "rawvideo", "a JSON list of clip records (video_dir, label, num_clips)"
        if items and all("template" in x and "id" in x for x in items):
            raise NotAnnotations(
                "looks like the official Something-Something V2 annotation; make a list of it with "
                "`vidcore-data build-list FILE --official sthv2`"
            )
        raise NotAnnotations("a JSON list of records in no format vidcore-data check reads")
    if isinstance(data, dict):
        if "results" in data and isinstance(data["results"], dict):
            raise NotAnnotations("looks like localization results (a 'results' object of predictions), not annotations")
        values = [v for v in list(data.values())[:50] if isinstance(v, dict)]
        if values and all(("duration_second" in v or "duration" in v) for v in values):
            return "activitynet", "a JSON object of videos with durations and segments (ActivityNet)"
    raise NotAnnotations("a JSON file in no annotation format vidcore-data check reads")


def _guess_csv(path: Path) -> tuple[str, str]:
    from vidcore.data.annotations._common import iter_lines

    rows = []
    for _, text in iter_lines(path):
        rows.append([c.strip() for c in text.split(",")])
        if len(rows) >= 50:
            break
    if not rows:
        raise NotAnnotations("an empty CSV file")
    header = rows[0]
    if header[:2] == ["f0", "f1"]:
        raise NotAnnotations(f"looks like a feature file ({len(header)} feature columns f0, f1, ...), not annotations")
    if header[:2] == ["tmin", "tmax"]:
        raise NotAnnotations("looks like BSN proposal results (columns tmin, tmax, ...), not annotations")
    if header[:3] == ["action", "start", "end"]:
        raise NotAnnotations("looks like BSN temporal evaluation results (columns action, start, end, ...), not annotations")
    if "youtube_id" in header and "label" in header:
        raise NotAnnotations(
            "looks like the official Kinetics annotation; make a list of it with "
            "`vidcore-data build-list FILE --official kinetics --classes LABELS`"
        )
    widths = {len(r) for r in rows}
    if widths == {2}:
        raise NotAnnotations("looks like AVA excluded timestamps (video_id,timestamp), not box annotations")
    if widths <= {7, 8}:
        last = [r[7] for r in rows if len(r) == 8]
        if last and not all(_is_int(x) for x in last) and all(_is_float(x) for x in last):
            raise NotAnnotations("looks like AVA detection results (the 8th column is a score), not annotations")
        return "ava", "a CSV of video_id,timestamp,box,action[,person] rows (AVA)"
    raise NotAnnotations(f"a CSV with {sorted(widths)} columns in no annotation format vidcore-data check reads")


def _guess_text(path: Path, root: Path, multi_label: bool) -> tuple[str, str]:
    from vidcore.data.annotations._common import iter_lines
    from vidcore.data.annotations.labelmap import _ID_LINE

    lines: list[list[str]] = []
    for _, text in iter_lines(path, bytes_safe=True):
        lines.append(text.split())
        if len(lines) >= 200:
            break
    if not lines:
        raise NotAnnotations("an empty file")
    first = " ".join(lines[0])
    if first.startswith("item"):
        raise NotAnnotations("looks like an AVA label map (pbtxt 'item { name: ... id: ... }'); give it with --label-map")
    if first.startswith("#") and len(lines) > 3 and _is_float(lines[2][0]):
        return "proposals", "blocks of '# index', video id, frame counts, ground truths and proposals (SSN)"
    names = [t[0] for t in lines]
    has_ext = any(n.lower().endswith(VIDEO_EXTS + AUDIO_EXTS + (".npy",)) for n in names)
    under = [root / n for n in names[:50]]
    exists = any(p.exists() for p in under)
    rest_ints = [all(_is_int(x) for x in t[1:]) for t in lines]
    numbered = any(len(t) > 1 and ok for t, ok in zip(lines, rest_ints, strict=True))
    if not has_ext and not exists and not numbered:  # no line is 'name number...'
        kind = "'id name' lines" if all(_ID_LINE.match(" ".join(t)) for t in lines) else "one class name a line"
        raise NotAnnotations(f"looks like a label map ({kind}), not a list of samples; give it with --label-map")
    if not all(rest_ints):  # a list with a bad line: the reader of the likeliest format reports it
        return ("video", "paths followed by labels") if has_ext or len(lines[0]) <= 2 else (
            "rawframes", "names followed by numbers")
    widths = {len(t) for t in lines}
    ext = names[0].lower()
    if ext.endswith(VIDEO_EXTS):
        return "video", "paths to video files followed by labels"
    if ext.endswith(AUDIO_EXTS):
        return "audio", "audio files followed by a frame count and labels"
    if ext.endswith(".npy") or any((root / f"{n}.npy").is_file() for n in names[:50]):
        return "audio-features", ".npy feature files followed by a frame count and labels"
    folders = [(p, _folder_kind(p)) for p in under if p.is_dir()]
    if any(kind == "clips" for _, (kind, _) in folders) and min(widths) >= 3:
        return "rawvideo", "folders of pre-cut clips followed by label, clip count and positive clips"
    if folders:
        return _rawframe_layout(lines, folders, root, multi_label)
    if max(widths) <= 2:
        return "video", "paths followed by a label (nothing exists under --root to say more)"
    return (
        "audio-features",
        "names followed by a frame count and labels, and no frame folder of that name under --root "
        "(pass --format rawframes if they are frame folders)",
    )


def _rawframe_layout(
    lines: list[list[str]], folders: list[tuple[Path, tuple[str, int]]], root: Path, multi_label: bool
) -> tuple[str, str]:
    """Plain rawframe list (``dir total label...``) or with offsets (``dir offset total label...``)."""
    widths = {len(t) for t in lines}
    if min(widths) < 4:
        return "rawframes", "frame folders followed by a frame count and labels"
    if not multi_label:
        return "rawframes-offset", (
            "frame folders followed by offset, frame count and one label (every line has 4+ columns; "
            "pass --multi-label --format rawframes if the extra columns are labels)"
        )
    counts = {p: n for p, (_, n) in folders}
    plain = offset = 0
    for t in lines:
        n = counts.get(root / t[0])
        if n is None:
            continue
        plain += int(t[1]) == n
        offset += int(t[1]) + int(t[2]) <= n and int(t[1]) != n
    if offset > plain:
        return "rawframes-offset", "frame folders followed by offset and frame count (the counts fit the folders so)"
    return "rawframes", "frame folders followed by a frame count and labels (the counts fit the folders so)"


# ---------------------------------------------------------------------------------------- checks


class _Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, source: Any, message: str) -> None:
        from vidcore.data.annotations._common import printable

        where = f"{source[0]}:{source[1]}" if isinstance(source, tuple) else str(source)
        self.problems.append(printable(f"{where}: {message}"))


def _label_check(num_classes: int | None) -> Callable[[Any, tuple[int, ...], _Report], None]:
    def check(source: Any, labels: tuple[int, ...], report: _Report) -> None:
        if num_classes is None:
            return
        bad = [x for x in labels if not 0 <= x < num_classes]
        if bad:
            report.add(source, f"label {bad[0]} out of range: expected 0 <= label < {num_classes}")

    return check


def _check_video(path: Path, args: argparse.Namespace) -> tuple[int, str | None]:
    from vidcore.data.decoders import MAX_PIXELS, open_video
    from vidcore.data.errors import DataError

    limit = args.max_pixels or MAX_PIXELS
    try:
        with open_video(str(path), backend=args.backend, max_pixels=limit) as reader:
            n = reader.num_frames
            if n <= 0:
                return 0, "no frames"
            if args.deep:
                return n, _deep_video(path, n, limit)
            reader.get_frames([0, n - 1])
            return n, None
    except DataError as exc:
        return 0, str(exc)


def _deep_video(path: Path, expected: int, max_pixels: int) -> str | None:
    """Decode every frame in order; the first frame that fails (or that the decoder marks corrupt)."""
    import av

    from vidcore.data.decoders.base import describe_error, ffmpeg_errors

    limit = {"max_pixels": str(2 * max_pixels + (1 << 22))}
    n = 0
    try:
        with av.open(str(path), options=limit, metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if frame.is_corrupt:
                    return f"frame {n} is corrupt (the decoder concealed damaged data; frames 0-{n - 1} decode)"
                n += 1
    except ffmpeg_errors() as exc:
        return f"frame {n} does not decode (frames 0-{n - 1} do; {describe_error(exc)})"
    if n < expected:
        return f"frame {n} does not decode: the stream ends after {n} of {expected} frames"
    return None


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    import vidcore.data.annotations as A
    from vidcore.data.annotations._common import printable
    from vidcore.data.errors import AnnotationError, DataError

    if args.outputs is not None:
        from vidcore.data.cli.check_outputs import run_outputs

        return run_outputs(args)
    fmt = args.format
    if fmt == "auto":
        try:
            fmt, reason = guess_format(args.annotation, args.root, multi_label=args.multi_label)
        except NotAnnotations as exc:
            print(printable(f"check: {args.annotation}: {exc}"))
            return 1
        except AnnotationError as exc:
            print(printable(f"check: {exc}"))
            return 1
        print(printable(f"check: reading {args.annotation} as {fmt}: {reason}"))
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
        elif fmt == "proposals":
            records = A.read_proposal_list(args.annotation)
        elif fmt == "rawvideo":
            records = A.read_rawvideo_list(args.annotation)
        else:
            records = A.read_activitynet_json(args.annotation)
    except AnnotationError as exc:
        print(printable(f"check: {exc}"))
        return 1

    root: Path = args.root
    if args.speed:
        if fmt != "video":
            print(printable(f"check: --speed reads video lists; {args.annotation} is {fmt}"))
            return 1
        from vidcore.data.cli.check_speed import run_speed

        try:
            paths = [_entry(root, r.path, r, args) for r in records]
        except (DataError, OSError) as exc:
            print(printable(f"check: {exc}"))
            return 1
        return run_speed(args, paths)
    report = _Report()
    check_labels = _label_check(num_classes)
    bar = tqdm(
        records, desc=f"check {args.annotation.name}", unit="rec", disable=args.no_progress, file=sys.stderr
    )
    for r in bar:
        try:
            _check_record(fmt, r, root, args, report, check_labels)
        except (DataError, OSError) as exc:
            report.add(getattr(r, "source", args.annotation), str(exc))
    bar.close()
    n = len(records)
    if report.problems:
        for line in report.problems:
            print(line)
        print(printable(f"check: {args.annotation} ({fmt}): {len(report.problems)} problem(s) in {n} record(s)"))
        return 1
    print(printable(f"check: {args.annotation} ({fmt}): {n} record(s) OK"))
    return 0


def _entry(root: Path, name: str, r: Any, args: argparse.Namespace) -> Path:
    from vidcore.data.annotations._common import resolve_entry

    return resolve_entry(root, name, allow_outside_root=args.allow_outside_root, source=getattr(r, "source", None))


def _check_record(
    fmt: str, r: Any, root: Path, args: argparse.Namespace, report: _Report, check_labels: Callable[..., None]
) -> None:
    from vidcore.data.errors import AnnotationError

    try:
        if fmt == "video":
            check_labels(r.source, r.labels, report)
            _, err = _check_video(_entry(root, r.path, r, args), args)
            if err:
                report.add(r.source, err)
        elif fmt in ("rawframes", "rawframes-offset"):
            check_labels(r.source, r.labels, report)
            _check_rawframes(r, _entry(root, r.frame_dir, r, args), args, report)
        elif fmt == "audio-features":
            check_labels(r.source, r.labels, report)
            _check_features(r, _entry(root, r.path, r, args), report)
        elif fmt == "audio":
            check_labels(r.source, r.labels, report)
            from vidcore.data.decoders import read_audio

            path = _entry(root, r.path, r, args)
            wave, _ = read_audio(str(path))
            if wave.size == 0:
                report.add(r.source, f"{path}: no audio samples")
        elif fmt == "pose":
            check_labels(r.source, (r.label,), report)
            if r.keypoint is None and not (root / f"{r.frame_dir}.pkl").is_file():
                report.add(r.source, f"{r.frame_dir}: no keypoint in the record and no {root / r.frame_dir}.pkl")
        elif fmt == "ava":
            for acts in r.actions:
                check_labels(r.sources[0] if r.sources else args.annotation, acts, report)
            if not (root / r.video_id).is_dir() and not any(root.glob(f"{r.video_id}.*")):
                report.add(
                    r.sources[0] if r.sources else args.annotation,
                    f"no frame folder or video for {r.video_id} under {root}",
                )
        elif fmt == "proposals":
            _check_rawframes_count(r, _entry(root, r.video_id, r, args), args, report)
        elif fmt == "rawvideo":
            check_labels(r.source, (r.label,), report)
            folder = _entry(root, r.video_dir, r, args)
            for i in range(r.num_clips):
                _, err = _check_video(folder / f"part_{i}.mp4", args)
                if err:
                    report.add(r.source, err)
        else:
            feature = root / f"{r.video_name}.csv"
            if not feature.is_file() and not feature.with_suffix(".npy").is_file():
                report.add(r.source, f"feature file {feature} (.csv or .npy) not found")
    except AnnotationError as exc:  # an entry outside --root
        report.add(r.source, exc.message)


def _missing(folder: Path) -> str:
    from vidcore.data.decoders.base import missing_reason

    reason = missing_reason(folder)
    return f"frame folder {folder} {'not found' if reason == 'file not found' else reason}"


def _check_rawframes_count(r: Any, folder: Path, args: argparse.Namespace, report: _Report) -> None:
    from vidcore.data.decoders import RawFrameReader

    if not folder.is_dir():
        report.add(r.source, _missing(folder))
        return
    with RawFrameReader(folder, filename_tmpl=args.filename_tmpl, start_index=args.start_index) as reader:
        if reader.num_frames < r.num_frames:
            report.add(r.source, f"{folder}: the list says {r.num_frames:g} frames, the folder has {reader.num_frames}")


def _check_rawframes(r: Any, folder: Path, args: argparse.Namespace, report: _Report) -> None:
    from vidcore.data.decoders import MAX_PIXELS, RawFrameReader

    if not folder.is_dir():
        report.add(r.source, _missing(folder))
        return
    reader = RawFrameReader(
        folder, filename_tmpl=args.filename_tmpl, start_index=args.start_index, max_pixels=args.max_pixels or MAX_PIXELS
    )
    with reader:
        present = reader.num_frames
        need = r.offset + r.total_frames
        if present < need or (r.offset == 0 and present != r.total_frames):
            report.add(
                r.source,
                f"{folder}: list says {r.total_frames} frames (offset {r.offset}), the folder has {present}",
            )
            return
        if r.total_frames <= 0:
            return
        if not args.deep:
            reader.get_frames([r.offset, need - 1])
            return
        from vidcore.data.errors import DataError

        for i in range(r.offset, need):
            try:
                reader.get_frames([i])
            except DataError as exc:
                report.add(r.source, f"frame {i - r.offset} does not decode ({exc})")
                return


def _check_features(r: Any, path: Path, report: _Report) -> None:
    import numpy as np

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


__all__ = ["FORMATS", "NotAnnotations", "add_parser", "guess_format", "run"]
