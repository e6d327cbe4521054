"""The ``fuse`` verb every task CLI that writes score files shares: late fusion of any number of
score files (:mod:`vidcore.core.scores`), printing each input's and the fused top-1 and mean class
accuracy.

A task's verb module is two lines::

    # vidcore/<task>/cli/fuse.py
    from vidcore.core.fuse_cli import FuseVerb
    add_parser, run = FuseVerb("vidcore-audio", examples=EXAMPLES).bind()

The weights default to 1 each (MMAction2's ``report_accuracy.py`` 1:1:...); ``--product`` sums the
weighted log-probabilities instead (a product of probabilities, see :func:`vidcore.core.scores.fuse`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from vidcore.core.scores import FusionResult, ScoreFileError, fuse, read_scores, write_scores

__all__ = ["FuseVerb", "format_report"]

DESCRIPTION = (
    "Late fusion of per-sample class scores from several score files (vidcore's .npz written by "
    "`test --save-scores` / `test --out`, or MMAction2 result pickles from tools/test.py --dump), "
    "matched by sample id: the weighted sum of the scores (MMAction2's report_accuracy.py, default "
    "weights 1:1:...), or with --product the weighted sum of log-probabilities (a product of "
    "probabilities). Prints top-1 and mean class accuracy of every input and of the fusion."
)


def format_report(result: FusionResult) -> str:
    """The table the verb prints: one row per input and one for the fusion (accuracies in %)."""
    rows = [*result.inputs, result.fused]
    width = max(len(r.name) for r in rows)
    lines = [f"{'input'.ljust(width)}  weight    top1  mean_class_acc"]
    lines += [
        f"{r.name.ljust(width)}  {r.weight:6.2f}  {100 * r.top1:6.2f}  {100 * r.mean_class_accuracy:14.2f}" for r in rows
    ]
    lines.append(f"fused top-1: {100 * result.fused.top1:.2f} % over {len(result.labels)} samples")
    return "\n".join(lines)


class FuseVerb:
    """``PROG fuse SCORES... [--weights W...] [--product] [--apply-softmax] [--out F] [--json]``.

    Args:
        prog: the command (``vidcore-audio``), for the help.
        examples: example lines for the help, each starting with ``prog`` (a default set when empty).
        help: the one-line help in ``PROG --help``.
    """

    def __init__(self, prog: str, *, examples: Sequence[str] = (), help: str = "") -> None:
        self.prog = prog
        self.examples = list(examples) or [
            f"{prog} fuse a/scores.npz b/scores.npz",
            f"{prog} fuse a.npz b.npz --weights 2 1 --json",
            f"{prog} fuse video.npz audio.npz --product --out fused.npz",
        ]
        self.help = help or "late fusion of score files: each input's and the fused top-1"

    def bind(self) -> tuple[Callable[[Any], argparse.ArgumentParser], Callable[[argparse.Namespace], int]]:
        return self.add_parser, self.run

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        p = subparsers.add_parser(
            "fuse",
            help=self.help,
            description=DESCRIPTION,
            epilog="examples:\n" + "\n".join(f"  {line}" for line in self.examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("scores", nargs="+", help="score files (.npz or MMAction2 .pkl)")
        p.add_argument("--weights", type=float, nargs="+", default=None, help="one weight per file (default 1 each)")
        p.add_argument("--apply-softmax", action="store_true", help="softmax each input first (for logit files)")
        p.add_argument(
            "--product",
            action="store_true",
            help="fuse as a weighted product of probabilities (sum of w * log p) instead of a weighted sum",
        )
        p.add_argument("--out", default=None, help="write the fused scores to this .npz score file")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        return p

    def run(self, args: argparse.Namespace) -> int:
        combine = "product" if args.product else "sum"
        try:
            sets = [read_scores(f) for f in args.scores]
            result = fuse(sets, args.weights, apply_softmax=args.apply_softmax, combine=combine)
        except ScoreFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.out:
            kind = "logit" if args.product else sets[0].kind
            if args.apply_softmax and not args.product:
                kind = "prob"
            write_scores(args.out, result.scores, result.labels, result.sample_ids, kind=kind,
                         class_names=sets[0].class_names)  # fmt: skip
        if args.json:
            print(json.dumps({**result.to_dict(), "combine": combine}))
            return 0
        print(format_report(result))
        return 0
