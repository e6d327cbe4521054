"""Worker for the 2-process gloo test in test_metrics.py (imported by name in spawned children)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data.distributed import DistributedSampler

from vidcore.core.metrics import AccuracyMetric, MeanAPMetric

N, K = 7, 4


def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(123)
    scores = rng.normal(size=(N, K))
    labels = rng.integers(0, K, size=N)
    multi_hot = (rng.random((N, K)) < 0.4).astype(np.int64)
    multi_hot[np.arange(N), labels] = 1  # every sample and (almost surely) every class has a positive
    return scores, labels, multi_hot


def run(rank: int, world_size: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        scores, labels, multi_hot = dataset()
        sampler = DistributedSampler(list(range(N)), num_replicas=world_size, rank=rank, shuffle=True, seed=5)
        mine = list(sampler)
        acc = AccuracyMetric(topk=(1, 2))
        m_ap = MeanAPMetric(mmit=True)
        no_index = AccuracyMetric(topk=(1, 2))
        local = AccuracyMetric(topk=(1, 2), mean_class=False, gather=False)
        for start in range(0, len(mine), 3):  # batches of 3
            idx = np.array(mine[start : start + 3])
            acc.update(
                torch.from_numpy(scores[idx]), torch.from_numpy(labels[idx]), indices=torch.from_numpy(idx)
            )
            m_ap.update(scores[idx], multi_hot[idx], indices=idx)
            no_index.update(scores[idx], labels[idx])
            local.update(scores[idx], labels[idx], indices=idx)
        # only rank 0 sees data: the empty rank still takes part in the gather
        lonely_acc = AccuracyMetric(topk=(1,), mean_class=False)
        lonely_map = MeanAPMetric()
        if rank == 0:
            lonely_acc.update(scores, labels, indices=np.arange(N))
            lonely_map.update(scores, multi_hot, indices=np.arange(N))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dup = no_index.compute()
        result = {
            "rank": rank,
            "indices": mine,
            "acc": acc.compute(),
            "map": m_ap.compute(),
            "no_index": dup,
            "local": local.compute(),
            "lonely_acc": lonely_acc.compute(),
            "lonely_map": lonely_map.compute(),
            "warned": any("indices" in str(w.message) for w in caught),
        }
        Path(out_dir, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()
