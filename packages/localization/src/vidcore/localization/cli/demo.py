"""``vidcore-localization demo``: render the synthetic untrimmed set, train the demo BMN, evaluate."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="train and evaluate BMN on the built-in synthetic untrimmed videos",
        description="Render untrimmed synthetic videos (1-4 motion segments among background, ground truth in "
        "ActivityNet JSON), extract their features with vidcore-recognition, train the demo BMN on three quarters of them and "
        "report AR@1/5/10/100 and AUC on the rest; draws ground truth against predictions in timeline.png.",
        epilog="examples:\n  vidcore-localization demo --out demo_loc_out\n"
        "  vidcore-localization demo --videos 40 --epochs 5      # a quick look",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="demo_loc_out", help="output folder")
    p.add_argument("--videos", type=int, default=100, help="videos to render (a quarter held out)")
    p.add_argument("--epochs", type=int, default=None, help="BMN epochs (default 60; 30 with --features motion)")
    p.add_argument("--workers", type=int, default=2, help="processes rendering the videos")
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    p.add_argument(
        "--features", choices=("tsm_r18", "motion"), default="tsm_r18",
        help="tsm_r18 (default): H.264 videos, features by `vidcore-recognition extract-features` (random TSM-R18 "
        "at 48 px, a separate process); motion: fixed motion descriptors, no videos, no vidcore-recognition",
    )  # fmt: skip
    return p


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    try:
        run_demo(args.out, num_videos=args.videos, epochs=args.epochs, workers=args.workers, threads=args.threads,
                 features=args.features)  # fmt: skip
    except RuntimeError as exc:
        print(f"error: {exc}")
        return 1
    return 0
