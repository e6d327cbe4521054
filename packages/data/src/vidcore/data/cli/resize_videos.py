"""``vidcore-data resize-videos``: re-encode videos to a short side, optionally with a short GOP.

A clip read from a file with one keyframe per 250 frames (usual for Kinetics downloads) costs
nearly a whole-file decode; with ``--gop 16`` the decoder seeks to a keyframe at most 15 frames
before each wanted frame, which makes random-access training reads several times cheaper for a
modest size increase.
"""

from __future__ import annotations

import argparse

from vidcore.data.cli._jobs import (
    Job,
    add_io_arguments,
    plan_jobs,
    published,
    run_jobs,
    scaled_size,
)

EXAMPLES = """examples:
  vidcore-data resize-videos data/kinetics400/videos_train data/kinetics400/videos_train_256 --short-side 256 --workers 8
  vidcore-data resize-videos videos/ videos_fast/ --short-side 256 --gop 16      # fast random access
  vidcore-data resize-videos videos/ small/ --new-size 340 256 --keep-audio --crf 20

Each video becomes OUT/<path relative to SRC>.mp4 (H.264, yuv420p, same frame timestamps; every
frame sequential decoding yields is kept, edit-list lead-in frames are not). Audio is dropped
unless --keep-audio (re-encoded to AAC). Outputs appear only when complete (temporary name, then
rename), so an interrupted run resumes; --overwrite redoes finished files."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "resize-videos",
        help="re-encode videos to a short side (and a short GOP for fast random access)",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_io_arguments(p, "output root for the re-encoded .mp4 files")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--short-side", type=int, default=None, help="short side in pixels (rounded to even)")
    size.add_argument("--new-size", type=int, nargs=2, metavar=("W", "H"), default=None, help="resize to W x H")
    p.add_argument("--gop", type=int, default=None, help="keyframe interval in frames (default: x264's 250)")
    p.add_argument("--crf", type=int, default=23, help="x264 constant rate factor (lower = better, default 23)")
    p.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    p.add_argument("--keep-audio", action="store_true", help="keep the first audio stream (AAC)")
    p.add_argument("--threads", type=int, default=1, help="decode/encode threads per video (default 1)")
    return p


def resize_one(
    job: Job,
    *,
    short_side: int | None = None,
    new_size: tuple[int, int] | None = None,
    gop: int | None = None,
    crf: int = 23,
    preset: str = "veryfast",
    keep_audio: bool = False,
    threads: int = 1,
) -> str:
    """Re-encode ``job.src`` to ``job.dst``; returns "resized"."""
    import av

    from vidcore.data.decoders import PyAVReader

    with PyAVReader(job.src) as probe:  # typed errors for missing / broken files
        width, height = scaled_size(probe.width, probe.height, short_side, new_size, even=True)
    with published(job.dst) as tmp, av.open(str(job.src)) as inp, av.open(str(tmp), "w", format="mp4") as out:
        ivs = inp.streams.video[0]
        ivs.codec_context.thread_count = max(1, threads)
        rate = ivs.average_rate or ivs.guessed_rate or 30
        ovs = out.add_stream("libx264", rate=rate)
        ovs.width, ovs.height, ovs.pix_fmt = width, height, "yuv420p"
        ovs.codec_context.time_base = ivs.time_base
        opts = {"crf": str(crf), "preset": preset, "threads": str(max(1, threads))}
        if gop:
            ovs.codec_context.gop_size = gop
            opts.update({"keyint_min": str(gop), "sc_threshold": "0"})
        ovs.codec_context.options = opts
        streams = [ivs]
        oas = None
        if keep_audio and inp.streams.audio:
            ias = inp.streams.audio[0]
            rate_hz = ias.codec_context.sample_rate
            oas = out.add_stream("aac", rate=rate_hz)
            n_channels = len(ias.codec_context.layout.channels)
            oas.layout = {1: "mono", 2: "stereo"}.get(n_channels, ias.codec_context.layout.name)
            oas.format = "fltp"
            # AAC refuses more bits per frame than it can use: 128 kb/s is too much at 8 kHz
            oas.bit_rate = min(128000, 6 * rate_hz * len(ias.codec_context.layout.channels))
            streams.append(ias)
        # Keep the source timestamps where the container has real ones (VFR survives); AVI & co.
        # get frame-count timestamps at the nominal rate (their decoded pts can be out of order).
        fmt_names = inp.format.name.split(",")
        trust_pts = any(f in fmt_names for f in ("mov", "mp4", "matroska", "webm"))
        step = max(1, round(1 / (float(rate) * float(ivs.time_base)))) if ivs.time_base else 1
        first_pts = None
        last_pts = None
        for packet in inp.demux(*streams):
            for frame in packet.decode():
                if packet.stream.type == "video":
                    if trust_pts and frame.pts is not None:
                        if first_pts is None:
                            first_pts = frame.pts
                        pts = frame.pts - first_pts
                    else:
                        pts = -step
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + step
                    pts = max(pts, 0)
                    last_pts = pts
                    new = frame.reformat(width=width, height=height, format="yuv420p", interpolation="BICUBIC")
                    new.pts = pts
                    new.time_base = ivs.time_base
                    new.pict_type = av.video.frame.PictureType.NONE  # let --gop decide keyframes
                    for op in ovs.encode(new):
                        out.mux(op)
                elif oas is not None:
                    frame.pts = None
                    for op in oas.encode(frame):
                        out.mux(op)
        for op in ovs.encode():
            out.mux(op)
        if oas is not None:
            for op in oas.encode():
                out.mux(op)
    return "resized"


def run(args: argparse.Namespace) -> int:
    return run_jobs(
        resize_one,
        plan_jobs(args, ".mp4"),
        workers=args.workers,
        overwrite=args.overwrite,
        engine=args.engine,
        ray_address=args.ray_address,
        retries=args.retries,
        desc="resize-videos",
        short_side=args.short_side,
        new_size=tuple(args.new_size) if args.new_size else None,
        gop=args.gop,
        crf=args.crf,
        preset=args.preset,
        keep_audio=args.keep_audio,
        threads=args.threads,
    )
