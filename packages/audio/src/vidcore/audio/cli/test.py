"""``vidcore-audio test CONFIG [CHECKPOINT] [--save-scores FILE]``: the shared test verb on the audio
task, plus the per-sample score file used for late fusion (:mod:`vidcore.core.scores`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vidcore.core.experiment_cli import TestVerb, fail

from ..experiment import TASK

EPILOG = """examples:
  vidcore-audio test runs/audio                         # the run's config and best.pth
  vidcore-audio test runs/audio --save-scores audio_scores.npz
  vidcore-audio test tsn_r18_synth_av_demo best.pth --set data.val_list=av_data/val.txt data.root=av_data
  vidcore-audio test runs/audio --json --out runs/audio/test

Prints top-1 (top-5 with >= 5 classes) and mean class accuracy over data.test_list (else
data.val_list), averaging the preset's test clips per sample. --save-scores writes each sample's
class probabilities (.npz: scores, labels, sample_ids = the list's paths, class_names), the format
every vidcore task writes, to be fused with other models' files (vidcore.core.scores.fuse)."""


class AudioTestVerb(TestVerb):
    """The shared test verb with ``--save-scores``."""

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        p = super().add_parser(subparsers)
        p.add_argument("--save-scores", metavar="FILE", help="write per-sample scores (.npz) for late fusion")
        return p

    def run(self, args: argparse.Namespace) -> int:
        if not args.save_scores:
            return super().run(args)
        from vidcore.core.config import ConfigError
        from vidcore.core.experiment import load_experiment, run_checkpoint

        from ..experiment import test

        try:
            checkpoint = args.checkpoint
            if checkpoint is None:
                if not Path(args.config).is_dir():
                    raise ConfigError("give a CHECKPOINT (or pass a run folder as CONFIG to use its best.pth)")
                checkpoint = str(run_checkpoint(args.config))
            exp = load_experiment(self.task, args.config, args.overrides)
            result = test(exp, checkpoint, device=args.device, progress=not args.no_progress, out_dir=args.out,
                          save_scores=args.save_scores)  # fmt: skip
        except self.task.user_errors() as exc:
            return fail(exc)
        if args.json:
            keep = {k: v for k, v in result.items() if k not in ("scores", "labels", "indices", "confusion_matrix")}
            print(json.dumps(keep))
            return 0
        print(f"checkpoint: {checkpoint}")
        for line in self.task.format_results(result):
            print(line)
        print(f"{'scores':>22}: {result['scores_file']}")
        return 0


add_parser, run = AudioTestVerb(
    TASK, examples=EPILOG, summary="evaluate a checkpoint (top-1, mean class accuracy; --save-scores)"
).bind()
