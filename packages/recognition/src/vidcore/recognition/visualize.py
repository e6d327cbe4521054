"""Figures and annotated videos for reports: confusion matrix, training curves, labelled clips.

Plots need matplotlib (``pip install vidcore-recognition[plot]``); annotated videos need only
what the package already depends on (PyAV through vidcore-data, Pillow).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plots need matplotlib: pip install 'vidcore-recognition[plot]' (or pip install matplotlib)"
        ) from e
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(
    cm: np.ndarray, class_names: Sequence[str], path: str | Path, *, title: str = "confusion matrix"
) -> Path:
    """Save a row-normalised confusion matrix (rows: true class, columns: predicted) as a PNG."""
    plt = _pyplot()
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * n, 0.8 + 0.6 * n))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=8,
                        color="white" if norm[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def read_log(log_path: str | Path) -> tuple[list[dict], list[dict]]:
    """Split a trainer ``log.jsonl`` into its training records and its validation records."""
    train, val = [], []
    for line in Path(log_path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        (val if rec.get("mode") == "val" else train).append(rec)
    return train, val


def plot_training_curve(log_path: str | Path, path: str | Path, *, metric: str = "top1") -> Path:
    """Save training loss per iteration and validation ``metric`` per epoch as a PNG."""
    plt = _pyplot()
    train, val = read_log(log_path)
    fig, ax = plt.subplots(figsize=(7, 4))
    its = [r["iter"] for r in train if "loss" in r]
    ax.plot(its, [r["loss"] for r in train if "loss" in r], color="tab:blue", label="train loss")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss", color="tab:blue")
    if val and any(metric in r for r in val):
        ax2 = ax.twinx()
        pts = [(r["iter"], r[metric]) for r in val if metric in r]
        ax2.plot(*zip(*pts), "o-", color="tab:orange", label=f"val {metric}")
        ax2.set_ylabel(f"val {metric}", color="tab:orange")
        ax2.set_ylim(0, 1.0)
    ax.set_title("training curve")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_label(frames: np.ndarray, text: str) -> np.ndarray:
    """Draw ``text`` in a banner along the top of every frame of uint8 ``(T, H, W, 3)``; returns a copy."""
    from PIL import Image, ImageDraw, ImageFont

    out = np.empty_like(frames)
    h, w = frames.shape[1:3]
    banner = max(12, h // 8)
    try:
        font = ImageFont.load_default(size=max(8, banner - 4))
    except TypeError:  # Pillow < 10.1 has no sized default font
        font = ImageFont.load_default()
    for i, frame in enumerate(frames):
        img = Image.fromarray(frame)
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, w, banner), fill=(0, 0, 0))
        draw.text((2, 1), text, fill=(255, 255, 0), font=font)
        out[i] = np.asarray(img)
    return out


def annotate_video(src: str | Path, dst: str | Path, text: str) -> Path:
    """Write a copy of video ``src`` to ``dst`` (H.264 MP4) with ``text`` drawn on every frame."""
    from vidcore.data.decoders import open_video
    from vidcore.data.synth import write_h264

    with open_video(src) as reader:
        frames = reader.get_frames(np.arange(reader.num_frames)).numpy()  # (T, H, W, C)
        fps = round(reader.fps) or 25
    h, w = frames.shape[1:3]
    frames = draw_label(frames[:, : h - h % 2, : w - w % 2], text)  # yuv420p needs even sizes
    dst = Path(dst)
    write_h264(dst, frames, fps)
    return dst
