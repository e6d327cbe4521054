"""``vidcore-detection train CONFIG``: train an experiment file or continue a run (the shared verb
of :mod:`vidcore.core.experiment_cli` on the detection task)."""

from __future__ import annotations

from vidcore.core.experiment_cli import TrainVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-detection train my_exp.py --set data.root=/data/ava/rawframes trainer.max_epochs=20
  vidcore-detection train my_exp.py --work-dir runs/a --resume
  torchrun --nproc_per_node 8 -m vidcore.detection.cli train my_exp.py

An experiment file binds `config = Experiment(model=ModelConfig(...), data=DataConfig(...), ...)`
(vidcore.detection.experiment); overrides are `a.b=value` paths into it."""

add_parser, run = TrainVerb(TASK, examples=EPILOG).bind()
