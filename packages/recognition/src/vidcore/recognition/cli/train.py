"""``vidcore-recognition train CONFIG``: train an experiment file, a shipped config, or continue a run.

The verb itself is the shared one (:class:`vidcore.core.experiment_cli.TrainVerb`); this module
adds the recognition examples and the helpers the other recognition verbs use.
"""

from __future__ import annotations

from typing import Any

from vidcore.core.experiment_cli import TrainVerb, add_set_argument, fail

from ..experiment import TASK

__all__ = ["add_parser", "add_set_argument", "fail", "load_experiment", "run", "user_errors"]

EPILOG = """examples:
  vidcore-recognition train --list-configs
  vidcore-recognition train tsm_r50_8xb16_1x1x8_50e_kinetics400 \\
      --set data.root=/data/k400/videos_train data.val_root=/data/k400/videos_val \\
            data.train_list=/data/k400/train.txt data.val_list=/data/k400/val.txt
  vidcore-recognition train my_exp.py --set trainer.batch_size=4 trainer.optim.lr=0.005 --work-dir runs/a
  vidcore-recognition train my_exp.py --work-dir runs/a --resume          # newest checkpoint in runs/a
  vidcore-recognition train runs/a --resume                               # the run's own config.json
  vidcore-recognition train my_exp.py --resume runs/a/epoch_0010.pth
  torchrun --nproc_per_node 8 -m vidcore.recognition.cli train my_exp.py  # one process per GPU

Overrides are `a.b.c=value` paths into the Experiment (model.*, data.*, trainer.*, work_dir),
converted to each field's type; an unknown key lists the valid ones."""


def load_experiment(config: str, overrides: list[str], work_dir: str | None = None) -> Any:
    """Load CONFIG (file, shipped name or run folder), apply ``--set`` and ``--work-dir``."""
    from vidcore.core.experiment import load_experiment as load

    return load(TASK, config, overrides, work_dir)


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by the user's config, files or data: printed as one line, exit code 2."""
    return TASK.user_errors()


add_parser, run = TrainVerb(TASK, examples=EPILOG).bind()
