"""The task-agnostic experiment layer: one train path and one evaluation path for every task.

A task package describes itself once with a :class:`Task` (how to build its model, datasets and
evaluator from its typed experiment config) and gets, from here:

- :func:`train` (resolved config written beside the outputs, seeding, the distributed
  :class:`~vidcore.core.trainer.Trainer`, exact resume),
- :func:`test` (a checkpoint evaluated by the same ``Trainer.evaluate`` that validation uses, so
  it runs the same under ``torchrun``: each rank evaluates its share and the evaluator gathers),
- :func:`load_experiment` (an experiment file, a shipped config name, or a finished run's folder,
  with ``--set`` overrides on top),
- the ``train`` and ``test`` CLI verbs (:mod:`vidcore.core.experiment_cli`).

A task's experiment is its own dataclass; it needs ``trainer: TrainerConfig`` and
``work_dir: str`` fields (see :class:`ExperimentLike`). Everything else (model, data) is typed
by the task.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from torch import nn
from torch.utils.data import Dataset

from vidcore.core.config import ConfigError, apply_overrides, config_from_dict, load_config, save_config
from vidcore.core.trainer import TrainerConfig

__all__ = [
    "ExperimentLike",
    "Split",
    "Task",
    "classification_lines",
    "is_main_process",
    "load_experiment",
    "resolve_config",
    "run_checkpoint",
    "run_metadata",
    "test",
    "train",
]

Split = Literal["train", "val", "test"]


class ExperimentLike(Protocol):
    """What the shared layer reads of a task's experiment dataclass."""

    trainer: TrainerConfig
    work_dir: str


def is_main_process() -> bool:
    """Rank 0 (or not distributed): the process that prints and writes files. Read from the
    process group when it is initialised, else from ``torchrun``'s ``RANK`` variable."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


class Task(ABC):
    """What a task package supplies to the shared experiment layer.

    Class attributes:
        name: the task (``"recognition"``); the CLI is ``vidcore-<name>``.
        experiment_type: the task's experiment dataclass.
        configs_package: module holding shipped experiment files (``config_path(name)`` and
            ``list_configs()``), or ``None``.
    """

    name: ClassVar[str]
    experiment_type: ClassVar[type]
    configs_package: ClassVar[str | None] = None

    @abstractmethod
    def build_model(self, exp: Any, *, pretrained: bool = True, verbose: bool = True) -> nn.Module:
        """The model (implementing ``forward_train``/``forward_eval``), with the config's initial
        weights when ``pretrained`` (``test`` passes ``False`` and loads its checkpoint)."""

    @abstractmethod
    def build_dataset(self, exp: Any, split: Split) -> Dataset | None:
        """The split's dataset, or ``None`` when the config names no data for it."""

    @abstractmethod
    def build_evaluator(self, exp: Any, model: nn.Module, *, detailed: bool = False, keep_rows: bool = False) -> Any:
        """An evaluator (``reset/update/compute``); ``detailed`` for a test report (e.g. with a
        confusion matrix), not only the numbers logged during training; ``keep_rows``: its
        ``compute()`` also returns per-sample ``scores``, ``labels`` and ``indices`` (see
        :class:`vidcore.core.metrics.AccuracyMetric`), which ``test(save_scores=...)`` writes."""

    def sample_ids(self, exp: Any, dataset: Any, indices: Any) -> list[str]:
        """Names of the test samples at dataset ``indices`` in a score file: the list entry's path
        where the dataset keeps records with one (``records[i].path``), else the index."""
        records = getattr(dataset, "records", None)
        out = []
        for i in indices:
            rec = records[int(i)] if records is not None else None
            out.append(str(getattr(rec, "path", None) or getattr(rec, "frame_dir", None) or int(i)))
        return out

    def class_names(self, exp: Any) -> list[str]:
        """Class names for a score file (default: none)."""
        return []

    def collate_fn(self, exp: Any) -> Callable[[list[Any]], Any] | None:
        """The DataLoader collate function (``None``: torch's default)."""
        return None

    def best_metric(self, exp: Any) -> str | None:
        """The validation metric that selects ``best.pth`` when the trainer config sets none."""
        return None

    def checkpoint_metadata(self, exp: Any) -> dict[str, Any]:
        """What this experiment's checkpoints are, as plain JSON-able values: ``preset`` (name),
        ``num_classes``, ``labels`` (class names by id, when the experiment has a label map).
        :func:`train` stores it (with the task name, the vidcore versions and the resolved config)
        under ``"meta"`` in every checkpoint; :func:`test` warns when a checkpoint's disagrees.
        Default: nothing task-specific."""
        return {}

    def test_batch_size(self, exp: Any) -> int | None:
        """Samples per batch in :func:`test` (``None``: the trainer's ``val_batch_size``)."""
        return None

    def load_weights(self, exp: Any, model: nn.Module, checkpoint: str | PathLike[str] | Mapping[str, Any]) -> None:
        """Load a checkpoint for testing, strictly. The default reads vidcore checkpoints; a task
        whose checkpoints may come from other toolboxes overrides it."""
        from vidcore.core.checkpoint import extract_state_dict, load_checkpoint, load_model_weights

        ckpt = load_checkpoint(checkpoint) if isinstance(checkpoint, (str, PathLike)) else checkpoint
        load_model_weights(model, extract_state_dict(ckpt), strict=True)

    def write_test_outputs(self, result: Mapping[str, Any], out_dir: Path) -> None:
        """Write a test report into ``out_dir`` (default: ``test_results.json`` of the scalars)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        plain = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in result.items()
            if isinstance(v, (int, float, str)) or v is None
        }
        (out_dir / "test_results.json").write_text(json.dumps(plain, indent=2) + "\n")


    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        """Lines the ``test`` verb prints (default: every scalar)."""
        return [f"{k:>24}: {v:.4f}" if isinstance(v, float) else f"{k:>24}: {v}"
                for k, v in result.items() if isinstance(v, (int, float))]  # fmt: skip

    def user_errors(self) -> tuple[type[BaseException], ...]:
        """Exceptions caused by the user's config, files or data: the CLI prints them as one
        line and exits 2 (anything else is a bug and keeps its traceback)."""
        from vidcore.core.checkpoint import CheckpointError
        from vidcore.core.registry import RegistryError

        return (ConfigError, CheckpointError, RegistryError, FileNotFoundError)


_CLASSIFICATION_METRICS = {
    "top1": "top-1 accuracy",
    "top5": "top-5 accuracy",
    "mean_class_accuracy": "mean class accuracy",
    "mean_average_precision": "mean average precision",
}


def classification_lines(result: Mapping[str, Any], *, unit: str = "samples") -> list[str]:
    """What a classification task's ``test`` prints: each accuracy present in ``result`` as a
    percentage, then the number of ``unit`` evaluated and how many were unreadable and skipped."""
    lines = [f"{title:>22}: {100 * result[key]:6.2f} %" for key, title in _CLASSIFICATION_METRICS.items() if key in result]
    skipped = result.get("num_skipped", 0)
    tail = f" ({skipped} unreadable, skipped)" if skipped else ""
    lines.append(f"{unit:>22}: {result.get('num_samples', '?')}{tail}")
    return lines


def run_checkpoint(run_dir: str | PathLike[str]) -> Path:
    """The checkpoint to use from a finished run: ``best.pth``, else the newest one."""
    folder = Path(run_dir)
    best = folder / "best.pth"
    if best.is_file():
        return best
    from vidcore.core.checkpoint import CheckpointManager

    latest = CheckpointManager(folder).latest_path()
    if latest is None:
        raise ConfigError(f"{folder}: the run folder holds no checkpoint (best.pth, epoch_*.pth)")
    return Path(latest)


# ----------------------------------------------------------------------------------- configs


def resolve_config(task: Task, config: str | PathLike[str]) -> Path:
    """The experiment file for ``config``: a path, a run folder's ``config.json``, or the name of
    a config shipped in ``task.configs_package``."""
    text = str(config)
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "config.json").is_file():
            return path / "config.json"
        raise ConfigError(f"{path}: a run folder must hold config.json (the resolved config of a run)")
    if path.is_file() or path.suffix in (".py", ".json") or "/" in text:
        return path
    if task.configs_package is None:
        raise ConfigError(f"{text}: no such experiment file")
    from importlib import import_module

    return Path(import_module(task.configs_package).config_path(text))


def load_experiment(
    task: Task, config: str | PathLike[str], overrides: list[str] = (), work_dir: str | None = None
) -> Any:
    """Load an experiment (file, shipped name, or a run folder / its ``config.json``), apply the
    ``--set`` overrides and ``--work-dir``. Raises ``ConfigError`` with what was expected."""
    path = resolve_config(task, config)
    if path.suffix == ".json":
        exp = _from_json(task, path)
    else:
        exp = load_config(path)
    if not isinstance(exp, task.experiment_type):
        raise ConfigError(
            f"{config}: `config` is a {type(exp).__name__}; vidcore-{task.name} needs a "
            f"{task.experiment_type.__module__}.{task.experiment_type.__qualname__}"
        )
    exp = apply_overrides(exp, list(overrides))
    if work_dir is not None:
        exp = apply_overrides(exp, [f"work_dir={work_dir}"])
    return exp


def _from_json(task: Task, path: Path) -> Any:
    """The task's experiment rebuilt from a run's resolved ``config.json``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable config.json ({exc})") from None
    return config_from_dict(task.experiment_type, data, where=str(path))


# ----------------------------------------------------------------------------------- train / test


def train(
    task: Task,
    exp: Any,
    *,
    resume: str | None = None,
    config_source: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Train ``exp``; returns the last validation metrics (``{}`` without validation data).

    Args:
        resume: ``"auto"`` (the newest checkpoint in ``work_dir``), a checkpoint path, or ``None``
            (``exp.trainer.resume`` then applies).
        config_source: the experiment file, copied beside the outputs as ``config_source.py``.

    The resolved config (with every ``--set`` applied) goes to ``work_dir/config.json`` first; the
    same run restarts from it with ``train --resume RUN_DIR``. Runs the same under ``torchrun``.
    """
    from vidcore.core.trainer import Trainer, seed_everything

    cfg = exp.trainer
    if resume is not None:
        cfg = dataclasses.replace(cfg, resume=resume)
    train_set = task.build_dataset(exp, "train")
    if train_set is None:
        raise ConfigError("the experiment names no training data (set the data section's train list)")
    val_set = task.build_dataset(exp, "val")
    if cfg.best_metric is None and val_set is not None:
        cfg = dataclasses.replace(cfg, best_metric=task.best_metric(exp))
    exp = dataclasses.replace(exp, trainer=cfg)
    metadata = run_metadata(task, exp)
    if is_main_process():
        save_config(exp, exp.work_dir, source=config_source if str(config_source or "").endswith(".py") else None)
    seed_everything(cfg.seed)  # the initial weights are a function of the seed (same on every rank)
    model = task.build_model(exp)
    trainer = Trainer(
        model,
        train_set,
        val_set,
        cfg=cfg,
        collate_fn=task.collate_fn(exp),
        evaluator=task.build_evaluator(exp, model) if val_set is not None else None,
        work_dir=exp.work_dir,
        metadata=metadata,
    )
    return trainer.fit()


def run_metadata(task: Task, exp: Any) -> dict[str, Any]:
    """The ``"meta"`` of the checkpoints a run writes: ``task``, the task's own fields
    (:meth:`Task.checkpoint_metadata`: ``preset``, ``num_classes``, ``labels``), ``versions`` (the
    installed vidcore distributions) and ``config`` (the resolved experiment as a JSON-able dict,
    what ``config.json`` holds)."""
    from vidcore.core.checkpoint import vidcore_versions
    from vidcore.core.config import config_to_dict

    return {"task": task.name, **task.checkpoint_metadata(exp), "versions": vidcore_versions(),
            "config": config_to_dict(exp)}  # fmt: skip


def test(
    task: Task,
    exp: Any,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    device: str = "auto",
    progress: bool = True,
    out_dir: str | PathLike[str] | None = None,
    strict: bool = False,
    save_scores: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Evaluate ``checkpoint`` on the experiment's test data (the task decides which list: its
    test list, else its validation list) with the evaluator's detailed report.

    A checkpoint whose metadata (preset, class count, label names) disagrees with the experiment's
    (:meth:`Task.checkpoint_metadata`) gives a ``CheckpointMismatchWarning``, or with ``strict`` a
    ``CheckpointError``.

    One code path with validation (``Trainer.evaluate``): under ``torchrun`` each rank evaluates
    its share and the evaluator gathers; only rank 0 writes ``out_dir``. ``run_dir`` is left
    untouched. Returns the evaluator's results plus ``num_skipped``. ``save_scores`` (default with
    ``out_dir``: ``out_dir/scores.npz``): rank 0 also writes every sample's scores in the
    shared score format (:mod:`vidcore.core.scores`: ``.npz`` with scores, labels, sample ids from :meth:`Task.sample_ids`, class names), the file late
    fusion reads; its path is returned as ``scores_file``.
    """
    from vidcore.core.trainer import Trainer

    test_set = task.build_dataset(exp, "test")
    if test_set is None:
        raise ConfigError("the experiment names no test or validation data")
    _check_metadata(task, exp, checkpoint, strict=strict)
    model = task.build_model(exp, pretrained=False, verbose=False)
    task.load_weights(exp, model, checkpoint)
    cfg = dataclasses.replace(
        exp.trainer,
        device=device,
        resume=None,
        val_batch_size=task.test_batch_size(exp) or exp.trainer.val_batch_size,
        progress_bar=False,
        tensorboard=False,
    )
    asked = save_scores is not None
    if save_scores is None and out_dir is not None:
        save_scores = Path(out_dir) / "scores.npz"  # a test report folder holds the score file too
    keep = save_scores is not None
    try:
        evaluator = task.build_evaluator(exp, model, detailed=True, keep_rows=keep)
    except TypeError:  # a task whose evaluator keeps no per-sample rows
        if asked:
            raise ConfigError(f"vidcore-{task.name} test cannot save per-sample scores (--save-scores)") from None
        keep = False
        evaluator = task.build_evaluator(exp, model, detailed=True)
    trainer = Trainer(
        model, None, test_set, cfg=cfg, collate_fn=task.collate_fn(exp), evaluator=evaluator,
        work_dir=exp.work_dir, write_files=False,
    )  # fmt: skip
    result = trainer.evaluate(progress=progress, announce=False)
    if keep:
        rows = {k: result.pop(k, None) for k in ("scores", "labels", "indices")}
        if rows["scores"] is None and asked:
            raise ConfigError(f"the {task.name} evaluator keeps no per-sample scores (--save-scores)")
        if rows["scores"] is not None and trainer.is_main:
            from vidcore.core.scores import write_scores

            idx = rows["indices"] if rows["indices"] is not None else range(len(rows["scores"]))
            names = task.class_names(exp)
            result["scores_file"] = str(
                write_scores(
                    save_scores, rows["scores"], rows["labels"], task.sample_ids(exp, test_set, idx),
                    kind="prob", class_names=names if len(names) == rows["scores"].shape[1] else (),
                )
            )
    if out_dir is not None and trainer.is_main:
        task.write_test_outputs(result, Path(out_dir))
    return result


def _check_metadata(task: Task, exp: Any, checkpoint: Any, *, strict: bool) -> None:
    from vidcore.core.checkpoint import (
        CheckpointError,
        CheckpointMismatchWarning,
        check_checkpoint_metadata,
        checkpoint_metadata,
        load_checkpoint,
    )

    expected = task.checkpoint_metadata(exp)
    if not expected:
        return
    if isinstance(checkpoint, (str, PathLike)):
        try:
            ckpt: Mapping[str, Any] = load_checkpoint(checkpoint)
        except CheckpointError:
            return  # not a vidcore checkpoint (the task's loader reads it or says why)
    else:
        ckpt = checkpoint
    where = str(checkpoint) if isinstance(checkpoint, (str, PathLike)) else "<checkpoint dict>"
    with warnings.catch_warnings():
        if not is_main_process():  # one warning per run, not one per rank (strict still refuses on every rank)
            warnings.simplefilter("ignore", CheckpointMismatchWarning)
        check_checkpoint_metadata(
            checkpoint_metadata(ckpt), where=where, preset=expected.get("preset"),
            num_classes=expected.get("num_classes"), labels=expected.get("labels"), strict=strict,
        )  # fmt: skip


# Not pytest tests, even when imported into a test module.
test.__test__ = False  # type: ignore[attr-defined]
