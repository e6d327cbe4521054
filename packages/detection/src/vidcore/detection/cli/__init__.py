"""The ``vidcore-detection`` command line.

Each verb lives in its own module under ``vidcore.detection.cli`` exposing
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys

from vidcore.core.cli import build_verb_parser, run_verb

# verb -> module in this package
VERBS: dict[str, str] = {
    "models": "models",
    "convert": "convert",
    "train": "train",
    "test": "test",
    "eval": "evaluate",
    "infer": "infer",
    "export": "export",
}

EPILOG = """examples:
  vidcore-detection models
  vidcore-detection convert mmaction slowonly_ava21.pth slowonly_vidcore.pth --preset slowonly_r50_4x16x1_ava21
  vidcore-detection eval ava_val_v2.1.csv results.csv ava_action_list_v2.1.pbtxt --exclude ava_val_excluded_timestamps_v2.1.csv
  vidcore-detection train my_exp.py --set trainer.max_epochs=20
  vidcore-detection test my_exp.py work_dirs/my_exp/best.pth
  vidcore-detection infer clip.mp4 --preset slowonly_r50_4x16x1_ava21 --checkpoint slowonly_vidcore.pth \\
      --proposals proposals.pkl --label-map label_map.txt
  vidcore-detection export slowonly_vidcore.pth --preset slowonly_r50_4x16x1_ava21 --out slowonly_ava.pt

run `vidcore-detection VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser(
        "vidcore-detection",
        "Spatio-temporal action detection (AVA): list presets, import MMAction2 checkpoints, "
        "train, test, evaluate result files, infer.",
        EPILOG,
        __name__,
        VERBS.values(),
    )


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
