"""The built-in localization demo: render vidcore-data's synthetic untrimmed videos, extract their
snippet features with a recognition backbone, train a narrow BMN on them, evaluate on the held-out
videos and draw ground truth against predictions.

    python -m vidcore.localization.demo --out demo_loc_out        # or: vidcore-localization demo

The default path is the README's commands, run in turn:

    vidcore-data synth OUT/data --untrimmed --videos 100           # H.264 videos + annotations.json
    vidcore-recognition extract-features OUT/data/videos/*.mp4 --preset tsm_r18_1x1x8_kinetics400 \\
        --random-weights --short-side 48 --crop-size 48 --stride 8 --format npy --out OUT/data/features
    vidcore-localization train/test (preset bmn_synthetic_tsm_r18_demo, in this process)

The backbone is TSM-R18 with its random initialisation, at the videos' 48 pixels: a fixed random
convolutional feature (512-d per 8-frame snippet), the same for every video; nothing is downloaded
and no backbone is trained (training one briefly on the trimmed set cost more than the demo's
time budget on 2 CPU cores). vidcore-recognition runs as a separate process (``python -m
vidcore.recognition``): this package never imports it. ``--features motion`` takes the older
path without vidcore-recognition: fixed motion descriptors computed from the frames in memory
(:mod:`vidcore.localization.synth`, preset ``bmn_synthetic_demo``).

Writes ``OUT/data/`` (videos, features, ``annotations.json``), ``OUT/work_dir/`` (checkpoints,
``log.jsonl``, ``config.json``, ``test/test_results.json``, ``results.json``),
``OUT/timeline.png`` and ``OUT/demo_summary.json``, and prints AR@1/5/10/100, the AUC, the wall
time and the CPU time (this process and its children).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["extract_with_recognition", "main", "plot_timeline", "run_demo"]


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


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


#: The demo's feature paths: preset of BMN, backbone arguments of ``extract-features``.
BACKBONE_ARGS = ["--preset", "tsm_r18_1x1x8_kinetics400", "--random-weights", "--short-side", "48", "--crop-size", "48"]
FEATURE_STRIDE = 8


def extract_with_recognition(videos: list[Path], out: Path, *, batch_size: int = 32) -> None:
    """Run ``vidcore-recognition extract-features`` (as ``python -m vidcore.recognition``, a
    separate process) on ``videos``, writing ``out/<stem>.npy``. Raises ``RuntimeError`` when
    vidcore-recognition is not installed or the command fails."""
    import importlib.util

    if importlib.util.find_spec("vidcore.recognition") is None:
        raise RuntimeError(
            "the demo extracts features with vidcore-recognition: pip install vidcore-recognition "
            "(or run `vidcore-localization demo --features motion`, which needs no backbone)"
        )
    cmd = [sys.executable, "-m", "vidcore.recognition", "extract-features", *map(str, videos), *BACKBONE_ARGS,
           "--stride", str(FEATURE_STRIDE), "--format", "npy", "--out", str(out), "--device", "cpu",
           "--batch-size", str(batch_size)]  # fmt: skip
    shown = " ".join(cmd[3:6]) + f" ... ({len(videos)} videos) " + " ".join(cmd[5 + len(videos) :])
    print(f"$ vidcore-recognition {shown}", flush=True)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"extract-features failed (exit {done.returncode}):\n{done.stdout[-2000:]}")


def run_demo(
    out: str | Path = "demo_loc_out",
    *,
    num_videos: int = 100,
    epochs: int | None = None,
    workers: int = 2,
    threads: int = 1,
    features: str = "tsm_r18",
) -> dict[str, Any]:
    """Render, extract features, train, test, plot; returns the test metrics plus ``wall_s``,
    ``cpu_s`` and the time of each stage.

    ``features``: ``"tsm_r18"`` (videos written, features by ``vidcore-recognition
    extract-features``) or ``"motion"`` (fixed motion descriptors, no video files, no backbone).
    ``epochs``: BMN training epochs (default 60 on the TSM-R18 features, 30 on the motion ones).
    ``threads``: torch intra-op threads for training (1 by default: the demo network is small, and
    on a shared 2-core machine one thread was 6x faster per step than two).
    """
    import torch

    from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
    from vidcore.data.synth_untrimmed import UntrimmedConfig, render_untrimmed_dataset

    from .experiment import DataConfig, Experiment, ModelConfig, test, train
    from .inference import load_localizer, propose
    from .postprocess import write_results_json
    from .synth import render_motion_feature_dataset

    if features not in ("tsm_r18", "motion"):
        raise ValueError(f"features must be 'tsm_r18' or 'motion', got {features!r}")
    epochs = epochs if epochs is not None else (60 if features == "tsm_r18" else 30)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    out = Path(out)
    data = out / "data"
    ann = data / "annotations.json"
    feats = data / "features"
    cfg = UntrimmedConfig(num_videos=num_videos)
    if features == "motion":
        preset = "bmn_synthetic_demo"
        if not ann.is_file() or len(list(feats.glob("*.npy"))) != num_videos:
            print(f"rendering {num_videos} untrimmed videos to motion features in {data} ...", flush=True)
            render_motion_feature_dataset(data, cfg, workers=workers)
        t_render = time.perf_counter() - t0
    else:
        preset = "bmn_synthetic_tsm_r18_demo"
        print(f"$ vidcore-data synth {data} --untrimmed --videos {num_videos}", flush=True)
        render_untrimmed_dataset(data, cfg, workers=workers, progress=False)  # resumes: finished videos kept
        t_render = time.perf_counter() - t0
        names = list(json.loads(ann.read_text()))
        todo = [data / "videos" / f"{v}.mp4" for v in names if not (feats / f"{v}.npy").is_file()]
        if todo:
            extract_with_recognition(todo, feats)
    t_data = time.perf_counter() - t0
    torch.set_num_threads(threads)
    work = out / "work_dir"
    exp = Experiment(
        model=ModelConfig(preset),
        data=DataConfig(annotations=str(ann), feature_root=str(feats), feature_ext=".npy"),
        trainer=TrainerConfig(
            max_epochs=epochs, batch_size=8, val_batch_size=16, num_workers=0, device="cpu", progress_bar=False,
            optim=OptimConfig(name="adamw", lr=2e-3, weight_decay=1e-4, clip_grad_norm=40.0),
            schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
            eval_interval=5, seed=0, best_metric="AUC", checkpoint_interval_epochs=5, keep_last=1, log_interval=10,
        ),
        work_dir=str(work),
    )  # fmt: skip
    train(exp)
    from vidcore.core.checkpoint import CheckpointManager

    # the last epoch's weights: the held-out videos are not used to pick a checkpoint (best.pth is
    # the best on them, for reference only)
    final = Path(CheckpointManager(work).latest_path())
    result = test(exp, final, device="cpu", progress=False, out_dir=work / "test")
    gt = json.loads(ann.read_text())
    val = {v: info for v, info in gt.items() if info["subset"] == "validation"}
    model = load_localizer(preset, final)
    preds = {v: propose(model, feats / f"{v}.npy", duration=info["duration_second"],
                        duration_frame=info["duration_frame"]) for v, info in val.items()}  # fmt: skip
    write_results_json(preds, work / "results.json")
    results = json.loads((work / "results.json").read_text())["results"]
    plotted = plot_timeline(val, results, out / "timeline.png")
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    summary = {k: result[k] for k in ("AR@1", "AR@5", "AR@10", "AR@100", "AUC") if k in result}
    summary.update(wall_s=wall, cpu_s=cpu, render_s=t_render, data_s=t_data, held_out_videos=len(val), epochs=epochs,
                   features=features, preset=preset, load_average=os.getloadavg()[0])  # fmt: skip
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for k in ("AR@1", "AR@5", "AR@10", "AR@100"):
        print(f"{k:>7}: {100 * summary[k]:6.2f} %")
    print(f"{'AUC':>7}: {summary['AUC']:6.2f}   ({len(val)} held-out videos)")
    print(f"wall time {wall:.0f} s (rendering {t_render:.0f} s, features {t_data - t_render:.0f} s), CPU time {cpu:.0f} s"
          + (f"; timeline: {out / 'timeline.png'}" if plotted else ""))  # fmt: skip
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vidcore.localization.demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--out", default="demo_loc_out")
    p.add_argument("--videos", type=int, default=100, help="videos to render (a quarter held out)")
    p.add_argument("--epochs", type=int, default=None, help="BMN epochs (default 60; 30 with --features motion)")
    p.add_argument("--workers", type=int, default=2, help="processes rendering the videos")
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    p.add_argument("--features", choices=("tsm_r18", "motion"), default="tsm_r18",
                   help="tsm_r18: videos + vidcore-recognition extract-features (default); motion: fixed descriptors")
    a = p.parse_args(argv)
    run_demo(a.out, num_videos=a.videos, epochs=a.epochs, workers=a.workers, threads=a.threads, features=a.features)
    return 0


if __name__ == "__main__":
    sys.exit(main())
