"""Training throughput: 2-process DDP (torchrun, gloo on CPU / NCCL on GPU) against 1 process.

Both runs train the same small 3D CNN recognizer-shaped model with the vidcore Trainer on the same
in-memory uint8 clips, with the same global batch and the same total number of CPU threads (one
process with N threads against N processes with one thread each), so the ratio is the scaling
efficiency of our DDP path on this machine. Launch goes through ``torch.distributed.run``, the
code behind ``torchrun``.

    python -m benchmarks.training.bench_ddp --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from benchmarks.common import Result

GLOBAL_BATCH = 8


class ClipDataset(torch.utils.data.Dataset):
    """Deterministic random uint8 clips ``(T, C, H, W)`` with labels, generated once in memory."""

    def __init__(self, n: int, frames: int = 8, size: int = 64, classes: int = 8) -> None:
        g = torch.Generator().manual_seed(0)
        self.video = torch.randint(0, 256, (n, frames, 3, size, size), dtype=torch.uint8, generator=g)
        self.label = torch.randint(0, classes, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.label)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"video": self.video[i], "label": self.label[i], "index": torch.tensor(i)}


class TinyC3D(nn.Module):
    """A small 3D CNN with the trainer's face; normalizes uint8 clips on the device."""

    def __init__(self, classes: int = 8, width: int = 32) -> None:
        super().__init__()

        def block(i: int, o: int, stride: tuple[int, int, int]) -> nn.Sequential:
            return nn.Sequential(nn.Conv3d(i, o, 3, stride, 1, bias=False), nn.BatchNorm3d(o), nn.ReLU(inplace=True))

        self.features = nn.Sequential(
            block(3, width, (1, 2, 2)), block(width, 2 * width, (2, 2, 2)),
            block(2 * width, 4 * width, (2, 2, 2)), block(4 * width, 4 * width, (1, 1, 1)),
        )  # fmt: skip
        self.fc = nn.Linear(4 * width, classes)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        x = video.float().div_(255).transpose(1, 2)  # (N, T, C, H, W) -> (N, C, T, H, W)
        return self.fc(self.features(x).mean((2, 3, 4)))

    def forward_train(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"loss": nn.functional.cross_entropy(self(batch["video"]), batch["label"])}

    def forward_eval(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"scores": self(batch["video"]), "labels": batch["label"]}


def worker(out: str, samples: int, epochs: int) -> None:
    """Body of one training process (single or under torchrun); rank 0 writes the timing."""
    from vidcore.core.trainer import OptimConfig, Trainer, TrainerConfig

    world = int(os.environ.get("WORLD_SIZE", "1"))
    cfg = TrainerConfig(
        max_epochs=epochs, batch_size=GLOBAL_BATCH // world, num_workers=0, progress_bar=False,
        eval_interval=0, checkpoint_interval_epochs=0, log_interval=1000, persistent_workers=False,
        optim=OptimConfig(name="sgd", lr=0.01),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as work_dir:
        trainer = Trainer(TinyC3D(), ClipDataset(samples), cfg=cfg, work_dir=work_dir)
        t0 = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - t0
    if int(os.environ.get("RANK", "0")) == 0:
        Path(out).write_text(json.dumps({"seconds": seconds, "samples": samples * epochs, "world": world}))


def _launch(nproc: int, threads: int, samples: int, epochs: int) -> float:
    """Run one training job; returns samples/s measured inside the run (start-up excluded)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        body = [sys.executable, "-m", "benchmarks.training.bench_ddp", "--worker", out,
                "--samples", str(samples), "--epochs", str(epochs)]  # fmt: skip
        if nproc > 1:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={nproc}", "-m", *body[2:]]  # fmt: skip
        else:
            cmd = body
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        root = Path(__file__).resolve().parents[2]
        subprocess.run(cmd, check=True, env=env, cwd=root, stdout=subprocess.DEVNULL)
        rec = json.loads(Path(out).read_text())
    return rec["samples"] / rec["seconds"]


def run(quick: bool = False) -> list[Result]:
    cores = os.cpu_count() or 2
    nproc = 2
    samples, epochs = (64, 2) if quick else (256, 3)
    single = _launch(1, max(1, cores), samples, epochs)
    ddp = _launch(nproc, max(1, cores // nproc), samples, epochs)
    extra = {"global_batch": GLOBAL_BATCH, "samples_per_epoch": samples, "epochs": epochs, "cores": cores,
             "model": "TinyC3D width 32, 8x64x64 clips", "backend": "nccl" if torch.cuda.is_available() else "gloo"}
    return [
        Result("training", f"DDP {nproc} processes x {max(1, cores // nproc)} threads", ddp, "samples/s",
               baseline_name=f"1 process x {cores} threads", baseline_value=single, extra=extra),
    ]  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--samples", type=int, default=64, help=argparse.SUPPRESS)
    p.add_argument("--epochs", type=int, default=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        worker(a.worker, a.samples, a.epochs)
        return
    for r in run(quick=a.quick):
        print(f"{r.name}: {r.value:.1f} {r.unit} vs {r.baseline_name}: {r.baseline_value:.1f} -> {r.ratio:.2f}x")


if __name__ == "__main__":
    main()
