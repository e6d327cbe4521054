"""``vidcore-data extract-audio``: the first audio stream of each video to a 16-bit PCM WAV file."""

from __future__ import annotations

import argparse

from vidcore.data.cli._jobs import (
    Job,
    add_io_arguments,
    plan_jobs,
    published,
    run_jobs,
)

EXAMPLES = """examples:
  vidcore-data extract-audio data/kinetics400/videos_train data/kinetics400/audios --workers 8
  vidcore-data extract-audio videos/ audios/ --sample-rate 16000 --mono

Each video becomes OUT/<path relative to SRC>.wav (16-bit PCM; the file's sample rate and channels
unless --sample-rate / --mono). Videos without an audio stream are listed and skipped (they do not
fail the run). Outputs appear only when complete, so an interrupted run resumes."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "extract-audio",
        help="extract the audio track of videos to WAV files",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_io_arguments(p, "output root for the .wav files")
    p.add_argument("--sample-rate", type=int, default=None, help="resample to this rate in Hz")
    p.add_argument("--mono", action="store_true", help="mix down to one channel")
    return p


def extract_audio_one(job: Job, *, sample_rate: int | None = None, mono: bool = False) -> str:
    """Write ``job.src``'s audio to ``job.dst``; returns "extracted" or "no audio stream"."""
    import wave

    import numpy as np

    from vidcore.data.decoders import read_audio
    from vidcore.data.errors import VideoDecodeError

    try:
        samples, rate = read_audio(job.src, sample_rate, mono=mono)
    except VideoDecodeError as exc:
        if "no audio stream" in str(exc):
            return "no audio stream"
        raise
    data = samples[None] if samples.ndim == 1 else samples  # (C, S)
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2").T  # (S, C) interleaved
    with published(job.dst) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(data.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(pcm).tobytes())
    return "extracted"


def run(args: argparse.Namespace) -> int:
    return run_jobs(
        extract_audio_one,
        plan_jobs(args, ".wav"),
        workers=args.workers,
        overwrite=args.overwrite,
        engine=args.engine,
        ray_address=args.ray_address,
        retries=args.retries,
        desc="extract-audio",
        sample_rate=args.sample_rate,
        mono=args.mono,
    )
