"""``vidcore-recognition test CONFIG [CHECKPOINT]``: accuracy of a checkpoint with the preset's test views.

The shared verb (:class:`vidcore.core.experiment_cli.TestVerb`) on the recognition task: one
evaluation path with validation during training, runnable under ``torchrun``.
"""

from __future__ import annotations

from vidcore.core.experiment_cli import TestVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-recognition test work_dirs/my_exp                       # the run's config and best.pth
  vidcore-recognition test my_exp.py work_dirs/my_exp/best.pth
  vidcore-recognition test my_exp.py best.pth --set data.test_list=/data/test.txt data.test_crops=1
  vidcore-recognition test my_exp.py best.pth --json --out work_dirs/my_exp/test
  torchrun --nproc_per_node 2 -m vidcore.recognition.cli test work_dirs/my_exp

Prints top-1, top-5 and mean class accuracy over data.test_list (data.val_list when unset),
averaging the preset's test views (clips x crops) per video. --out also writes
test_results.json and confusion_matrix.csv (rows: true class, columns: predicted)."""

add_parser, run = TestVerb(
    TASK, examples=EPILOG, summary="evaluate a checkpoint (top-1/top-5/mean class accuracy)"
).bind()
