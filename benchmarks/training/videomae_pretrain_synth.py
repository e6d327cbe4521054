"""VideoMAE masked pre-training on the built-in synthetic set, then fine-tuning, against the same
ViT trained from scratch with the same fine-tuning budget: held-out top-1 of both.

    python -m benchmarks.training.videomae_pretrain_synth --out /tmp/mae_synth

Every run is a shipped experiment run by the recognition trainer (what ``vidcore-recognition
train`` does): ``videomae_pretrain_vit_tiny_p8_synth`` (labels unused), then
``videomae_vit_tiny_p8_synth_finetune`` from its ``best.pth`` and, for the baseline, the same
experiment with ``model.pretrained=null`` and no layer-wise LR decay. The model is preset
``videomae_vit_tiny_p8_8x2x1_synth`` (8x32x32 clips, patch 8, tubelet 2, width 128, 4 blocks, 2
heads; 843,144 parameters). ``--set-pretrain`` passes more ``--set`` overrides to pre-training
(e.g. ``pretrain.norm_pix_loss=true``). Everything runs on the CPU; the JSON result goes to
``<out>/result.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from vidcore.core.experiment import load_experiment
from vidcore.data.synth import SynthConfig, render_dataset
from vidcore.recognition.experiment import TASK, train


def _data_overrides(data: Path) -> list[str]:
    return [f"data.root={data}", f"data.train_list={data / 'train.txt'}", f"data.val_list={data / 'val.txt'}",
            f"data.label_map={data / 'label_map.txt'}", "trainer.progress_bar=false"]  # fmt: skip


def _run(config: str, overrides: list[str], work: Path) -> tuple[dict, float]:
    t = time.time()
    metrics = train(load_experiment(TASK, config, overrides, work_dir=str(work)))
    return metrics, round(time.time() - t, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--videos-per-class", type=int, default=40)
    p.add_argument("--pretrain-epochs", type=int, default=30)
    p.add_argument("--finetune-epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set-pretrain", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--skip-scratch", action="store_true", help="only pre-train and fine-tune")
    args = p.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    data = render_dataset(args.out / "data", SynthConfig(videos_per_class=args.videos_per_class, size=48), progress=False)
    common = [*_data_overrides(data), f"trainer.seed={args.seed}"]
    pre, t_pre = _run(
        "videomae_pretrain_vit_tiny_p8_synth",
        [*common, f"trainer.max_epochs={args.pretrain_epochs}", *args.set_pretrain],
        args.out / "pretrain",
    )
    log = [json.loads(x) for x in (args.out / "pretrain" / "log.jsonl").read_text().splitlines()]
    fine = [*common, f"data.flip_label_map={data / 'flip_label_map.json'}", f"trainer.max_epochs={args.finetune_epochs}"]
    runs = {
        "pretrained+finetune": [*fine, f"model.pretrained={args.out / 'pretrain' / 'best.pth'}"],
        "scratch": [*fine, "model.pretrained=null", "trainer.optim.layer_decay=1.0"],
    }
    results = {}
    for name, overrides in runs.items():
        if name == "scratch" and args.skip_scratch:
            continue
        metrics, seconds = _run("videomae_vit_tiny_p8_synth_finetune", overrides, args.out / name)
        results[name] = {"top1": metrics.get("top1"), "epochs": args.finetune_epochs, "seconds": seconds}
        print(name, results[name], flush=True)
    result = {
        "model": "videomae_vit_tiny_p8_8x2x1_synth: 8x32x32, patch 8, tubelet 2, width 128, depth 4, heads 2 (843,144 params)",
        "videos_per_class": args.videos_per_class, "pretrain_epochs": args.pretrain_epochs,
        "pretrain_overrides": args.set_pretrain, "pretrain_seconds": t_pre, "pretrain_val_loss_rec": pre.get("loss_rec"),
        "pretrain_val_loss_rec_per_eval": [round(r["loss_rec"], 4) for r in log if r.get("mode") == "val"],
        "runs": results,
    }  # fmt: skip
    (args.out / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
