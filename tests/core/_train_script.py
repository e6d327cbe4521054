"""Runs the toy training as its own process (plain python or under torchrun) for the trainer tests.

``--kill-at-iter-save K`` makes the K-th ``iter_*.pth`` checkpoint write stop after half of the
bytes reach the temp file, touch ``--marker`` and sleep, so the test can SIGKILL it mid-write.

``--signal-at-batch K --signals INT[,INT]`` sends the process itself those real signals (``os.kill``)
in the middle of the K-th training micro-batch (1-based, counted in this process); ``--step-sleep S``
slows every step down so a test can signal it from outside. A run stopped by a signal exits with
``128 + signum`` after the trainer wrote its checkpoint; ``--signal-rank R`` signals rank R only
(the other ranks must stop at the same step).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAccuracy, ToyData, ToyNet

import vidcore.core.checkpoint as ckpt
from vidcore.core.trainer import OptimConfig, ScheduleConfig, Trainer, TrainerConfig
from vidcore.core.trainer.trainer import TrainingInterrupted


def install_kill_hook(k: int, marker: Path) -> None:
    real_save_checkpoint = ckpt.save_checkpoint
    real_torch_save = torch.save
    state = {"count": 0, "armed": False}

    def save_checkpoint(obj, path):
        if Path(path).name.startswith("iter_"):
            state["count"] += 1
            state["armed"] = state["count"] == k
        return real_save_checkpoint(obj, path)

    def torch_save(obj, f, *args, **kwargs):
        if not state["armed"]:
            return real_torch_save(obj, f, *args, **kwargs)
        buf = io.BytesIO()
        real_torch_save(obj, buf, *args, **kwargs)
        data = buf.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        marker.write_text(str(len(data)))
        time.sleep(120)  # the test kills us here
        raise SystemExit("not killed")

    ckpt.save_checkpoint = save_checkpoint
    torch.save = torch_save


def install_signal_hook(model: ToyNet, at_batch: int, signals: list[str], sleep: float) -> None:
    real_forward_train = model.forward_train
    state = {"count": 0}

    def forward_train(batch):
        state["count"] += 1
        if state["count"] == at_batch:
            for name in signals:
                os.kill(os.getpid(), getattr(signal, f"SIG{name}"))
                time.sleep(0.05)  # let the handler run before the next one arrives
        if sleep:
            time.sleep(sleep)
        return real_forward_train(batch)

    model.forward_train = forward_train


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--work-dir", required=True)
    p.add_argument("--out", required=True, help="where rank 0 saves the final model state dict")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--num-samples", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--accum", type=int, default=1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--noise", type=float, default=0.0)
    p.add_argument("--ckpt-iters", type=int, default=0)
    p.add_argument("--resume", default=None)
    p.add_argument("--kill-at-iter-save", type=int, default=0)
    p.add_argument("--marker", default=None)
    p.add_argument("--metrics-out", default=None)
    p.add_argument("--strategy", default="ddp")
    p.add_argument("--signal-at-batch", type=int, default=0)
    p.add_argument("--signals", default="INT")
    p.add_argument("--signal-rank", type=int, default=-1, help="only this rank signals itself (-1: every rank)")
    p.add_argument("--step-sleep", type=float, default=0.0)
    p.add_argument("--meta", default=None, help="a JSON object stored as the checkpoints' metadata")
    args = p.parse_args()

    torch.set_num_threads(1)
    if args.kill_at_iter_save:
        install_kill_hook(args.kill_at_iter_save, Path(args.marker))
    torch.manual_seed(0)  # the same initial weights in every process
    model = ToyNet(dropout=args.dropout)
    rank = int(os.environ.get("RANK", "0"))
    if (args.signal_at_batch and args.signal_rank in (-1, rank)) or args.step_sleep:
        install_signal_hook(model, args.signal_at_batch, args.signals.split(","), args.step_sleep)
    cfg = TrainerConfig(
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        accumulate_grad_batches=args.accum,
        num_workers=0,
        device="cpu",
        optim=OptimConfig(name="sgd", lr=0.1, momentum=args.momentum, weight_decay=1e-3),
        schedule=ScheduleConfig(name="cosine", warmup_iters=2, warmup_start_factor=0.25),
        checkpoint_interval_iters=args.ckpt_iters,
        keep_last=0,
        log_interval=1,
        progress_bar=False,
        resume=args.resume,
        seed=7,
        strategy=args.strategy,
    )
    trainer = Trainer(
        model,
        ToyData(args.num_samples, noise=args.noise),
        ToyData(10, seed=5),
        cfg=cfg,
        evaluator=ToyAccuracy(),
        work_dir=args.work_dir,
        metadata=json.loads(args.meta) if args.meta else None,
    )
    try:
        metrics = trainer.fit()
    except TrainingInterrupted as exc:
        print(f"stopped: {exc}", flush=True)
        sys.exit(exc.exit_code)
    weights = trainer.model_state_dict()  # collective under FSDP
    if trainer.is_main:
        torch.save(weights, args.out)
        if args.metrics_out:
            Path(args.metrics_out).write_text(repr(metrics))


if __name__ == "__main__":
    main()
