"""The ``vidcore-data`` command line: data-preparation verbs.

Each verb lives in its own module under ``vidcore.data.cli`` exposing
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys

from vidcore.core.cli import build_verb_parser, run_verb

# verb -> module in this package; add a line to add a verb.
VERBS: dict[str, str] = {
    "synth": "synth",
    "extract-frames": "extract_frames",
    "resize-videos": "resize_videos",
    "extract-audio": "extract_audio",
    "mel": "mel",
    "build-list": "build_list",
    "check": "check",
    "pack": "pack",
}

EPILOG = """examples:
  vidcore-data extract-frames videos/ rawframes/ --short-side 256 --workers 4
  vidcore-data build-list data/ucf101/videos --out ucf101_train.txt --val-fraction 0.2
  vidcore-data check ucf101_train.txt --root data/ucf101/videos
  vidcore-data synth demo_data/ --videos-per-class 40

run `vidcore-data VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser("vidcore-data", "Prepare video datasets: decode, convert, check, generate.", EPILOG, __name__, VERBS.values())


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
