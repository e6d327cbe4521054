"""The ``vidcore-skeleton`` command line: one module per verb (``add_parser``/``run``), dispatched
by :mod:`vidcore.core.cli`."""

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
    "fuse": "fuse",
    "export": "export",
}

EPILOG = """examples:
  vidcore-skeleton models --filter stgcn
  vidcore-skeleton convert mmaction stgcn_joint_ntu60.pth stgcn_vidcore.pth --preset stgcn_joint_80e_ntu60_xsub_keypoint_2d
  vidcore-skeleton train skel.py --set data.annotations=skeleton.pkl
  vidcore-skeleton test runs/joint --out runs/joint/test
  vidcore-skeleton fuse runs/joint/test/scores.npz runs/bone/test/scores.npz --weights 1 1
  vidcore-skeleton infer skeleton.pkl --preset stgcn_joint_synth_coco_2d --checkpoint best.pth --topk 3
  vidcore-skeleton export best.pth --preset stgcn_joint_synth_coco_2d --out stgcn.pt

run `vidcore-skeleton VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser(
        "vidcore-skeleton",
        "Skeleton-based action recognition: list presets, import MMAction2 checkpoints, train, test, "
        "infer on pose pickles, fuse the scores of several streams, export to TorchScript.",
        EPILOG,
        __name__,
        VERBS.values(),
    )


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
