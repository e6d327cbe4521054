"""``vidcore-data mel SRC... OUT`` (or ``SRC... --out OUT``): audio or video files to log-mel
feature ``.npy`` files.

The features are MMAction2's (``tools/data/build_audio_features.py``): ``(T, 80)`` float32 in [0, 1],
one row per 16 ms at 16 kHz; see ``vidcore.data.transforms.audio``. Each output is written to a
temporary file and renamed, so an interrupted run leaves no half-written ``.npy`` and re-running
skips what is done.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ._jobs import add_engine_arguments, in_shard, parse_shard, ray_map

EXAMPLES = """examples:
  vidcore-data mel data/kinetics400/videos_train data/kinetics400/audio_feature_train --workers 8
  vidcore-data mel clips/*.wav --out mels/                    # explicit files; OUT as an option
  vidcore-data mel audios/ mels/ --ext wav,m4a --n-mels 64 --hop 160 --n-fft 400

The last positional argument is the output folder, as for the other verbs (src out), unless --out
gives it.

Directories are searched recursively for the extensions of --ext; outputs keep the path relative
to the directory (a/b.mp4 -> OUT/a/b.npy), explicit files go straight into OUT (b.npy).
Re-running resumes: existing outputs are kept unless --overwrite. The exit status is 1 when any
file failed (each failure is listed with its cause)."""

DEFAULT_EXTS = "wav,mp3,m4a,aac,flac,ogg,opus,mp4,avi,mkv,webm,mov"


@dataclass(frozen=True)
class MelJob:
    """One file to convert and where its features go."""

    source: str
    target: str


@dataclass(frozen=True)
class MelSettings:
    sample_rate: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 80
    fmin: float = 125.0
    fmax: float = 7600.0
    normalize_rms: bool = True


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "mel",
        help="audio or video files to log-mel spectrogram .npy features",
        description="Decode the audio track of each file (PyAV), resample to --sample-rate, and save "
        "MMAction2-style normalised log-mel spectrograms (T, n_mels) float32 as .npy.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d = MelSettings()
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="SRC... OUT",
        help="audio/video files or directories (searched recursively), then the output directory "
        "(created if missing) unless --out is given",
    )
    p.add_argument("--out", default=None, help="output directory (then every positional is a source)")
    p.add_argument(
        "--ext", default=DEFAULT_EXTS, help=f"extensions searched in directories (default {DEFAULT_EXTS})"
    )
    p.add_argument("--sample-rate", type=int, default=d.sample_rate, help="Hz (default %(default)s)")
    p.add_argument("--n-fft", type=int, default=d.n_fft, help="frame length in samples (default %(default)s)")
    p.add_argument(
        "--hop", type=int, default=d.hop_length, help="frame step in samples (default %(default)s)"
    )
    p.add_argument("--n-mels", type=int, default=d.n_mels, help="mel bands (default %(default)s)")
    p.add_argument("--fmin", type=float, default=d.fmin, help="Hz (default %(default)s)")
    p.add_argument("--fmax", type=float, default=d.fmax, help="Hz (default %(default)s)")
    p.add_argument(
        "--peak-normalize",
        action="store_true",
        help="scale each file to peak 1 instead of RMS 0.1 (MMAction2's NORM_AUDIO=False)",
    )
    p.add_argument(
        "--workers", type=int, default=min(4, os.cpu_count() or 1), help="processes (default %(default)s)"
    )
    p.add_argument("--overwrite", action="store_true", help="recompute outputs that already exist")
    p.add_argument("--shard", type=parse_shard, default=None, metavar="I/N",
                   help="process only shard I of N (0-based), e.g. one SLURM array task per shard")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_engine_arguments(p)
    return p


def collect_jobs(inputs: list[str], out_dir: str | Path, exts: list[str]) -> list[MelJob]:
    """The (source, target) pairs for ``inputs``; raises ``FileNotFoundError`` for a missing input."""
    out = Path(out_dir)
    wanted = {e.lower().lstrip(".") for e in exts if e}
    jobs: list[MelJob] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower().lstrip(".") in wanted:
                    jobs.append(MelJob(str(f), str(out / f.relative_to(path).with_suffix(".npy"))))
        elif path.is_file():
            jobs.append(MelJob(str(path), str(out / (path.stem + ".npy"))))
        else:
            raise FileNotFoundError(f"{item}: no such file or directory")
    seen: dict[str, str] = {}
    for job in jobs:
        if job.target in seen:
            raise ValueError(f"{job.source} and {seen[job.target]} would both write {job.target}")
        seen[job.target] = job.source
    return jobs


def convert_one(job: MelJob, settings: MelSettings) -> tuple[str, str | None]:
    """Write the features of one file; returns ``(source, None)`` or ``(source, error message)``."""
    import numpy as np

    from vidcore.data.decoders import read_audio
    from vidcore.data.errors import DataError
    from vidcore.data.transforms.audio import LogMelSpectrogram

    try:
        wave, rate = read_audio(job.source, settings.sample_rate, mono=True)
        if wave.size == 0:
            return job.source, "the audio stream is empty"
        feats = LogMelSpectrogram(
            settings.sample_rate, n_fft=settings.n_fft, hop_length=settings.hop_length, n_mels=settings.n_mels,
            fmin=settings.fmin, fmax=settings.fmax, normalize_rms=settings.normalize_rms,
        ).features(wave, rate)  # fmt: skip
        target = Path(job.target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, feats, allow_pickle=False)
        os.replace(tmp, target)
    except (DataError, ValueError, OSError) as exc:
        return job.source, str(exc)
    return job.source, None


def convert_or_raise(job: MelJob, settings: MelSettings) -> None:
    """:func:`convert_one` raising its error (so the Ray engine retries the file)."""
    _, err = convert_one(job, settings)
    if err is not None:
        raise RuntimeError(err)


def run(args: argparse.Namespace) -> int:
    settings = MelSettings(
        sample_rate=args.sample_rate, n_fft=args.n_fft, hop_length=args.hop, n_mels=args.n_mels,
        fmin=args.fmin, fmax=args.fmax, normalize_rms=not args.peak_normalize,
    )  # fmt: skip
    inputs, out = list(args.inputs), args.out
    if out is None:
        if len(inputs) < 2:
            print("vidcore-data mel: give the output folder: mel SRC... OUT (or --out OUT)", file=sys.stderr)
            return 2
        inputs, out = inputs[:-1], inputs[-1]
    args.out = out
    try:
        if settings.fmax > settings.sample_rate / 2 or settings.fmin >= settings.fmax:
            raise ValueError(
                f"need 0 <= --fmin < --fmax <= sample-rate / 2, got {settings.fmin}, {settings.fmax}"
            )
        if settings.hop_length < 1 or settings.n_fft < settings.hop_length or settings.n_fft % 2:
            raise ValueError(
                f"need an even --n-fft >= --hop >= 1, got {settings.n_fft}, {settings.hop_length}"
            )
        jobs = collect_jobs(inputs, out, args.ext.split(","))
        jobs = [j for j in jobs if in_shard(Path(j.target).relative_to(out).as_posix(), args.shard)]
    except (FileNotFoundError, ValueError) as exc:
        print(f"vidcore-data mel: {exc}", file=sys.stderr)
        return 2
    todo = jobs if args.overwrite else [j for j in jobs if not Path(j.target).exists()]
    skipped = len(jobs) - len(todo)
    failures: list[tuple[str, str]] = []
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="mel", unit="file", disable=args.no_progress)
    if args.engine == "ray":
        kwargs = {"settings": settings}
        for job, _, err in ray_map(convert_or_raise, todo, kwargs, address=args.ray_address, retries=args.retries):
            if err:
                failures.append((job.source, err))
            bar.update()
    elif args.workers <= 1 or len(todo) <= 1:
        results = (convert_one(j, settings) for j in todo)
        for source, err in results:
            if err is not None:
                failures.append((source, err))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for source, err in pool.map(convert_one, todo, [settings] * len(todo), chunksize=1):
                if err is not None:
                    failures.append((source, err))
                bar.update()
    bar.close()
    done = len(todo) - len(failures)
    print(f"mel: {done} written, {skipped} already done, {len(failures)} failed -> {args.out}")
    for source, err in failures:
        print(f"  FAILED {source}: {err}", file=sys.stderr)
    return 1 if failures else 0
