"""``vidcore-data extract-frames``: videos to MMAction2 rawframe folders (``img_00001.jpg``, ...)."""

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
  vidcore-data extract-frames data/kinetics400/videos_train data/kinetics400/rawframes_train --short-side 256 --workers 8
  vidcore-data extract-frames train_list.txt rawframes/ --root videos/ --new-size 340 256
  vidcore-data extract-frames videos/ rawframes/ --tmpl img_{:05d}.png     # lossless frames

Each video becomes OUT/<path relative to SRC without extension>/img_00001.jpg ... (first frame is 1,
as MMAction2's RawframeDataset expects; every frame sequential decoding yields, in order). A folder
appears only when complete (written under a temporary name, then renamed), so an interrupted run
resumes where it stopped; --overwrite redoes finished videos."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "extract-frames",
        help="decode videos into rawframe folders of JPEG images",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_io_arguments(p, "output root for the rawframe folders")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--short-side", type=int, default=None, help="resize so the short side is this many pixels")
    size.add_argument("--new-size", type=int, nargs=2, metavar=("W", "H"), default=None, help="resize to W x H")
    p.add_argument("--tmpl", default="img_{:05d}.jpg", help="frame file name template (default img_{:05d}.jpg)")
    p.add_argument("--start-index", type=int, default=1, help="number of the first frame file (default 1)")
    p.add_argument("--quality", type=int, default=95, help="JPEG quality 1-100 (default 95)")
    p.add_argument("--threads", type=int, default=1, help="decoding threads per video (default 1)")
    return p


def extract_one(
    job: Job,
    *,
    short_side: int | None = None,
    new_size: tuple[int, int] | None = None,
    tmpl: str = "img_{:05d}.jpg",
    start_index: int = 1,
    quality: int = 95,
    threads: int = 1,
) -> str:
    """Write every frame of ``job.src`` into the folder ``job.dst``; returns "extracted"."""
    import av
    from PIL import Image

    from vidcore.data.decoders import PyAVReader

    with PyAVReader(job.src) as probe:  # typed errors for missing / broken files
        size = scaled_size(probe.width, probe.height, short_side, new_size)
    n = 0
    with published(job.dst, folder=True) as tmp:
        with av.open(str(job.src)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = max(1, threads)
            if threads > 1:
                stream.codec_context.thread_type = "AUTO"
            for frame in container.decode(stream):
                # one swscale pass: resize (bilinear) and convert to RGB
                rgb = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="BILINEAR")
                img = Image.fromarray(rgb.to_ndarray())
                name = tmp / tmpl.format(n + start_index)
                if name.suffix.lower() in (".jpg", ".jpeg"):
                    img.save(name, quality=quality)
                else:
                    img.save(name)
                n += 1
        if n == 0:
            raise RuntimeError("no frames decoded")
    return "extracted"


def run(args: argparse.Namespace) -> int:
    return run_jobs(
        extract_one,
        plan_jobs(args, ""),
        workers=args.workers,
        overwrite=args.overwrite,
        engine=args.engine,
        ray_address=args.ray_address,
        retries=args.retries,
        desc="extract-frames",
        short_side=args.short_side,
        new_size=tuple(args.new_size) if args.new_size else None,
        tmpl=args.tmpl,
        start_index=args.start_index,
        quality=args.quality,
        threads=args.threads,
    )

