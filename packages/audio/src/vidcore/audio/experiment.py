"""One audio experiment as typed config objects, and the functions that train and test it, on the
shared experiment layer (:mod:`vidcore.core.experiment`).

    from vidcore.audio.experiment import DataConfig, Experiment, ModelConfig, train, test
    from vidcore.core.trainer import TrainerConfig

    exp = Experiment(
        model=ModelConfig("tsn_r18_synth_av", num_classes=8),
        data=DataConfig(root="av_data", train_list="av_data/train.txt", val_list="av_data/val.txt"),
        trainer=TrainerConfig(max_epochs=10, batch_size=16),
        work_dir="work_dirs/audio",
    )
    train(exp)
    result = test(exp, "work_dirs/audio/best.pth")   # top1, mean_class_accuracy, confusion matrix

Data are audio or video files (``data.format="waveform"``: log-mel computed on the fly) or
log-mel ``.npy`` files (``"features"``, MMAction2's audio-feature lists); clips are sampled with
the preset's (or the data section's) ``clip_len`` / ``fixed_length`` / ``test_num_clips``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import torch

from vidcore.core import experiment as core_experiment
from vidcore.core.checkpoint import CheckpointError, extract_state_dict, load_checkpoint, load_model_weights
from vidcore.core.config import ConfigError
from vidcore.core.experiment import Split, Task, is_main_process
from vidcore.core.trainer import TrainerConfig

from .recognizer import AudioRecognizer
from .registry import Preset, get_model, get_preset

__all__ = [
    "TASK",
    "AudioTask",
    "DataConfig",
    "Experiment",
    "ModelConfig",
    "build_dataset",
    "read_weights",
    "resolved_preset",
    "test",
    "train",
]


@dataclass
class ModelConfig:
    """Which network, how many classes, and its initial weights.

    Attributes:
        preset: registered preset (``vidcore-audio models``).
        num_classes: classes; ``None``: ``data.num_classes``, else the label map's size, else the
            preset's.
        pretrained: a vidcore or MMAction2 checkpoint to start from; its classifier is left out
            when its class count differs.
    """

    preset: str
    num_classes: int | None = None
    pretrained: str | None = None

    def __post_init__(self) -> None:
        if self.num_classes is not None and self.num_classes < 1:
            raise ValueError(f"model.num_classes must be >= 1, got {self.num_classes}")


@dataclass
class DataConfig:
    """Where the data is and how clips are cut from it.

    Attributes:
        root, val_root: folders the list entries are relative to (``val_root`` for val/test).
        train_list, val_list, test_list: video lists (``file label``) or audio lists
            (``file total_frames label``); ``test_list`` defaults to ``val_list``.
        label_map: class names, one per line (sets ``num_classes``).
        num_classes: classes when there is no label map.
        format: ``"waveform"`` (audio/video files, log-mel on the fly) or ``"features"`` (``.npy``).
        suffix: appended to a feature file named without it (MMAction2 lists).
        video_fps: frame rate assumed for audio-only files (see ``WaveformClips``).
        clip_len, fixed_length, test_num_clips: override the preset's sampling (``None``: keep).
        test_batch_size: samples per batch in :func:`test`.
    """

    root: str = ""
    train_list: str | None = None
    val_list: str | None = None
    test_list: str | None = None
    val_root: str | None = None
    label_map: str | None = None
    num_classes: int | None = None
    format: Literal["waveform", "features"] = "waveform"
    suffix: str = ".npy"
    video_fps: float = 30.0
    clip_len: int | None = None
    fixed_length: int | None = None
    test_num_clips: int | None = None
    test_batch_size: int = 8

    def __post_init__(self) -> None:
        if self.format not in ("waveform", "features"):
            raise ValueError(f"data.format must be 'waveform' or 'features', got {self.format!r}")


@dataclass
class Experiment:
    """A whole audio experiment: model, data, trainer settings and the output folder."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    work_dir: str = "work_dirs/audio"


def resolved_preset(exp: Experiment) -> Preset:
    """The preset with the data section's sampling overrides applied."""
    p = get_preset(exp.model.preset)
    d = exp.data
    changes = {k: getattr(d, k) for k in ("clip_len", "fixed_length", "test_num_clips") if getattr(d, k) is not None}
    return dataclasses.replace(p, **changes) if changes else p


def resolve_num_classes(exp: Experiment) -> int:
    if exp.model.num_classes is not None:
        return exp.model.num_classes
    if exp.data.num_classes is not None:
        return exp.data.num_classes
    if exp.data.label_map:
        path = Path(exp.data.label_map)
        if not path.is_file():
            raise ConfigError(f"data.label_map={exp.data.label_map}: no such file")
        return sum(1 for line in path.read_text().splitlines() if line.strip())
    return get_preset(exp.model.preset).num_classes


def read_weights(checkpoint: str | PathLike[str] | Mapping[str, Any], preset: str) -> dict[str, torch.Tensor]:
    """A vidcore checkpoint's model weights, or an MMAction2 one converted for ``preset`` (told
    apart by the ``cls_head.`` keys MMAction2 uses)."""
    from .convert import load_mmaction_state_dict

    if isinstance(checkpoint, (str, PathLike)):
        if not Path(checkpoint).is_file():
            raise CheckpointError(f"no checkpoint file {checkpoint}")
        try:
            sd = extract_state_dict(load_checkpoint(checkpoint))
        except CheckpointError:
            sd = load_mmaction_state_dict(checkpoint)
    else:
        sd = extract_state_dict(checkpoint)
    if any(k.startswith("cls_head.") for k in sd):
        convert = get_preset(preset).convert_mmaction
        if convert is None:
            raise CheckpointError(f"{checkpoint}: an MMAction2 checkpoint, but preset {preset} has no converter")
        sd = convert(sd)
    return sd


def build_model(exp: Experiment, *, pretrained: bool = True, verbose: bool = True) -> AudioRecognizer:
    """The preset with ``resolve_num_classes(exp)`` classes and, with ``pretrained``, the config's
    initial weights (a classifier of another class count is left at its initialisation)."""
    k = resolve_num_classes(exp)
    model = get_model(exp.model.preset, num_classes=k)
    if pretrained and exp.model.pretrained:
        sd = read_weights(exp.model.pretrained, exp.model.preset)
        head = set(get_preset(exp.model.preset).classifier_keys(model.state_dict()))
        own = model.state_dict()
        dropped = [key for key in head if key in sd and sd[key].shape != own[key].shape]
        sd = {key: v for key, v in sd.items() if key not in dropped}
        report = load_model_weights(model, sd, strict=False)
        if report.unexpected or report.mismatched or set(report.missing) - head:
            raise CheckpointError(f"{exp.model.pretrained} does not fit preset {exp.model.preset}: {report}")
        if verbose and is_main_process():
            note = f"; classifier {', '.join(sorted(dropped))} left at random init" if dropped else ""
            print(f"pretrained weights from {exp.model.pretrained}: {len(sd)} tensors{note}", flush=True)
    return model


def build_dataset(exp: Experiment, split: Split) -> torch.utils.data.Dataset | None:
    """The split's dataset (``None`` when the config names no list for it)."""
    from .datasets import AudioFeatureClips, ClipSampling, WaveformClips

    d = exp.data
    lists = {"train": d.train_list, "val": d.val_list, "test": d.test_list or d.val_list}
    if lists[split] is None:
        return None
    path = Path(lists[split]).expanduser()  # type: ignore[arg-type]
    if not path.is_file():
        raise ConfigError(f"list file {path} does not exist (set it with --set data.{split}_list=PATH)")
    root = d.root if split == "train" or d.val_root is None else d.val_root
    preset = resolved_preset(exp)
    sampling = ClipSampling.from_preset(preset, test_mode=split != "train")
    k = resolve_num_classes(exp)
    if d.format == "features":
        return AudioFeatureClips(path, root, sampling=sampling, suffix=d.suffix, num_classes=k)
    from vidcore.data.transforms.audio import LogMelSpectrogram

    mel = LogMelSpectrogram(
        preset.sample_rate, n_fft=preset.n_fft, hop_length=preset.hop_length, n_mels=preset.n_mels,
        fmin=preset.fmin, fmax=preset.fmax,
    )  # fmt: skip
    return WaveformClips(path, root, sampling=sampling, mel=mel, video_fps=d.video_fps, num_classes=k)


class AudioTask(Task):
    """Audio recognition on the shared experiment layer."""

    name = "audio"
    experiment_type = Experiment
    configs_package = "vidcore.audio.configs"

    def build_model(self, exp: Experiment, *, pretrained: bool = True, verbose: bool = True) -> AudioRecognizer:
        return build_model(exp, pretrained=pretrained, verbose=verbose)

    def build_dataset(self, exp: Experiment, split: Split) -> torch.utils.data.Dataset | None:
        if split == "train" and exp.data.train_list is None:
            raise ConfigError("data.train_list is not set (e.g. --set data.train_list=train.txt)")
        return build_dataset(exp, split)

    def build_evaluator(
        self, exp: Experiment, model: torch.nn.Module, *, detailed: bool = False, keep_rows: bool = False
    ) -> Any:
        from vidcore.core.metrics import AccuracyMetric

        k = model.num_classes  # type: ignore[attr-defined]
        return AccuracyMetric((1, 5) if k >= 5 else (1,), detailed=detailed, keep_rows=keep_rows)

    def class_names(self, exp: Experiment) -> list[str]:
        if exp.data.label_map and Path(exp.data.label_map).is_file():
            return [ln.strip() for ln in Path(exp.data.label_map).read_text().splitlines() if ln.strip()]
        return []

    def collate_fn(self, exp: Experiment) -> Any:
        from vidcore.data.datasets import collate_samples

        return collate_samples

    def best_metric(self, exp: Experiment) -> str:
        return "top1"

    def test_batch_size(self, exp: Experiment) -> int:
        return exp.data.test_batch_size

    def load_weights(self, exp: Experiment, model: torch.nn.Module, checkpoint: Any) -> None:
        load_model_weights(model, read_weights(checkpoint, exp.model.preset), strict=True)

    def format_results(self, result: Mapping[str, Any]) -> list[str]:
        return core_experiment.classification_lines(result, unit="samples")

    def user_errors(self) -> tuple[type[BaseException], ...]:
        from vidcore.data.errors import DataError

        return (*super().user_errors(), DataError)


#: The audio task, for the shared ``train``/``test`` functions and CLI verbs.
TASK = AudioTask()


def train(
    exp: Experiment, *, resume: str | None = None, config_source: str | PathLike[str] | None = None
) -> dict[str, Any]:
    """Train the experiment; returns the last validation metrics (see ``vidcore.core.experiment.train``)."""
    return core_experiment.train(TASK, exp, resume=resume, config_source=config_source)


def test(
    exp: Experiment,
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    *,
    device: str = "auto",
    progress: bool = True,
    out_dir: str | PathLike[str] | None = None,
    save_scores: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Evaluate a checkpoint on ``data.test_list`` (else ``val_list``) with the preset's test clips
    (softmax averaged): ``{"top1", "mean_class_accuracy", "num_samples", "num_skipped",
    "confusion_matrix", ...}``. ``save_scores`` writes the per-sample probabilities in the shared
    score format (:mod:`vidcore.core.scores`), samples named by their path in the list."""
    return core_experiment.test(
        TASK, exp, checkpoint, device=device, progress=progress, out_dir=out_dir, save_scores=save_scores
    )


test.__test__ = False  # type: ignore[attr-defined]
