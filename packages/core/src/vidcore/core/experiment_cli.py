"""The ``train`` and ``test`` verbs every task CLI shares, built on :mod:`vidcore.core.experiment`.

A task package's verb module is two lines::

    # vidcore/<task>/cli/train.py
    from vidcore.core.experiment_cli import TrainVerb
    from ..experiment import TASK
    add_parser, run = TrainVerb(TASK, examples=EXAMPLES).bind()

CONFIG may be an experiment file, a shipped config name, or a finished run's folder (its
resolved ``config.json``: every ``--set`` of that run included); further ``--set`` apply on top.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import warnings_as_lines
from vidcore.core.experiment import Task, is_main_process, load_experiment, resolve_config, run_checkpoint

__all__ = ["TestVerb", "TrainVerb", "add_set_argument", "fail"]


def add_set_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        nargs="+",
        action="extend",
        default=[],
        help="override config fields, e.g. --set trainer.max_epochs=10 data.root=/data",
    )


def fail(message: Any) -> int:
    """Print a user error as one line on stderr; exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _missing_config(args: argparse.Namespace) -> str:
    if args.overrides and any("=" not in o for o in args.overrides):
        stray = next(o for o in args.overrides if "=" not in o)
        return (
            f"give a CONFIG before --set: {stray!r} was read as an override (--set takes every "
            "KEY=VALUE after it; put CONFIG first, e.g. `train my_exp.py --set trainer.max_epochs=5`)"
        )
    return "give a CONFIG (an experiment .py file, a shipped config name, or a run folder)"


class TrainVerb:
    """``vidcore-<task> train CONFIG [--set ...] [--work-dir DIR] [--resume [CKPT|RUN_DIR]]``."""

    def __init__(self, task: Task, *, examples: str = "") -> None:
        self.task = task
        self.examples = examples

    def bind(self) -> tuple[Callable[[Any], argparse.ArgumentParser], Callable[[argparse.Namespace], int]]:
        return self.add_parser, self.run

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        prog = f"vidcore-{self.task.name}"
        p = subparsers.add_parser(
            "train",
            help="train an experiment config",
            description=(
                "Train the experiment CONFIG: a Python file binding `config = Experiment(...)`, the name of "
                "a shipped config (--list-configs), or a run folder (its resolved config.json). Checkpoints, "
                "log.jsonl and the resolved config.json go to the experiment's work_dir (or --work-dir). "
                "Ctrl-C (SIGINT) or SIGTERM: the current step finishes, a checkpoint of that position is "
                "written and the resume command printed; exit status 130 (SIGINT) or 143 (SIGTERM). A second "
                "signal stops at once, without a checkpoint."
            ),
            epilog=self.examples
            or (
                f"examples:\n  {prog} train my_exp.py --set trainer.max_epochs=10 --work-dir runs/a\n"
                f"  {prog} train runs/a --resume            # continue runs/a with its own config\n"
                f"  torchrun --nproc_per_node 8 -m vidcore.{self.task.name}.cli train my_exp.py"
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("config", nargs="?", help="experiment file (.py), shipped config name, or run folder")
        add_set_argument(p)
        p.add_argument("--work-dir", help="output folder (overrides the config's work_dir)")
        p.add_argument(
            "--resume",
            nargs="?",
            const="auto",
            default=None,
            metavar="CKPT",
            help="continue a run: from CKPT, or without a value from the newest checkpoint in work_dir",
        )
        if self.task.configs_package:
            p.add_argument("--list-configs", action="store_true", help="list the shipped configs and exit")
        return p

    def run(self, args: argparse.Namespace) -> int:
        from importlib import import_module

        from vidcore.core.experiment import train

        if getattr(args, "list_configs", False):
            pkg = import_module(self.task.configs_package)  # type: ignore[arg-type]
            for name in pkg.list_configs():
                print(f"{name}  ({pkg.config_path(name)})")
            return 0
        if not args.config:
            return fail(_missing_config(args))
        from vidcore.core.trainer.trainer import TrainingInterrupted

        try:
            exp = load_experiment(self.task, args.config, args.overrides, args.work_dir)
            source = resolve_config(self.task, args.config)
            metrics = train(self.task, exp, resume=args.resume, config_source=source)
        except self.task.user_errors() as exc:
            return fail(exc)
        except TrainingInterrupted as exc:
            # 130 after Ctrl-C (SIGINT), 143 after SIGTERM: the shell's 128 + signal number
            if is_main_process():
                print(
                    f"{exc}\nresume with: vidcore-{self.task.name} train {exc.work_dir} --resume",
                    file=sys.stderr,
                    flush=True,
                )
            return exc.exit_code
        if not is_main_process():
            return 0
        shown = ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        print(f"done: {shown} (outputs in {exp.work_dir})" if shown else f"done (outputs in {exp.work_dir})")
        return 0


class TestVerb:
    """``vidcore-<task> test CONFIG [CHECKPOINT]``: CONFIG may be a run folder, whose best
    checkpoint is then the default."""

    __test__ = False  # not a pytest class

    def __init__(self, task: Task, *, examples: str = "", summary: str = "evaluate a checkpoint") -> None:
        self.task = task
        self.examples = examples
        self.summary = summary

    def bind(self) -> tuple[Callable[[Any], argparse.ArgumentParser], Callable[[argparse.Namespace], int]]:
        return self.add_parser, self.run

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        prog = f"vidcore-{self.task.name}"
        p = subparsers.add_parser(
            "test",
            help=self.summary,
            description=(
                "Evaluate CHECKPOINT on the test data of CONFIG (its test list, else its validation list). "
                "CONFIG may be a run folder: its resolved config.json is used and CHECKPOINT defaults to "
                "the run's best.pth (else its newest checkpoint)."
            ),
            epilog=self.examples
            or (
                f"examples:\n  {prog} test runs/a                      # the run's config and best.pth\n"
                f"  {prog} test runs/a --save-scores a_scores.npz  # per-sample scores for late fusion\n"
                f"  {prog} test my_exp.py runs/a/best.pth --out runs/a/test\n"
                f"  torchrun --nproc_per_node 2 -m vidcore.{self.task.name}.cli test runs/a"
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("config", help="experiment file (.py), shipped config name, or run folder")
        p.add_argument("checkpoint", nargs="?", help="checkpoint (default with a run folder: its best.pth)")
        add_set_argument(p)
        p.add_argument("--json", action="store_true", help="print the results as one JSON object")
        p.add_argument("--out", help="folder for the test report files")
        p.add_argument(
            "--save-scores", metavar="FILE",
            help="also write every sample's class scores (.npz: scores, labels, sample_ids, class_names), "
            "the file late fusion reads (vidcore.core.scores.fuse)",
        )  # fmt: skip
        p.add_argument("--device", default="auto", help="'auto' (CUDA if available), 'cpu', 'cuda:1', ...")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument(
            "--strict",
            action="store_true",
            help="refuse a checkpoint whose saved preset, class count or label names differ from CONFIG's "
            "(default: warn and load it)",
        )
        return p

    def run(self, args: argparse.Namespace) -> int:
        from vidcore.core.config import ConfigError
        from vidcore.core.experiment import test

        try:
            checkpoint = args.checkpoint
            if checkpoint is None:
                if not Path(args.config).is_dir():
                    raise ConfigError("give a CHECKPOINT (or pass a run folder as CONFIG to use its best.pth)")
                checkpoint = str(run_checkpoint(args.config))
            exp = load_experiment(self.task, args.config, args.overrides)
            with warnings_as_lines():
                result = test(
                    self.task, exp, checkpoint, device=args.device, progress=not args.no_progress,
                    out_dir=args.out, strict=args.strict,
                    save_scores=args.save_scores,
                )  # fmt: skip
        except self.task.user_errors() as exc:
            return fail(exc)
        if not is_main_process():
            return 0
        if args.json:
            print(json.dumps({k: _plain(v) for k, v in result.items()}))
            return 0
        print(f"checkpoint: {checkpoint}")
        for line in self.task.format_results(result):
            print(line)
        if result.get("scores_file"):
            print(f"scores: {result['scores_file']}")
        return 0


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
