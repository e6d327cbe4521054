"""``vidcore-skeleton test CONFIG [CHECKPOINT]``: multi-clip accuracy and the per-sample score file."""

from __future__ import annotations

from vidcore.core.experiment_cli import TestVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-skeleton test runs/joint                                  # the run's config and best.pth
  vidcore-skeleton test runs/joint --out runs/joint/test            # + scores.npz for `fuse`
  vidcore-skeleton test my_exp.py stgcn_mmaction.pth --set data.test_split=xsub_val

Prints top-1, top-5 and mean class accuracy over the test clips (scores averaged per sample).
MMAction2 checkpoints load directly."""

add_parser, run = TestVerb(TASK, examples=EPILOG, summary="evaluate a checkpoint (top-1, mean class accuracy)").bind()
