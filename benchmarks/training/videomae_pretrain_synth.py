"""VideoMAE masked pre-training on the built-in synthetic set, then fine-tuning, against the same
ViT trained from scratch: held-out top-1 of both.

    python -m benchmarks.training.videomae_pretrain_synth --out /tmp/mae_synth

The model is a tiny ViT ("ViT-tiny/8"): 8 frames of 32x32, patch 8, tubelet 2 (64 tokens),
width 96, 4 blocks, 3 heads; the pre-training decoder has width 64, 2 blocks, and the tube mask
hides 90 % of the positions (14 of 16 per slice). Pre-training ignores the labels; fine-tuning and
the scratch run use the recognition experiment (the core trainer, AdamW, cosine schedule, layer-wise
LR decay 0.75 and no weight decay on the position table for the fine-tuning). Everything runs on
the CPU; the JSON result goes to ``<out>/result.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import torch

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.data.synth import SynthConfig, render_dataset
from vidcore.recognition.experiment import TASK, DataConfig, Experiment, ModelConfig, build_datasets, train
from vidcore.recognition.models.heads3d import I3DHead
from vidcore.recognition.models.videomae import VideoMAEPretrainer, VideoViT
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import PRESETS, get_preset, register_preset

PRESET = "vit_tiny_p8_8x2x1_synth"


def tiny_encoder() -> VideoViT:
    return VideoViT(img_size=32, patch_size=8, tubelet_size=2, num_frames=8, embed_dim=96, depth=4, num_heads=3)


def vit_tiny_p8_8x2x1_synth(num_classes: int = 8) -> Recognizer:
    """The tiny VideoMAE ViT with a linear head (dropout 0.1)."""
    return Recognizer(tiny_encoder(), I3DHead(num_classes, 96, spatial_pool=False, dropout=0.1, init_std=0.02))


def register() -> None:
    if PRESET not in PRESETS:
        register_preset(
            replace(
                get_preset("videomae_vit_base_p16_16x4x1_kinetics400"), dataset="synth", num_classes=8, clip_len=8,
                frame_interval=2, short_side=36, crop_size=32, test_crop_size=32, test_num_clips=1, test_crops=1,
                mmaction_config=None, convert_mmaction=None, notes="tiny ViT for the pre-training experiment",
            )
        )(vit_tiny_p8_8x2x1_synth)  # fmt: skip


def experiment(data: Path, work: Path, epochs: int, pretrained: str | None, batch: int) -> Experiment:
    return Experiment(
        model=ModelConfig(preset=PRESET, num_classes=8, pretrained=pretrained),
        data=DataConfig(
            root=str(data), train_list=str(data / "train.txt"), val_list=str(data / "val.txt"),
            label_map=str(data / "label_map.txt"), flip=True, flip_label_map=str(data / "flip_label_map.json"),
            test_num_clips=1, test_crops=1, test_batch_size=batch,
        ),
        trainer=TrainerConfig(
            max_epochs=epochs, batch_size=batch, val_batch_size=batch, num_workers=1,
            optim=OptimConfig(
                name="adamw", lr=1e-3, weight_decay=0.05, layer_decay=0.75 if pretrained else 1.0,
                no_decay_keys=("pos_embed",),
            ),
            schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
            best_metric="top1", checkpoint_interval_epochs=epochs, keep_last=1, log_interval=50,
        ),
        work_dir=str(work),
    )  # fmt: skip


def pretrain(
    data: Path, out: Path, epochs: int, batch: int, seed: int, mask_ratio: float = 0.9, lr: float = 1.5e-3
) -> tuple[Path, list[float]]:
    """Masked pre-training over the training videos (labels unused); returns the encoder file and
    the mean loss of each epoch."""
    torch.manual_seed(seed)
    exp = experiment(data, out / "pretrain", 1, None, batch)
    dataset = build_datasets(exp, splits=("train",)).train
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=True, num_workers=1, collate_fn=TASK.collate_fn(exp), drop_last=True
    )
    model = VideoMAEPretrainer(tiny_encoder(), decoder_dim=64, decoder_depth=2, decoder_heads=2, mask_ratio=mask_ratio)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.05)
    steps = epochs * len(loader)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / len(loader)) * 0.5 * (1 + math.cos(math.pi * i / steps)))
    losses = []
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for b in loader:
            loss = model.forward_train(b)["loss"]
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, count = total + loss.item(), count + 1
        losses.append(total / max(count, 1))
        print(f"pre-train epoch {len(losses)}/{epochs}: loss {losses[-1]:.4f}", flush=True)
    path = out / "pretrained_encoder.pth"
    torch.save({"model": {f"backbone.{k}": v for k, v in model.encoder_state_dict().items()}}, path)
    return path, losses


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--videos-per-class", type=int, default=40)
    p.add_argument("--pretrain-epochs", type=int, default=30)
    p.add_argument("--finetune-epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mask-ratio", type=float, default=0.9)
    p.add_argument("--pretrain-lr", type=float, default=1.5e-3)
    p.add_argument("--skip-scratch", action="store_true", help="only pre-train and fine-tune")
    args = p.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    register()
    data = render_dataset(args.out / "data", SynthConfig(videos_per_class=args.videos_per_class, size=48), progress=False)
    t0 = time.time()
    encoder, losses = pretrain(data, args.out, args.pretrain_epochs, args.batch_size, args.seed, args.mask_ratio, args.pretrain_lr)
    t_pre = time.time() - t0
    results = {}
    runs = [
        ("pretrained+finetune", str(encoder), args.finetune_epochs),
        ("scratch_same_finetune_epochs", None, args.finetune_epochs),
        ("scratch_pretrain+finetune_epochs", None, args.pretrain_epochs + args.finetune_epochs),
    ]
    for name, pretrained, epochs in runs[:1] if args.skip_scratch else runs:
        torch.manual_seed(args.seed)
        t = time.time()
        metrics = train(experiment(data, args.out / name, epochs, pretrained, args.batch_size))
        results[name] = {"top1": metrics.get("top1"), "epochs": epochs, "seconds": round(time.time() - t, 1)}
        print(name, results[name], flush=True)
    result = {
        "model": "ViT-tiny/8: 8x32x32, patch 8, tubelet 2, width 96, depth 4, heads 3",
        "videos_per_class": args.videos_per_class, "pretrain_epochs": args.pretrain_epochs, "mask_ratio": args.mask_ratio,
        "pretrain_lr": args.pretrain_lr,
        "pretrain_seconds": round(t_pre, 1), "pretrain_loss_per_epoch": [round(v, 4) for v in losses],
        "runs": results,
    }  # fmt: skip
    (args.out / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
