"""Shared-memory batch buffers that a DataLoader worker reuses once the main process is done.

A batch built in a worker must live in shared memory to reach the main process without a copy, and
torch allocates fresh shared memory for every batch: on Linux that is a new file in /dev/shm whose
pages the kernel allocates, zeroes and maps one by one as the batch is written. For batches of two
32-frame 224x224 clips (9.6 MB) through a one-worker DataLoader that costs 6.8 ms of CPU per clip
(worker and main process), 20x the copy itself and 8-10 % of decoding a SlowFast clip; with the
buffers reused, 1.9 ms (measured 2026-12-05, benchmarks/RESULTS.md).

Here each worker keeps a few shared buffers (``MAX_SLOTS``) and writes the next batch into one the
main process has released. The handshake goes through a small shared table of lease flags, one
byte per buffer:

- the worker sets a buffer's flag to 1 when it hands a batch out in it (``acquire``);
- the batch carries ``(table, slot)`` to the main process (``VideoBatch.__setstate__`` takes it
  off the batch and calls ``register``), which attaches a finalizer to the batch's storage there:
  when the last tensor on that storage is gone in the main process (views, reshapes and
  ``pin_memory`` copies included, as torch keeps one Python storage object per storage), the
  finalizer sets the flag back to 0;
- only a buffer whose flag is 0 is written again. A batch the main process keeps (a list of
  batches, a reorder buffer) keeps its buffer; when all ``MAX_SLOTS`` are held the worker falls
  back to a fresh allocation, as torch does.

The one case this cannot see: the main process passing the batch's tensors on to another process
(a ``multiprocessing.Queue``, a second pool) and dropping its own reference while that process
still reads them. Clone such tensors first, or turn reuse off with ``VIDCORE_REUSE_SHM=0`` (read
in each worker).
"""

from __future__ import annotations

import os
import weakref

import torch
from torch.utils.data import get_worker_info

#: Buffers kept per worker: the DataLoader's in-flight batches (``prefetch_factor`` = 2 per worker
#: by default) plus the one the training step holds.
MAX_SLOTS = 4

_FREE, _LEASED = 0, 1


class _Pool:
    """One worker process's buffers and their lease table."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.table = torch.zeros(0, dtype=torch.uint8).set_(torch.UntypedStorage._new_shared(MAX_SLOTS))
        self.buffers: list[torch.UntypedStorage | None] = [None] * MAX_SLOTS

    def acquire(self, nbytes: int) -> tuple[int, torch.UntypedStorage] | None:
        """A released (or new) buffer of at least ``nbytes``, now leased; ``None`` when every
        buffer is held by the main process."""
        free = [i for i in range(MAX_SLOTS) if int(self.table[i]) == _FREE]
        if not free:
            return None
        fitting = [i for i in free if self.buffers[i] is not None and self.buffers[i].nbytes() >= nbytes]
        if fitting:
            slot = min(fitting, key=lambda i: self.buffers[i].nbytes())  # type: ignore[union-attr]
        else:  # an empty slot, else replace the smallest free buffer (the batch size grew)
            empty = [i for i in free if self.buffers[i] is None]
            slot = empty[0] if empty else min(free, key=lambda i: self.buffers[i].nbytes())  # type: ignore[union-attr]
            self.buffers[slot] = None
            self.buffers[slot] = torch.UntypedStorage._new_shared(nbytes)
        self.table[slot] = _LEASED
        return slot, self.buffers[slot]  # type: ignore[return-value]


_POOL: _Pool | None = None


def enabled() -> bool:
    """Reuse is on in DataLoader worker processes unless ``VIDCORE_REUSE_SHM=0``."""
    return get_worker_info() is not None and os.environ.get("VIDCORE_REUSE_SHM", "1") != "0"


def shared_empty(
    shape: tuple[int, ...], dtype: torch.dtype, *, pooled: bool = True
) -> tuple[torch.Tensor, tuple[torch.Tensor, int] | None]:
    """A contiguous CPU tensor of ``shape`` in shared memory, for a batch leaving a worker, and its
    lease ``(table, slot)`` (``None`` when it is a fresh allocation: ``pooled=False``, reuse off,
    or every buffer held). Pass the lease on with the batch (``VideoBatch`` does)."""
    global _POOL
    numel = int(torch.Size(shape).numel())
    nbytes = max(1, numel * torch.empty(0, dtype=dtype).element_size())
    got = None
    if pooled and enabled():
        if _POOL is None or _POOL.pid != os.getpid():  # first batch of this worker (or a fork of it)
            _POOL = _Pool()
        got = _POOL.acquire(nbytes)
    if got is None:
        storage = torch.UntypedStorage._new_shared(nbytes)
        return torch.empty(0, dtype=dtype).set_(storage).view(shape), None
    slot, storage = got  # a buffer may be larger than this batch: its first ``numel`` elements
    out = torch.empty(0, dtype=dtype).set_(storage, 0, (numel,), (1,)).view(shape)
    return out, (_POOL.table, slot)  # type: ignore[union-attr]


def _release(table: torch.Tensor, slot: int) -> None:
    table[slot] = _FREE


def register(tensor: torch.Tensor, lease: tuple[torch.Tensor, int]) -> None:
    """In the receiving process: give the buffer back when the last tensor on ``tensor``'s storage
    is gone (see the module docstring)."""
    table, slot = lease
    weakref.finalize(tensor.untyped_storage(), _release, table, int(slot))


__all__ = ["MAX_SLOTS", "enabled", "register", "shared_empty"]
