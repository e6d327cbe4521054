"""What every dataset shares: skipping bad samples, per-sample random generators, collation.

A bad sample never kills an epoch by default. ``__getitem__`` catches ``DataError`` (every decoder
and annotation error derives from it) and ``OSError``, and returns a ``SkippedSample`` marker that
names the sample and the cause; ``collate_samples`` drops the markers and lists them in
``batch.skipped`` (the trainer prints them at the end of the epoch). Each dataset also counts
its skips (``num_skipped``), across DataLoader worker processes, for use without a trainer.
``on_error="raise"`` re-raises instead, for strict runs.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch.utils.data import get_worker_info

from vidcore.core.batch import Batch
from vidcore.data.datasets import shared_memory
from vidcore.data.errors import DataError
from vidcore.data.types import (
    AudioBatch,
    AudioSample,
    FieldsBatch,
    PoseBatch,
    PoseSample,
    VideoBatch,
    VideoSample,
)

OnError = Literal["skip", "raise"]
Transform = Callable[[Any], Any]


class FrameSampler(Protocol):
    """A frame sampler: ``(num_frames, rng=generator) -> int64 (K,)`` 0-based indices.

    Any ``vidcore.data.samplers`` function bound with ``functools.partial``, e.g.
    ``partial(sample_frames, clip_len=1, num_clips=8, test_mode=False)``.
    """

    def __call__(self, num_frames: int, *, rng: np.random.Generator) -> np.ndarray: ...


@dataclass(frozen=True)
class SkippedSample:
    """Marker returned in place of a sample that could not be loaded."""

    index: int
    source: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.index}] {self.source}: {self.reason}"


class RepeatedSamples(tuple):
    """Several training samples made from one decoded item (repeated augmentation, Hoffer et al.
    2020; MMAction2's ``RepeatAugDataset``): a dataset's ``load`` returns it, ``__getitem__``
    applies the transform to each member with its own random draws, and ``collate_samples``
    flattens it into consecutive rows of the batch (a batch of ``B`` items holds ``B * R`` clips)."""

    __slots__ = ()


class SkippingDataset(torch.utils.data.Dataset):
    """Base class: subclasses implement ``__len__``, ``load(index, rng)`` and ``describe(index)``.

    Args:
        transform: callable applied to the loaded sample (a ``VideoSample``, ``PoseSample``...).
        on_error: ``"skip"`` (default) returns a ``SkippedSample`` for a sample whose loading
            raises one of ``skip_errors``; ``"raise"`` lets the error through.
        seed: with a seed, the sampler of item ``i`` in epoch ``e`` draws from
            ``numpy.random.default_rng([seed, e, i])`` (same clip for the same seed, epoch and index,
            whatever the worker); ``None`` draws fresh entropy.
        skip_errors: the exception types that count as a bad sample.
    """

    def __init__(
        self,
        *,
        transform: Transform | None = None,
        on_error: OnError = "skip",
        seed: int | None = None,
        skip_errors: tuple[type[BaseException], ...] = (DataError, OSError),
    ) -> None:
        if on_error not in ("skip", "raise"):
            raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
        self.transform = transform
        self.on_error = on_error
        self.seed = seed
        self.skip_errors = skip_errors
        self.epoch = 0
        self.skipped: list[SkippedSample] = []  # the skips seen in this process
        self._shared_count: Any = multiprocessing.Value("l", 0)

    # -- to implement -------------------------------------------------------------------------
    def __len__(self) -> int:
        raise NotImplementedError

    def load(self, index: int, rng: np.random.Generator) -> Any:
        """Read sample ``index`` (before ``transform``)."""
        raise NotImplementedError

    def describe(self, index: int) -> str:
        """Where sample ``index`` comes from, for messages: ``file (list:line)``."""
        return f"sample {index}"

    # -- shared -------------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the random stream of an epoch (with ``seed``); call before each epoch."""
        self.epoch = int(epoch)

    def rng_for(self, index: int) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([self.seed, self.epoch, index])

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for a dataset of {n} samples")
        index = index % n
        try:
            sample = self.load(index, self.rng_for(index))
            if isinstance(sample, RepeatedSamples):
                sample = RepeatedSamples(self.transform(s) if self.transform is not None else s for s in sample)
            elif self.transform is not None:
                sample = self.transform(sample)
        except self.skip_errors as exc:
            if self.on_error == "raise":
                raise
            return self._skip(index, exc)
        for member in sample if isinstance(sample, RepeatedSamples) else (sample,):
            if hasattr(member, "meta"):
                member.meta["index"] = index
        return sample

    def _skip(self, index: int, exc: BaseException) -> SkippedSample:
        marker = SkippedSample(index, self.describe(index), f"{type(exc).__name__}: {exc}")
        self.skipped.append(marker)
        if self._shared_count is not None:
            with self._shared_count.get_lock():
                self._shared_count.value += 1
        return marker

    @property
    def num_skipped(self) -> int:
        """Samples skipped so far by this dataset in every process (DataLoader workers included)."""
        if self._shared_count is None:
            return len(self.skipped)
        return int(self._shared_count.value)

    def reset_skipped(self) -> None:
        self.skipped.clear()
        if self._shared_count is not None:
            with self._shared_count.get_lock():
                self._shared_count.value = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # a shared counter can travel only to a process being started (DataLoader workers); a
        # pickle made for anything else (a copy, a checkpoint) gets a local count instead.
        if multiprocessing.context.get_spawning_popen() is None:
            state["_shared_count"] = None
        return state


def skipped_summary(skipped: Iterable[SkippedSample | str], *, limit: int = 20) -> str:
    """A report of skipped samples: the count, the causes by frequency, then the first ``limit``."""
    items = [str(s) for s in skipped]
    if not items:
        return "no samples skipped"
    causes = Counter(s.reason.split(":")[0] if isinstance(s, SkippedSample) else "" for s in skipped)
    lines = [
        f"{len(items)} sample(s) skipped"
        + (f" ({', '.join(f'{k} x{v}' for k, v in causes.most_common() if k)})" if any(causes) else "")
    ]
    lines += [f"  {s}" for s in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)


def labels_to_target(
    labels: Sequence[int], *, multi_label: bool, num_classes: int | None
) -> int | torch.Tensor:
    """A record's labels as a sample target: the class index (-1 for none), or with
    ``multi_label`` a float32 multi-hot ``(num_classes,)`` vector."""
    if multi_label:
        if num_classes is None:
            raise ValueError("multi_label=True needs num_classes")
        target = torch.zeros(num_classes, dtype=torch.float32)
        for c in labels:
            if not 0 <= c < num_classes:
                raise DataError(f"label {c} out of range for num_classes={num_classes}")
            target[c] = 1.0
        return target
    if len(labels) > 1:
        raise DataError(f"record has {len(labels)} labels {tuple(labels)}; pass multi_label=True")
    label = labels[0] if labels else -1
    if num_classes is not None and label >= num_classes:
        raise DataError(f"label {label} out of range for num_classes={num_classes}")
    return label


def _plain(t: Any) -> Any:
    return t.as_subclass(torch.Tensor) if isinstance(t, torch.Tensor) else t


def _stack_or_list(values: list[Any]) -> Any:
    """Stack equal-shaped tensors/arrays into one tensor; keep anything else as a list."""
    if values and all(isinstance(v, (torch.Tensor, np.ndarray)) for v in values):
        tensors = [_plain(torch.as_tensor(v)) for v in values]
        if all(t.shape == tensors[0].shape and t.dtype == tensors[0].dtype for t in tensors):
            return torch.stack(tensors)
        return tensors
    return values


def stack_videos(videos: Sequence[torch.Tensor]) -> torch.Tensor:
    """Stack equal-shaped ``(T, C, H, W)`` clips into ``(N, T, C, H, W)``, cheaply.

    Two things ``torch.stack`` does not do here:

    - The clips' memory layout is kept. Decoded frames are channels-last (``(T, H, W, C)`` in
      memory) and stay so through crops and resizes; stacking them into the default layout
      transposes every byte, 3-4x slower than a plain copy. The batch then has the same
      ``(N, T, C, H, W)`` shape with channels-last memory; consumers that need the default layout
      make it after moving the batch to the device (``Recognizer.preprocess`` does), where the
      transpose is cheap.
    - In a DataLoader worker the batch is allocated in shared memory, as torch's default collate
      does, so handing it to the main process costs no second copy.
    """
    return _stack_videos(videos, pooled=False)[0]


def _stack_videos(
    videos: Sequence[torch.Tensor], *, pooled: bool
) -> tuple[torch.Tensor, tuple[torch.Tensor, int] | None]:
    """``stack_videos``, and with ``pooled`` (``collate_samples``) in a reused shared buffer of the
    worker (``vidcore.data.datasets.shared_memory``), returning its lease for the batch to carry."""
    first = videos[0]
    shape, dtype = first.shape, first.dtype
    if any(v.shape != shape or v.dtype != dtype for v in videos):
        shapes = sorted({tuple(v.shape) for v in videos})
        raise ValueError(f"cannot batch clips of different shapes {shapes}; crop or resize them to one size")
    channels_last = first.ndim == 4 and all(
        v.is_contiguous(memory_format=torch.channels_last) and not v.is_contiguous() for v in videos
    )
    # memory order: (N, T, H, W, C) for channels-last clips, else (N, T, C, H, W)
    mem_shape = (len(videos), shape[0], shape[2], shape[3], shape[1]) if channels_last else (len(videos), *shape)
    lease = None
    if get_worker_info() is not None and first.device.type == "cpu":
        out, lease = shared_memory.shared_empty(mem_shape, dtype, pooled=pooled)
    else:
        out = torch.empty(mem_shape, dtype=dtype, device=first.device)
    for i, v in enumerate(videos):
        out[i].copy_(v.permute(0, 2, 3, 1) if channels_last else v)
    return (out.permute(0, 1, 4, 2, 3) if channels_last else out), lease


def _collate_labels(labels: list[Any]) -> Any:
    if all(isinstance(x, (int, np.integer)) for x in labels):
        return torch.tensor([int(x) for x in labels], dtype=torch.int64)
    return _stack_or_list(labels)


def collate_samples(samples: Sequence[Any]) -> Batch:
    """Collate typed samples into a typed batch (:class:`~vidcore.data.types.VideoBatch`,
    :class:`~vidcore.data.types.PoseBatch`, :class:`~vidcore.data.types.AudioBatch`, or
    :class:`~vidcore.data.types.FieldsBatch` for other dataclasses). ``SkippedSample`` markers are
    dropped and listed (as strings) in ``batch.skipped``.

    Every batch has ``index`` int64 ``(N,)`` dataset indices, ``meta`` (one dict per sample) and
    ``skipped``. Per sample type:

    - ``VideoSample``: ``video`` uint8 ``(N, T, C, H, W)``, or ``(N, V, T, C, H, W)`` when
      ``meta["num_views"] = V > 1``; ``label``; ``boxes``, ``box_labels``, ``keypoints``,
      ``keypoint_score`` as lists of per-sample tensors (counts differ) when present; AVA person
      proposals (``meta["proposals"]``) as ``proposals``, a list of ``tv_tensors.BoundingBoxes``.
    - ``PoseSample``: ``keypoint`` (stacked when every sample has the same shape, else a list),
      ``keypoint_score``, ``img_shape``.
    - ``AudioSample``: ``audio`` stacked when shapes agree; ``sample_rate``.
    - any other dataclass with ``meta``: each field collated with the same stack-or-list rule
      into ``FieldsBatch.fields``.

    A batch whose samples were all skipped is empty (``len(batch) == 0``, data fields ``None``).
    ``RepeatedSamples`` items are flattened first: their members become consecutive rows.
    """
    samples = [m for s in samples for m in (s if isinstance(s, RepeatedSamples) else (s,))]
    kept = [s for s in samples if not isinstance(s, SkippedSample)]
    common: dict[str, Any] = {
        "skipped": tuple(str(s) for s in samples if isinstance(s, SkippedSample)),
        "index": torch.tensor([int(s.meta.get("index", -1)) for s in kept], dtype=torch.int64),
        "meta": [s.meta for s in kept],
    }
    if not kept:
        return VideoBatch(**common)
    first = kept[0]
    if isinstance(first, VideoSample):
        videos = [_plain(s.video) for s in kept]
        views = int(first.meta.get("num_views", 1))
        video, lease = _stack_videos(videos, pooled=True)  # (N, V*T, C, H, W)
        if views > 1:
            n, vt = video.shape[:2]
            video = video.reshape(n, views, vt // views, *video.shape[2:])  # (N, V, T, C, H, W)
        extra: dict[str, Any] = {}
        for key in ("boxes", "box_labels", "keypoints", "keypoint_score"):
            values = [getattr(s, key) for s in kept]
            if any(v is not None for v in values):
                extra[key] = [_plain(v) for v in values]
        if any(s.meta.get("proposals") is not None for s in kept):
            extra["proposals"] = [_proposals(s, video.shape[-2:]) for s in kept]
        batch = VideoBatch(video=video, label=_collate_labels([s.label for s in kept]), **extra, **common)
        if lease is not None:
            batch.__dict__["_shm_lease"] = lease  # taken off again on arrival (VideoBatch.__setstate__)
        return batch
    if isinstance(first, PoseSample):
        return PoseBatch(
            keypoint=_stack_or_list([s.keypoint for s in kept]),
            keypoint_score=(
                _stack_or_list([s.keypoint_score for s in kept]) if first.keypoint_score is not None else None
            ),
            label=_collate_labels([s.label for s in kept]),
            img_shape=[s.img_shape for s in kept],
            **common,
        )
    if isinstance(first, AudioSample):
        return AudioBatch(
            audio=_stack_or_list([s.audio for s in kept]),
            label=_collate_labels([s.label for s in kept]),
            sample_rate=[s.sample_rate for s in kept],
            **common,
        )
    import dataclasses

    if dataclasses.is_dataclass(first):
        fields: dict[str, Any] = {}
        for f in dataclasses.fields(first):
            if f.name == "meta":
                continue
            values = [getattr(s, f.name) for s in kept]
            fields[f.name] = _collate_labels(values) if f.name == "label" else _stack_or_list(values)
        return FieldsBatch(fields=fields, **common)
    raise TypeError(f"collate_samples cannot collate {type(first).__name__}")


def _proposals(sample: Any, canvas: Any) -> Any:
    """A sample's ``meta["proposals"]`` ``(P, 4)`` XYXY pixels as ``tv_tensors.BoundingBoxes``
    on the frames' canvas (an empty ``(0, 4)`` box set when it has none)."""
    from torchvision import tv_tensors

    props = sample.meta.get("proposals")
    boxes = torch.zeros((0, 4)) if props is None else torch.as_tensor(props, dtype=torch.float32).reshape(-1, 4)
    return tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=(int(canvas[0]), int(canvas[1])))
