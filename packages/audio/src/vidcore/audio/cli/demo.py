"""``vidcore-audio demo``: the audio-visual demo (see :mod:`vidcore.audio.demo`)."""

from __future__ import annotations

import argparse
from typing import Any

EXAMPLES = """examples:
  vidcore-audio demo                                  # render, train video + audio, fuse: av_out/
  vidcore-audio demo --out /tmp/av --videos-per-class 30 --audio-epochs 6
  vidcore-audio demo --visual-scores visual.npz       # fuse with your visual model's score file

Prints the held-out top-1 of the video model, the audio model and their late fusion; writes
av_out/fusion.json, av_out/spectrogram.png and both score files."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ..demo import __doc__ as doc
    from ..demo import add_arguments

    p = subparsers.add_parser(
        "demo", help="audio-visual demo: motion x sound classes, late fusion", description=doc,
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_arguments(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..demo import run_from_args

    return run_from_args(args)
