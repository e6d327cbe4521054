"""Dataset wrappers: repeat one dataset, concatenate several. Indices in samples, skip markers and
``meta["index"]`` are those of the wrapper."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from typing import Any

import torch

from vidcore.data.datasets.base import SkippedSample


def _reindex(sample: Any, index: int) -> Any:
    if isinstance(sample, SkippedSample):
        return dataclasses.replace(sample, index=index)
    if hasattr(sample, "meta"):
        sample.meta["index"] = index
    return sample


class _Wrapper(torch.utils.data.Dataset):
    datasets: list[Any]

    def set_epoch(self, epoch: int) -> None:
        for d in self.datasets:
            if hasattr(d, "set_epoch"):
                d.set_epoch(epoch)

    @property
    def num_skipped(self) -> int:
        """Skips counted by the wrapped datasets (see ``SkippingDataset.num_skipped``)."""
        return sum(int(getattr(d, "num_skipped", 0)) for d in self.datasets)

    @property
    def skipped(self) -> list[SkippedSample]:
        return [s for d in self.datasets for s in getattr(d, "skipped", [])]


class RepeatDataset(_Wrapper):
    """``dataset`` repeated ``times`` times (item ``i`` is ``dataset[i % len(dataset)]``): fewer,
    longer epochs for small datasets."""

    def __init__(self, dataset: torch.utils.data.Dataset, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        self.dataset = dataset
        self.datasets = [dataset]
        self.times = times
        self._len = len(dataset)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.times * self._len

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {n} samples")
        index %= n
        return _reindex(self.dataset[index % self._len], index)


class ConcatDataset(_Wrapper):
    """The datasets one after another. ``meta["dataset_index"]`` says which one a sample came from."""

    def __init__(self, datasets: Sequence[torch.utils.data.Dataset]) -> None:
        if not datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.datasets = list(datasets)
        self.cumulative: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative.append(total)

    def __len__(self) -> int:
        return self.cumulative[-1]

    def locate(self, index: int) -> tuple[int, int]:
        """``(dataset number, index inside it)`` of a global index."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {n} samples")
        index %= n
        which = bisect.bisect_right(self.cumulative, index)
        return which, index - (self.cumulative[which - 1] if which else 0)

    def __getitem__(self, index: int) -> Any:
        which, inner = self.locate(index)
        sample = self.datasets[which][inner]
        if hasattr(sample, "meta"):
            sample.meta["dataset_index"] = which
        return _reindex(sample, index % len(self))
