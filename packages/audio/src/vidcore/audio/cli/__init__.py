"""The ``vidcore-audio`` command line: one module per verb under ``vidcore.audio.cli``
(``add_parser(subparsers)`` and ``run(args) -> int``); add a line to :data:`VERBS` to add one."""

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
    "export": "export",
    "fuse": "fuse",
    "demo": "demo",
}

EPILOG = """examples:
  vidcore-audio models
  vidcore-audio convert mmaction tsn_r18_audio.pth tsn_r18_vidcore.pth --preset tsn_r18_64x1x1_kinetics400_audio_feature
  vidcore-audio train tsn_r18_synth_av_demo --set data.root=av_data trainer.max_epochs=8
  vidcore-audio test av_out/audio_work_dir --save-scores audio_scores.npz
  vidcore-audio fuse visual_scores.npz audio_scores.npz --product
  vidcore-audio infer clip.mp4 --preset tsn_r18_synth_av --checkpoint best.pth --label-map labels.txt --json
  vidcore-audio export best.pth --preset tsn_r18_synth_av --format torchscript --out audio.pt
  vidcore-audio demo --out av_out

run `vidcore-audio VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser(
        "vidcore-audio",
        "Audio recognition on log-mel spectrograms: presets, MMAction2 checkpoints, train, test, infer, export, "
        "audio-visual late fusion of score files.",
        EPILOG,
        __name__,
        VERBS.values(),
    )


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
