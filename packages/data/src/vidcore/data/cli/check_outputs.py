"""``vidcore-data check SRC --outputs OUT --prep VERB``: after a data-prep run, what is missing or
corrupt among its outputs.

The inputs are planned exactly as the prep verb plans them (the same folder walk or list reading,
the same output names), so every input has one expected output. Each is checked with the reader a
training run would use:

- ``extract-frames``: the frame folder exists, its images are numbered ``--start-index`` .. N with
  no gap, N is the source video's frame count (when the source still opens), and the first and last
  image decode (every image with ``--deep``);
- ``resize-videos``: the ``.mp4`` opens, has the source's frame count, and its first and last frame
  decode (every frame with ``--deep``);
- ``extract-audio``: the ``.wav`` header reads and its data chunk holds every sample the header
  announces (a truncated copy does not); a source without an audio stream expects no file;
- ``mel``: the ``.npy`` loads in full as a 2-D float array with at least one row.

One line per bad entry (``MISSING`` / ``CORRUPT`` / ``PARTIAL``: a ``.NAME.partial`` left by an
interrupted run), then a summary; the exit status is 1 when anything is missing or corrupt.
"""

from __future__ import annotations

import argparse
import re
import sys
import wave
from pathlib import Path

from vidcore.data.cli._jobs import find_videos, in_shard, output_path, temp_path

PREP_VERBS = ("extract-frames", "resize-videos", "extract-audio", "mel")
SUFFIX = {"extract-frames": "", "resize-videos": ".mp4", "extract-audio": ".wav", "mel": ".npy"}
MEL_EXTS = "wav,mp3,m4a,aac,flac,ogg,opus,mp4,avi,mkv,webm,mov"
VIDEO_EXTS = "mp4,avi,mkv,webm,mov,m4v,flv,mpg,mpeg,3gp"


def _source_frames(src: Path) -> int | None:
    """The source video's frame count from its packet index (no decoding); None if it does not open."""
    from vidcore.data.decoders import PyAVReader
    from vidcore.data.errors import DataError

    try:
        with PyAVReader(src) as reader:
            return reader.num_frames
    except (DataError, OSError):
        return None


def _check_frames(src: Path, dst: Path, args: argparse.Namespace) -> tuple[str, str] | None:
    from PIL import Image

    if not dst.is_dir():
        return "MISSING", f"frame folder {dst} not found"
    tmpl: str = args.filename_tmpl
    head, _, tail = tmpl.partition("{")
    pattern = re.compile(re.escape(head) + r"(\d+)" + re.escape(tail.partition("}")[2]) + "$")
    numbers = sorted(int(m.group(1)) for p in dst.iterdir() if (m := pattern.match(p.name)))
    if not numbers:
        return "CORRUPT", f"{dst}: no frame images named like {tmpl}"
    first = args.start_index
    if numbers != list(range(first, first + len(numbers))):
        have = set(numbers)
        gap = next((k for k in range(first, numbers[-1] + 1) if k not in have), None)
        what = f"{tmpl.format(gap)} is missing" if gap is not None else f"numbering starts at {numbers[0]}, not {first}"
        return "CORRUPT", f"{dst}: {what} ({len(numbers)} images numbered {numbers[0]}-{numbers[-1]})"
    n_src = _source_frames(src)
    if n_src is not None and n_src != len(numbers):
        return "CORRUPT", f"{dst}: {len(numbers)} frames, the source video has {n_src}"
    which = numbers if args.deep else sorted({numbers[0], numbers[-1]})
    for n in which:
        path = dst / tmpl.format(n)
        try:
            with Image.open(path) as img:
                img.load()
        except (OSError, ValueError, SyntaxError) as exc:
            return "CORRUPT", f"{path}: image does not decode ({exc})"
    return None


def _check_video(src: Path, dst: Path, args: argparse.Namespace) -> tuple[str, str] | None:
    from vidcore.data.cli.check import _deep_video
    from vidcore.data.decoders import MAX_PIXELS, PyAVReader
    from vidcore.data.errors import DataError

    if not dst.is_file():
        return "MISSING", f"video {dst} not found"
    try:
        with PyAVReader(dst) as reader:
            n = reader.num_frames
            if n <= 0:
                return "CORRUPT", f"{dst}: no frames"
            n_src = _source_frames(src)
            if n_src is not None and n_src != n:
                return "CORRUPT", f"{dst}: {n} frames, the source video has {n_src}"
            if not args.deep:
                reader.get_frames([0, n - 1])
    except DataError as exc:
        return "CORRUPT", str(exc)
    if args.deep:
        err = _deep_video(dst, n, args.max_pixels or MAX_PIXELS)
        if err:
            return "CORRUPT", f"{dst}: {err}"
    return None


def _has_audio(src: Path) -> bool | None:
    import av

    try:
        with av.open(str(src)) as container:
            return bool(container.streams.audio)
    except Exception:  # any FFmpeg failure: we cannot tell
        return None


def _check_wav(src: Path, dst: Path, args: argparse.Namespace) -> tuple[str, str] | None:
    if not dst.is_file():
        if _has_audio(src) is False:
            return None  # extract-audio skips videos without audio: nothing expected
        return "MISSING", f"audio {dst} not found"
    try:
        with wave.open(str(dst), "rb") as w:
            announced = w.getnframes()
            frame_bytes = w.getnchannels() * w.getsampwidth()
            data = w.readframes(announced)
    except (wave.Error, EOFError, OSError) as exc:
        return "CORRUPT", f"{dst}: not a readable WAV file ({exc})"
    if len(data) < announced * frame_bytes:
        return "CORRUPT", f"{dst}: header announces {announced} samples, the file holds {len(data) // frame_bytes}"
    return None


def _check_npy(src: Path, dst: Path, args: argparse.Namespace) -> tuple[str, str] | None:
    import numpy as np

    if not dst.is_file():
        return "MISSING", f"features {dst} not found"
    try:
        arr = np.load(dst, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        return "CORRUPT", f"{dst}: not a readable .npy array ({exc})"
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.dtype.kind != "f":
        return "CORRUPT", f"{dst}: holds {arr.dtype} {arr.shape}, expected float (T, n_mels) with T >= 1"
    return None


CHECKS = {"extract-frames": _check_frames, "resize-videos": _check_video, "extract-audio": _check_wav, "mel": _check_npy}


def run_outputs(args: argparse.Namespace) -> int:
    """The ``--outputs`` mode of ``vidcore-data check`` (see the module docstring)."""
    from tqdm import tqdm

    from vidcore.data.annotations._common import printable

    verb = args.prep
    if verb is None:
        print(f"check: --outputs needs --prep, the verb that wrote them ({', '.join(PREP_VERBS)})")
        return 2
    exts = args.ext or (MEL_EXTS if verb == "mel" else VIDEO_EXTS)
    root = None if args.root == Path("") else args.root
    try:
        videos, base = find_videos(args.annotation, root=root, exts=exts.split(","))
    except FileNotFoundError as exc:
        print(printable(f"check: {exc}"))
        return 1
    out: Path = args.outputs
    pairs = [(v, output_path(v, base, out, SUFFIX[verb])) for v in videos]
    pairs = [(v, d) for v, d in pairs if in_shard(d.relative_to(out).as_posix(), args.shard)]
    check = CHECKS[verb]
    counts = {"ok": 0, "MISSING": 0, "CORRUPT": 0, "PARTIAL": 0}
    lines: list[str] = []
    for src, dst in tqdm(pairs, desc=f"check {verb} outputs", unit="file", disable=args.no_progress, file=sys.stderr):
        bad = check(src, dst, args)
        if bad is None:
            counts["ok"] += 1
        else:
            counts[bad[0]] += 1
            lines.append(f"{bad[0]} {src}: {bad[1]}")
        if temp_path(dst).exists():
            counts["PARTIAL"] += 1
            lines.append(f"PARTIAL {src}: {temp_path(dst)} left by an interrupted run (re-run {verb} to finish it)")
    for line in lines:
        print(printable(line))
    bad_total = counts["MISSING"] + counts["CORRUPT"]
    print(
        f"check: {verb} outputs under {out}: {len(pairs)} entries, {counts['ok']} ok, {counts['MISSING']} missing, "
        f"{counts['CORRUPT']} corrupt, {counts['PARTIAL']} partial"
    )
    return 1 if bad_total else 0


__all__ = ["PREP_VERBS", "run_outputs"]
