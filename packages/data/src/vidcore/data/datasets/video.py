"""Clip datasets over video files and rawframe folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from vidcore.data.annotations._common import PathArg, resolve_entry
from vidcore.data.annotations.lists import RawframeRecord, VideoRecord, read_rawframe_list, read_video_list
from vidcore.data.datasets.base import (
    FrameSampler,
    OnError,
    RepeatedSamples,
    SkippingDataset,
    Transform,
    labels_to_target,
)
from vidcore.data.decoders.base import missing_reason
from vidcore.data.errors import DataError, VideoDecodeError
from vidcore.data.types import VideoSample


def _as_video(frames: torch.Tensor) -> torch.Tensor:
    """Decoder layout ``(T, H, W, C)`` -> sample layout ``(T, C, H, W)`` as a ``tv_tensors.Video``."""
    from torchvision import tv_tensors

    return tv_tensors.Video(frames.permute(0, 3, 1, 2))  # (T, H, W, C) -> (T, C, H, W)


def _indices(
    sampler: FrameSampler | None, num_frames: int, rng: np.random.Generator, source: str
) -> np.ndarray:
    if num_frames <= 0:
        raise VideoDecodeError(source, "has no frames")
    if sampler is None:
        return np.arange(num_frames, dtype=np.int64)
    inds = np.asarray(sampler(num_frames, rng=rng), dtype=np.int64).reshape(-1)
    if inds.size == 0:
        raise DataError(f"{source}: the sampler returned no frame indices for {num_frames} frames")
    return inds


class _ClipDataset(SkippingDataset):
    def __init__(
        self,
        *,
        sampler: FrameSampler | None,
        num_views: int,
        num_classes: int | None,
        multi_label: bool,
        transform: Transform | None,
        on_error: OnError,
        seed: int | None,
        num_repeats: int = 1,
        sample_once: bool = False,
    ) -> None:
        super().__init__(transform=transform, on_error=on_error, seed=seed)
        if num_views < 1:
            raise ValueError(f"num_views must be >= 1, got {num_views}")
        if num_repeats < 1:
            raise ValueError(f"num_repeats must be >= 1, got {num_repeats}")
        if multi_label and num_classes is None:
            raise ValueError("multi_label=True needs num_classes (targets are multi-hot vectors)")
        self.sampler = sampler
        self.num_views = num_views
        self.num_classes = num_classes
        self.multi_label = multi_label
        self.num_repeats = num_repeats
        self.sample_once = sample_once

    def _check_views(self, inds: np.ndarray, source: str) -> None:
        if inds.size % self.num_views:
            raise DataError(
                f"{source}: {inds.size} sampled frames do not split into num_views={self.num_views}"
            )

    def _read(
        self,
        num_frames: int,
        rng: np.random.Generator,
        source: str,
        read: Callable[[np.ndarray], torch.Tensor],
        make: Callable[[torch.Tensor, np.ndarray], VideoSample],
    ) -> VideoSample | RepeatedSamples:
        """Sample indices, decode and build the sample; with ``num_repeats = R > 1``, ``R``
        samples whose indices are drawn separately (or once, ``sample_once``) and whose frames
        come from one decode of the distinct indices of all draws."""
        inds = _indices(self.sampler, num_frames, rng, source)
        self._check_views(inds, source)
        if self.num_repeats == 1:
            return make(read(inds), inds)
        draws = [inds]
        for _ in range(self.num_repeats - 1):
            if self.sample_once:
                draws.append(inds)
            else:
                draws.append(_indices(self.sampler, num_frames, rng, source))
                self._check_views(draws[-1], source)
        distinct, where = np.unique(np.concatenate(draws), return_inverse=True)
        frames = read(distinct)
        out, start = [], 0
        for d in draws:
            pick = torch.from_numpy(where[start : start + d.size].astype(np.int64))
            out.append(make(frames.index_select(0, pick), d))
            start += d.size
        return RepeatedSamples(out)


class VideoDataset(_ClipDataset):
    """Clips from video files listed as ``path label [label ...]``.

    Args:
        annotations: a video-list file or ready ``VideoRecord``s.
        root: folder the list's paths are relative to.
        sampler: frame sampler (see ``FrameSampler``), e.g. ``partial(sample_frames, clip_len=8,
            frame_interval=8, num_clips=1)``; ``None`` takes every frame.
        num_views: test views in the sampled indices (``num_clips`` of a test sampler): the sample's
            ``(V*T, C, H, W)`` video collates to ``(N, V, T, C, H, W)``.
        num_classes: checks labels are in range; required with ``multi_label``.
        multi_label: targets become float multi-hot ``(num_classes,)`` vectors.
        backend, num_threads: passed to ``vidcore.data.decoders.open_video``.
        allow_outside_root: read entries that resolve (``..``, symlinks) outside ``root``; by
            default such an entry is a bad sample naming its list line (see ``resolve_entry``).
        num_repeats: repeated augmentation: each item is a ``RepeatedSamples`` of this many
            samples of the same video, each transformed with its own random draws, their frames
            decoded once (the distinct indices of every draw); ``collate_samples`` puts them in
            consecutive rows. ``1``: plain samples.
        sample_once: with ``num_repeats > 1``, every repeat uses the first draw's frame indices
            (MMAction2's ``RepeatAugDataset(sample_once=True)``); otherwise each repeat draws its own.
        transform, on_error, seed: see ``SkippingDataset``.

    Each item is a ``VideoSample`` (video uint8 ``(T, C, H, W)``) with ``meta`` keys ``source``,
    ``record`` (list file, line), ``frame_inds``, ``num_frames``, ``fps``, ``original_shape``
    ``(H, W)``, ``num_views`` and ``index``; or a ``SkippedSample``.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[VideoRecord],
        root: PathArg = "",
        *,
        sampler: FrameSampler | None = None,
        transform: Transform | None = None,
        num_views: int = 1,
        num_classes: int | None = None,
        multi_label: bool = False,
        backend: str = "auto",
        num_threads: int = 1,
        allow_outside_root: bool = False,
        num_repeats: int = 1,
        sample_once: bool = False,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            sampler=sampler, num_views=num_views, num_classes=num_classes, multi_label=multi_label,
            transform=transform, on_error=on_error, seed=seed, num_repeats=num_repeats, sample_once=sample_once,
        )  # fmt: skip
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_video_list(annotations, multi_label=multi_label)  # type: ignore[arg-type]
        self.records: list[VideoRecord] = list(annotations)  # type: ignore[arg-type]
        self.root = Path(root)
        self.backend = backend
        self.num_threads = num_threads
        self.allow_outside_root = allow_outside_root

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        where = f" ({r.source[0]}:{r.source[1]})" if r.source else ""
        return f"{self.root / r.path}{where}"

    def load(self, index: int, rng: np.random.Generator) -> VideoSample | RepeatedSamples:
        from vidcore.data.decoders import open_video

        r = self.records[index]
        path = str(resolve_entry(self.root, r.path, allow_outside_root=self.allow_outside_root, source=r.source))
        label = labels_to_target(r.labels, multi_label=self.multi_label, num_classes=self.num_classes)
        with open_video(path, backend=self.backend, num_threads=self.num_threads) as reader:
            n = reader.num_frames
            meta: dict[str, Any] = {
                "source": path, "record": r.source, "num_frames": n, "fps": reader.fps, "num_views": self.num_views,
            }  # fmt: skip

            def make(frames: torch.Tensor, inds: np.ndarray) -> VideoSample:
                label_copy = label.clone() if isinstance(label, torch.Tensor) else label
                # the decoded frames' own size (display orientation): asking the reader for its
                # height before decoding would make PyAV decode the first frame to find the
                # display matrix, a second open and decode per clip when the file index is cold
                shape = (int(frames.shape[1]), int(frames.shape[2]))
                return VideoSample(
                    video=_as_video(frames), label=label_copy,
                    meta={**meta, "original_shape": shape, "frame_inds": inds},
                )  # fmt: skip

            return self._read(n, rng, path, reader.get_frames, make)


class RawframeDataset(_ClipDataset):
    """Clips from folders of extracted frames listed as ``frame_dir total_frames label`` (or with
    ``with_offset``, ``frame_dir offset total_frames label``).

    The sampler's 0-based index ``i`` reads file ``filename_tmpl.format(i + offset + start_index)``
    (MMAction2's ``RawFrameDecode`` with ``start_index`` and ``offset``). The list's
    ``total_frames`` is trusted as the clip length, as in MMAction2 (``vidcore-data check`` verifies
    it). ``filename_tmpl`` defaults to ``img_{:05d}.jpg`` (RGB) or
    ``{}_{:05d}.jpg`` (Flow, ``x``/``y`` pairs, giving video ``(T, 2, H, W)``). Other arguments as ``VideoDataset``.
    """

    def __init__(
        self,
        annotations: PathArg | Sequence[RawframeRecord],
        root: PathArg = "",
        *,
        sampler: FrameSampler | None = None,
        transform: Transform | None = None,
        filename_tmpl: str | None = None,
        start_index: int = 1,
        modality: Literal["RGB", "Flow"] = "RGB",
        with_offset: bool = False,
        num_views: int = 1,
        num_classes: int | None = None,
        multi_label: bool = False,
        allow_outside_root: bool = False,
        num_repeats: int = 1,
        sample_once: bool = False,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            sampler=sampler, num_views=num_views, num_classes=num_classes, multi_label=multi_label,
            transform=transform, on_error=on_error, seed=seed, num_repeats=num_repeats, sample_once=sample_once,
        )  # fmt: skip
        self.allow_outside_root = allow_outside_root
        if modality not in ("RGB", "Flow"):
            raise ValueError(f"modality must be 'RGB' or 'Flow', got {modality!r}")
        if isinstance(annotations, (str, Path)) or hasattr(annotations, "__fspath__"):
            annotations = read_rawframe_list(annotations, with_offset=with_offset, multi_label=multi_label)  # type: ignore[arg-type]
        self.records: list[RawframeRecord] = list(annotations)  # type: ignore[arg-type]
        self.root = Path(root)
        self.filename_tmpl = filename_tmpl
        self.start_index = start_index
        self.modality = modality

    def __len__(self) -> int:
        return len(self.records)

    def describe(self, index: int) -> str:
        r = self.records[index]
        where = f" ({r.source[0]}:{r.source[1]})" if r.source else ""
        return f"{self.root / r.frame_dir}{where}"

    def load(self, index: int, rng: np.random.Generator) -> VideoSample | RepeatedSamples:
        from vidcore.data.decoders import RawFrameReader

        r = self.records[index]
        directory = resolve_entry(self.root, r.frame_dir, allow_outside_root=self.allow_outside_root, source=r.source)
        if not directory.is_dir():
            reason = missing_reason(directory) if not directory.exists() else "not a folder"
            raise VideoDecodeError(directory, f"frame folder {'not found' if reason == 'file not found' else reason}")
        label = labels_to_target(r.labels, multi_label=self.multi_label, num_classes=self.num_classes)
        reader = RawFrameReader(
            directory, filename_tmpl=self.filename_tmpl, start_index=self.start_index,
            modality=self.modality, num_frames=r.offset + r.total_frames,
        )  # fmt: skip

        def make(frames: torch.Tensor, inds: np.ndarray) -> VideoSample:
            meta: dict[str, Any] = {
                "source": str(directory), "record": r.source, "frame_inds": inds, "num_frames": r.total_frames,
                "offset": r.offset, "original_shape": tuple(frames.shape[1:3]), "num_views": self.num_views,
                "modality": self.modality,
            }  # fmt: skip
            label_copy = label.clone() if isinstance(label, torch.Tensor) else label
            return VideoSample(video=_as_video(frames), label=label_copy, meta=meta)

        with reader:
            return self._read(r.total_frames, rng, str(directory), lambda inds: reader.get_frames(inds + r.offset), make)
