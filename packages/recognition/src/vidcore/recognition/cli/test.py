"""``vidcore-recognition test CONFIG CHECKPOINT``: accuracy of a checkpoint with the preset's test views."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from .train import add_set_argument, fail, load_experiment, user_errors

EPILOG = """examples:
  vidcore-recognition test my_exp.py work_dirs/my_exp/best.pth
  vidcore-recognition test my_exp.py best.pth --set data.test_list=/data/test.txt data.test_crops=1
  vidcore-recognition test my_exp.py best.pth --json --out work_dirs/my_exp/test

Prints top-1, top-5 and mean class accuracy over data.test_list (data.val_list when unset),
averaging the preset's test views (clips x crops) per video. --out also writes
test_results.json and confusion_matrix.csv (rows: true class, columns: predicted)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "test",
        help="evaluate a checkpoint (top-1/top-5/mean class accuracy)",
        description="Evaluate CHECKPOINT on the test list of CONFIG with the preset's test views.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", help="experiment file (.py) or shipped config name")
    p.add_argument("checkpoint", help="checkpoint (vidcore or MMAction2 format)")
    add_set_argument(p)
    p.add_argument(
        "--json", action="store_true", help="print the results as JSON (with the confusion matrix)"
    )
    p.add_argument("--out", help="folder for test_results.json and confusion_matrix.csv")
    p.add_argument("--device", default="auto", help="'auto' (CUDA if available), 'cpu', 'cuda:1', ...")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run(args: argparse.Namespace) -> int:
    from vidcore.recognition.experiment import test

    try:
        exp = load_experiment(args.config, args.overrides)
        result = test(
            exp, args.checkpoint, device=args.device, progress=not args.no_progress, out_dir=args.out
        )
    except user_errors() as exc:
        return fail(exc)
    if args.json:
        print(json.dumps({k: _plain(v) for k, v in result.items()}))
        return 0
    names = {"top1": "top-1 accuracy", "top5": "top-5 accuracy", "mean_class_accuracy": "mean class accuracy",
             "mean_average_precision": "mean average precision"}  # fmt: skip
    for key, title in names.items():
        if key in result:
            print(f"{title:>22}: {100 * result[key]:6.2f} %")
    print(f"{'videos':>22}: {result['num_samples']}" + (
        f" ({result['num_skipped']} unreadable, skipped)" if result["num_skipped"] else ""))  # fmt: skip
    return 0
