"""VideoMAE masked pre-training on the built-in synthetic set, then fine-tuning, against the same
ViT trained from scratch with the same fine-tuning budget and seed: held-out top-1 of both.

    python -m benchmarks.training.videomae_pretrain_synth --out /tmp/mae_synth --seeds 0 1

Every run is a shipped experiment run by the recognition trainer (what ``vidcore-recognition
train`` does): ``videomae_pretrain_vit_tiny_p8_synth`` once (labels unused), then for every seed
``videomae_vit_tiny_p8_synth_finetune`` from its ``best.pth`` and, for the baseline, the same
experiment with ``model.pretrained=null`` and no layer-wise LR decay (``trainer.seed`` set to that
seed in both). The model is preset ``videomae_vit_tiny_p8_8x2x1_synth`` (8x32x32 clips, patch 8,
tubelet 2, width 128, 4 blocks, 2 heads; 843,144 parameters). ``--set-pretrain`` /
``--set-finetune`` pass more ``--set`` overrides to pre-training / to both fine-tuning runs.

Runs go one after another in this process with one thread and ``num_workers=0`` (decoding in
the process), so the CPU times (``time.process_time``) cover everything. The JSON result, with
per-epoch train-loss curves (mean of the logged losses of each epoch) and the held-out top-1 of
every evaluation, goes to ``<out>/result<tag>.json``. ``--pretrained`` reuses a pre-training
checkpoint (e.g. ``--pretrained <out>/pretrain/best.pth --set-finetune trainer.optim.layer_decay=1.0
--skip-scratch --tag _ld1``: the pre-trained model with the baseline's flat learning rate).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import torch

from vidcore.core.experiment import load_experiment
from vidcore.data.synth import SynthConfig, render_dataset
from vidcore.recognition.experiment import TASK, train

PRETRAIN = "videomae_pretrain_vit_tiny_p8_synth"
FINETUNE = "videomae_vit_tiny_p8_synth_finetune"


def _data_overrides(data: Path) -> list[str]:
    return [f"data.root={data}", f"data.train_list={data / 'train.txt'}", f"data.val_list={data / 'val.txt'}",
            f"data.label_map={data / 'label_map.txt'}", "trainer.progress_bar=false", "trainer.num_workers=0"]  # fmt: skip


def _curves(work: Path, key: str) -> dict[str, list[float]]:
    """Per-epoch mean of the logged train ``loss`` and every validation ``key`` from ``log.jsonl``."""
    rows = [json.loads(x) for x in (work / "log.jsonl").read_text().splitlines()]
    per_epoch: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        if r.get("mode") == "train":
            per_epoch[r["epoch"]].append(r["loss"])
    return {
        "train_loss_per_epoch": [round(sum(v) / len(v), 4) for _, v in sorted(per_epoch.items())],
        f"val_{key}_per_eval": [[r["epoch"], round(r[key], 4)] for r in rows if r.get("mode") == "val"],
    }


def _run(config: str, overrides: list[str], work: Path, key: str) -> dict:
    wall, cpu = time.time(), time.process_time()
    metrics = train(load_experiment(TASK, config, overrides, work_dir=str(work)))
    out = {
        key: metrics.get(key),
        "wall_s": round(time.time() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
    }
    out.update(_curves(work, key))
    print(work.name, json.dumps(out), flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--videos-per-class", type=int, default=150)
    p.add_argument("--pretrain-epochs", type=int, default=None, help="default: the experiment's")
    p.add_argument("--finetune-epochs", type=int, default=None, help="default: the experiment's")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--pretrain-seed", type=int, default=0)
    p.add_argument("--set-pretrain", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--set-finetune", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--pretrained", type=Path, default=None, help="fine-tune from this checkpoint, skip pre-training"
    )
    p.add_argument("--tag", default="", help="suffix of the fine-tuning run folders and of result.json")
    p.add_argument("--skip-scratch", action="store_true", help="only pre-train and fine-tune")
    args = p.parse_args()
    torch.set_num_threads(1)
    synth = SynthConfig(videos_per_class=args.videos_per_class, size=48)
    data = render_dataset(args.out / "data", synth, progress=False)
    epochs = lambda n: [] if n is None else [f"trainer.max_epochs={n}"]  # noqa: E731
    if args.pretrained is None:
        pre = _run(
            PRETRAIN,
            [
                *_data_overrides(data),
                f"trainer.seed={args.pretrain_seed}",
                *epochs(args.pretrain_epochs),
                *args.set_pretrain,
            ],
            args.out / "pretrain",
            "loss_rec",
        )
        checkpoint = args.out / "pretrain" / "best.pth"
    else:
        pre, checkpoint = {"checkpoint": str(args.pretrained)}, args.pretrained
    result = {
        "model": "videomae_vit_tiny_p8_8x2x1_synth: 8x32x32, patch 8, tubelet 2, width 128, depth 4, heads 2 (843,144 params)",
        "data": {"videos_per_class": args.videos_per_class, "size": synth.size, "train": _count(data / "train.txt"),
                 "val": _count(data / "val.txt")},
        "pretrain": {"overrides": args.set_pretrain, "epochs": args.pretrain_epochs, **pre},
        "finetune_overrides": args.set_finetune, "finetune_epochs": args.finetune_epochs, "seeds": {},
        "threads": torch.get_num_threads(),
    }  # fmt: skip
    fine = [
        *_data_overrides(data),
        f"data.flip_label_map={data / 'flip_label_map.json'}",
        *epochs(args.finetune_epochs),
    ]
    for seed in args.seeds:
        runs = {
            "pretrained+finetune": [f"model.pretrained={checkpoint}"],
            "scratch": ["model.pretrained=null", "trainer.optim.layer_decay=1.0"],
        }
        result["seeds"][seed] = {}
        for name, extra in runs.items():
            if name == "scratch" and args.skip_scratch:
                continue
            overrides = [*fine, f"trainer.seed={seed}", *extra, *args.set_finetune]
            result["seeds"][seed][name] = _run(
                FINETUNE, overrides, args.out / f"{name}_seed{seed}{args.tag}", "top1"
            )
            (args.out / f"result{args.tag}.json").write_text(json.dumps(result, indent=2))
    (args.out / f"result{args.tag}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def _count(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


if __name__ == "__main__":
    main()
