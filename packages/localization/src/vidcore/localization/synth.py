"""A synthetic untrimmed set for temporal localization: long videos with 1-4 action segments of
vidcore-data's motion classes separated by background, the ground truth in MMAction2's
ActivityNet JSON layout, and per-snippet motion features.

    from vidcore.localization.synth import UntrimmedConfig, render_untrimmed_dataset
    render_untrimmed_dataset("demo_loc", UntrimmedConfig(num_videos=120))

writes ``demo_loc/annotations.json`` (``duration_second``, ``duration_frame``, ``feature_frame``,
``fps``, ``subset`` (``training``/``validation``) and ``annotations`` per video) and
``demo_loc/features/<video>.npy`` (``(T, C)`` float32, one row per snippet of 4 frames).

A video is a pure function of ``(seed, index)``. Action segments concatenate clips of one class
(:func:`vidcore.data.synth.render_video`: a textured object moving left/right/up/down, rotating or
zooming over a drifting textured background with moving distractors); background segments show
a still frame of another scene with camera shake and sensor grain. Boundaries are therefore scene
cuts, as in much of ActivityNet.

The features are a fixed, untrained descriptor (no backbone to download or train): per snippet,
the mean absolute frame difference on an 8 x 8 grid (motion energy, 64 values), the mean signed
horizontal and vertical intensity-gradient x temporal-difference products on a 4 x 4 grid (a
motion-direction cue, 32 values), and the mean colour on a 4 x 4 grid (48 values): 144 channels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["UntrimmedConfig", "motion_features", "render_untrimmed", "render_untrimmed_dataset"]

#: Frames per feature snippet.
SNIPPET = 4
#: Feature channels of :func:`motion_features`.
FEATURE_DIM = 144


@dataclass(frozen=True)
class UntrimmedConfig:
    """What to render.

    Attributes:
        num_videos: videos; the last ``val_fraction`` of them are the validation subset.
        size: frame side in pixels. fps: frames per second.
        min_seconds, max_seconds: video length.
        min_segments, max_segments: action segments per video.
        min_action_seconds, max_action_seconds: length of one action segment (shortened so
            that at least 20% of each video is background).
        seed: the dataset seed.
    """

    num_videos: int = 120
    val_fraction: float = 0.25
    size: int = 48
    fps: int = 12
    min_seconds: float = 20.0
    max_seconds: float = 40.0
    min_segments: int = 1
    max_segments: int = 4
    min_action_seconds: float = 2.5
    max_action_seconds: float = 8.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.num_videos < 2:
            raise ValueError(f"num_videos must be >= 2, got {self.num_videos}")
        if not 1 <= self.min_segments <= self.max_segments:
            raise ValueError("need 1 <= min_segments <= max_segments")
        if self.max_segments * self.min_action_seconds > 0.8 * self.min_seconds:
            raise ValueError("max_segments * min_action_seconds must leave 20% of min_seconds to background")


def render_untrimmed(index: int, cfg: UntrimmedConfig) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """One video: uint8 ``(T, H, W, 3)`` frames and its action segments as ``(start_frame,
    end_frame, class)`` (end exclusive)."""
    from vidcore.data.synth import CLASSES, SynthConfig, render_video

    rng = np.random.default_rng([cfg.seed, 7919, index])
    clip_cfg = SynthConfig(size=cfg.size, fps=cfg.fps, seed=cfg.seed, min_frames=24, max_frames=40)
    still_cfg = SynthConfig(size=cfg.size, fps=cfg.fps, seed=cfg.seed, min_frames=2, max_frames=2)
    n = round(rng.uniform(cfg.min_seconds, cfg.max_seconds) * cfg.fps)
    k = int(rng.integers(cfg.min_segments, cfg.max_segments + 1))
    longest = min(cfg.max_action_seconds, 0.8 * n / cfg.fps / k)  # keep 20% or more background
    lengths = [round(rng.uniform(cfg.min_action_seconds, longest) * cfg.fps) for _ in range(k)]
    free = n - sum(lengths)
    gaps = rng.multinomial(free, np.ones(k + 1) / (k + 1))  # background before, between, after
    frames = np.empty((n, cfg.size, cfg.size, 3), dtype=np.uint8)
    segments = []
    pos = 0
    clip_index = int(index) * 64

    def background(length: int) -> np.ndarray:
        nonlocal clip_index
        still = render_video(CLASSES[int(rng.integers(len(CLASSES)))], clip_index, still_cfg)[0].astype(np.float64)
        clip_index += 1
        out = np.empty((length, *still.shape), dtype=np.uint8)
        for i in range(length):
            dy, dx = rng.integers(-1, 2, size=2)
            img = np.roll(still, (int(dy), int(dx)), axis=(0, 1)) + rng.normal(0, 8.0, still.shape)
            out[i] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
        return out

    for j in range(k + 1):
        if gaps[j]:
            frames[pos : pos + gaps[j]] = background(int(gaps[j]))
            pos += int(gaps[j])
        if j == k:
            break
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        start = pos
        while pos < start + lengths[j]:
            clip = render_video(label, clip_index, clip_cfg)
            clip_index += 1
            take = min(len(clip), start + lengths[j] - pos)
            frames[pos : pos + take] = clip[:take]
            pos += take
        segments.append((start, pos, label))
    return frames, segments


def motion_features(frames: np.ndarray, snippet: int = SNIPPET) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 -> float32 ``(T // snippet, 144)`` (see the module docstring)."""
    t = frames.shape[0] // snippet * snippet
    f = frames[:t].astype(np.float32) / 255.0
    gray = f.mean(axis=3)  # (T, H, W)
    h, w = gray.shape[1:]

    def pool(x: np.ndarray, cells: int) -> np.ndarray:  # (S, H, W) -> (S, cells*cells)
        s = x.shape[0]
        x = x[:, : h // cells * cells, : w // cells * cells]
        return x.reshape(s, cells, h // cells, cells, w // cells).mean(axis=(2, 4)).reshape(s, -1)

    diff = np.abs(np.diff(gray, axis=0, append=gray[-1:]))  # (T, H, W)
    dt = np.diff(gray, axis=0, append=gray[-1:])
    gx = np.gradient(gray, axis=2)
    gy = np.gradient(gray, axis=1)
    s = t // snippet
    energy = pool(diff.reshape(s, snippet, h, w).mean(1), 8)  # (S, 64)
    flow_x = pool((gx * dt).reshape(s, snippet, h, w).mean(1), 4)  # (S, 16)
    flow_y = pool((gy * dt).reshape(s, snippet, h, w).mean(1), 4)  # (S, 16)
    colour = np.concatenate([pool(f[..., c].reshape(s, snippet, h, w).mean(1), 4) for c in range(3)], axis=1)
    feats = np.concatenate([energy * 10.0, flow_x * 100.0, flow_y * 100.0, colour], axis=1)
    return feats.astype(np.float32)


def _job(args: tuple[int, UntrimmedConfig, str]) -> tuple[str, dict]:
    index, cfg, out = args
    frames, segments = render_untrimmed(index, cfg)
    name = f"v_synth_{index:04d}"
    feats = motion_features(frames)
    np.save(Path(out) / "features" / f"{name}.npy", feats)
    n = len(frames)
    num_val = max(1, round(cfg.num_videos * cfg.val_fraction))
    info = {
        "duration_second": n / cfg.fps,
        "duration_frame": n,
        "feature_frame": feats.shape[0] * SNIPPET,
        "fps": float(cfg.fps),
        "subset": "validation" if index >= cfg.num_videos - num_val else "training",
        "annotations": [{"segment": [s / cfg.fps, e / cfg.fps], "label": lab} for s, e, lab in segments],
    }
    return name, info


def render_untrimmed_dataset(out_dir: str | Path, cfg: UntrimmedConfig = UntrimmedConfig(), *, workers: int = 2) -> Path:
    """Render ``cfg.num_videos`` videos to features and ``annotations.json`` under ``out_dir``;
    returns the annotation file. Frames are not kept (see :func:`render_untrimmed`)."""
    out = Path(out_dir)
    (out / "features").mkdir(parents=True, exist_ok=True)
    jobs = [(i, cfg, str(out)) for i in range(cfg.num_videos)]
    if workers > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(workers) as pool:
            items = pool.map(_job, jobs)
    else:
        items = [_job(j) for j in jobs]
    path = out / "annotations.json"
    path.write_text(json.dumps(dict(items), indent=1) + "\n")
    return path
