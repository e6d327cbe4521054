"""One localization experiment as typed config objects, on the shared experiment layer
(:mod:`vidcore.core.experiment`): the ``train`` and ``test`` verbs, ``torchrun``, resume and run
folders come from there.

    from vidcore.localization.experiment import DataConfig, Experiment, ModelConfig, train, test
    from vidcore.core.trainer import TrainerConfig

    exp = Experiment(
        model=ModelConfig("bmn_400x100_9e_activitynet_feature"),
        data=DataConfig(annotations="data/anet_anno.json", feature_root="data/csv_mean_100"),
        trainer=TrainerConfig(max_epochs=9, batch_size=8),
        work_dir="work_dirs/bmn",
    )
    train(exp)                                  # AR@1/5/10/100 and AUC on the validation subset
    test(exp, "work_dirs/bmn/best.pth")         # plus the class-agnostic detection mAP

Data: one ActivityNet annotation JSON (MMAction2's ``anet_anno_*.json`` or the official layout)
with the ``subset`` of each video, or one file per split; per-video feature files (see
:mod:`vidcore.localization.datasets`). Ground truth for evaluation is read in seconds from the
same file; proposals are scaled to seconds over the feature span.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import torch

from vidcore.core import experiment as core_experiment
from vidcore.core.checkpoint import extract_state_dict, load_checkpoint, load_model_weights
from vidcore.core.config import ConfigError
from vidcore.core.experiment import Split, Task
from vidcore.core.trainer import TrainerConfig
from vidcore.data.annotations.activitynet import read_activitynet_json

from .datasets import FeatureDataset, collate_localization
from .evaluation import ProposalEvaluator
from .registry import get_model, get_preset

__all__ = ["TASK", "DataConfig", "Experiment", "LocalizationTask", "ModelConfig", "build_model", "test", "train"]


@dataclass
class ModelConfig:
    """Which network and its initial weights.

    Attributes:
        preset: registered preset (``vidcore-localization models``); BMN and BSN TEM train here.
        pretrained: checkpoint to start from (vidcore, or MMAction2 when ``pretrained_format``
            says so or its keys are MMAction2's).
        pretrained_format: ``"auto"``, ``"vidcore"`` or ``"mmaction"``.
    """

    preset: str
    pretrained: str | None = None
    pretrained_format: Literal["auto", "vidcore", "mmaction"] = "auto"


@dataclass
class DataConfig:
    """Annotations and features.

    Attributes:
        annotations: ActivityNet JSON for training (and for val/test when theirs are unset).
        val_annotations, test_annotations: other files for those splits.
        feature_root: folder of ``<video_name>.csv`` / ``.npy`` feature files.
        train_subset, val_subset, test_subset: the ``subset`` values kept per split (``None``
            keeps every video of the file).
        feature_ext: ``".csv"``, ``".npy"`` or ``None`` (whichever exists).
        temporal_scale: positions after rescaling (``None``: the preset's, 100).
    """

    annotations: str = ""
    feature_root: str = ""
    val_annotations: str | None = None
    test_annotations: str | None = None
    train_subset: str | None = "training"
    val_subset: str | None = "validation"
    test_subset: str | None = "validation"
    feature_ext: str | None = None
    temporal_scale: int | None = None


@dataclass
class Experiment:
    """A whole localization experiment; ``work_dir`` receives checkpoints, ``log.jsonl`` and the
    resolved ``config.json``."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    work_dir: str = "work_dirs/localization"


def _read_weights(path: str | PathLike[str] | Mapping[str, Any], preset: str, fmt: str) -> dict[str, torch.Tensor]:
    from .convert import convert_mmaction_checkpoint, load_mmaction_state_dict

    if fmt == "mmaction":
        return convert_mmaction_checkpoint(path, preset)
    ckpt = load_checkpoint(path) if isinstance(path, (str, PathLike)) else path
    if fmt == "auto" and "model" not in ckpt and "state_dict" in ckpt:
        return convert_mmaction_checkpoint(load_mmaction_state_dict(ckpt), preset)
    return extract_state_dict(ckpt)


def build_model(exp: Experiment, *, pretrained: bool = True) -> torch.nn.Module:
    """The preset's model (BMN or BSN TEM), with ``model.pretrained`` loaded strictly."""
    preset = get_preset(exp.model.preset)
    model = get_model(exp.model.preset)
    if not hasattr(model, "forward_train"):
        raise ConfigError(f"preset {preset.name} ({type(model).__name__}) does not train on feature sequences")
    if pretrained and exp.model.pretrained:
        load_model_weights(model, _read_weights(exp.model.pretrained, preset.name, exp.model.pretrained_format), strict=True)
    return model


class LocalizationTask(Task):
    """Temporal action proposal generation on the shared experiment layer."""

    name = "localization"
    experiment_type = Experiment
    configs_package = "vidcore.localization.configs"

    def build_model(self, exp: Experiment, *, pretrained: bool = True, verbose: bool = True) -> torch.nn.Module:
        return build_model(exp, pretrained=pretrained)

    def _split(self, exp: Experiment, split: Split) -> tuple[str, str | None]:
        d = exp.data
        if split == "train":
            return d.annotations, d.train_subset
        if split == "val":
            return d.val_annotations or d.annotations, d.val_subset
        return d.test_annotations or d.val_annotations or d.annotations, d.test_subset

    def build_dataset(self, exp: Experiment, split: Split) -> FeatureDataset | None:
        ann, subset = self._split(exp, split)
        if not ann:
            if split == "train":
                raise ConfigError("data.annotations is not set (e.g. --set data.annotations=anno.json)")
            return None
        if not Path(ann).expanduser().is_file():
            raise ConfigError(f"annotation file {ann} does not exist (set data.annotations=PATH)")
        scale = exp.data.temporal_scale or get_preset(exp.model.preset).temporal_scale
        ds = FeatureDataset(
            ann, exp.data.feature_root, temporal_scale=scale, feature_ext=exp.data.feature_ext, subset=subset,
            require_segments=split == "train",
        )  # fmt: skip
        return ds if len(ds) else None

    def build_evaluator(self, exp: Experiment, model: torch.nn.Module, *, detailed: bool = False) -> ProposalEvaluator:
        ann, subset = self._split(exp, "test" if detailed else "val")
        records = [r for r in read_activitynet_json(ann) if subset is None or r.subset in (None, subset)]
        gt = {r.video_name: [[s.start, s.end] for s in r.segments] for r in records}
        return ProposalEvaluator(gt, detailed=detailed)

    def collate_fn(self, exp: Experiment) -> Any:
        return collate_localization

    def best_metric(self, exp: Experiment) -> str:
        return "AUC"

    def load_weights(self, exp: Experiment, model: torch.nn.Module, checkpoint: Any) -> None:
        load_model_weights(model, _read_weights(checkpoint, exp.model.preset, "auto"), strict=True)

    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        lines = [f"{k:>8}: {100 * result[k]:6.2f} %" for k in ("AR@1", "AR@5", "AR@10", "AR@100") if k in result]
        if "AUC" in result:
            lines.append(f"{'AUC':>8}: {result['AUC']:6.2f}")
        maps = [(k.removeprefix("agnostic_mAP@"), v) for k, v in result.items() if k.startswith("agnostic_mAP@")]
        if maps:
            lines.append("class-agnostic detection mAP (%):")
            lines.append("  tIoU " + " ".join(f"{t:>5}" for t, _ in maps) + "   avg")
            lines.append("   mAP " + " ".join(f"{100 * v:5.1f}" for _, v in maps)
                         + f" {100 * result['agnostic_average_mAP']:5.1f}")  # fmt: skip
        skipped = result.get("num_skipped", 0)
        if skipped:
            lines.append(f"({skipped} videos unreadable, skipped)")
        return lines

    def user_errors(self) -> tuple[type[BaseException], ...]:
        from vidcore.data.errors import DataError

        from .convert import ConversionError

        return (*super().user_errors(), DataError, ConversionError)


#: The localization task, for the shared ``train``/``test`` functions and CLI verbs.
TASK = LocalizationTask()


def train(exp: Experiment, *, resume: str | None = None, config_source: str | PathLike[str] | None = None) -> dict[str, Any]:
    """Train the experiment; returns the last validation metrics (AR@N, AUC)."""
    return core_experiment.train(TASK, exp, resume=resume, config_source=config_source)


def test(
    exp: Experiment,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    device: str = "auto",
    progress: bool = True,
    out_dir: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Evaluate a checkpoint on the test split: AR@1/5/10/100, AUC and the class-agnostic
    detection mAP at tIoU 0.5:0.05:0.95."""
    return core_experiment.test(TASK, exp, checkpoint, device=device, progress=progress, out_dir=out_dir)


test.__test__ = False  # type: ignore[attr-defined]
