"""Snippet features of untrimmed videos for temporal localization (``vidcore-recognition extract-features``).

A recognition preset's network without its classifier is run over sliding snippets of each video;
each snippet gives one feature vector, the head's input pooled over space and time. The files
written are what vidcore-localization reads (its ``FeatureDataset`` and ``infer``): one file per
video, ``<video stem>.csv`` with a header line ``f0,f1,...`` and ``T`` rows of ``C`` values
(MMAction2's ``activitynet_feature_postprocessing.py`` layout) or ``<video stem>.npy`` holding a
float32 ``(T, C)`` array. The two packages meet only through these files.

Sampling follows MMAction2's ``UntrimmedSampleFrames(clip_len, clip_interval, frame_interval)``
(its ActivityNet feature recipe, ``tools/data/activitynet/tsn_extract_*_feat_config.py``, uses
``clip_interval=16``): snippet centres at frames ``stride // 2, stride // 2 + stride, ...`` below
the frame count, each snippet ``snippet_len`` frames ``frame_interval`` apart around its centre
(``centre - snippet_len // 2 * frame_interval`` onwards), indices clipped to the video. A video
shorter than ``stride // 2 + 1`` frames, which MMAction2 leaves without snippets, gets one snippet
centred on its middle frame. Frames are resized to the preset's ``short_side`` and centre-cropped
to ``test_crop_size`` (the single-crop test view), as the recipe's ``Resize`` + ``CenterCrop``.

Pooling (the head's input, as MMAction2's ``FeatureHead`` with ``avg`` spatial and temporal types):
3D backbones' ``(B, C, t, h, w)`` output is averaged over ``t, h, w``; 2D backbones' regrouped
``(B, t, C, h, w)`` over ``t, h, w`` (the TSN/TSM consensus of the pooled frames); backbones that
return several tensors (SlowFast's pathways) give the concatenation of their pooled parts, in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from .recognizer import Recognizer
from .registry import Preset

__all__ = [
    "FeatureFormat",
    "SnippetConfig",
    "VideoFeatures",
    "default_snippet",
    "extract_features",
    "extract_video_features",
    "feature_path",
    "pool_features",
    "snippet_indices",
    "write_features",
]

FeatureFormat = Literal["csv", "npy"]

#: MMAction2's ``clip_interval`` of its ActivityNet feature extraction configs (frames).
DEFAULT_STRIDE = 16


@dataclass(frozen=True)
class SnippetConfig:
    """Sliding snippets: ``snippet_len`` frames ``frame_interval`` apart, centres ``stride`` frames apart."""

    snippet_len: int
    stride: int = DEFAULT_STRIDE
    frame_interval: int = 1

    def __post_init__(self) -> None:
        for name in ("snippet_len", "stride", "frame_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def default_snippet(preset: Preset, stride: int = DEFAULT_STRIDE) -> SnippetConfig:
    """The preset's clip as a snippet: a 3D preset's ``clip_len`` frames ``frame_interval`` apart;
    a 2D preset's ``num_clips`` segments taken as consecutive frames (TSM's backbone is built for
    that many segments; MMAction2 requires the same, ``num_segments == clip_len``)."""
    if preset.input_layout == "NCTHW":
        return SnippetConfig(preset.clip_len, stride, preset.frame_interval)
    return SnippetConfig(preset.num_clips * preset.clip_len, stride, 1)


def snippet_indices(num_frames: int, snippet: SnippetConfig) -> np.ndarray:
    """0-based frame indices int64 ``(S, snippet_len)`` of the snippets of a ``num_frames``-frame
    video (see the module docstring); ``S = ceil((num_frames - stride // 2) / stride)``, at least 1."""
    if num_frames < 1:
        raise ValueError(f"a video needs at least one frame, got {num_frames}")
    centres = np.arange(snippet.stride // 2, num_frames, snippet.stride, dtype=np.int64)
    if centres.size == 0:
        centres = np.array([(num_frames - 1) // 2], dtype=np.int64)
    length, step = snippet.snippet_len, snippet.frame_interval
    offsets = np.arange(-(length // 2) * step, (length - length // 2) * step, step, dtype=np.int64)
    return np.clip(centres[:, None] + offsets[None, :], 0, num_frames - 1)  # (S, 1) + (1, L) -> (S, L)


def pool_features(features: Any, input_layout: Literal["NCHW", "NCTHW"]) -> Tensor:
    """``forward_features`` output -> ``(B, C)``, averaged over time and space (module docstring).

    Accepts ``(B, C, t, h, w)`` (3D), ``(B, t, C, h, w)`` (2D, regrouped), ``(B, C)`` (already
    pooled), and tuples/lists of those (concatenated along ``C``).
    """
    if isinstance(features, (tuple, list)):
        return torch.cat([pool_features(f, input_layout) for f in features], dim=1)
    if not isinstance(features, Tensor):
        raise TypeError(f"cannot pool backbone features of type {type(features).__name__}")
    if features.dim() == 2:
        return features
    if features.dim() == 5:
        dims = (2, 3, 4) if input_layout == "NCTHW" else (1, 3, 4)
        return features.mean(dim=dims)
    if features.dim() == 4 and input_layout == "NCTHW":  # (B, C, h, w): time already pooled
        return features.mean(dim=(2, 3))
    raise ValueError(
        f"cannot pool backbone features of shape {tuple(features.shape)} ({input_layout} model); "
        "expected (B, C, t, h, w), (B, t, C, h, w) or (B, C)"
    )


def _spatial(preset: Preset) -> Callable[..., Any]:
    from vidcore.data.transforms import CenterCrop, Compose, Resize

    return Compose([Resize((-1, preset.short_side)), CenterCrop(preset.test_crop_size)])


def extract_video_features(
    model: Recognizer,
    preset: Preset,
    path: str | PathLike[str],
    snippet: SnippetConfig | None = None,
    *,
    batch_size: int = 8,
    backend: str = "auto",
    progress: bool = False,
) -> np.ndarray:
    """Float32 ``(S, C)`` features of the snippets of one video (``model`` in eval mode).

    ``batch_size`` snippets go through the network at once; their frames are decoded once each.
    Raises ``vidcore.data.errors.VideoDecodeError`` for a video that cannot be read.
    """
    from tqdm.auto import tqdm

    from vidcore.data.decoders import open_video
    from vidcore.data.errors import VideoDecodeError

    from .inference import _to_sample

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    snippet = snippet or default_snippet(preset)
    spatial = _spatial(preset)
    out: list[Tensor] = []
    with open_video(path, backend=backend) as reader:
        n = reader.num_frames
        if n <= 0:
            raise VideoDecodeError(str(path), "has no frames")
        inds = snippet_indices(n, snippet)  # (S, L)
        bar = tqdm(total=len(inds), desc=Path(path).name, unit="snippet", disable=not progress, leave=False)
        for first in range(0, len(inds), batch_size):
            chunk = inds[first : first + batch_size]  # (B, L)
            needed = np.unique(chunk)
            frames = reader.get_frames(needed)  # (U, H, W, C) uint8
            sample = spatial(_to_sample(torch.as_tensor(frames), 1), rng=0)
            video = sample.video.as_subclass(Tensor)  # (U, C, h, w)
            pos = torch.as_tensor(np.searchsorted(needed, chunk))  # (B, L) rows of `video`
            clips = video[pos]  # (B, L, C, h, w)
            with torch.inference_mode():
                feats = model.forward_features(model.preprocess(clips), snippet.snippet_len)
                out.append(pool_features(feats, model.input_layout).float().cpu())
            bar.update(len(chunk))
        bar.close()
    return torch.cat(out).numpy()


def feature_path(out_dir: str | PathLike[str], video: str | PathLike[str], format: FeatureFormat = "csv") -> Path:
    """Where the features of ``video`` go: ``out_dir/<video stem>.<format>`` (vidcore-localization
    looks up ``<video_name><ext>``)."""
    if format not in ("csv", "npy"):
        raise ValueError(f"format must be 'csv' or 'npy', got {format!r}")
    return Path(out_dir) / f"{Path(video).stem}.{format}"


def write_features(path: str | PathLike[str], features: np.ndarray, format: FeatureFormat | None = None) -> Path:
    """Write float32 ``(T, C)`` features atomically (a temporary file in the same folder, then a
    rename): csv with MMAction2's header ``f0,...,f{C-1}`` and 9 significant digits (float32
    round-trips exactly; MMAction2 keeps 4 decimals), or ``.npy``. ``format`` defaults to the suffix."""
    path = Path(path)
    fmt = format or path.suffix.lstrip(".")
    if fmt not in ("csv", "npy"):
        raise ValueError(f"{path}: feature format must be 'csv' or 'npy', got {fmt!r}")
    arr = np.asarray(features, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"{path}: features must be (T, C), got shape {arr.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if fmt == "npy":
                np.save(fh, arr, allow_pickle=False)
            else:
                header = ",".join(f"f{i}" for i in range(arr.shape[1]))
                np.savetxt(fh, arr, fmt="%.9g", delimiter=",", header=header, comments="")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@dataclass(frozen=True)
class VideoFeatures:
    """What happened to one video: ``status`` is ``"written"``, ``"skipped"`` (its file existed)
    or ``"failed"`` (``error`` says why); ``shape`` is ``(T, C)`` when written."""

    video: str
    path: Path
    status: Literal["written", "skipped", "failed"]
    shape: tuple[int, int] | None = None
    error: str | None = None


def extract_features(
    model: Recognizer,
    preset: Preset,
    videos: Sequence[str | PathLike[str]],
    out_dir: str | PathLike[str],
    snippet: SnippetConfig | None = None,
    *,
    format: FeatureFormat = "csv",
    batch_size: int = 8,
    overwrite: bool = False,
    backend: str = "auto",
    progress: bool = False,
) -> list[VideoFeatures]:
    """One feature file per video in ``out_dir`` (:func:`feature_path`), resumable: a video whose
    file exists is skipped unless ``overwrite``. A video that cannot be read is reported as
    ``"failed"`` and the others still run. Two videos with the same stem raise ``ValueError``."""
    from tqdm.auto import tqdm

    from vidcore.data.errors import DataError

    targets = [feature_path(out_dir, v, format) for v in videos]
    seen: dict[Path, str] = {}
    for v, t in zip(videos, targets, strict=True):
        if t in seen:
            raise ValueError(f"{v} and {seen[t]} would both write {t}: rename one (files are named by stem)")
        seen[t] = str(v)
    results: list[VideoFeatures] = []
    for video, target in tqdm(
        list(zip(videos, targets, strict=True)), desc="videos", unit="video", disable=not progress
    ):
        if target.exists() and not overwrite:
            results.append(VideoFeatures(str(video), target, "skipped"))
            continue
        try:
            feats = extract_video_features(
                model, preset, video, snippet, batch_size=batch_size, backend=backend, progress=progress
            )
        except (DataError, OSError) as exc:
            results.append(VideoFeatures(str(video), target, "failed", error=str(exc).replace("\n", " ")))
            continue
        write_features(target, feats, format)
        results.append(VideoFeatures(str(video), target, "written", (int(feats.shape[0]), int(feats.shape[1]))))
    return results
