"""The detection demo: render the synthetic AVA-format set, train ``slowonly_r18_synth`` from
scratch, evaluate the held-out clips, and write the results (nothing is downloaded)::

    python -m vidcore.detection.demo --out demo_out_detection

Writes under ``--out``: ``data/`` (videos, ground truth, proposals, label map), ``run/``
(checkpoints, ``log.jsonl``, ``config.json``), ``test/test_results.json`` and
``per_class_ap.txt``, ``per_class_ap.png`` (with matplotlib), ``detections.json`` (one held-out
video's keyframes: boxes and top actions) and ``annotated.mp4`` (that video with each keyframe's
boxes and top actions drawn), ``summary.json``. Prints the held-out frame-mAP@0.5 (official
protocol), the wall time and the CPU time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

__all__ = ["main", "run_demo"]


def run_demo(
    out: Path,
    *,
    epochs: int = 5,
    train_videos: int = 64,
    val_videos: int = 8,
    batch_size: int = 8,
    lr: float = 0.05,
    num_workers: int = 2,
    seed: int = 0,
) -> dict[str, float]:
    """Render, train, test; returns ``{"mAP", "seconds", "cpu_seconds", ...}`` (``cpu_seconds``: user +
    system time of this process and its finished data-loader workers)."""
    from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
    from vidcore.data.synth_detection import SynthDetectionConfig, render_detection_set

    from .experiment import DataConfig, Experiment, ModelConfig, test, train

    start = time.time()
    if out.exists():
        shutil.rmtree(out)
    cfg = SynthDetectionConfig(train_videos=train_videos, val_videos=val_videos, seed=seed)
    data = render_detection_set(out / "data", cfg)
    print(f"rendered {train_videos} + {val_videos} clips in {time.time() - start:.0f} s", flush=True)
    d = str(data)
    exp = Experiment(
        model=ModelConfig("slowonly_r18_synth"),
        data=DataConfig(
            root=d + "/videos", video_ext=".mp4", train_ann=d + "/train.csv", val_ann=d + "/val.csv",
            train_proposals=d + "/proposals_train.pkl", val_proposals=d + "/proposals_val.pkl",
            label_map=d + "/label_map.pbtxt", fps=cfg.fps, timestamp_start=0,
            timestamp_range=(1, cfg.seconds - 1),
        ),
        trainer=TrainerConfig(
            max_epochs=epochs, batch_size=batch_size, num_workers=num_workers, device="cpu", precision="fp32",
            optim=OptimConfig(lr=lr, weight_decay=1e-4), schedule=ScheduleConfig(warmup_epochs=1.0),
            eval_interval=epochs, keep_last=1, progress_bar=False, seed=seed, persistent_workers=False,
        ),
        work_dir=str(out / "run"),
    )
    train(exp)
    ckpt = out / "run" / "best.pth"
    if not ckpt.is_file():
        ckpt = sorted((out / "run").glob("epoch_*.pth"))[-1]
    result = test(exp, ckpt, device="cpu", progress=False, out_dir=out / "test")
    detail = result["per_class"]
    print(detail.table())
    _bar_chart(detail, out / "per_class_ap.png")
    _detections(exp, ckpt, data, out / "detections.json")
    seconds = time.time() - start
    cpu = sum(t for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for t in resource.getrusage(who)[:2])
    summary = {"mAP": float(result["mAP"]), "seconds": seconds, "cpu_seconds": cpu, "epochs": epochs,
               "train_videos": train_videos, "val_videos": val_videos}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"held-out frame-mAP@0.5: {summary['mAP']:.4f} ({val_videos} clips); wall time {seconds / 60:.1f} min, "
          f"CPU time {cpu / 60:.1f} min")
    return summary


def _bar_chart(detail: object, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no per_class_ap.png", file=sys.stderr)
        return
    ids = sorted(detail.ap)  # type: ignore[attr-defined]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar([detail.names[i] for i in ids], [detail.ap[i] for i in ids])  # type: ignore[attr-defined]
    ax.set_ylim(0, 1)
    ax.set_ylabel("AP@0.5")
    ax.set_title(f"frame-mAP {detail.mean_ap:.3f}")  # type: ignore[attr-defined]
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _detections(exp: object, ckpt: Path, data: Path, path: Path) -> None:
    from .cli import main as cli

    video = sorted((data / "videos").glob("val*.mp4"))[0]
    cli(["infer", str(video), "--preset", "slowonly_r18_synth", "--checkpoint", str(ckpt),
         "--proposals", str(data / "proposals_val.pkl"), "--label-map", str(data / "label_map.pbtxt"),
         "--top-k", "2", "--out", str(path), "--video-out", str(path.with_name("annotated.mp4"))])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m vidcore.detection.demo",
        description="Train and evaluate a small SlowOnly detector on the synthetic detection set.",
        epilog="example:\n  python -m vidcore.detection.demo --out demo_out_detection --epochs 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, default=Path("demo_out_detection"))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--train-videos", type=int, default=64)
    p.add_argument("--val-videos", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    run_demo(args.out, epochs=args.epochs, train_videos=args.train_videos, val_videos=args.val_videos,
             batch_size=args.batch_size, lr=args.lr, num_workers=args.workers)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
