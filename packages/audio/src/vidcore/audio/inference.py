"""Run an audio model on a file: an audio file (wav, mp3, m4a, ...) or the audio track of a video.

    model, preset = load_audio_recognizer("tsn_r18_64x1x1_kinetics400_audio_feature", "tsn_r18.pth")
    probs = predict_file(model, preset, "clip.mp4")          # (K,) class probabilities
    for label, p in top_k(probs, 5): ...

The file's audio is decoded (PyAV), resampled to the preset's rate, turned into MMAction2's
log-mel features, cut into the preset's test clips (``test_num_clips`` clips of ``clip_len`` video
frames, ``fixed_length`` rows each) and the clips' softmax scores are averaged. The video frame
count the sampling runs over is the file's own (video stream), or its duration at ``video_fps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .recognizer import AudioRecognizer
from .registry import Preset, get_model, get_preset

__all__ = ["file_clips", "load_audio_recognizer", "predict_file", "top_k"]


def load_audio_recognizer(
    preset: str,
    checkpoint: str | PathLike[str] | Mapping[str, Any] | None = None,
    *,
    num_classes: int | None = None,
    device: str | torch.device = "cpu",
) -> tuple[AudioRecognizer, Preset]:
    """The preset's model in eval mode with ``checkpoint`` loaded strictly (a vidcore or MMAction2
    checkpoint; the class count is read from its classifier unless given)."""
    from vidcore.core.checkpoint import load_model_weights

    from .convert import checkpoint_num_classes
    from .experiment import read_weights

    p = get_preset(preset)
    if checkpoint is None:
        model = get_model(preset, num_classes=num_classes or p.num_classes)
    else:
        sd = read_weights(checkpoint, preset)
        k = num_classes or checkpoint_num_classes(sd, preset)
        model = get_model(preset, num_classes=k)
        load_model_weights(model, sd, strict=True)
    return model.to(device).eval(), p


def file_clips(preset: Preset, path: str | PathLike[str], *, video_fps: float = 30.0) -> torch.Tensor:
    """The preset's test clips of a file: float32 ``(V, T, F)``. Raises ``DataError`` naming the
    file when it has no audio stream or cannot be decoded."""
    from vidcore.data.errors import DataError
    from vidcore.data.transforms.audio import LogMelSpectrogram

    from .datasets import ClipSampling, WaveformClips

    if not Path(path).is_file():
        raise DataError(f"{path}: file not found")
    mel = LogMelSpectrogram(
        preset.sample_rate, n_fft=preset.n_fft, hop_length=preset.hop_length, n_mels=preset.n_mels,
        fmin=preset.fmin, fmax=preset.fmax,
    )  # fmt: skip
    sampling = ClipSampling.from_preset(preset, test_mode=True)
    reader = WaveformClips([], sampling=sampling, mel=mel, video_fps=video_fps)
    feats, frames = reader.features(str(path))
    return torch.from_numpy(sampling(feats, frames, np.random.default_rng(0)))


@torch.no_grad()
def predict_file(
    model: AudioRecognizer, preset: Preset, path: str | PathLike[str], *, video_fps: float = 30.0
) -> torch.Tensor:
    """Class probabilities ``(K,)`` of one file (test clips averaged as the model does)."""
    clips = file_clips(preset, path, video_fps=video_fps)
    return model.eval().predict(clips[None])[0].float().cpu()  # (1, V, T, F) -> (K,)


def top_k(scores: torch.Tensor, k: int) -> list[tuple[int, float]]:
    """``(class, score)`` of the ``k`` best classes, best first (ties: lower class first)."""
    order = sorted(range(scores.numel()), key=lambda i: (-float(scores[i]), i))[:k]
    return [(i, float(scores[i])) for i in order]
