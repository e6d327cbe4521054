"""Run a trained recognizer on video files: whole videos (top-k labels) and long videos (a label per second).

    from vidcore.recognition.inference import load_recognizer, predict_video, predict_long_video
    model, preset = load_recognizer("tsm_r50_1x1x8_kinetics400", "work_dirs/k400/best.pth")
    pred = predict_video(model, preset, "clip.mp4", top_k=5, label_map=read_label_map("k400.txt"))
    print(pred.names, pred.scores)
    for second, label, score in predict_long_video(model, preset, "match.mp4"):
        ...

Checkpoints are read in any of three formats: vidcore's (what ``vidcore-recognition train``
writes: a dict with ``"model"``), MMAction2's (``cls_head.*``/``backbone.*`` keys, converted with the
preset's converter), or a bare state dict of the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor

from vidcore.core.checkpoint import CheckpointError, extract_state_dict, load_checkpoint
from vidcore.data.annotations import LabelMap
from vidcore.data.types import VideoSample

from .pipelines import Pipeline, test_pipeline, val_pipeline
from .recognizer import Recognizer
from .registry import Preset, get_model, get_preset

__all__ = [
    "CheckpointFormat",
    "Prediction",
    "SecondPrediction",
    "checkpoint_format",
    "classifier_keys",
    "infer_num_classes",
    "load_recognizer",
    "predict_clips",
    "predict_long_video",
    "predict_video",
    "read_weights",
]

CheckpointFormat = Literal["auto", "vidcore", "mmaction", "torchvision"]


# ----------------------------------------------------------------------------------- weights


def classifier_keys(preset: str | Preset, state_dict_keys: Any = None) -> frozenset[str]:
    """State-dict keys of the classification layer(s) of ``preset``'s model, as the preset
    declares them (``Preset.classifier``); among ``state_dict_keys`` when given, else among the
    keys of the model (built on the meta device: no memory, no initialisation)."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    if state_dict_keys is None:
        with torch.device("meta"):
            state_dict_keys = p.build(num_classes=p.num_classes).state_dict()
    return frozenset(p.classifier_keys(state_dict_keys))


def checkpoint_format(ckpt: Mapping[str, Any]) -> Literal["vidcore", "mmaction", "torchvision"]:
    """Guess who wrote a loaded checkpoint dict: MMAction2 (``cls_head.`` keys or a
    ``state_dict`` holding them), torchvision ImageNet (``fc.weight`` + ``layer1.``), or vidcore."""
    if isinstance(ckpt.get("model"), Mapping):
        return "vidcore"
    sd = ckpt.get("state_dict") if isinstance(ckpt.get("state_dict"), Mapping) else ckpt
    keys = [k for k in sd if isinstance(k, str)]
    if any(k.startswith("cls_head.") for k in keys):
        return "mmaction"
    if "fc.weight" in keys and any(k.startswith("layer1.") for k in keys):
        return "torchvision"
    return "vidcore"


def read_weights(
    checkpoint: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    format: CheckpointFormat = "auto",
) -> dict[str, Tensor]:
    """The weights of a checkpoint as keys of ``preset``'s recognizer.

    ``format="auto"`` guesses with :func:`checkpoint_format`. MMAction2 checkpoints go through
    ``convert_mmaction_checkpoint`` (validated against the architecture); torchvision ImageNet
    ResNets through ``convert_torchvision_resnet`` and get the ``backbone.`` prefix (they have no
    classifier for us). Raises ``CheckpointError`` for a missing/corrupt file.
    """
    ckpt, where = _read_checkpoint(checkpoint, preset, format)
    return _weights(ckpt, where, preset, format)


def _read_checkpoint(
    checkpoint: str | PathLike[str] | Mapping[str, Any], preset: str, format: CheckpointFormat
) -> tuple[dict[str, Any], str]:
    """The checkpoint dict (read from its file safely; an MMAction2 zoo file through the
    converter's loader) and how to name it in messages."""
    if isinstance(checkpoint, (str, PathLike)):
        where = str(checkpoint)
        try:
            ckpt = load_checkpoint(checkpoint, map_location="cpu")
        except CheckpointError as exc:
            if format not in ("auto", "mmaction") or "refusing" not in str(exc):
                raise
            # MMAction2 zoo files pickle numpy metadata: the converter's loader allows exactly that
            from .convert import load_mmaction_state_dict

            try:
                ckpt = {"state_dict": load_mmaction_state_dict(checkpoint)}
            except Exception:
                raise CheckpointError(
                    f"{exc}. For an MMAction2 training checkpoint you trust, convert it first: "
                    f"vidcore-recognition convert mmaction {where} converted.pth --preset {preset} --trust-pickle"
                ) from None
    else:
        ckpt = dict(checkpoint)
        where = "<checkpoint dict>"
    return ckpt, where


def _weights(ckpt: dict[str, Any], where: str, preset: str, format: CheckpointFormat) -> dict[str, Tensor]:
    fmt = checkpoint_format(ckpt) if format == "auto" else format
    if fmt == "mmaction":
        from .convert import convert_mmaction_checkpoint

        return convert_mmaction_checkpoint(ckpt, preset)
    if fmt == "torchvision":
        from .models.resnet import convert_torchvision_resnet

        sd = extract_state_dict(ckpt)
        return {"backbone." + k: v for k, v in convert_torchvision_resnet(sd).items()}
    if fmt != "vidcore":
        raise ValueError(f"format must be 'auto', 'vidcore', 'mmaction' or 'torchvision', got {format!r}")
    try:
        sd = extract_state_dict(ckpt)
    except CheckpointError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    # a model saved while wrapped in DDP / torch.compile
    for prefix in ("module.", "_orig_mod."):
        if sd and all(k.startswith(prefix) for k in sd):
            sd = {k[len(prefix) :]: v for k, v in sd.items()}
    return {k: v for k, v in sd.items() if isinstance(v, Tensor)}


def infer_num_classes(preset: str | Preset, state_dict: Mapping[str, Tensor]) -> int | None:
    """The class count of the classifier in ``state_dict`` (``None`` if it has none), read from
    the classifier tensors the preset declares."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    return p.num_classes_in(state_dict)


def load_recognizer(
    preset: str | Preset,
    checkpoint: str | PathLike[str] | Mapping[str, Any] | None,
    num_classes: int | None = None,
    *,
    format: CheckpointFormat = "auto",
    device: str | torch.device = "cpu",
    random_weights: bool = False,
    labels: Sequence[str | None] | None = None,
    strict: bool = False,
) -> tuple[Recognizer, Preset]:
    """Build ``preset``'s model, load ``checkpoint`` (strictly) and put it in eval mode on ``device``.

    Args:
        preset: a registered name, or a :class:`Preset` (e.g. one with size overrides from
            ``experiment.resolved_preset``); the returned preset is that one.
        checkpoint: path or loaded dict in any format :func:`read_weights` reads. ``None`` only
            with ``random_weights=True``: an untrained model is an explicit choice.
        num_classes: classes of the classifier; read from the checkpoint when ``None`` (and the
            preset's own count without a checkpoint).
        random_weights: keep the random initialisation (no checkpoint): for smoke tests and
            timing, never for predictions.
        labels: class names by id the caller will print (a label map), compared with the names
            the checkpoint was trained with.
        strict: refuse (``CheckpointError``) a checkpoint whose metadata (the preset it was
            trained as, its class count, its label names) disagrees with ``preset``,
            ``num_classes`` or ``labels``; by default that is a ``CheckpointMismatchWarning``.

    Returns ``(model, preset)``.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    if checkpoint is None and not random_weights:
        raise ValueError(
            f"load_recognizer({p.name!r}, None): no checkpoint given; pass one, or random_weights=True "
            "for an untrained model (its predictions mean nothing)"
        )
    if checkpoint is not None and random_weights:
        raise ValueError("random_weights=True and a checkpoint exclude each other")
    sd = None
    if checkpoint is not None:
        from vidcore.core.checkpoint import check_checkpoint_metadata, checkpoint_metadata

        ckpt, where = _read_checkpoint(checkpoint, p.name, format)
        check_checkpoint_metadata(
            checkpoint_metadata(ckpt), where=where, preset=p.name, num_classes=num_classes, labels=labels,
            strict=strict,
        )  # fmt: skip
        sd = _weights(ckpt, where, p.name, format)
    if num_classes is None:
        num_classes = (infer_num_classes(p, sd) if sd is not None else None) or p.num_classes
    model = get_model(p.name, num_classes=num_classes)
    if sd is not None:
        from vidcore.core.checkpoint import load_model_weights

        try:
            load_model_weights(model, sd, strict=True)
        except CheckpointError as exc:
            where = checkpoint if isinstance(checkpoint, (str, PathLike)) else "the checkpoint"
            raise CheckpointError(
                f"{where} does not fit preset {p.name} with {num_classes} classes: {exc}"
            ) from None
    model = model.to(device).eval()
    return model, p  # type: ignore[return-value]


# ----------------------------------------------------------------------------------- prediction


@dataclass(frozen=True)
class Prediction:
    """Top-k classes of one video: ``labels`` (class ids) and ``scores`` (probabilities), best first;
    ``names`` when a label map was given."""

    path: str
    labels: list[int]
    scores: list[float]
    names: list[str] | None = None


class SecondPrediction(NamedTuple):
    """The best class of the window centred on second ``second`` of a long video (``[s, s+1)``)."""

    second: int
    label: int
    score: float


def _probabilities(model: Recognizer, video: Tensor) -> Tensor:
    """Class probabilities ``(N, K)`` for ``uint8`` ``(N, [V,] T, C, H, W)``, views averaged."""
    out = model.predict(video)
    mode = getattr(model, "average_clips", "prob")
    if out.dim() == 3:  # average_clips=None: per-view logits
        return out.softmax(dim=2).mean(dim=1)
    return out if mode == "prob" else out.softmax(dim=1)


def _views_tensor(sample: VideoSample) -> Tensor:
    """A transformed sample's ``(V*T, C, H, W)`` video as ``(V, T, C, H, W)`` plain tensor."""
    video = sample.video.as_subclass(torch.Tensor)
    v = int(sample.meta.get("num_views", 1))
    return video.reshape(v, video.shape[0] // v, *video.shape[1:])


def _to_sample(frames: Tensor, num_views: int) -> VideoSample:
    from torchvision import tv_tensors

    # decoder layout (T, H, W, C) -> sample layout (T, C, H, W)
    return VideoSample(video=tv_tensors.Video(frames.permute(0, 3, 1, 2)), meta={"num_views": num_views})


def predict_clips(model: Recognizer, videos: Tensor) -> Tensor:
    """Probabilities ``(N, K)`` for uint8 ``(N, [V,] T, C, H, W)`` clips (eval mode, no grad)."""
    with torch.inference_mode():
        return _probabilities(model, videos)


def _top_k(probs: Tensor, k: int) -> tuple[list[int], list[float]]:
    k = max(1, min(k, probs.shape[-1]))
    values, indices = probs.topk(k)
    return [int(i) for i in indices], [float(v) for v in values]


def predict_video(
    model: Recognizer,
    preset: Preset,
    path: str | PathLike[str],
    *,
    top_k: int = 5,
    pipeline: Pipeline | None = None,
    label_map: LabelMap | Sequence[str] | None = None,
    backend: str = "auto",
) -> Prediction:
    """Top-k classes of one video with the preset's test views (or ``pipeline``'s).

    Raises ``vidcore.data.errors.VideoDecodeError`` (a ``DataError``) for a video that cannot be
    read; callers looping over many files catch it per file.
    """
    from vidcore.data.decoders import open_video

    pipe = pipeline or test_pipeline(preset)
    with open_video(path, backend=backend) as reader:
        inds = pipe.sampler(reader.num_frames, rng=np.random.default_rng(0))
        frames = reader.get_frames(inds)
    sample = pipe.transform(_to_sample(frames, pipe.num_views), rng=0)
    probs = predict_clips(model, _views_tensor(sample)[None])[0]  # (1, V, T, C, H, W) -> (K,)
    labels, scores = _top_k(probs, top_k)
    return Prediction(str(path), labels, scores, _names(labels, label_map))


def _names(labels: list[int], label_map: LabelMap | Sequence[str] | None) -> list[str] | None:
    if label_map is None:
        return None
    out = []
    for i in labels:
        try:
            out.append(str(label_map[i]))
        except (KeyError, IndexError):
            out.append(f"class_{i}")
    return out


def predict_long_video(
    model: Recognizer,
    preset: Preset,
    path: str | PathLike[str],
    *,
    window_seconds: float | None = None,
    batch_size: int = 8,
    pipeline: Pipeline | None = None,
    backend: str = "auto",
    progress: bool = False,
) -> list[SecondPrediction]:
    """A label for every second of a long video, from a window centred on that second.

    For second ``s`` the window spans ``window_seconds`` around ``s + 0.5`` (clipped to the video);
    one view is sampled inside it with the validation pipeline (segment centres for 2D models, one
    clip for 3D ones; centre crop). ``window_seconds`` defaults to the span of a training clip for 3D
    presets (``clip_len * frame_interval`` frames, at least 1 s) and to 2 s for 2D presets.

    Returns one :class:`SecondPrediction` ``(second, label, score)`` per started second.
    """
    from vidcore.data.decoders import open_video

    pipe = pipeline or val_pipeline(preset)
    with open_video(path, backend=backend) as reader:
        n, fps = reader.num_frames, float(reader.fps or 0.0)
        if n <= 0:
            from vidcore.data.errors import VideoDecodeError

            raise VideoDecodeError(str(path), "has no frames")
        if fps <= 0:
            fps = 25.0
        if window_seconds is None:
            if preset.input_layout == "NCTHW":
                window_seconds = max(1.0, preset.clip_len * preset.frame_interval / fps)
            else:
                window_seconds = 2.0
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        win = max(1, round(window_seconds * fps))
        seconds = max(1, math.ceil(n / fps))
        windows: list[np.ndarray] = []
        for s in range(seconds):
            centre = (s + 0.5) * fps
            start = int(min(max(0, round(centre - win / 2)), max(0, n - win)))
            length = min(win, n - start)
            windows.append(start + pipe.sampler(length, rng=np.random.default_rng(s)))

        from tqdm.auto import tqdm

        out: list[SecondPrediction] = []
        bar = tqdm(total=seconds, desc=f"{Path(path).name}", unit="s", disable=not progress)
        for first in range(0, seconds, batch_size):
            chunk = windows[first : first + batch_size]
            needed = np.unique(np.concatenate(chunk))
            frames = reader.get_frames(needed)  # (U, H, W, C)
            clips = []
            for s_inds in chunk:
                pos = np.searchsorted(needed, s_inds)
                sample = pipe.transform(_to_sample(frames[torch.as_tensor(pos)], pipe.num_views), rng=0)
                clips.append(_views_tensor(sample))
            probs = predict_clips(model, torch.stack(clips))  # (B, V, T, C, H, W) -> (B, K)
            scores, labels = probs.max(dim=1)
            for j, (label, score) in enumerate(zip(labels.tolist(), scores.tolist(), strict=True)):
                out.append(SecondPrediction(first + j, int(label), float(score)))
            bar.update(len(chunk))
        bar.close()
    return out
