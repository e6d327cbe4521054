"""The built-in localization demo: render the synthetic untrimmed set, train the demo BMN on its
motion features, evaluate on the held-out videos and draw ground truth against predictions.

    python -m vidcore.localization.demo --out demo_loc_out        # or: vidcore-localization demo

Everything is generated here (nothing downloaded); on 2 CPU cores it takes a few minutes. Writes
``OUT/data/`` (features, ``annotations.json``), ``OUT/work_dir/`` (checkpoints, ``log.jsonl``,
``config.json``, ``test/test_results.json``, ``results.json``) and ``OUT/timeline.png``, and
prints AR@1/5/10/100, the AUC and the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "plot_timeline", "run_demo"]


def plot_timeline(gt: dict[str, Any], results: dict[str, Any], path: Path, *, videos: int = 6, top: int = 5) -> bool:
    """Draw, for the first ``videos`` videos, the ground-truth segments (top row) and the ``top``
    best proposals (rows below, shaded by score) on a time axis. Returns False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [v for v in gt if v in results][:videos]
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 1.1 * len(names) + 0.6), squeeze=False)
    for ax, vid in zip(axes[:, 0], names):
        info = gt[vid]
        for a in info["annotations"]:
            s, e = a["segment"]
            ax.broken_barh([(s, e - s)], (top + 0.1, 0.8), color="tab:green")
        for i, p in enumerate(results[vid][:top]):
            s, e = p["segment"]
            ax.broken_barh([(s, e - s)], (top - 1 - i + 0.1, 0.8), color="tab:blue", alpha=0.3 + 0.7 * min(1.0, p["score"] / max(results[vid][0]["score"], 1e-9)))
        ax.set_xlim(0, info["duration_second"])
        ax.set_yticks([top + 0.5, top / 2], ["truth", f"top {top}"], fontsize=7)
        ax.set_title(vid, fontsize=8, loc="left")
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def run_demo(
    out: str | Path = "demo_loc_out", *, num_videos: int = 100, epochs: int = 30, workers: int = 2, threads: int = 1
) -> dict[str, Any]:
    """Render, train, test, plot; returns the test metrics plus ``wall_s``.

    ``threads``: torch intra-op threads for training (1 by default: the demo network is small, and
    on a shared 2-core machine one thread was 6x faster per step than two).
    """
    import torch

    from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig

    from .experiment import DataConfig, Experiment, ModelConfig, test, train
    from .inference import load_localizer, propose
    from .postprocess import write_results_json
    from .synth import UntrimmedConfig, render_untrimmed_dataset

    t0 = time.perf_counter()
    out = Path(out)
    data = out / "data"
    ann = data / "annotations.json"
    cfg = UntrimmedConfig(num_videos=num_videos)
    if not ann.is_file() or len(json.loads(ann.read_text())) != num_videos:
        print(f"rendering {num_videos} untrimmed videos to {data} ...", flush=True)
        render_untrimmed_dataset(data, cfg, workers=workers)
    t_data = time.perf_counter() - t0
    torch.set_num_threads(threads)
    work = out / "work_dir"
    exp = Experiment(
        model=ModelConfig("bmn_synthetic_demo"),
        data=DataConfig(annotations=str(ann), feature_root=str(data / "features"), feature_ext=".npy"),
        trainer=TrainerConfig(
            max_epochs=epochs, batch_size=8, val_batch_size=16, num_workers=0, device="cpu", progress_bar=False,
            optim=OptimConfig(name="adamw", lr=2e-3, weight_decay=1e-4, clip_grad_norm=40.0),
            schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
            eval_interval=5, seed=0, best_metric="AUC", checkpoint_interval_epochs=5, keep_last=1, log_interval=10,
        ),
        work_dir=str(work),
    )  # fmt: skip
    train(exp)
    result = test(exp, work / "best.pth", device="cpu", progress=False, out_dir=work / "test")
    gt = json.loads(ann.read_text())
    val = {v: info for v, info in gt.items() if info["subset"] == "validation"}
    model = load_localizer("bmn_synthetic_demo", work / "best.pth")
    preds = {v: propose(model, data / "features" / f"{v}.npy", duration=info["duration_second"],
                        duration_frame=info["duration_frame"]) for v, info in val.items()}  # fmt: skip
    write_results_json(preds, work / "results.json")
    results = json.loads((work / "results.json").read_text())["results"]
    plotted = plot_timeline(val, results, out / "timeline.png")
    wall = time.perf_counter() - t0
    summary = {k: result[k] for k in ("AR@1", "AR@5", "AR@10", "AR@100", "AUC") if k in result}
    summary.update(wall_s=wall, data_s=t_data, held_out_videos=len(val), epochs=epochs)
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for k in ("AR@1", "AR@5", "AR@10", "AR@100"):
        print(f"{k:>7}: {100 * summary[k]:6.2f} %")
    print(f"{'AUC':>7}: {summary['AUC']:6.2f}   ({len(val)} held-out videos)")
    print(f"wall time {wall:.0f} s (data {t_data:.0f} s)" + (f"; timeline: {out / 'timeline.png'}" if plotted else ""))
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vidcore.localization.demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--out", default="demo_loc_out")
    p.add_argument("--videos", type=int, default=100, help="videos to render (a quarter held out)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--workers", type=int, default=2, help="processes rendering the videos")
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    a = p.parse_args(argv)
    run_demo(a.out, num_videos=a.videos, epochs=a.epochs, workers=a.workers, threads=a.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
