"""Audio datasets with MMAction2's clip sampling: precomputed log-mel files (``.npy``) and audio or
video files whose log-mel features are computed on the fly (numpy/scipy, no torchaudio).

Both yield :class:`~vidcore.data.types.AudioSample` with ``audio`` float32 ``(V, T, F)``: ``V``
clips (``num_clips``), ``T = fixed_length`` feature rows, ``F`` mel bands; they collate into
:class:`~vidcore.data.types.AudioBatch` with ``audio`` ``(N, V, T, F)``.

Sampling is MMAction2's audio-feature pipeline: ``SampleFrames(clip_len, frame_interval,
num_clips)`` draws *video* frame indices over the sample's ``total_frames`` (random in training,
evenly spread with ``test_mode``), then ``AudioFeatureSelector`` maps each clip to the feature rows
it covers (proportionally: row ``round((i + 1) / total_frames * L)``) and cuts or zero-pads them to
``fixed_length`` rows (see ``vidcore.data.transforms.audio.select_audio_features``).

A file that cannot be read (missing, not decodable, a video without an audio track) is a skipped
sample naming the file and the reason (``on_error="raise"`` raises instead); the trainer reports
the skips of each epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.data.annotations._common import PathArg
from vidcore.data.annotations.lists import AudioRecord, read_audio_list, read_video_list
from vidcore.data.datasets.audio import AudioFeatureDataset
from vidcore.data.datasets.base import OnError, SkippingDataset, labels_to_target
from vidcore.data.errors import DataError
from vidcore.data.samplers import sample_frames
from vidcore.data.transforms.audio import LogMelSpectrogram, select_audio_features
from vidcore.data.types import AudioSample

from .registry import Preset

__all__ = ["AudioFeatureClips", "ClipSampling", "WaveformClips", "read_any_audio_list", "sample_clips"]


class ClipSampling:
    """MMAction2's ``SampleFrames`` + ``AudioFeatureSelector`` as one object (see module docs).

    Args:
        clip_len, frame_interval, num_clips: in video frames.
        fixed_length: feature rows per clip.
        test_mode: deterministic, evenly spread clips.
    """

    def __init__(
        self, *, clip_len: int, frame_interval: int = 1, num_clips: int = 1, fixed_length: int = 128,
        test_mode: bool = False,
    ) -> None:  # fmt: skip
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.num_clips = num_clips
        self.fixed_length = fixed_length
        self.test_mode = test_mode

    @classmethod
    def from_preset(cls, preset: Preset, *, test_mode: bool) -> ClipSampling:
        """The preset's training (``test_mode=False``) or test sampling."""
        return cls(
            clip_len=preset.clip_len, frame_interval=preset.frame_interval,
            num_clips=preset.test_num_clips if test_mode else preset.num_clips,
            fixed_length=preset.fixed_length, test_mode=test_mode,
        )  # fmt: skip

    def __call__(self, features: np.ndarray, total_frames: int, rng: np.random.Generator) -> np.ndarray:
        """``(L, F)`` features of a whole file -> ``(num_clips, fixed_length, F)`` float32 clips."""
        return sample_clips(
            features, total_frames, clip_len=self.clip_len, frame_interval=self.frame_interval,
            num_clips=self.num_clips, fixed_length=self.fixed_length, test_mode=self.test_mode, rng=rng,
        )  # fmt: skip


def sample_clips(
    features: np.ndarray,
    total_frames: int,
    *,
    clip_len: int,
    frame_interval: int = 1,
    num_clips: int = 1,
    fixed_length: int = 128,
    test_mode: bool = False,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """MMAction2's sampling of audio-feature clips: ``(L, F)`` -> ``(num_clips, fixed_length, F)``."""
    inds = sample_frames(
        total_frames, clip_len=clip_len, frame_interval=frame_interval, num_clips=num_clips,
        test_mode=test_mode, rng=rng,
    )  # fmt: skip
    return select_audio_features(
        features, inds, total_frames=total_frames, num_clips=num_clips, fixed_length=fixed_length
    )


def read_any_audio_list(path: PathArg, *, multi_label: bool = False) -> list[AudioRecord]:
    """An audio list ``file total_frames label...`` or a video list ``file label...`` (then
    ``total_frames`` is 0: read from the file). The format is told by the first line's column count."""
    first = next((ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()), [])
    if len(first) >= 3 and not multi_label:
        return read_audio_list(path, multi_label=multi_label)
    return [AudioRecord(r.path, 0, r.labels, r.source) for r in read_video_list(path, multi_label=multi_label)]


class AudioFeatureClips(AudioFeatureDataset):
    """Log-mel ``.npy`` files (``(L, F)``, e.g. from ``vidcore-data mel``) listed as
    ``file total_frames label`` (MMAction2's audio-feature lists), sampled into clips.

    ``total_frames`` is the video's frame count from the list (0 or absent: the feature rows are
    used as frames). Output ``AudioSample.audio`` float32 ``(V, T, F)``.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[AudioRecord],
        root: PathArg = "",
        *,
        sampling: ClipSampling,
        suffix: str = ".npy",
        num_classes: int | None = None,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            annotations, root, sampler=None, suffix=suffix, num_classes=num_classes, on_error=on_error, seed=seed
        )
        self.sampling = sampling

    def load(self, index: int, rng: np.random.Generator) -> AudioSample:
        sample = super().load(index, rng)  # the whole (L, F) matrix
        feats = sample.audio.numpy()
        if feats.shape[0] == 0:
            raise DataError(f"{sample.meta['source']}: empty feature matrix")
        total = self.records[index].total_frames or feats.shape[0]
        clips = self.sampling(feats, total, rng)
        return AudioSample(audio=torch.from_numpy(clips), label=sample.label, meta=sample.meta)


def video_frame_count(path: str) -> int | None:
    """Frames of the first video stream (the header's count, else duration x average rate), or
    ``None`` for a file without video."""
    import av

    try:
        with av.open(path, metadata_errors="ignore") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            if stream.duration is not None and stream.average_rate:
                return max(1, round(float(stream.duration * stream.time_base * stream.average_rate)))
    except (av.FFmpegError, OSError) as exc:  # type: ignore[attr-defined]
        raise DataError(f"{path}: cannot open: {exc}") from None
    return None


class WaveformClips(SkippingDataset):
    """Audio or video files, log-mel computed on the fly (MMAction2's recipe, see
    ``vidcore.data.transforms.audio``), sampled into clips.

    The list is an audio list (``file total_frames label``) or a video list (``file label``). The
    video frame count that the sampling runs over comes from the list, else from the file's video
    stream, else (an audio-only file) from its duration at ``video_fps``.

    Args:
        annotations, root: the list (or records) and the folder its paths are relative to.
        sampling: clip sampling (:meth:`ClipSampling.from_preset`).
        mel: the feature transform (default: 16 kHz, 80 bands, MMAction2's recipe).
        video_fps: frame rate assumed for audio-only files.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[AudioRecord],
        root: PathArg = "",
        *,
        sampling: ClipSampling,
        mel: LogMelSpectrogram | None = None,
        video_fps: float = 30.0,
        num_classes: int | None = None,
        multi_label: bool = False,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(on_error=on_error, seed=seed)
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_any_audio_list(annotations, multi_label=multi_label)  # type: ignore[arg-type]
        self.records: list[AudioRecord] = list(annotations)  # type: ignore[arg-type]
        self.root = Path(root)
        self.sampling = sampling
        self.mel = mel or LogMelSpectrogram()
        self.video_fps = video_fps
        self.num_classes = num_classes
        self.multi_label = multi_label

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        where = f" ({r.source[0]}:{r.source[1]})" if r.source else ""
        return f"{self.root / r.path}{where}"

    def features(self, path: str) -> tuple[np.ndarray, int]:
        """``(L, F)`` log-mel features of a file and the video frame count to sample over."""
        from vidcore.data.decoders import read_audio

        wave, rate = read_audio(path, self.mel.sample_rate, mono=True)  # raises: no audio stream
        if wave.size == 0:
            raise DataError(f"{path}: the audio stream is empty")
        feats = self.mel.features(wave, rate)
        frames = video_frame_count(path)
        if frames is None:
            frames = max(1, round(wave.size / rate * self.video_fps))
        return feats, frames

    def load(self, index: int, rng: np.random.Generator) -> AudioSample:
        r = self.records[index]
        path = str(self.root / r.path)
        if not Path(path).is_file():
            raise DataError(f"{path}: file not found")
        feats, frames = self.features(path)
        total = r.total_frames or frames
        clips = self.sampling(feats, total, rng)
        meta: dict[str, Any] = {"source": path, "record": r.source, "total_frames": total, "rows": feats.shape[0]}
        label = labels_to_target(r.labels, multi_label=self.multi_label, num_classes=self.num_classes)
        return AudioSample(audio=torch.from_numpy(clips), label=label, meta=meta)
