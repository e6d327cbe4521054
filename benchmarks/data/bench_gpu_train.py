"""A TSM-R50 training-step loop fed by two data pipelines, in two numeric modes: clips/s.

    python -m benchmarks.data.bench_gpu_train --device cuda                      # the GPU run (one go)
    python -m benchmarks.data.bench_gpu_train --device cpu --depth 18 --size 112 --batch 2 --steps 2 \\
        --modes eager_fp32,bf16_cl                                                # CPU check of the script

Pipelines (the same TSN/TSM 1x1x8 train clips: 8 segments, Resize(-1, 256) -> MultiScaleCrop(224,
(1, .875, .75, .66)) -> Resize(224 x 224) -> Flip(0.5), as MMAction2's TSM-R50 Kinetics config):

- ``cpu_workers``: ``VideoDataset`` decoding and transforming in ``--workers`` DataLoader processes
  (uint8 clips collated by ``collate_samples``, pinned and copied to the device);
- ``device``: decoding on the device and the same transforms on the device's uint8 tensors. On CUDA
  the decoder is torchcodec's CUDA decoder (NVDEC) when ``torchcodec`` with CUDA support imports;
  otherwise (and on CPU) frames are decoded by our PyAV reader in ``--workers`` processes without
  transforms and moved as they are; the transforms then run on ``--device``. The decoder used is
  printed and recorded.

Modes: ``eager_fp32`` (float32, contiguous NCHW, eager), ``bf16_cl`` (bf16 autocast, channels-last
model and input), ``bf16_cl_compile`` (the same under ``torch.compile``; its compile time is
reported apart and not counted). One training step: preprocess (normalise) -> forward -> cross
entropy -> backward -> SGD (momentum 0.9). ``--warmup`` steps run first, untimed; clips/s is
``batch * steps`` over the timed steps' wall time (the device synchronised at both ends), with the
data pipeline running concurrently as in training.

Data: ``--videos`` copies of the pipeline benchmark's generated 10 s 340x256 30 fps H.264 file
(GOP 250, ``bench_pipeline.generated_video``), random labels. Random weights: speed only.

Status: the script has been run on CPU only (see RESULTS.md); no GPU was available to measure it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from vidcore.data import transforms as T
from vidcore.data.annotations.lists import VideoRecord
from vidcore.data.datasets import collate_samples
from vidcore.data.datasets.video import VideoDataset
from vidcore.data.decoders import open_video
from vidcore.data.samplers import sample_frames

SAMPLER = {"clip_len": 1, "frame_interval": 1, "num_clips": 8}
MODES = ("eager_fp32", "bf16_cl", "bf16_cl_compile")
PIPELINES = ("cpu_workers", "device")


def train_transform(size: int) -> T.Compose:
    """TSM-R50 Kinetics train transforms (short side ``size * 256 / 224``, crop ``size``)."""
    short = round(size * 256 / 224)
    return T.Compose([
        T.Resize((-1, short)),
        T.MultiScaleCrop(size, (1, 0.875, 0.75, 0.66), random_crop=False, max_wh_scale_gap=1),
        T.Resize((size, size), keep_ratio=False),
        T.Flip(flip_ratio=0.5),
    ])  # fmt: skip


class RawClips(Dataset):
    """Decoded frames of the sampled indices, untransformed: uint8 ``(T, C, H, W)`` and a label."""

    def __init__(self, paths: list[str], labels: list[int], seed: int = 0):
        self.paths, self.labels, self.seed = paths, labels, seed

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        with open_video(self.paths[i]) as reader:
            inds = sample_frames(reader.num_frames, rng=np.random.default_rng([self.seed, 0, i]), **SAMPLER)
            frames = reader.get_frames(inds)  # (T, H, W, C) uint8
        return frames.permute(0, 3, 1, 2), self.labels[i]  # (T, C, H, W), a view: no copy


def _cuda_decoder() -> Any:
    """torchcodec's VideoDecoder when it imports with CUDA support, else None."""
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError:
        return None
    return VideoDecoder


def device_batches(
    paths: list[str], labels: list[int], *, device: torch.device, batch: int, workers: int, size: int, seed: int
) -> tuple[Iterator[dict[str, torch.Tensor]], str]:
    """Batches ``{"video": uint8 (N, T, C, size, size) on device, "label": (N,)}`` decoded on the device
    (torchcodec CUDA) or by PyAV workers, transformed on the device; and the decoder's name."""
    transform = train_transform(size)
    rng = np.random.default_rng(seed)
    decoder_cls = _cuda_decoder() if device.type == "cuda" else None

    def finish(clips: list[torch.Tensor], ys: list[int]) -> dict[str, torch.Tensor]:
        out = [transform(c.to(device, non_blocking=True), rng=rng) for c in clips]  # uint8 on the device
        return {"video": torch.stack(out), "label": torch.tensor(ys, device=device)}

    if decoder_cls is not None:
        def gen_cuda() -> Iterator[dict[str, torch.Tensor]]:
            while True:
                for start in range(0, len(paths) - batch + 1, batch):
                    clips = []
                    for i in range(start, start + batch):
                        dec = decoder_cls(paths[i], device=str(device))
                        n = dec.metadata.num_frames
                        inds = sample_frames(n, rng=np.random.default_rng([seed, 0, i]), **SAMPLER)
                        clips.append(dec.get_frames_at(indices=[int(x) for x in inds]).data)  # (T, C, H, W)
                    yield finish(clips, labels[start : start + batch])

        return gen_cuda(), "torchcodec-cuda"

    loader = DataLoader(RawClips(paths, labels, seed), batch_size=batch, num_workers=workers, drop_last=True,
                        collate_fn=lambda items: items, persistent_workers=workers > 0,
                        pin_memory=device.type == "cuda")  # fmt: skip

    def gen_pyav() -> Iterator[dict[str, torch.Tensor]]:
        while True:
            for items in loader:
                yield finish([c for c, _ in items], [y for _, y in items])

    return gen_pyav(), "pyav-workers"


def cpu_worker_batches(
    paths: list[str], labels: list[int], *, device: torch.device, batch: int, workers: int, size: int, seed: int
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches decoded and transformed in DataLoader workers, then copied to the device."""
    records = [VideoRecord(p, (y,)) for p, y in zip(paths, labels, strict=True)]
    ds = VideoDataset(records, sampler=partial(sample_frames, **SAMPLER), transform=train_transform(size), seed=seed,
                      on_error="raise")  # fmt: skip
    loader = DataLoader(ds, batch_size=batch, num_workers=workers, collate_fn=collate_samples, drop_last=True,
                        persistent_workers=workers > 0, pin_memory=device.type == "cuda")  # fmt: skip
    while True:
        for b in loader:
            yield {"video": b["video"].to(device, non_blocking=True),
                   "label": torch.as_tensor(b["label"]).reshape(-1).to(device)}  # fmt: skip


def build_model(depth: int, num_classes: int, device: torch.device, mode: str) -> torch.nn.Module:
    from vidcore.recognition.models.tsm import tsm_resnet

    model = tsm_resnet(depth, num_classes=num_classes, num_segments=SAMPLER["num_clips"]).to(device)
    if mode != "eager_fp32":
        model = model.to(memory_format=torch.channels_last)
    return model.train()


def run_cell(
    pipeline: str, mode: str, *, device: torch.device, depth: int, batch: int, steps: int, warmup: int, workers: int,
    size: int, videos: int, num_classes: int, video: Path, seed: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Time ``steps`` training steps of one (pipeline, mode) cell; a JSON-able row."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    paths = [str(video)] * videos
    labels = rng.integers(0, num_classes, size=videos).tolist()
    kw = dict(device=device, batch=batch, workers=workers, size=size, seed=seed)
    decoder = "pyav+transforms in workers"
    if pipeline == "cpu_workers":
        batches = cpu_worker_batches(paths, labels, **kw)
    else:
        batches, decoder = device_batches(paths, labels, **kw)
    model = build_model(depth, num_classes, device, mode)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    use_bf16 = mode != "eager_fp32"
    channels_last = mode != "eager_fp32"
    forward = torch.compile(model) if mode == "bf16_cl_compile" else model

    def step(b: dict[str, torch.Tensor]) -> float:
        x = model.preprocess(b["video"])  # (N*T, C, H, W) float32 on the device
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else contextlib.nullcontext()
        with autocast:
            logits = forward(x, SAMPLER["num_clips"])
            loss = torch.nn.functional.cross_entropy(logits.float(), b["label"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    t0 = time.perf_counter()
    for _ in range(warmup):
        step(next(batches))
    sync()
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    losses = [step(next(batches)) for _ in range(steps)]
    sync()
    seconds = time.perf_counter() - t0
    return {
        "pipeline": pipeline, "mode": mode, "decoder": decoder, "depth": depth, "batch": batch, "steps": steps,
        "warmup_steps": warmup, "warmup_s": round(warm_s, 2), "seconds": round(seconds, 3),
        "clips_per_s": round(batch * steps / seconds, 3), "final_loss": round(losses[-1], 4),
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cuda, cuda:1, cpu")
    p.add_argument("--depth", type=int, default=50, help="ResNet depth of the TSM backbone (default 50)")
    p.add_argument("--size", type=int, default=224, help="crop size (default 224)")
    p.add_argument("--batch", type=int, default=16, help="clips per step (default 16, MMAction2's per-GPU batch)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per cell")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first (compilation happens here)")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="DataLoader workers")
    p.add_argument("--videos", type=int, default=64, help="clips in the list (copies of one generated file)")
    p.add_argument("--num-classes", type=int, default=400)
    p.add_argument("--pipelines", default=",".join(PIPELINES), help=f"comma-separated, from {PIPELINES}")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {MODES}")
    p.add_argument("--workdir", type=Path, default=None, help="cache for the generated video")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results")
    args = p.parse_args(argv)
    from benchmarks.data.bench_pipeline import generated_video

    device = torch.device(args.device)
    workdir = args.workdir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vidcore" / "bench"
    video = generated_video(workdir)
    if device.type == "cpu":
        torch.set_num_threads(max(1, (os.cpu_count() or 1) - args.workers))
    rows = []
    for pipeline in args.pipelines.split(","):
        for mode in args.modes.split(","):
            if pipeline not in PIPELINES or mode not in MODES:
                p.error(f"unknown pipeline {pipeline!r} or mode {mode!r}")
            row = run_cell(pipeline, mode, device=device, depth=args.depth, batch=args.batch, steps=args.steps,
                           warmup=args.warmup, workers=args.workers, size=args.size, videos=args.videos,
                           num_classes=args.num_classes, video=video)  # fmt: skip
            rows.append(row)
            print(f"{pipeline:12s} {mode:16s} {row['clips_per_s']:8.2f} clips/s  (decoder {row['decoder']}, "
                  f"warm-up {row['warmup_s']} s, load {row['loadavg_1min']})", flush=True)  # fmt: skip
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    out = {"benchmark": "gpu_train", "date": dt.datetime.now().isoformat(timespec="seconds"), "device": str(device),
           "gpu": gpu, "cpu_count": os.cpu_count(), "torch": torch.__version__, "args": {k: str(v) for k, v in vars(args).items()},
           "cells": rows}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"gpu-train-{device.type}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
