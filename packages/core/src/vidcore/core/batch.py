"""The typed batch every data loader hands to the trainer and every model's ``forward_train`` /
``forward_eval`` receives.

Core owns the base; each data kind subclasses it with its own typed fields (``VideoBatch`` in
vidcore-data: ``video``, ``label``; a skeleton batch: ``keypoint``; a detection batch adds its
boxes), so a model reads ``batch.video`` rather than a dictionary key it has to guess::

    @dataclass(kw_only=True)
    class VideoBatch(Batch):
        video: Tensor               # uint8 (N, [V,] T, C, H, W)
        label: Tensor | None = None

The trainer needs only what the base declares: :meth:`Batch.to` (moves every tensor field to the
device), ``index`` (dataset indices of the samples, for evaluators that write per-sample results)
and ``skipped`` (one line per sample the loader left out because it could not be read: file and
reason), which the trainer counts and reports each epoch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import torch
from torch import Tensor

__all__ = ["Batch", "move_to_device"]

B = TypeVar("B", bound="Batch")


def move_to_device(obj: Any, device: torch.device | str, non_blocking: bool = False) -> Any:
    """``obj`` with every tensor inside (tensors, tv_tensors, mappings, lists, tuples, batches)
    moved to ``device``; anything else unchanged."""
    if isinstance(obj, Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Batch):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Mapping):
        return {k: move_to_device(v, device, non_blocking) for k, v in obj.items()}
    if isinstance(obj, list):
        return [move_to_device(v, device, non_blocking) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(move_to_device(v, device, non_blocking) for v in obj)
    return obj


def _pin(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.pin_memory() if obj.device.type == "cpu" else obj
    if isinstance(obj, Mapping):
        return {k: _pin(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_pin(v) for v in obj]
    return obj


@dataclasses.dataclass(kw_only=True)
class Batch:
    """Base of every batch: sample indices and the skipped-sample report.

    Attributes:
        index: ``int64 (N,)`` dataset indices of the samples in this batch, or ``None``.
        skipped: one human-readable line per sample the loader could not read (file and reason).

    Field access by name (``batch["video"]``, ``"label" in batch``, ``batch.get("meta")``) is
    kept for code written against dictionary batches; fields set to ``None`` count as absent.
    """

    index: Tensor | None = None
    skipped: tuple[str, ...] = ()

    def to(self: B, device: torch.device | str, non_blocking: bool = False) -> B:
        """A copy with every tensor field moved to ``device``."""
        changes = {
            f.name: move_to_device(getattr(self, f.name), device, non_blocking)
            for f in dataclasses.fields(self)
            if f.name != "skipped"
        }
        return dataclasses.replace(self, **changes)

    def pin_memory(self: B) -> B:
        """A copy with every CPU tensor field in pinned memory (DataLoader ``pin_memory=True``
        calls this on custom batch types)."""
        changes = {f.name: _pin(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "skipped"}
        return dataclasses.replace(self, **changes)

    def __len__(self) -> int:
        """Number of samples (the first dimension of the first tensor field)."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Tensor) and value.dim() > 0 and f.name != "index":
                return int(value.shape[0])
        return 0 if self.index is None else int(self.index.numel())

    # mapping-style access, for code written against dictionary batches
    def __getitem__(self, key: str) -> Any:
        if key in self:
            return getattr(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._field_names() and getattr(self, key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self else default

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.keys()))

    def keys(self) -> Iterator[str]:
        return (n for n in self._field_names() if getattr(self, n) is not None)

    @classmethod
    def _field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))
