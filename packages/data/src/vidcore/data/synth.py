"""A small, reproducible action dataset rendered as real H.264 files: the built-in default dataset.

Eight motion classes of a textured object over a noisy, drifting background with moving
distractors. The label is the direction of the object's motion, so a single frame says nothing:
every frame of every class shows the same kind of object at a random place, size and angle.

    from vidcore.data.synth import SynthConfig, render_dataset
    render_dataset("demo_data", SynthConfig(videos_per_class=40))

writes ``demo_data/videos/<class>/<class>_NNNN.mp4``, ``label_map.txt`` (one class per line),
``train.txt`` and ``val.txt`` (MMAction2 video lists: ``videos/<class>/<file>.mp4 <label>``) and
``flip_label_map.json`` (the classes a horizontal flip swaps).

Each video is a pure function of ``(seed, class, index)``, so rendering is order-independent,
parallel and resumable, and the same seed gives byte-identical videos on the same FFmpeg build.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import av
import numpy as np
from scipy.ndimage import gaussian_filter

CLASSES: tuple[str, ...] = (
    "move_left",
    "move_right",
    "move_up",
    "move_down",
    "rotate_clockwise",
    "rotate_counterclockwise",
    "zoom_in",
    "zoom_out",
)

# A horizontal flip turns each of these classes into the other (clockwise becomes counter-clockwise).
HFLIP_SWAP: dict[str, str] = {
    "move_left": "move_right",
    "move_right": "move_left",
    "rotate_clockwise": "rotate_counterclockwise",
    "rotate_counterclockwise": "rotate_clockwise",
}


@dataclass(frozen=True)
class SynthConfig:
    """What to render.

    Attributes:
        videos_per_class: videos per class; ``val_fraction`` of them go to ``val.txt``.
        size: frame height and width in pixels.
        min_frames, max_frames: clip length range (frames, inclusive).
        fps: frame rate written into the files.
        seed: the dataset seed; each video derives its own generator from it.
        gop: keyframe interval of the H.264 stream (short: fast random access).
        crf: x264 constant rate factor (lower: larger files, fewer artefacts).
        val_fraction: share of each class held out for validation.
    """

    videos_per_class: int = 40
    size: int = 96
    min_frames: int = 24
    max_frames: int = 40
    fps: int = 12
    seed: int = 0
    gop: int = 12
    crf: int = 20
    val_fraction: float = 0.25

    def __post_init__(self) -> None:
        if self.videos_per_class < 1:
            raise ValueError(f"videos_per_class must be >= 1, got {self.videos_per_class}")
        if self.size < 32:
            raise ValueError(f"size must be >= 32 pixels, got {self.size}")
        if not 2 <= self.min_frames <= self.max_frames:
            raise ValueError(f"need 2 <= min_frames <= max_frames, got {self.min_frames}, {self.max_frames}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


def _smooth_noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    """Colour noise blurred to blobs of about ``sigma`` pixels, ``(h, w, 3)`` float in [0, 1]."""
    noise = rng.random((h, w, 3))
    noise = gaussian_filter(noise, sigma=(sigma, sigma, 0), mode="wrap")
    lo, hi = noise.min(), noise.max()
    return (noise - lo) / max(hi - lo, 1e-6)


def _object_motion(
    label: str, rng: np.random.Generator, t: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre x, centre y (pixels), angle (radians, clockwise on screen) and scale at frame times ``t``."""
    n = len(t)
    span = max(n - 1, 1)
    cx0 = size * rng.uniform(0.35, 0.65)
    cy0 = size * rng.uniform(0.35, 0.65)
    angle0 = rng.uniform(0, 2 * math.pi)
    # A slow random drift on every class, so position change alone is not the rotate/zoom cue.
    drift = rng.uniform(-0.15, 0.15, size=2) * size / 96
    cx = cx0 + drift[0] * t
    cy = cy0 + drift[1] * t
    angle = np.full(n, angle0) + rng.uniform(-0.004, 0.004) * t
    scale = np.ones(n)
    if label.startswith("move_"):
        # Travel 30-55% of the frame over the clip, centred on the start point.
        dist = size * rng.uniform(0.30, 0.55)
        step = (t - span / 2) / span * dist
        dx, dy = {"move_left": (-1, 0), "move_right": (1, 0), "move_up": (0, -1), "move_down": (0, 1)}[label]
        cx = size * rng.uniform(0.4, 0.6) + dx * step + drift[0] * t * (dx == 0)
        cy = size * rng.uniform(0.4, 0.6) + dy * step + drift[1] * t * (dy == 0)
    elif label.startswith("rotate_"):
        total = math.radians(rng.uniform(200, 330))  # 25-40 degrees between TSN segments
        sign = 1.0 if label == "rotate_clockwise" else -1.0
        angle = angle0 + sign * total * t / span
    elif label.startswith("zoom_"):
        ratio = rng.uniform(1.7, 2.5)
        exponent = t / span if label == "zoom_in" else 1 - t / span
        scale = ratio ** (exponent - 0.5)
    else:  # pragma: no cover - CLASSES is closed
        raise ValueError(f"unknown class {label!r}")
    return cx, cy, angle, scale


def render_video(label: str, index: int, cfg: SynthConfig) -> np.ndarray:
    """Render one clip of class ``label``: uint8 ``(T, H, W, 3)`` RGB."""
    class_id = CLASSES.index(label)
    rng = np.random.default_rng([cfg.seed, class_id, index])
    size = cfg.size
    n = int(rng.integers(cfg.min_frames, cfg.max_frames + 1))
    t = np.arange(n, dtype=np.float64)

    # Background: a tile of colour noise larger than the frame, panned at a random slow velocity.
    margin = size // 2
    bg = _smooth_noise(rng, size + 2 * margin, size + 2 * margin, sigma=size / 24)
    bg = 0.25 + 0.5 * bg * rng.uniform(0.6, 1.0, size=3)
    bg_vel = rng.uniform(-0.4, 0.4, size=2) * size / 96

    # The object: ellipse or rectangle with a two-colour striped and checkered texture and a marker.
    half = size * rng.uniform(0.11, 0.18, size=2)
    is_ellipse = bool(rng.random() < 0.5)
    colours = rng.uniform(0.0, 1.0, size=(2, 3))
    colours[1] = 1.0 - colours[0] * rng.uniform(0.6, 1.0)
    stripe = size * rng.uniform(0.06, 0.10)  # coarse enough to survive downscaling to ~48 px
    # A contrasting disc near one end: a "clock hand" that makes the rotation direction legible.
    marker_colour = np.where(colours.mean(axis=0) > 0.5, 0.05, 0.95)
    marker_at = 0.65 * half[0]
    marker_r = 0.45 * min(half)
    cx, cy, angle, scale = _object_motion(label, rng, t, size)

    # Distractors: small discs moving in straight lines and wrapping around.
    n_dis = int(rng.integers(2, 5))
    dis_pos = rng.uniform(0, size, size=(n_dis, 2))
    dis_vel = rng.uniform(-1.5, 1.5, size=(n_dis, 2)) * size / 96
    dis_rad = rng.uniform(2.0, 5.0, size=n_dis) * size / 96
    dis_col = rng.uniform(0, 1, size=(n_dis, 3))

    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        ox = round(float(margin + bg_vel[0] * i)) % (2 * margin)
        oy = round(float(margin + bg_vel[1] * i)) % (2 * margin)
        img = bg[oy : oy + size, ox : ox + size].copy()

        for k in range(n_dis):
            px, py = (dis_pos[k] + dis_vel[k] * i) % size
            mask = (xx - px) ** 2 + (yy - py) ** 2 <= dis_rad[k] ** 2
            img[mask] = dis_col[k]

        # Object-local coordinates (u, v) of every pixel: undo translation, rotation, scale.
        c, s = math.cos(angle[i]), math.sin(angle[i])
        dx, dy = xx - cx[i], yy - cy[i]
        u = (c * dx + s * dy) / scale[i]
        v = (-s * dx + c * dy) / scale[i]
        if is_ellipse:
            inside = (u / half[0]) ** 2 + (v / half[1]) ** 2 <= 1.0
        else:
            inside = (np.abs(u) <= half[0]) & (np.abs(v) <= half[1])
        # Stripes along u plus a half-plane marker on v > 0: asymmetric, so rotation is visible.
        pattern = ((np.floor(u / stripe) + (v > 0)) % 2).astype(bool)
        img[inside & pattern] = colours[0]
        img[inside & ~pattern] = colours[1]
        img[(u - marker_at) ** 2 + v**2 <= marker_r**2] = marker_colour

        img += rng.normal(0.0, 0.03, size=img.shape)  # sensor grain, new every frame
        frames[i] = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return frames


def write_h264(path: str | os.PathLike[str], frames: np.ndarray, fps: int, *, gop: int = 12, crf: int = 20) -> None:
    """Encode uint8 ``(T, H, W, 3)`` RGB frames to an H.264 MP4, atomically (temp file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    h, w = frames.shape[1:3]
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "g": str(gop), "preset": "fast", "threads": "1"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def _job(args: tuple[str, int, SynthConfig, str]) -> str:
    label, index, cfg, out = args
    path = Path(out)
    if not path.exists():  # resumable: complete files appear only through the atomic rename
        write_h264(path, render_video(label, index, cfg), cfg.fps, gop=cfg.gop, crf=cfg.crf)
    return out


def _video_relpath(label: str, index: int) -> str:
    return f"videos/{label}/{label}_{index:04d}.mp4"


def split_of(index: int, cfg: SynthConfig) -> str:
    """``"val"`` for the last ``val_fraction`` of each class's indices, else ``"train"``."""
    n_val = round(cfg.videos_per_class * cfg.val_fraction)
    return "val" if index >= cfg.videos_per_class - n_val else "train"


def iter_jobs(out_dir: Path, cfg: SynthConfig) -> Iterator[tuple[str, int, SynthConfig, str]]:
    for label in CLASSES:
        for index in range(cfg.videos_per_class):
            yield label, index, cfg, str(out_dir / _video_relpath(label, index))


def render_dataset(
    out_dir: str | os.PathLike[str], cfg: SynthConfig | None = None, *, workers: int = 1, progress: bool = True
) -> Path:
    """Render the whole dataset into ``out_dir`` (resumable) and write its lists; returns ``out_dir``."""
    cfg = cfg or SynthConfig()
    out = Path(out_dir)
    for label in CLASSES:
        (out / "videos" / label).mkdir(parents=True, exist_ok=True)
    jobs = list(iter_jobs(out, cfg))

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="rendering videos", unit="video")
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_job, jobs, chunksize=4):
                if bar is not None:
                    bar.update()
    else:
        for job in jobs:
            _job(job)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()

    (out / "label_map.txt").write_text("".join(f"{c}\n" for c in CLASSES))
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for label_id, label in enumerate(CLASSES):
        for index in range(cfg.videos_per_class):
            lists[split_of(index, cfg)].append(f"{_video_relpath(label, index)} {label_id}\n")
    for split, lines in lists.items():
        (out / f"{split}.txt").write_text("".join(lines))
    (out / "flip_label_map.json").write_text(
        json.dumps({CLASSES.index(a): CLASSES.index(b) for a, b in HFLIP_SWAP.items()}, indent=1) + "\n"
    )
    (out / "synth_config.json").write_text(json.dumps(cfg.__dict__, indent=1) + "\n")
    return out
