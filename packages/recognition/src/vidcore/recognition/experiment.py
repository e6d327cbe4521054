"""One recognition experiment as typed config objects, and the functions that train and test it.

An experiment file (see ``vidcore/recognition/configs/``) binds ``config = Experiment(...)``; the
CLI loads it, applies ``--set`` overrides and calls :func:`train` or :func:`test`. The same works
from Python::

    from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig, train, test
    from vidcore.core.trainer import TrainerConfig

    exp = Experiment(
        model=ModelConfig("tsm_r18_1x1x8_kinetics400"),
        data=DataConfig(root="demo_data", train_list="demo_data/train.txt",
                        val_list="demo_data/val.txt", label_map="demo_data/label_map.txt"),
        trainer=TrainerConfig(max_epochs=5, batch_size=8),
        work_dir="work_dirs/demo",
    )
    metrics = train(exp)                       # last validation metrics
    result = test(exp, "work_dirs/demo/best.pth")  # top1, top5, mean_class_accuracy, confusion_matrix

Fine-tuning on your own classes: set ``model.pretrained`` to a Kinetics checkpoint (vidcore or
MMAction2 format); when its classifier has another number of classes it is left out and the new
classifier starts from its random initialisation (a message says so).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import torch

from vidcore.core import experiment as core_experiment
from vidcore.core.checkpoint import CheckpointError, load_model_weights
from vidcore.core.config import ConfigError
from vidcore.core.experiment import Split, Task, is_main_process
from vidcore.core.trainer import TrainerConfig
from vidcore.data.annotations import LabelMap, read_label_map

from .inference import CheckpointFormat, classifier_keys, read_weights
from .pipelines import Pipeline, TrainCrop, resolve_preset, test_pipeline, train_pipeline, val_pipeline
from .pretrain import MaskedPretrainConfig, strip_pretraining_keys
from .recognizer import Recognizer
from .registry import Preset, get_model, get_preset

__all__ = [
    "TASK",
    "AugmentConfig",
    "DataConfig",
    "Datasets",
    "Experiment",
    "ModelConfig",
    "PretrainedReport",
    "RecognitionTask",
    "build_datasets",
    "build_model",
    "flip_label_map",
    "load_pretrained",
    "resolve_num_classes",
    "resolved_preset",
    "test",
    "train",
]


@dataclass
class ModelConfig:
    """Which network, how many classes, and where its initial weights come from.

    Attributes:
        preset: registered preset name (``vidcore-recognition models`` lists them); gives the
            architecture and, unless ``DataConfig`` overrides them, sampling, sizes and test views.
        num_classes: classes of the classifier; ``None``: ``data.num_classes``, else the label
            map's size, else the preset's.
        pretrained: checkpoint to start from (``None``: random init, or whatever the preset's
            builder loads). Its classifier is dropped when its class count differs (fine-tuning a
            Kinetics model on your own classes) or when ``reset_head`` is set.
        pretrained_format: ``"auto"`` (guess), ``"vidcore"``, ``"mmaction"`` (converted with the
            preset's converter) or ``"torchvision"`` (an ImageNet ResNet for the backbone only).
        reset_head: always start the classifier from scratch, even with a matching class count.
    """

    preset: str
    num_classes: int | None = None
    pretrained: str | None = None
    pretrained_format: CheckpointFormat = "auto"
    reset_head: bool = False

    def __post_init__(self) -> None:
        if self.num_classes is not None and self.num_classes < 1:
            raise ValueError(f"model.num_classes must be >= 1, got {self.num_classes}")
        if self.pretrained_format not in ("auto", "vidcore", "mmaction", "torchvision"):
            raise ValueError(
                "model.pretrained_format must be 'auto', 'vidcore', 'mmaction' or 'torchvision', "
                f"got {self.pretrained_format!r}"
            )


@dataclass
class DataConfig:
    """Where the data is and how clips are made from it.

    Lists are MMAction2 files: ``path label`` for videos, ``frame_dir total_frames label`` for
    rawframes. Relative paths inside a list are resolved against ``root`` (``val_root`` for the
    validation and test lists, when given).

    Attributes:
        root, val_root: folders the list entries are relative to.
        train_list, val_list, test_list: list files (``test_list`` defaults to ``val_list``).
        label_map: class names, one per line (or ``id name``); used for ``num_classes`` and reports.
        num_classes: number of classes when there is no label map.
        format: ``"video"`` files or ``"rawframes"`` folders.
        backend: video decoder (``"auto"``, ``"pyav"``, ``"decord"``, ``"torchcodec"``).
        filename_tmpl, start_index, with_offset: rawframe naming (MMAction2 defaults when ``None``).
        multi_label: multi-hot targets, sigmoid loss and mean-average-precision evaluation.
        flip: random horizontal flip in training.
        flip_label_map: ``{class: mirrored class}`` swapped when a clip is flipped, or the path
            of a JSON file holding that mapping (as ``vidcore-data synth`` writes); default: the
            preset's (e.g. Something-Something V2's left/right classes).
        train_crop: see :func:`vidcore.recognition.pipelines.train_pipeline`.
        short_side, crop_size, test_crop_size, test_num_clips, test_crops, test_twice_sample:
            override the preset's values (pixels; views). ``None`` keeps the preset's.
        test_batch_size: videos per batch in :func:`test` (each has all its test views).
    """

    root: str = ""
    train_list: str | None = None
    val_list: str | None = None
    test_list: str | None = None
    val_root: str | None = None
    label_map: str | None = None
    num_classes: int | None = None
    format: Literal["video", "rawframes"] = "video"
    backend: str = "auto"
    filename_tmpl: str | None = None
    start_index: int = 1
    with_offset: bool = False
    multi_label: bool = False
    flip: bool = True
    flip_label_map: dict[int, int] | str | None = None
    train_crop: TrainCrop = "auto"
    short_side: int | None = None
    crop_size: int | None = None
    test_crop_size: int | None = None
    test_num_clips: int | None = None
    test_crops: int | None = None
    test_twice_sample: bool | None = None
    test_batch_size: int = 1

    def __post_init__(self) -> None:
        if self.format not in ("video", "rawframes"):
            raise ValueError(f"data.format must be 'video' or 'rawframes', got {self.format!r}")
        if self.test_crops is not None and self.test_crops not in (1, 3, 10):
            raise ValueError(f"data.test_crops must be 1, 3 or 10, got {self.test_crops}")
        if self.test_batch_size < 1:
            raise ValueError(f"data.test_batch_size must be >= 1, got {self.test_batch_size}")


@dataclass
class AugmentConfig:
    """The training recipe's regularisers (the defaults turn every one off).

    Attributes:
        rand_augment: ``(magnitude, num_ops)`` RandAugment per clip (see
            :func:`~vidcore.recognition.pipelines.train_pipeline`), e.g. ``(7, 4)``.
        random_erasing: probability of erasing a random rectangle per clip, e.g. ``0.25``.
        num_repeats: repeated augmentation: each training video gives this many clips per batch,
            each with its own sampling and augmentation, decoded once (MMAction2's
            ``RepeatAugDataset``); a batch of ``trainer.batch_size`` videos holds
            ``batch_size * num_repeats`` clips.
        repeat_sample_once: the repeats share one draw of frame indices (MMAction2's MViT
            configs), differing only in their augmentations.
        mixup_alpha, cutmix_alpha: MixUp / CutMix of each training batch (on the device, before
            the forward); with both, one of them per batch, CutMix with probability
            ``cutmix_switch_prob``. ``0``: off.
        mix_prob: probability that a batch is mixed at all.
        cutmix_switch_prob: with both on, the share of mixed batches that use CutMix
            (``0.5``: MMAction2's ``RandomBatchAugment`` and timm's ``Mixup`` default).
        label_smoothing: ``(1 - e) y + e / K`` targets in the classification loss.
        drop_path_rate: stochastic depth of the backbone's blocks, rising linearly to this rate
            (:func:`vidcore.core.layers.set_drop_path_rate`); ``None``: the preset's.
    """

    rand_augment: tuple[int, int] | None = None
    random_erasing: float = 0.0
    num_repeats: int = 1
    repeat_sample_once: bool = False
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_prob: float = 1.0
    cutmix_switch_prob: float = 0.5
    label_smoothing: float = 0.0
    drop_path_rate: float | None = None

    def __post_init__(self) -> None:
        if self.rand_augment is not None:
            if len(self.rand_augment) != 2:
                raise ValueError(f"augment.rand_augment must be (magnitude, num_ops), got {self.rand_augment!r}")
            self.rand_augment = (int(self.rand_augment[0]), int(self.rand_augment[1]))
        checks = {
            "random_erasing": (self.random_erasing, 0.0, 1.0),
            "mix_prob": (self.mix_prob, 0.0, 1.0),
            "cutmix_switch_prob": (self.cutmix_switch_prob, 0.0, 1.0),
            "label_smoothing": (self.label_smoothing, 0.0, 0.999),
        }
        for name, (value, lo, hi) in checks.items():
            if not lo <= value <= hi:
                raise ValueError(f"augment.{name} must be in [{lo}, {hi}], got {value}")
        if self.num_repeats < 1:
            raise ValueError(f"augment.num_repeats must be >= 1, got {self.num_repeats}")
        if self.mixup_alpha < 0 or self.cutmix_alpha < 0:
            raise ValueError("augment.mixup_alpha and augment.cutmix_alpha must be >= 0 (0: off)")
        if self.drop_path_rate is not None and not 0.0 <= self.drop_path_rate < 1.0:
            raise ValueError(f"augment.drop_path_rate must be in [0, 1), got {self.drop_path_rate}")

    def batch_augment(self, num_classes: int) -> Any:
        """The batch-level mixing as a callable ``(video, labels, rng=...) -> (video, targets)``,
        or ``None`` when MixUp and CutMix are both off."""
        from vidcore.data.transforms.batch import CutMix, MixUp, RandomBatchAugment

        augments, probs = [], []
        if self.mixup_alpha > 0:
            augments.append(MixUp(self.mixup_alpha, num_classes))
            probs.append(1.0 - self.cutmix_switch_prob if self.cutmix_alpha > 0 else 1.0)
        if self.cutmix_alpha > 0:
            augments.append(CutMix(self.cutmix_alpha, num_classes))
            probs.append(self.cutmix_switch_prob if self.mixup_alpha > 0 else 1.0)
        if not augments:
            return None
        return RandomBatchAugment(augments, [p * self.mix_prob for p in probs])


@dataclass
class Experiment:
    """A whole experiment: model, data, trainer settings and the output folder.

    ``work_dir`` receives checkpoints (``epoch_NNNN.pth``, ``best.pth``, ``latest``), ``log.jsonl``,
    the resolved ``config.json``/``config.txt`` and test results.

    ``pretrain`` (a :class:`~vidcore.recognition.pretrain.MaskedPretrainConfig`) turns the run into
    VideoMAE masked pre-training of the preset's ViT on the training list (labels unused), validated
    by the reconstruction loss (``loss_rec``, lower is better: set ``trainer.best_mode="min"``); a
    fine-tuning experiment then starts from its checkpoint with ``model.pretrained``.
    """

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    work_dir: str = "work_dirs/experiment"
    pretrain: MaskedPretrainConfig | None = None
    augment: AugmentConfig = field(default_factory=AugmentConfig)


# ----------------------------------------------------------------------------------- model


def resolved_preset(exp: Experiment) -> Preset:
    """The model preset with the data section's size and test-view overrides applied."""
    d = exp.data
    return resolve_preset(
        get_preset(exp.model.preset),
        short_side=d.short_side,
        crop_size=d.crop_size,
        test_crop_size=d.test_crop_size,
        test_num_clips=d.test_num_clips,
        test_crops=d.test_crops,
        test_twice_sample=d.test_twice_sample,
    )


def _label_map(exp: Experiment) -> LabelMap | None:
    return read_label_map(exp.data.label_map) if exp.data.label_map else None


def resolve_num_classes(exp: Experiment) -> int:
    """``model.num_classes``, else ``data.num_classes``, else the label map's, else the preset's.

    Raises ``ConfigError`` when two of them are given and disagree.
    """
    given = {
        "model.num_classes": exp.model.num_classes,
        "data.num_classes": exp.data.num_classes,
    }
    if exp.data.label_map:
        given[f"label map {exp.data.label_map}"] = _label_map(exp).num_classes  # type: ignore[union-attr]
    values = {k: v for k, v in given.items() if v is not None}
    if len(set(values.values())) > 1:
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        raise ConfigError(f"inconsistent class counts: {shown}; make them agree (or drop all but one)")
    if values:
        return int(next(iter(values.values())))
    return get_preset(exp.model.preset).num_classes


@dataclass
class PretrainedReport:
    """What :func:`load_pretrained` did: keys loaded, the classifier keys left out and why."""

    loaded: int
    dropped_classifier: list[str]
    reason: str
    missing: list[str]

    def __str__(self) -> str:
        text = f"loaded {self.loaded} tensors"
        if self.dropped_classifier:
            text += f"; classifier {', '.join(self.dropped_classifier)} left at random init ({self.reason})"
        if self.missing:
            shown = ", ".join(self.missing[:6]) + (" ..." if len(self.missing) > 6 else "")
            text += f"; {len(self.missing)} tensors not in the checkpoint kept their init: {shown}"
        return text


def load_pretrained(
    model: Recognizer,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    preset: str,
    format: CheckpointFormat = "auto",
    reset_head: bool = False,
) -> PretrainedReport:
    """Initialise ``model`` (built from ``preset``) from a checkpoint, for fine-tuning.

    Every tensor must fit except the classifier's: it is left out when its shape differs (another
    class count) or ``reset_head`` is set. A torchvision ImageNet checkpoint initialises the
    backbone only. Anything else that does not fit raises ``CheckpointError`` listing the keys.
    """
    sd = read_weights(checkpoint, preset, format=format)
    sd, _ = strip_pretraining_keys(sd)  # a masked pre-training checkpoint: its backbone only
    own = model.state_dict()
    head_keys = classifier_keys(preset, own)
    dropped: list[str] = []
    reason = ""
    present = [k for k in head_keys if k in sd]
    if present:
        differs = any(tuple(sd[k].shape) != tuple(own[k].shape) for k in present if k in own)
        if differs or reset_head:
            dropped = sorted(present)
            if differs:
                k0 = max(dropped, key=lambda k: sd[k].dim())  # the weight matrix, not the bias
                reason = (
                    f"the checkpoint's classifier has shape {tuple(sd[k0].shape)}, this model's "
                    f"{tuple(own[k0].shape)} ({model.num_classes} classes)"
                )
            else:
                reason = "model.reset_head=True"
            sd = {k: v for k, v in sd.items() if k not in head_keys}
    backbone_only = format == "torchvision" or all(k.startswith("backbone.") for k in sd)
    report = load_model_weights(model, sd, strict=False)
    missing = [k for k in report.missing if k not in head_keys]
    if report.unexpected or report.mismatched or (missing and not backbone_only):
        raise CheckpointError(
            f"pretrained checkpoint {checkpoint if isinstance(checkpoint, (str, PathLike)) else ''} "
            f"does not fit preset {preset}: {report}"
        )
    return PretrainedReport(
        loaded=len(sd), dropped_classifier=dropped, reason=reason, missing=sorted(missing)
    )


def build_model(exp: Experiment, *, verbose: bool = True) -> Recognizer:
    """The experiment's recognizer: the preset with ``resolve_num_classes(exp)`` classes, its
    pretrained weights loaded (see :func:`load_pretrained`), and a sigmoid loss for multi-label data."""
    num_classes = resolve_num_classes(exp)
    model = get_model(exp.model.preset, num_classes=num_classes)
    if not isinstance(model, Recognizer):
        raise TypeError(f"preset {exp.model.preset} builds a {type(model).__name__}, not a Recognizer")
    if exp.model.pretrained:
        report = load_pretrained(
            model,
            exp.model.pretrained,
            preset=exp.model.preset,
            format=exp.model.pretrained_format,
            reset_head=exp.model.reset_head,
        )
        if verbose and is_main_process():
            print(f"pretrained weights from {exp.model.pretrained}: {report}", flush=True)
    elif exp.model.reset_head:
        model.reset_classifier(num_classes)
    aug = exp.augment
    if exp.data.multi_label:
        from vidcore.core.losses import BCEWithLogitsLoss

        model.loss = BCEWithLogitsLoss(label_smoothing=aug.label_smoothing)
    elif aug.label_smoothing > 0:
        from vidcore.core.losses import CrossEntropyLoss

        model.loss = CrossEntropyLoss(label_smoothing=aug.label_smoothing)
    if aug.drop_path_rate is not None:
        from vidcore.core.layers import set_drop_path_rate

        set_drop_path_rate(model.backbone, aug.drop_path_rate)
    model.batch_augment = aug.batch_augment(num_classes)
    return model


# ----------------------------------------------------------------------------------- data


class Datasets(NamedTuple):
    """The experiment's datasets (``None`` where the config names no list) and their pipelines."""

    train: torch.utils.data.Dataset | None
    val: torch.utils.data.Dataset | None
    test: torch.utils.data.Dataset | None
    pipelines: dict[str, Pipeline]


def _dataset(exp: Experiment, list_file: str, root: str, pipe: Pipeline, num_classes: int, *, train: bool) -> Any:
    from vidcore.data.datasets import RawframeDataset, VideoDataset

    d = exp.data
    path = Path(list_file).expanduser()
    if not path.is_file():
        raise ConfigError(f"list file {list_file} does not exist (set it with --set data.<split>_list=PATH)")
    common: dict[str, Any] = dict(
        sampler=pipe.sampler, transform=pipe.transform, num_views=pipe.num_views,
        num_classes=num_classes, multi_label=d.multi_label,
    )  # fmt: skip
    if train:
        common.update(num_repeats=exp.augment.num_repeats, sample_once=exp.augment.repeat_sample_once)
    if d.format == "rawframes":
        return RawframeDataset(
            path, root, filename_tmpl=d.filename_tmpl, start_index=d.start_index, with_offset=d.with_offset,
            **common,
        )  # fmt: skip
    return VideoDataset(path, root, backend=d.backend, **common)


def flip_label_map(exp: Experiment) -> dict[int, int] | None:
    """``data.flip_label_map`` as a dict (read from its JSON file when it is a path)."""
    value = exp.data.flip_label_map
    if value is None or isinstance(value, Mapping):
        return None if value is None else {int(a): int(b) for a, b in value.items()}
    path = Path(value).expanduser()
    try:
        raw = json.loads(path.read_text())
        return {int(a): int(b) for a, b in raw.items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"data.flip_label_map={value!r}: expected a JSON file holding {{class: mirrored class}} ({exc})"
        ) from None


def build_datasets(exp: Experiment, *, splits: tuple[str, ...] = ("train", "val", "test")) -> Datasets:
    """Train/val/test datasets with the preset's pipelines (sizes/views overridden by ``data``)."""
    d = exp.data
    preset = resolved_preset(exp)
    k = resolve_num_classes(exp)
    aug = exp.augment
    pipes = {
        "train": train_pipeline(
            preset, flip=d.flip, flip_label_map=flip_label_map(exp), crop=d.train_crop,
            rand_augment=aug.rand_augment, random_erasing=aug.random_erasing,
        ),
        "val": val_pipeline(preset),
        "test": test_pipeline(preset),
    }
    eval_root = d.val_root if d.val_root is not None else d.root
    lists = {"train": d.train_list, "val": d.val_list, "test": d.test_list or d.val_list}
    roots = {"train": d.root, "val": eval_root, "test": eval_root}
    out = {
        s: (_dataset(exp, lists[s], roots[s], pipes[s], k, train=s == "train") if s in splits and lists[s] else None)  # type: ignore[arg-type]
        for s in ("train", "val", "test")
    }
    return Datasets(out["train"], out["val"], out["test"], pipes)


# ----------------------------------------------------------------------------------- the task


class RecognitionTask(Task):
    """Action recognition on the shared experiment layer (:mod:`vidcore.core.experiment`)."""

    name = "recognition"
    experiment_type = Experiment
    configs_package = "vidcore.recognition.configs"

    def build_model(self, exp: Experiment, *, pretrained: bool = True, verbose: bool = True) -> torch.nn.Module:
        if not pretrained:
            exp = dataclasses.replace(exp, model=dataclasses.replace(exp.model, pretrained=None, reset_head=False))
        if exp.pretrain is not None:
            from .pretrain import build_pretrainer

            if exp.trainer.best_metric in (None, "loss_rec") and exp.trainer.best_mode != "min":
                raise ConfigError(
                    "masked pre-training keeps the lowest validation loss_rec: set trainer.best_mode=min"
                )
            return build_pretrainer(build_model(exp, verbose=verbose), exp.pretrain)
        return build_model(exp, verbose=verbose)

    def build_dataset(self, exp: Experiment, split: Split) -> torch.utils.data.Dataset | None:
        if split == "train" and exp.data.train_list is None:
            raise ConfigError("data.train_list is not set (e.g. --set data.train_list=train.txt)")
        return getattr(build_datasets(exp, splits=(split,)), split)

    def build_evaluator(
        self, exp: Experiment, model: torch.nn.Module, *, detailed: bool = False, keep_rows: bool = False
    ) -> Any:
        from vidcore.core.metrics import AccuracyMetric, MeanAPMetric

        if exp.pretrain is not None:
            from .pretrain import ReconstructionLossMetric

            return ReconstructionLossMetric()
        if exp.data.multi_label:
            return MeanAPMetric(detailed=detailed, keep_rows=keep_rows)
        k = model.num_classes  # type: ignore[attr-defined]
        return AccuracyMetric(topk=(1, 5) if k >= 5 else (1,), detailed=detailed, keep_rows=keep_rows)

    def class_names(self, exp: Experiment) -> list[str]:
        label_map = _label_map(exp)
        return [str(label_map.get(i)) for i in range(label_map.num_classes)] if label_map is not None else []

    def collate_fn(self, exp: Experiment) -> Any:
        from vidcore.data.datasets import collate_samples

        return collate_samples

    def best_metric(self, exp: Experiment) -> str:
        if exp.pretrain is not None:
            return "loss_rec"
        return "mean_average_precision" if exp.data.multi_label else "top1"

    def test_batch_size(self, exp: Experiment) -> int:
        return exp.data.test_batch_size

    def checkpoint_metadata(self, exp: Experiment) -> dict[str, Any]:
        """``preset``, ``num_classes`` and, with a label map, ``labels`` (names by class id)."""
        meta: dict[str, Any] = {"preset": exp.model.preset, "num_classes": resolve_num_classes(exp)}
        if exp.pretrain is not None:
            meta["pretrain"] = "videomae"
        label_map = _label_map(exp)
        if label_map is not None:
            meta["labels"] = [label_map.get(i) for i in range(label_map.num_classes)]
        return meta

    def load_weights(self, exp: Experiment, model: torch.nn.Module, checkpoint: Any) -> None:
        load_model_weights(model, read_weights(checkpoint, exp.model.preset), strict=True)

    def write_test_outputs(self, result: Mapping[str, Any], out_dir: Path) -> None:
        super().write_test_outputs(result, out_dir)
        if "confusion_matrix" in result:
            np.savetxt(out_dir / "confusion_matrix.csv", result["confusion_matrix"], fmt="%d", delimiter=",")

    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        return core_experiment.classification_lines(result, unit="videos")

    def user_errors(self) -> tuple[type[BaseException], ...]:
        from vidcore.data.errors import DataError

        return (*super().user_errors(), DataError)


#: The recognition task, for the shared ``train``/``test`` functions and CLI verbs.
TASK = RecognitionTask()


# ----------------------------------------------------------------------------------- train / test


def train(
    exp: Experiment, *, resume: str | None = None, config_source: str | PathLike[str] | None = None
) -> dict[str, Any]:
    """Train the experiment; returns the last validation metrics (``{}`` without a val list).

    Args:
        resume: ``"auto"`` (the newest checkpoint in ``work_dir``), a checkpoint path, or
            ``None`` (``exp.trainer.resume`` then applies).
        config_source: the experiment file, copied beside the outputs as ``config_source.py``.

    Writes the resolved configuration to ``work_dir/config.json`` (and ``config.txt``) first.
    Runs the same under ``torchrun`` (one process per device; the trainer joins the group).
    """
    return core_experiment.train(TASK, exp, resume=resume, config_source=config_source)


def test(
    exp: Experiment,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    device: str = "auto",
    progress: bool = True,
    out_dir: str | PathLike[str] | None = None,
    strict: bool = False,
    save_scores: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Evaluate a checkpoint on the test list (``data.test_list``, else ``data.val_list``) with the
    preset's test views (clips x crops, scores averaged as the preset's recognizer does).

    Returns ``{"top1", "top5", "mean_class_accuracy", "num_samples", "num_skipped",
    "confusion_matrix"}`` (``top5`` only with at least 5 classes; the confusion matrix is an int64
    ``(K, K)`` array, rows true class, columns predicted). Multi-label data gives
    ``mean_average_precision`` instead of the accuracies. With ``out_dir`` the numbers are also
    written to ``out_dir/test_results.json`` and the matrix to ``confusion_matrix.csv``. Runs
    under ``torchrun`` too (the same evaluation path as validation during training). A checkpoint
    saved for another preset, class count or label map gives a warning (``strict``: an error).
    ``save_scores`` (default with ``out_dir``: ``out_dir/scores.npz``) also writes every video's
    scores for late fusion (:mod:`vidcore.core.scores`).
    """
    return core_experiment.test(
        TASK, exp, checkpoint, device=device, progress=progress, out_dir=out_dir, strict=strict,
        save_scores=save_scores,
    )  # fmt: skip


# Not a pytest test, even when imported into a test module.
test.__test__ = False  # type: ignore[attr-defined]
