"""Clips streamed from WebDataset tar shards, for object stores and network file systems where
random access to many small files is slow.

``vidcore-data pack LIST OUT`` writes the shards (``OUT-000000.tar``, ...): each sample is the
video file's bytes unchanged (``<key>.<ext>``), its labels (``<key>.cls``, space-separated class
indices) and ``<key>.json`` (the source path and list line). :class:`ShardVideoDataset` reads them
sequentially with the ``webdataset`` package (shards split per DDP rank and per DataLoader worker)
and decodes each clip with the same decoders, samplers and transforms as
:class:`~vidcore.data.datasets.VideoDataset`, so a clip from a shard equals the clip from the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from vidcore.data.datasets.base import FrameSampler, OnError, SkippedSample, Transform, labels_to_target
from vidcore.data.errors import DataError

__all__ = ["VIDEO_EXTS", "ShardVideoDataset"]

#: File extensions that ``pack`` stores videos under (the decoder sniffs the container itself).
VIDEO_EXTS = ("mp4", "avi", "mkv", "webm", "mov", "m4v", "flv", "mpg", "mpeg", "3gp")


def _import_webdataset() -> Any:
    try:
        import webdataset
    except ImportError:
        raise ImportError(
            "reading WebDataset shards needs the 'webdataset' package: pip install 'vidcore-data[shards]'"
        ) from None
    return webdataset


class ShardVideoDataset(torch.utils.data.IterableDataset):
    """Clips from WebDataset tar shards written by ``vidcore-data pack``.

    Args:
        urls: shard paths or URLs, a brace pattern (``"shards/train-{000000..000009}.tar"``), or a
            list of them.
        sampler, transform, num_views, num_classes, multi_label, backend: as ``VideoDataset``.
        shuffle_buffer: samples held for shuffling (0: shard order, deterministic).
        seed: frame sampling of sample ``i`` of an epoch draws from ``default_rng([seed, epoch, i])``
            where ``i`` is its position in the stream of its worker (``None``: fresh entropy).
        on_error: ``"skip"`` yields a ``SkippedSample`` for an unreadable clip (naming the shard
            and key); ``"raise"`` raises.

    Each DDP rank (``torch.distributed`` initialised) reads every ``world_size``-th shard and each
    DataLoader worker every ``num_workers``-th of those, so use at least ``world_size x workers``
    shards. Items are ``VideoSample`` s like ``VideoDataset`` gives (``meta["source"]`` is
    ``"<shard>#<key>"``); collate them with ``collate_samples``.
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        sampler: FrameSampler | None = None,
        transform: Transform | None = None,
        num_views: int = 1,
        num_classes: int | None = None,
        multi_label: bool = False,
        backend: str = "pyav",
        shuffle_buffer: int = 0,
        seed: int | None = None,
        on_error: OnError = "skip",
    ) -> None:
        super().__init__()
        if on_error not in ("skip", "raise"):
            raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
        self.urls = urls if isinstance(urls, str) else list(urls)
        self.sampler = sampler
        self.transform = transform
        self.num_views = num_views
        self.num_classes = num_classes
        self.multi_label = multi_label
        self.backend = backend
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.on_error = on_error
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _pipeline(self) -> Any:
        wds = _import_webdataset()
        stages: list[Any] = [
            wds.SimpleShardList(self.urls),
            wds.split_by_node,
            wds.split_by_worker,
            wds.tarfile_to_samples(handler=wds.reraise_exception),
        ]
        if self.shuffle_buffer > 0:
            stages.append(wds.shuffle(self.shuffle_buffer, rng=np.random.default_rng(self._stream_seed())))
        return wds.DataPipeline(*stages)

    def _stream_seed(self) -> list[int]:
        info = torch.utils.data.get_worker_info()
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        return [self.seed or 0, self.epoch, rank, info.id if info else 0]

    def __iter__(self) -> Iterator[Any]:
        for position, raw in enumerate(self._pipeline()):
            key, shard = raw.get("__key__", "?"), raw.get("__url__", "?")
            where = f"{shard}#{key}"
            try:
                yield self._load(raw, position, where)
            except (DataError, OSError, ValueError, KeyError) as exc:
                if self.on_error == "raise":
                    raise
                yield SkippedSample(position, where, f"{type(exc).__name__}: {exc}")

    def _load(self, raw: dict[str, Any], position: int, where: str) -> Any:
        from vidcore.data.datasets.video import _as_video, _indices
        from vidcore.data.decoders import open_video
        from vidcore.data.types import VideoSample

        ext = next((e for e in VIDEO_EXTS if e in raw), None)
        if ext is None:
            raise DataError(f"{where}: no video entry (expected one of .{', .'.join(VIDEO_EXTS)})")
        if "cls" not in raw:
            raise DataError(f"{where}: no .cls entry (the sample's labels)")
        labels = tuple(int(x) for x in raw["cls"].decode().split())
        info = json.loads(raw["json"].decode()) if "json" in raw else {}
        seed = None if self.seed is None else [self.seed, self.epoch, position]
        rng = np.random.default_rng(seed)
        with open_video(raw[ext], backend=self.backend) as reader:
            n = reader.num_frames
            inds = _indices(self.sampler, n, rng, where)
            if inds.size % self.num_views:
                raise DataError(f"{where}: {inds.size} sampled frames do not split into num_views={self.num_views}")
            frames = reader.get_frames(inds)
            meta: dict[str, Any] = {
                "source": where, "record": info.get("record"), "frame_inds": inds, "num_frames": n,
                "fps": reader.fps, "original_shape": (reader.height, reader.width),
                "num_views": self.num_views, "index": position, "path": info.get("path"),
            }  # fmt: skip
        label = labels_to_target(labels, multi_label=self.multi_label, num_classes=self.num_classes)
        sample = VideoSample(video=_as_video(frames), label=label, meta=meta)
        return self.transform(sample) if self.transform is not None else sample
