"""``vidcore-localization train CONFIG``: the shared train verb on the localization task."""

from __future__ import annotations

from vidcore.core.experiment_cli import TrainVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-localization train --list-configs
  vidcore-localization train bmn_400x100_9e_activitynet_feature \\
      --set data.annotations=data/anet_anno_action.json data.feature_root=data/csv_mean_100
  vidcore-localization train my_exp.py --set trainer.max_epochs=3 --work-dir runs/a
  vidcore-localization train runs/a --resume                    # continue a run with its own config
  torchrun --nproc_per_node 2 -m vidcore.localization.cli train my_exp.py

Validation prints AR@1/5/10/100 and AUC; best.pth keeps the best AUC."""

add_parser, run = TrainVerb(TASK, examples=EPILOG).bind()
