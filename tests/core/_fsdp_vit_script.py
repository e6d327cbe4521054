"""Trains :class:`TinyViT` with the trainer in this process (plain python or with torchrun's
environment) and rank 0 saves the final full state dict and which modules were FSDP units."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _vit_toy import TinyViT, TokenData

from vidcore.core.trainer import OptimConfig, ScheduleConfig, Trainer, TrainerConfig


def run(work_dir: str, out: str, batch_size: int, strategy: str = "ddp", shard_classes: str = "") -> None:
    """Train from seed 0 for 2 epochs of 16 samples (AdamW, warm-up + cosine); rank 0 writes ``out``."""
    torch.manual_seed(0)  # the same initial weights in every process
    model = TinyViT()
    cfg = TrainerConfig(
        max_epochs=2, batch_size=batch_size, num_workers=0, device="cpu", seed=7, log_interval=1,
        progress_bar=False, keep_last=0, strategy=strategy,
        fsdp_shard_classes=tuple(c for c in shard_classes.split(",") if c),
        optim=OptimConfig(name="adamw", lr=3e-3, weight_decay=0.05, no_decay_keys=("pos_embed",)),
        schedule=ScheduleConfig(name="cosine", warmup_iters=2),
    )  # fmt: skip
    trainer = Trainer(model, TokenData(16), None, cfg=cfg, work_dir=work_dir)
    trainer.fit()
    from torch.distributed.fsdp import FSDPModule

    units = [name for name, m in trainer.model.named_modules() if isinstance(m, FSDPModule)]
    state = trainer.model_state_dict()  # collective under FSDP
    if trainer.is_main:
        torch.save(state, out)
        Path(out).with_suffix(".json").write_text(json.dumps({"units": units}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--work-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--strategy", default="ddp")
    p.add_argument("--shard-classes", default="")
    args = p.parse_args()
    torch.set_num_threads(1)
    run(args.work_dir, args.out, args.batch_size, args.strategy, args.shard_classes)


if __name__ == "__main__":
    main()
