"""Clips/s streamed from WebDataset tar shards vs read from the video files, same clips.

The synthetic set is rendered, packed with ``vidcore-data pack``, and both datasets yield the same
TSN 1x1x8 test clips (same decoder, sampler and frame indices); one DataLoader epoch over each
(after a warm-up epoch) in the same run. On a local disk the two should be close (shards save
file opens and seeks); shards pay off on object stores and network file systems.
"""

from __future__ import annotations

import tempfile
import time
from functools import partial
from pathlib import Path

import torch

from benchmarks.common import Result


def _epoch(ds: torch.utils.data.Dataset, workers: int) -> tuple[float, int]:
    from vidcore.data.datasets import collate_samples

    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=workers, collate_fn=collate_samples)
    t0 = time.perf_counter()
    n = sum(len(b) for b in loader)
    return time.perf_counter() - t0, n


def run(quick: bool = False) -> list[Result]:
    from vidcore.data import samplers
    from vidcore.data.cli import main
    from vidcore.data.datasets import ShardVideoDataset, VideoDataset
    from vidcore.data.synth import SynthConfig, render_dataset

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = SynthConfig(videos_per_class=3 if quick else 12, size=64, min_frames=48, max_frames=64)
        root = render_dataset(Path(tmp) / "synth", cfg, progress=False)
        prefix = Path(tmp) / "shards" / "train"
        main(["pack", str(root / "train.txt"), str(prefix), "--root", str(root), "--maxcount", "8", "--no-progress"])
        shards = sorted(str(p) for p in prefix.parent.glob("train-*.tar"))
        sampler = partial(samplers.sample_frames, clip_len=1, num_clips=8, test_mode=True)
        for workers in (0, 2):
            files = VideoDataset(root / "train.txt", root, sampler=sampler, backend="pyav")
            stream = ShardVideoDataset(shards, sampler=sampler)
            _epoch(files, workers), _epoch(stream, workers)  # warm-up (page cache, imports)
            t_files, n_files = _epoch(files, workers)
            t_shards, n_shards = _epoch(stream, workers)
            results.append(
                Result(
                    "data", f"shards tsn_1x1x8 {workers} workers", n_shards / t_shards, "clips/s",
                    baseline_name="files", baseline_value=n_files / t_files,
                    extra={"clips": n_shards, "shards": len(shards)},
                )
            )
    return results
