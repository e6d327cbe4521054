"""``vidcore-recognition train CONFIG``: train an experiment file (or a shipped config by name)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """Train the experiment defined in CONFIG: a Python file binding `config = Experiment(...)`,
or the name of a shipped config (see --list-configs). Checkpoints, log.jsonl and the resolved
config.json go to the experiment's work_dir (or --work-dir)."""

EPILOG = """examples:
  vidcore-recognition train --list-configs
  vidcore-recognition train tsm_r50_8xb16_1x1x8_50e_kinetics400 \\
      --set data.root=/data/k400/videos_train data.val_root=/data/k400/videos_val \\
            data.train_list=/data/k400/train.txt data.val_list=/data/k400/val.txt
  vidcore-recognition train my_exp.py --set trainer.batch_size=4 trainer.optim.lr=0.005 --work-dir runs/a
  vidcore-recognition train my_exp.py --work-dir runs/a --resume          # newest checkpoint in runs/a
  vidcore-recognition train my_exp.py --resume runs/a/epoch_0010.pth
  torchrun --nproc_per_node 8 -m vidcore.recognition.cli train my_exp.py  # one process per GPU

Overrides are `a.b.c=value` paths into the Experiment (model.*, data.*, trainer.*, work_dir),
converted to each field's type; an unknown key lists the valid ones."""


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


def resolve_config_path(config: str) -> Path:
    """A file path, or the name of a config shipped in ``vidcore.recognition.configs``."""
    path = Path(config).expanduser()
    if path.is_file() or path.suffix == ".py" or "/" in config:
        return path
    from vidcore.recognition.configs import config_path

    return config_path(config)


def load_experiment(config: str, overrides: list[str], work_dir: str | None = None) -> Any:
    """Load CONFIG, apply ``--set`` overrides and ``--work-dir``; raises ``ConfigError``."""
    from vidcore.core.config import ConfigError, apply_overrides, load_config
    from vidcore.recognition.experiment import Experiment

    exp = load_config(resolve_config_path(config))
    if not isinstance(exp, Experiment):
        raise ConfigError(
            f"{config}: `config` is a {type(exp).__name__}; vidcore-recognition needs an "
            "vidcore.recognition.experiment.Experiment"
        )
    exp = apply_overrides(exp, overrides)
    if work_dir is not None:
        exp = apply_overrides(exp, [f"work_dir={work_dir}"])
    return exp


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by the user's config, files or data: printed as one line, exit code 2."""
    from vidcore.core.checkpoint import CheckpointError
    from vidcore.core.config import ConfigError
    from vidcore.core.registry import RegistryError
    from vidcore.data.errors import DataError

    return (ConfigError, CheckpointError, RegistryError, DataError, FileNotFoundError)


def fail(message: Any) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train an experiment config",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", help="experiment file (.py) or shipped config name")
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
    p.add_argument("--list-configs", action="store_true", help="list the shipped configs and exit")
    return p


def run(args: argparse.Namespace) -> int:
    if args.list_configs:
        from vidcore.recognition.configs import config_path, list_configs

        for name in list_configs():
            print(f"{name}  ({config_path(name)})")
        return 0
    if not args.config:
        return fail("give a CONFIG (a .py experiment file or a shipped config name; see --list-configs)")
    from vidcore.recognition.experiment import train

    try:
        exp = load_experiment(args.config, args.overrides, args.work_dir)
        metrics = train(exp, resume=args.resume, config_source=resolve_config_path(args.config))
    except user_errors() as exc:
        return fail(exc)
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    if metrics:
        shown = ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        print(f"done: {shown} (outputs in {exp.work_dir})")
    else:
        print(f"done (outputs in {exp.work_dir})")
    return 0
