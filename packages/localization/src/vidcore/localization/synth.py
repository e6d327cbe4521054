"""Fixed motion features of vidcore-data's synthetic untrimmed set (:mod:`vidcore.data.synth_untrimmed`:
long videos with 1-4 action segments of the motion classes among background, the ground truth in
the ActivityNet JSON layout), for the demo's no-backbone path.

    from vidcore.data.synth_untrimmed import UntrimmedConfig
    from vidcore.localization.synth import render_motion_feature_dataset
    render_motion_feature_dataset("demo_loc", UntrimmedConfig(num_videos=100))

writes ``demo_loc/annotations.json`` (the same file as ``vidcore-data synth --untrimmed``) and
``demo_loc/features/<video>.npy`` (``(T, C)`` float32, one row per snippet of 4 frames), rendering
the frames in memory (no video files). The demo's default path instead extracts features of the
H.264 videos with a recognition backbone (``vidcore-recognition extract-features``).

The features are a fixed, untrained descriptor (no backbone to download or train): per snippet,
the mean absolute frame difference on an 8 x 8 grid (motion energy, 64 values), the mean signed
horizontal and vertical intensity-gradient x temporal-difference products on a 4 x 4 grid (a
motion-direction cue, 32 values), and the mean colour on a 4 x 4 grid (48 values): 144 channels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidcore.data.synth_untrimmed import UntrimmedConfig, render_untrimmed, untrimmed_annotation, video_name

__all__ = ["FEATURE_DIM", "SNIPPET", "motion_features", "render_motion_feature_dataset"]

#: Frames per feature snippet.
SNIPPET = 4
#: Feature channels of :func:`motion_features`.
FEATURE_DIM = 144


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
    frames, _ = render_untrimmed(index, cfg)
    np.save(Path(out) / "features" / f"{video_name(index)}.npy", motion_features(frames))
    return video_name(index), untrimmed_annotation(index, cfg)


def render_motion_feature_dataset(
    out_dir: str | Path, cfg: UntrimmedConfig | None = None, *, workers: int = 2
) -> Path:
    """Render ``cfg.num_videos`` videos in memory to motion features and ``annotations.json``
    under ``out_dir``; returns the annotation file."""
    cfg = cfg or UntrimmedConfig()
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
