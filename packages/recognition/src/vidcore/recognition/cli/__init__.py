"""The ``vidcore-recognition`` command line.

Each verb lives in its own module under ``vidcore.recognition.cli`` exposing
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``; add a line to
:data:`VERBS` to add one.
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
    "infer": "infer",
    "extract-features": "extract_features",
    "export": "export",
    "fuse": "fuse",
}

EPILOG = """examples:
  vidcore-recognition models
  vidcore-recognition models --filter tsm --no-params
  vidcore-recognition convert mmaction tsm_r50_k400.pth tsm_r50_k400_vidcore.pth --preset tsm_r50_1x1x8_kinetics400
  vidcore-recognition train my_exp.py --set data.root=/data trainer.max_epochs=20
  vidcore-recognition test my_exp.py work_dirs/my_exp/best.pth
  vidcore-recognition infer clip.mp4 --config my_exp.py --checkpoint work_dirs/my_exp/best.pth --top-k 3
  vidcore-recognition extract-features videos/*.mp4 --preset tsm_r50_1x1x8_kinetics400 --checkpoint tsm.pth --out feats/
  vidcore-recognition fuse rgb_scores.npz flow_scores.npz --weights 1 1
  vidcore-recognition export best.pth --preset tsm_r50_1x1x8_kinetics400 --format onnx --out tsm.onnx

run `vidcore-recognition VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser("vidcore-recognition", "Action recognition: list model presets, import MMAction2 checkpoints, train, test, infer.", EPILOG, __name__, VERBS.values())


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
