"""One skeleton experiment as typed config objects, on the shared experiment layer
(:mod:`vidcore.core.experiment`): the ``train`` and ``test`` verbs, ``torchrun``, resume and run
folders come from there.

    from vidcore.skeleton.experiment import DataConfig, Experiment, ModelConfig, train, test
    from vidcore.core.trainer import TrainerConfig

    exp = Experiment(
        model=ModelConfig("stgcn_joint_80e_ntu60_xsub_keypoint_2d"),
        data=DataConfig(annotations="data/skeleton/ntu60_2d.pkl", train_split="xsub_train", val_split="xsub_val"),
        trainer=TrainerConfig(max_epochs=80, batch_size=16),
        work_dir="work_dirs/stgcn_joint",
    )
    train(exp)
    test(exp, "work_dirs/stgcn_joint/best.pth", out_dir="work_dirs/stgcn_joint/test")  # + scores.npz

Multi-stream training: the same experiment with ``--set model.feats=b`` (bone), ``jm``, ``bm``
trains each stream; ``test`` writes ``scores.npz`` per stream and ``vidcore-skeleton fuse`` fuses them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.core import experiment as core_experiment
from vidcore.core.checkpoint import extract_state_dict, load_checkpoint, load_model_weights
from vidcore.core.config import ConfigError
from vidcore.core.experiment import Split, Task
from vidcore.core.metrics import AccuracyMetric
from vidcore.core.trainer import TrainerConfig

from .datasets import SkeletonDataset, collate_skeleton
from .registry import Preset, get_model, get_preset

__all__ = ["TASK", "DataConfig", "Experiment", "ModelConfig", "SkeletonTask", "test", "train"]


@dataclass
class ModelConfig:
    """Which network, its input stream and initial weights.

    Attributes:
        preset: registered preset (``vidcore-skeleton models``).
        num_classes: classes of the data (``None``: the preset's).
        feats: input streams, e.g. ``"j"``, ``"b"``, ``"jm"``, ``"bm"`` or ``"j,b"`` (``None``: the
            preset's); GCN presets only.
        pretrained: checkpoint to start from (vidcore, or MMAction2: recognised by its keys).
    """

    preset: str
    num_classes: int | None = None
    feats: str | None = None
    pretrained: str | None = None


@dataclass
class DataConfig:
    """The skeleton pickle and its splits.

    Attributes:
        annotations: MMAction2 skeleton pickle (``split`` + ``annotations``).
        train_split, val_split, test_split: names in the pickle's ``split`` dict (``test_split``
            ``None``: the validation split).
        test_num_clips: clips per sample at test time (``None``: the preset's, 10 for NTU).
        val_num_clips: clips per sample in validation during training (MMAction2: 1).
    """

    annotations: str = ""
    train_split: str = "train"
    val_split: str | None = "val"
    test_split: str | None = None
    test_num_clips: int | None = None
    val_num_clips: int = 1


@dataclass
class Experiment:
    """A whole skeleton experiment; ``work_dir`` receives checkpoints, ``log.jsonl`` and ``config.json``."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    work_dir: str = "work_dirs/skeleton"


def effective_preset(exp: Experiment) -> Preset:
    """The preset with the experiment's class count and streams applied."""
    p = get_preset(exp.model.preset)
    changes: dict[str, Any] = {}
    if exp.model.num_classes is not None:
        changes["num_classes"] = exp.model.num_classes
    if exp.model.feats:
        changes["feats"] = tuple(f.strip() for f in exp.model.feats.split(",") if f.strip())
    return dataclasses.replace(p, **changes) if changes else p


def _read_weights(path: str | PathLike[str] | Mapping[str, Any], preset: str) -> dict[str, torch.Tensor]:
    from .convert import convert_mmaction_checkpoint, load_mmaction_state_dict

    ckpt = load_checkpoint(path) if isinstance(path, (str, PathLike)) else path
    if "model" not in ckpt and "state_dict" in ckpt:  # an MMAction2 checkpoint
        return convert_mmaction_checkpoint(load_mmaction_state_dict(ckpt), preset)
    return extract_state_dict(ckpt)


def build_model(exp: Experiment, *, pretrained: bool = True) -> torch.nn.Module:
    """The preset's model for the experiment's classes and streams (a GCN's input channels follow
    the number of streams, 3 each), with ``model.pretrained`` loaded strictly."""
    p = effective_preset(exp)
    model = get_model(p.name, num_classes=p.num_classes)
    if p.input_key == "keypoint" and len(p.feats) != 1:
        raise ConfigError(f"model.feats={exp.model.feats!r}: GCN presets take one stream per model (j, b, jm or bm)")
    if pretrained and exp.model.pretrained:
        load_model_weights(model, _read_weights(exp.model.pretrained, p.name), strict=True)
    return model


class SkeletonTask(Task):
    """Skeleton-based action recognition on the shared experiment layer."""

    name = "skeleton"
    experiment_type = Experiment
    configs_package = None

    def build_model(self, exp: Experiment, *, pretrained: bool = True, verbose: bool = True) -> torch.nn.Module:
        return build_model(exp, pretrained=pretrained)

    def _split(self, exp: Experiment, split: Split) -> str | None:
        if split == "train":
            return exp.data.train_split
        if split == "val":
            return exp.data.val_split
        return exp.data.test_split or exp.data.val_split

    def build_dataset(self, exp: Experiment, split: Split) -> SkeletonDataset | None:
        if not exp.data.annotations:
            if split == "train":
                raise ConfigError("data.annotations is not set (e.g. --set data.annotations=skeleton.pkl)")
            return None
        if not Path(exp.data.annotations).expanduser().is_file():
            raise ConfigError(f"skeleton pickle {exp.data.annotations} does not exist (set data.annotations=PATH)")
        name = self._split(exp, split)
        if name is None:
            return None
        clips = None if split == "train" else (exp.data.val_num_clips if split == "val" else exp.data.test_num_clips)
        ds = SkeletonDataset(
            exp.data.annotations, effective_preset(exp), split=name, test_mode=split != "train", num_clips=clips,
            seed=exp.trainer.seed,
        )  # fmt: skip
        return ds if len(ds) else None

    def build_evaluator(
        self, exp: Experiment, model: torch.nn.Module, *, detailed: bool = False, keep_rows: bool = False
    ) -> AccuracyMetric:
        """Top-1/top-5 and MMAction2's mean class accuracy (rows kept for ``scores.npz``)."""
        return AccuracyMetric((1, 5), detailed=detailed, keep_rows=keep_rows)

    def sample_ids(self, exp: Experiment, dataset: Any, indices: Any) -> list[str]:
        """A skeleton sample is named by its ``frame_dir`` in the pickle."""
        return [dataset.records[int(i)].frame_dir for i in indices]

    def collate_fn(self, exp: Experiment) -> Any:
        return collate_skeleton

    def best_metric(self, exp: Experiment) -> str:
        return "top1"

    def load_weights(self, exp: Experiment, model: torch.nn.Module, checkpoint: Any) -> None:
        load_model_weights(model, _read_weights(checkpoint, exp.model.preset), strict=True)

    def write_test_outputs(self, result: Mapping[str, Any], out_dir: Path) -> None:
        """``test_results.json`` (scalars) and ``confusion_matrix.json``; the shared test writes
        ``scores.npz`` (the score file ``fuse`` reads) beside them."""
        super().write_test_outputs(result, out_dir)
        if "confusion_matrix" in result:
            (out_dir / "confusion_matrix.json").write_text(json.dumps(np.asarray(result["confusion_matrix"]).tolist()))

    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        return core_experiment.classification_lines(result, unit="sequences")

    def user_errors(self) -> tuple[type[BaseException], ...]:
        from vidcore.data.errors import DataError

        from .convert import ConversionError

        return (*super().user_errors(), DataError, ConversionError)


#: The skeleton task, for the shared ``train``/``test`` functions and CLI verbs.
TASK = SkeletonTask()


def train(exp: Experiment, *, resume: str | None = None, config_source: str | PathLike[str] | None = None) -> dict[str, Any]:
    """Train the experiment; returns the last validation metrics (top-1, top-5, mean class accuracy)."""
    return core_experiment.train(TASK, exp, resume=resume, config_source=config_source)


def test(
    exp: Experiment,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    device: str = "auto",
    progress: bool = True,
    out_dir: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Evaluate a checkpoint on the test split (multi-clip); with ``out_dir`` writes ``scores.npz``."""
    return core_experiment.test(TASK, exp, checkpoint, device=device, progress=progress, out_dir=out_dir)


test.__test__ = False  # type: ignore[attr-defined]
