"""One detection experiment as typed config objects, on the shared experiment layer of vidcore-core
(:mod:`vidcore.core.experiment`): ``vidcore-detection train CONFIG`` / ``test CONFIG CKPT``, or::

    from vidcore.core.trainer import TrainerConfig
    from vidcore.detection.experiment import DataConfig, Experiment, ModelConfig, train, test

    exp = Experiment(
        model=ModelConfig("slowonly_r50_4x16x1_ava21", pretrained="slowonly_k400.pth"),
        data=DataConfig(root="data/ava/rawframes", train_ann="ava_train_v2.1.csv",
                        val_ann="ava_val_v2.1.csv", label_map="ava_action_list_v2.1.pbtxt",
                        train_proposals="dense_proposals_train.pkl", val_proposals="dense_proposals_val.pkl",
                        val_exclude="ava_val_excluded_timestamps_v2.1.csv"),
        trainer=TrainerConfig(max_epochs=20, batch_size=16),
        work_dir="work_dirs/slowonly_ava",
    )
    train(exp)
    test(exp, "work_dirs/slowonly_ava/best.pth")   # frame-mAP and the per-class table

Data are read by vidcore-data's ``AVADataset`` (frame folders ``root/<video_id>/img_00001.jpg`` or
videos ``root/<video_id><video_ext>``), proposals from the pickle with its restricted unpickler.
Training follows the preset: the short side rescaled in ``train_scale_range``, a ``crop_size``
random crop, a horizontal flip; evaluation resizes the short side to ``short_side``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from torch import nn
from torch.utils.data import Dataset

from vidcore.core import experiment as core_experiment
from vidcore.core.config import ConfigError
from vidcore.core.experiment import Split, Task, is_main_process
from vidcore.core.trainer import TrainerConfig

from .batch import collate_detection
from .detector import AVADetector
from .evaluation import AVAEvalResult, AVAFrameMAP, read_rows
from .registry import Preset, get_model, get_preset

__all__ = ["TASK", "DataConfig", "DetectionTask", "Experiment", "ModelConfig", "test", "train"]


@dataclass
class ModelConfig:
    """Which detector and where its initial weights come from.

    Attributes:
        preset: registered preset (``vidcore-detection models``).
        num_classes: outputs of the classifier (column 0 unused): ``None`` keeps the preset's 81,
            or ``max label-map id + 1`` for another label set.
        pretrained: a vidcore checkpoint, or an MMAction2 one (detector or recognizer: the
            ``backbone.`` tensors are taken, the classifier dropped if its shape differs).
        feature_bank: LFB presets: the bank file(s) written by ``build_feature_bank`` (or
            MMAction2's ``lfb_<split>.pkl``), comma-separated.
    """

    preset: str
    num_classes: int | None = None
    pretrained: str | None = None
    feature_bank: str | None = None


@dataclass
class DataConfig:
    """Where the AVA-format data is.

    Attributes:
        root: frame folders (or videos with ``video_ext``), one per video id.
        train_ann, val_ann, test_ann: ground-truth csv files (``test_ann`` defaults to ``val_ann``).
        train_proposals, val_proposals, test_proposals: proposal pickles.
        train_exclude, val_exclude, test_exclude: excluded-timestamps csv files.
        label_map: the evaluated classes (pbtxt or ``id: name`` lines).
        video_ext: read ``root/<video_id><video_ext>`` videos instead of frame folders.
        fps, timestamp_start, timestamp_range: AVA's 30 fps, frames from second 900, keyframes
            902..1798 (other data sets: their own values).
        filename_tmpl, start_index: frame file names.
        eval_mode: ``"official"`` (ActivityNet) or ``"mmaction"`` (MMAction2's ``AVAMetric``).
        short_side, crop_size: override the preset's sizes.
        flip: random horizontal flip in training.
    """

    root: str = ""
    train_ann: str | None = None
    val_ann: str | None = None
    test_ann: str | None = None
    train_proposals: str | None = None
    val_proposals: str | None = None
    test_proposals: str | None = None
    train_exclude: str | None = None
    val_exclude: str | None = None
    test_exclude: str | None = None
    label_map: str | None = None
    video_ext: str | None = None
    fps: float = 30.0
    timestamp_start: float = 900.0
    timestamp_range: tuple[int, int] = (902, 1798)
    filename_tmpl: str = "img_{:05d}.jpg"
    start_index: int = 1
    eval_mode: Literal["official", "mmaction"] = "official"
    short_side: int | None = None
    crop_size: int | None = None
    flip: bool = True

    def __post_init__(self) -> None:
        if self.eval_mode not in ("official", "mmaction"):
            raise ValueError(f"data.eval_mode must be 'official' or 'mmaction', got {self.eval_mode!r}")


@dataclass
class Experiment:
    """Model, data, trainer settings and the output folder (checkpoints, ``log.jsonl``,
    ``config.json``, test results)."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    work_dir: str = "work_dirs/detection"


def _split_files(exp: Experiment, split: Split) -> tuple[str | None, str | None, str | None]:
    d = exp.data
    if split == "train":
        return d.train_ann, d.train_proposals, d.train_exclude
    if split == "val":
        return d.val_ann, d.val_proposals, d.val_exclude
    if d.test_ann:
        return d.test_ann, d.test_proposals, d.test_exclude
    return d.val_ann, d.val_proposals, d.val_exclude


def _num_classes(exp: Experiment, preset: Preset) -> int:
    if exp.model.num_classes is not None:
        return exp.model.num_classes
    return preset.num_classes


class DetectionTask(Task):
    """The detection task on the shared experiment layer."""

    name = "detection"
    experiment_type = Experiment
    configs_package = None

    def build_model(self, exp: Any, *, pretrained: bool = True, verbose: bool = True) -> nn.Module:
        preset = get_preset(exp.model.preset)
        model = get_model(exp.model.preset, num_classes=_num_classes(exp, preset))
        if exp.model.feature_bank:
            from .models.lfb import FBOHead, FeatureBank

            head = model.roi_head.shared_head
            if not isinstance(head, FBOHead):
                raise ConfigError(f"model.feature_bank is set but preset {exp.model.preset} has no feature-bank head")
            head.bank = FeatureBank.load([p.strip() for p in exp.model.feature_bank.split(",")])
        if pretrained and exp.model.pretrained:
            report = load_pretrained(model, exp.model.pretrained, preset)
            if verbose and is_main_process():
                print(report)
        return model

    def build_dataset(self, exp: Any, split: Split) -> Dataset | None:
        from vidcore.data.datasets import AVADataset
        from vidcore.data.transforms import Compose, Flip, RandomCrop, RandomRescale, Resize

        ann, proposals, exclude = _split_files(exp, split)
        if not ann:
            return None
        preset = get_preset(exp.model.preset)
        d = exp.data
        if split == "train":
            steps = [RandomRescale(preset.train_scale_range), RandomCrop(d.crop_size or preset.crop_size)]
            if d.flip:
                steps.append(Flip(0.5))
            transform = Compose(steps)
        else:
            transform = Compose([Resize((-1, d.short_side or preset.short_side))])
        if split != "train" and not proposals:
            raise ConfigError(f"data.{split}_proposals is needed to evaluate (the person boxes to classify)")
        return AVADataset(
            ann, d.root, exclude_file=exclude, proposal_file=proposals,
            person_det_score_thr=preset.person_det_score_thr, num_classes=_num_classes(exp, preset),
            clip_len=preset.clip_len, frame_interval=preset.frame_interval, fps=d.fps,
            timestamp_start=d.timestamp_start, timestamp_range=tuple(d.timestamp_range),
            test_mode=split != "train", video_ext=d.video_ext, filename_tmpl=d.filename_tmpl,
            start_index=d.start_index, transform=transform, seed=exp.trainer.seed,
        )  # fmt: skip

    def build_evaluator(self, exp: Any, model: nn.Module, *, detailed: bool = False) -> Any:
        from vidcore.data.annotations.ava import img_key, read_excluded_timestamps
        from vidcore.data.annotations.labelmap import read_label_map

        ann, _, exclude = _split_files(exp, "test" if detailed else "val")
        if not ann:
            raise ConfigError("no ground truth to evaluate against (data.val_ann / data.test_ann)")
        if not exp.data.label_map:
            raise ConfigError("data.label_map is needed to evaluate (the evaluated classes)")
        excluded = [] if not exclude else [img_key(e.video_id, e.timestamp) for e in read_excluded_timestamps(exclude)]
        preset = get_preset(exp.model.preset)
        return AVAFrameMAP(
            read_rows(ann), read_label_map(exp.data.label_map), excluded=excluded, mode=exp.data.eval_mode,
            action_thr=preset.action_thr, detailed=detailed,
        )  # fmt: skip

    def collate_fn(self, exp: Any) -> Callable[[list[Any]], Any] | None:
        return collate_detection

    def best_metric(self, exp: Any) -> str | None:
        return "mAP"

    def load_weights(self, exp: Any, model: nn.Module, checkpoint: str | PathLike[str] | Mapping[str, Any]) -> None:
        from vidcore.core.checkpoint import extract_state_dict, load_checkpoint, load_model_weights

        if isinstance(checkpoint, (str, PathLike)):
            from vidcore.recognition.convert import load_mmaction_state_dict

            try:
                ckpt: Any = load_checkpoint(checkpoint)
                sd = extract_state_dict(ckpt)
            except Exception:  # an MMAction2 file
                sd = load_mmaction_state_dict(checkpoint)
        else:
            sd = extract_state_dict(checkpoint)
        preset = get_preset(exp.model.preset)
        if preset.convert_mmaction is not None and any(k.startswith("data_preprocessor.") for k in sd):
            sd = preset.convert_mmaction(sd)
        load_model_weights(model, sd, strict=True)

    def write_test_outputs(self, result: Mapping[str, Any], out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        detail = result.get("per_class")
        plain = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.items()
                 if isinstance(v, (int, float, str))}  # fmt: skip
        if isinstance(detail, AVAEvalResult):
            plain["per_class"] = [
                {**row, "ap": None if math.isnan(row["ap"]) else row["ap"]}
                for row in detail.as_dict()["per_class"]  # type: ignore[union-attr]
            ]
            (out_dir / "per_class_ap.txt").write_text(detail.table() + "\n")
        (out_dir / "test_results.json").write_text(json.dumps(plain, indent=2) + "\n")

    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        detail = result.get("per_class")
        lines = detail.table().splitlines() if isinstance(detail, AVAEvalResult) else []
        lines += [f"{k:>28}: {v:.4f}" if isinstance(v, float) else f"{k:>28}: {v}"
                  for k, v in result.items() if isinstance(v, (int, float))]  # fmt: skip
        return lines


def load_pretrained(model: AVADetector, path: str, preset: Preset) -> str:
    """Initial weights from a vidcore or MMAction2 checkpoint (detector, or a recognizer whose
    ``backbone.`` tensors fit). Tensors whose shape differs (another class count) are left out.
    Returns a one-line report."""
    from vidcore.core.checkpoint import extract_state_dict, load_checkpoint
    from vidcore.recognition.convert import load_mmaction_state_dict

    try:
        sd = extract_state_dict(load_checkpoint(path))
    except Exception:
        sd = load_mmaction_state_dict(path)
    if preset.convert_mmaction is not None:
        sd = preset.convert_mmaction(sd)
    own = model.state_dict()
    fit = {k: v for k, v in sd.items() if k in own and own[k].shape == v.shape}
    if not fit:
        raise ConfigError(f"{path}: no tensor of this checkpoint fits preset {preset.name}")
    model.load_state_dict(fit, strict=False)
    left = sorted(set(own) - set(fit))
    return f"loaded {len(fit)} of {len(own)} tensors from {path}" + (
        f"; {len(left)} left at their initialisation (e.g. {left[0]})" if left else ""
    )


#: The detection task (used by the CLI's train and test verbs).
TASK = DetectionTask()


def train(exp: Experiment, *, resume: str | None = None) -> dict[str, Any]:
    """Train ``exp``; returns the last validation metrics."""
    return core_experiment.train(TASK, exp, resume=resume)


def test(exp: Experiment, checkpoint: str | PathLike[str], **kwargs: Any) -> dict[str, Any]:
    """Frame-mAP of ``checkpoint`` on the test (else validation) annotations; ``per_class`` holds
    the :class:`~vidcore.detection.evaluation.AVAEvalResult`."""
    return core_experiment.test(TASK, exp, checkpoint, **kwargs)


test.__test__ = False  # type: ignore[attr-defined]
