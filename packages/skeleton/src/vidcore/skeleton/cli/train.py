"""``vidcore-skeleton train CONFIG``: the shared train verb on the skeleton task."""

from __future__ import annotations

from vidcore.core.experiment_cli import TrainVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-skeleton train my_exp.py --set data.annotations=skel/skeleton.pkl
  vidcore-skeleton train my_exp.py --set model.feats=b --work-dir runs/bone     # the bone stream
  vidcore-skeleton train runs/joint --resume                                   # continue a run
  torchrun --nproc_per_node 2 -m vidcore.skeleton.cli train my_exp.py

An experiment file defines `config = Experiment(...)` (vidcore.skeleton.experiment). Validation
prints top-1, top-5 and mean class accuracy; best.pth keeps the best top-1."""

add_parser, run = TrainVerb(TASK, examples=EPILOG).bind()
