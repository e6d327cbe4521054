"""``vidcore-skeleton fuse SCORES... [--weights W...]``: fuse per-stream score files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vidcore.core.scores import ScoreFileError, fuse


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "fuse",
        help="fuse the scores of several streams (joint, bone, motion) and print the fused top-1",
        description="Weighted sum of per-sample class scores from several score files (vidcore's "
        "scores.npz written by `test --out`, or MMAction2 result pickles from tools/test.py --dump), "
        "matched by sample id; prints top-1 and mean class accuracy of every input and of the fusion "
        "(MMAction2's report_accuracy.py; default weights 1:1:...).",
        epilog="examples:\n"
        "  vidcore-skeleton fuse runs/j/test/scores.npz runs/b/test/scores.npz\n"
        "  vidcore-skeleton fuse j.npz b.npz jm.npz bm.npz --weights 2 2 1 1 --json\n"
        "  vidcore-skeleton fuse joint.pkl bone.pkl                      # MMAction2 dumps",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scores", nargs="+", help="score files (.npz or MMAction2 .pkl)")
    p.add_argument("--weights", type=float, nargs="+", default=None, help="one weight per file (default 1 each)")
    p.add_argument("--apply-softmax", action="store_true", help="softmax each input first (for logit files)")
    p.add_argument("--out", default=None, help="write the fused scores to this .npz score file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    try:
        result = fuse(args.scores, args.weights, apply_softmax=args.apply_softmax)
    except ScoreFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        from vidcore.core.scores import write_scores

        write_scores(args.out, result.scores, result.labels, result.sample_ids)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    width = max(len(r.name) for r in [*result.inputs, result.fused])
    print(f"{'input'.ljust(width)}  weight    top1  mean_class_acc")
    for r in [*result.inputs, result.fused]:
        print(f"{r.name.ljust(width)}  {r.weight:6.2f}  {100 * r.top1:6.2f}  {100 * r.mean_class_accuracy:14.2f}")
    print(f"fused top-1: {100 * result.fused.top1:.2f} % over {len(result.labels)} samples")
    return 0
