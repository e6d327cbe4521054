"""``vidcore-localization test CONFIG [CHECKPOINT]``: AR@AN, AUC and the detection mAP table."""

from __future__ import annotations

from vidcore.core.experiment_cli import TestVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-localization test runs/a                         # the run's config and best.pth
  vidcore-localization test my_exp.py runs/a/best.pth --json
  vidcore-localization test bmn_400x100_9e_activitynet_feature bmn_mmaction.pth \\
      --set data.annotations=anet_anno_val.json data.feature_root=csv_mean_100 data.test_subset=None

Prints AR@1, AR@5, AR@10, AR@100 and the AUC of the AR@AN curve (ActivityNet protocol), and the
class-agnostic detection mAP at tIoU 0.5:0.05:0.95. MMAction2 checkpoints load directly."""

add_parser, run = TestVerb(TASK, examples=EPILOG, summary="evaluate a checkpoint (AR@AN, AUC, mAP)").bind()
