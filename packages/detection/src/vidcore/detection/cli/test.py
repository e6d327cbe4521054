"""``vidcore-detection test CONFIG [CHECKPOINT]``: frame-mAP of a checkpoint with the per-class table."""

from __future__ import annotations

from vidcore.core.experiment_cli import TestVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-detection test work_dirs/my_exp                      # the run's config and best.pth
  vidcore-detection test my_exp.py best.pth --set data.eval_mode=mmaction
  vidcore-detection test my_exp.py best.pth --out work_dirs/my_exp/test

Prints the AP of every label-map class and the frame-mAP@0.5 over data.test_ann (data.val_ann when
unset); --out also writes test_results.json and per_class_ap.txt."""

add_parser, run = TestVerb(TASK, examples=EPILOG, summary="evaluate a checkpoint (AVA frame-mAP per class)").bind()
