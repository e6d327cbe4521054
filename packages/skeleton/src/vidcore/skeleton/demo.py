"""The built-in skeleton demo: render the synthetic skeleton set, train ST-GCN from scratch on it,
test it with several clips per sequence, and write a report. Nothing is downloaded.

    python -m vidcore.skeleton.demo --out demo_skeleton/

Writes ``OUT/data/skeleton.pkl`` (+ ``label_map.txt``), ``OUT/run/`` (checkpoints, ``log.jsonl``,
``config.json``), ``OUT/test/`` (``test_results.json``, ``scores.npz``), ``OUT/confusion_matrix.png``
(with matplotlib installed) and ``OUT/prediction.gif`` (a held-out skeleton with its true and
predicted labels), and prints the held-out top-1 and the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main", "run_demo"]


def _draw_gif(keypoint: np.ndarray, score: np.ndarray, img_shape: tuple[int, int], title: str, path: Path) -> None:
    """A stick figure per frame (``keypoint`` ``(T, 17, 2)`` pixels) with ``title``, as an animated GIF."""
    from PIL import Image, ImageDraw

    from vidcore.data.skeleton_graphs import COCO17

    h, w = img_shape
    scale = 320 / w
    frames = []
    for t in range(keypoint.shape[0]):
        im = Image.new("RGB", (320, int(h * scale) + 20), "white")
        d = ImageDraw.Draw(im)
        for a, b in COCO17.limbs:
            if score[t, a] > 0 and score[t, b] > 0:
                pa, pb = keypoint[t, a] * scale, keypoint[t, b] * scale
                d.line([(pa[0], pa[1] + 20), (pb[0], pb[1] + 20)], fill=(30, 60, 200), width=3)
        for j in range(17):
            if score[t, j] > 0:
                x, y = keypoint[t, j] * scale
                d.ellipse([x - 2, y + 18, x + 2, y + 22], fill=(200, 30, 30))
        d.text((4, 4), title, fill=(0, 0, 0))
        frames.append(im)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=66, loop=0)


def _confusion_png(matrix: np.ndarray, names: list[str], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            if matrix[i, j]:
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


#: the demo's models: preset and default epochs
MODELS: dict[str, tuple[str, int]] = {
    "stgcn": ("stgcn_joint_synth_coco_2d", 8),
    "posec3d": ("posec3d_slowonly_r50_synth_coco_keypoint", 3),
}


def run_demo(
    out: str | Path = "demo_skeleton",
    *,
    model: str = "stgcn",
    epochs: int | None = None,
    samples_per_class: int = 40,
    batch_size: int = 8,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, float]:
    """Render, train ``model`` (``"stgcn"`` or ``"posec3d"``, see :data:`MODELS`; ``epochs`` ``None``:
    its default), test; returns ``{"top1", "mean_class_accuracy", "wall_s", "cpu_s", "threads"}``
    (``cpu_s``: CPU seconds this process used, all threads; on a busy machine the wall time exceeds
    what the work needs)."""
    import torch

    from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
    from vidcore.data.synth_skeleton import SkeletonSynthConfig, render_skeleton_dataset

    from .experiment import DataConfig, Experiment, ModelConfig, test, train
    from .inference import load_skeleton_model, predict_pickle

    t0, cpu0 = time.time(), time.process_time()
    out = Path(out)
    data = out / "data" / "skeleton.pkl"
    if not data.is_file():
        render_skeleton_dataset(out / "data", SkeletonSynthConfig(samples_per_class=samples_per_class, seed=seed))
    names = (out / "data" / "label_map.txt").read_text().splitlines()
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    preset, default_epochs = MODELS[model]
    epochs = epochs or default_epochs
    exp = Experiment(
        model=ModelConfig(preset, num_classes=len(names)),
        data=DataConfig(annotations=str(data), train_split="train", val_split="val"),
        trainer=TrainerConfig(
            max_epochs=epochs,
            batch_size=batch_size,
            num_workers=0,
            optim=OptimConfig(name="adamw", lr=lr, weight_decay=1e-4),
            schedule=ScheduleConfig(name="cosine", warmup_epochs=0.5),
            eval_interval=epochs,  # validate once, at the end: the tested checkpoint is the last one
            seed=seed,
            progress_bar=progress,
            log_interval=10,
        ),
        work_dir=str(out / "run"),
    )
    train(exp)
    result = test(exp, out / "run" / "best.pth", out_dir=out / "test", progress=progress)
    if "confusion_matrix" in result:
        _confusion_png(np.asarray(result["confusion_matrix"]), names, out / "confusion_matrix.png")
    # one held-out sequence with its prediction
    from vidcore.data.annotations.skeleton import read_skeleton_pickle

    ann = read_skeleton_pickle(data)
    val = ann.select("val")
    net, p = load_skeleton_model(preset, out / "run" / "best.pth")
    record = val[len(val) // 3]
    subset = [r for r in val if r.frame_dir == record.frame_dir]
    from vidcore.data.annotations.skeleton import SkeletonAnnotations

    (_frame_dir, scores), = list(predict_pickle(net, p, SkeletonAnnotations({}, subset)))  # type: ignore[arg-type]
    pred = names[int(np.argmax(scores))] if not isinstance(scores, str) else "?"
    _draw_gif(
        record.keypoint[0], record.keypoint_score[0], record.img_shape or (480, 640),  # type: ignore[index]
        f"true: {names[record.label]}  predicted: {pred}", out / "prediction.gif",
    )  # fmt: skip
    wall = time.time() - t0
    summary = {
        "top1": float(result["top1"]),
        "mean_class_accuracy": float(result["mean_class_accuracy"]),
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu0,  # CPU time of this process, all threads
        "threads": torch.get_num_threads(),
    }
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m vidcore.skeleton.demo",
        description="Train ST-GCN on the built-in synthetic skeleton set and report held-out accuracy.",
    )
    ap.add_argument("--out", default="demo_skeleton", help="output folder")
    ap.add_argument("--model", choices=sorted(MODELS), default="stgcn",
                    help="stgcn (ST-GCN on body-centred joints) or posec3d (PoseC3D on joint heatmaps)")  # fmt: skip
    ap.add_argument("--epochs", type=int, default=None, help="default: 8 for stgcn, 3 for posec3d")
    ap.add_argument("--samples-per-class", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    s = run_demo(args.out, model=args.model, epochs=args.epochs, samples_per_class=args.samples_per_class, seed=args.seed,
                 progress=not args.no_progress)  # fmt: skip
    print(f"held-out top-1 {100 * s['top1']:.2f} %, mean class accuracy {100 * s['mean_class_accuracy']:.2f} %, "
          f"wall time {s['wall_s']:.0f} s, CPU time {s['cpu_s']:.0f} s ({s['threads']} threads); report in {args.out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
