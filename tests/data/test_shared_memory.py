"""Reused shared-memory batch buffers (``vidcore.data.datasets.shared_memory``): a worker writes a
new batch only into a buffer the main process has let go of, so every batch the main process still
holds (or a view of it) keeps its pixels; buffers are reused when batches are dropped; and
``VIDCORE_REUSE_SHM=0`` turns reuse off."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from vidcore.data.datasets import collate_samples
from vidcore.data.datasets.shared_memory import MAX_SLOTS
from vidcore.data.types import VideoSample

BATCH = 2


class Clips(Dataset):
    """Clip ``i`` is filled with ``i % 251`` (each batch's content is known in the main process)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> VideoSample:
        frames = torch.full((4, 6, 8, 3), i % 251, dtype=torch.uint8)  # (T, H, W, C) as decoders give
        return VideoSample(video=frames.permute(0, 3, 1, 2), label=i, meta={"index": i})


def _loader(n: int) -> DataLoader:
    return DataLoader(Clips(n), batch_size=BATCH, num_workers=1, collate_fn=collate_samples)


def _expected(batch) -> torch.Tensor:
    return (batch.index % 251).to(torch.uint8).view(-1, 1, 1, 1, 1).expand(batch.video.shape)


def _inode(t: torch.Tensor) -> int:
    fd, _ = t.untyped_storage()._share_fd_cpu_()
    return os.fstat(fd).st_ino


@pytest.fixture(params=["1", "0"], ids=["reuse", "no-reuse"])
def reuse(request, monkeypatch):
    monkeypatch.setenv("VIDCORE_REUSE_SHM", request.param)
    return request.param == "1"


def test_held_batches_keep_their_pixels(reuse):
    """Every batch kept alive in the main process (more than the worker has buffers) still holds
    its own clips after the loader has moved on: no buffer is written while it is held."""
    kept = list(_loader(2 * BATCH * (MAX_SLOTS + 3)))
    assert len({_inode(b.video) for b in kept}) == len(kept)  # all distinct buffers
    for b in kept:
        assert torch.equal(b.video, _expected(b))


def test_views_keep_the_buffer(reuse):
    """Holding only a view (a slice, a reshape) of a batch holds its buffer."""
    views, labels = [], []
    for b in _loader(2 * BATCH * (MAX_SLOTS + 3)):
        views.append(b.video[1:].reshape(-1))
        labels.append(int(b.index[1]) % 251)
    for v, value in zip(views, labels, strict=True):
        assert bool((v == value).all())


def test_dropped_batches_are_reused(reuse):
    """A loop that drops each batch after use cycles through a few buffers (a fresh one per batch
    without reuse), and every batch arrives with its own pixels."""
    inodes = []
    for b in _loader(BATCH * 20):
        assert torch.equal(b.video, _expected(b))
        inodes.append(_inode(b.video))
        del b
    if reuse:
        assert len(set(inodes)) <= MAX_SLOTS
    else:
        assert len(set(inodes)) == len(inodes)


def test_a_batch_pickled_again_carries_no_lease():
    batch = next(iter(_loader(BATCH)))
    assert "_shm_lease" not in batch.__dict__
    again = pickle.loads(pickle.dumps(batch))
    assert "_shm_lease" not in again.__dict__ and torch.equal(again.video, batch.video)


def test_outside_workers_nothing_is_shared():
    batch = collate_samples([Clips(2)[0], Clips(2)[1]])
    assert "_shm_lease" not in batch.__dict__ and not batch.video.is_shared()
