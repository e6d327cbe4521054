"""Audio datasets: precomputed feature matrices (``.npy``) and waveforms decoded with PyAV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.data.annotations._common import PathArg, resolve_entry
from vidcore.data.annotations.lists import AudioRecord, read_audio_list
from vidcore.data.datasets.base import FrameSampler, OnError, SkippingDataset, Transform, labels_to_target
from vidcore.data.errors import DataError
from vidcore.data.types import AudioSample


class _AudioBase(SkippingDataset):
    def __init__(
        self,
        annotations: PathArg | Sequence[AudioRecord],
        root: PathArg,
        *,
        transform: Transform | None,
        num_classes: int | None,
        multi_label: bool,
        on_error: OnError,
        seed: int | None,
        allow_outside_root: bool = False,
    ) -> None:
        super().__init__(transform=transform, on_error=on_error, seed=seed)
        self.allow_outside_root = allow_outside_root
        if multi_label and num_classes is None:
            raise ValueError("multi_label=True needs num_classes")
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_audio_list(annotations, multi_label=multi_label)  # type: ignore[arg-type]
        self.records: list[AudioRecord] = list(annotations)  # type: ignore[arg-type]
        self.root = Path(root)
        self.num_classes = num_classes
        self.multi_label = multi_label

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        where = f" ({r.source[0]}:{r.source[1]})" if r.source else ""
        return f"{self.root / r.path}{where}"

    def _path(self, r: AudioRecord) -> Path:
        """``root / path``, refused when it resolves outside the root (see ``resolve_entry``)."""
        return resolve_entry(self.root, r.path, allow_outside_root=self.allow_outside_root, source=r.source)

    def _label(self, r: AudioRecord) -> int | torch.Tensor:
        return labels_to_target(r.labels, multi_label=self.multi_label, num_classes=self.num_classes)


class AudioFeatureDataset(_AudioBase):
    """Feature matrices listed as ``file total_frames label``: ``AudioSample.audio`` float32
    ``(T, F)`` (T time steps of F features, e.g. log-mel bins).

    ``suffix`` is appended to a listed name that does not exist as given (MMAction2's lists name
    ``test`` for ``test.npy``). ``sampler`` picks time steps over the file's ``T`` rows, e.g.
    ``partial(sample_frames, clip_len=64, frame_interval=1)``; ``None`` keeps all. A missing file is
    a bad sample (MMAction2 silently substitutes zeros).
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[AudioRecord],
        root: PathArg = "",
        *,
        sampler: FrameSampler | None = None,
        transform: Transform | None = None,
        suffix: str = ".npy",
        num_classes: int | None = None,
        multi_label: bool = False,
        allow_outside_root: bool = False,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            annotations, root, transform=transform, num_classes=num_classes, multi_label=multi_label,
            on_error=on_error, seed=seed, allow_outside_root=allow_outside_root,
        )  # fmt: skip
        self.sampler = sampler
        self.suffix = suffix

    def load(self, index: int, rng: np.random.Generator) -> AudioSample:
        r = self.records[index]
        path = self._path(r)
        if not path.exists() and not path.name.endswith(self.suffix):
            path = path.with_name(path.name + self.suffix)
        try:
            feats = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise DataError(f"{path}: feature file not found") from None
        except ValueError as exc:
            raise DataError(f"{path}: not a readable .npy array ({exc})") from None
        if feats.ndim != 2:
            raise DataError(f"{path}: expected a (T, F) feature matrix, got shape {feats.shape}")
        meta: dict[str, Any] = {"source": str(path), "record": r.source, "num_frames": feats.shape[0]}
        if self.sampler is not None:
            if feats.shape[0] == 0:
                raise DataError(f"{path}: empty feature matrix")
            inds = np.asarray(self.sampler(feats.shape[0], rng=rng), dtype=np.int64).reshape(-1)
            feats = feats[inds]
            meta["frame_inds"] = inds
        audio = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))
        return AudioSample(audio=audio, label=self._label(r), meta=meta)


class AudioDataset(_AudioBase):
    """Waveforms from audio or video files listed as ``file total_frames label``: ``AudioSample``
    with ``audio`` float32 ``(S,)`` mono in [-1, 1] at ``sample_rate`` Hz (the file's rate when
    ``None``). ``clip_seconds`` crops a window of that length (random start in train mode with
    ``test_mode=False``, centred otherwise), zero-padding shorter files.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[AudioRecord],
        root: PathArg = "",
        *,
        sample_rate: int | None = None,
        clip_seconds: float | None = None,
        test_mode: bool = False,
        transform: Transform | None = None,
        num_classes: int | None = None,
        multi_label: bool = False,
        allow_outside_root: bool = False,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            annotations, root, transform=transform, num_classes=num_classes, multi_label=multi_label,
            on_error=on_error, seed=seed, allow_outside_root=allow_outside_root,
        )  # fmt: skip
        self.sample_rate = sample_rate
        self.clip_seconds = clip_seconds
        self.test_mode = test_mode

    def load(self, index: int, rng: np.random.Generator) -> AudioSample:
        from vidcore.data.decoders import read_audio

        r = self.records[index]
        path = self._path(r)
        wave, rate = read_audio(str(path), self.sample_rate, mono=True)
        meta: dict[str, Any] = {"source": str(path), "record": r.source, "num_samples": int(wave.shape[0])}
        if self.clip_seconds is not None:
            length = max(1, round(self.clip_seconds * rate))
            if wave.shape[0] < length:
                wave = np.pad(wave, (0, length - wave.shape[0]))
                start = 0
            elif self.test_mode:
                start = (wave.shape[0] - length) // 2
            else:
                start = int(rng.integers(0, wave.shape[0] - length + 1))
            wave = wave[start : start + length]
            meta["start_sample"] = start
        return AudioSample(
            audio=torch.from_numpy(np.ascontiguousarray(wave)),
            label=self._label(r),
            sample_rate=rate,
            meta=meta,
        )
