"""A synthetic untrimmed set for temporal action localization: long low-resolution H.264 videos
with 1-4 action segments of the motion classes of :mod:`vidcore.data.synth` separated by
background, the ground truth in the ActivityNet JSON layout.

    from vidcore.data.synth_untrimmed import UntrimmedConfig, render_untrimmed_dataset
    render_untrimmed_dataset("loc_data", UntrimmedConfig(num_videos=100))

writes ``loc_data/videos/v_synth_NNNN.mp4`` and ``loc_data/annotations.json``: per video
``duration_second``, ``duration_frame``, ``feature_frame`` (equal to ``duration_frame``: every
video has a multiple of 16 frames, so features taken every 4, 8 or 16 frames cover all of it, and
MMAction2's ``duration_frame // 16 * 16`` span is the whole video), ``fps``, ``subset``
(``training`` for the first videos, ``validation`` for the last ``val_fraction``) and
``annotations`` (``[{"segment": [start_s, end_s], "label": class}]``, end exclusive, in seconds).

A video is a pure function of ``(seed, index)``: its layout (length, segment lengths and places,
classes) comes from one generator, its pixels from another, so the ground truth is known without
rendering and rendering resumes (finished files are kept). Action segments concatenate clips of
one class (:func:`vidcore.data.synth.render_video`: a textured object moving left/right/up/down,
rotating or zooming over a drifting background with moving distractors); background segments show
a still frame of another scene with camera shake and sensor grain. Boundaries are scene cuts, as
in much of ActivityNet.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .synth import CLASSES, SynthConfig, render_video, write_h264

__all__ = [
    "Segment",
    "UntrimmedConfig",
    "plan_untrimmed",
    "render_untrimmed",
    "render_untrimmed_dataset",
    "untrimmed_annotation",
    "video_name",
]

#: Every video's frame count is a multiple of this (MMAction2's ActivityNet feature interval).
FRAME_MULTIPLE = 16

#: ``(start_frame, end_frame, class)``, end exclusive.
Segment = tuple[int, int, str]


@dataclass(frozen=True)
class UntrimmedConfig:
    """What to render.

    Attributes:
        num_videos: videos; the last ``val_fraction`` of them are the validation subset.
        size: frame side in pixels. fps: frames per second.
        min_seconds, max_seconds: video length (rounded to a multiple of 16 frames).
        min_segments, max_segments: action segments per video.
        min_action_seconds, max_action_seconds: length of one action segment (shortened so
            that at least 20% of each video is background).
        seed: the dataset seed. gop, crf: the H.264 keyframe interval and rate factor.
    """

    num_videos: int = 100
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
    gop: int = 12
    crf: int = 20

    def __post_init__(self) -> None:
        if self.num_videos < 2:
            raise ValueError(f"num_videos must be >= 2, got {self.num_videos}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.size < 32:
            raise ValueError(f"size must be >= 32 pixels, got {self.size}")
        if not 0 < self.min_seconds <= self.max_seconds:
            raise ValueError(f"need 0 < min_seconds <= max_seconds, got {self.min_seconds}, {self.max_seconds}")
        if self.min_seconds * self.fps < FRAME_MULTIPLE:
            raise ValueError(f"min_seconds * fps must be >= {FRAME_MULTIPLE} frames")
        if not 1 <= self.min_segments <= self.max_segments:
            raise ValueError(f"need 1 <= min_segments <= max_segments, got {self.min_segments}, {self.max_segments}")
        if not 0 < self.min_action_seconds <= self.max_action_seconds:
            raise ValueError("need 0 < min_action_seconds <= max_action_seconds")
        if self.max_segments * self.min_action_seconds > 0.8 * self.min_seconds:
            raise ValueError("max_segments * min_action_seconds must leave 20% of min_seconds to background")

    def subset(self, index: int) -> str:
        """``"validation"`` for the last ``val_fraction`` of the indices, else ``"training"``."""
        num_val = max(1, round(self.num_videos * self.val_fraction))
        return "validation" if index >= self.num_videos - num_val else "training"


def video_name(index: int) -> str:
    """The video id (file stem) of video ``index``: ``v_synth_NNNN``."""
    return f"v_synth_{index:04d}"


def plan_untrimmed(index: int, cfg: UntrimmedConfig) -> tuple[int, list[Segment]]:
    """Video ``index``'s frame count and action segments, without rendering it."""
    rng = np.random.default_rng([cfg.seed, 7919, index])
    n = round(rng.uniform(cfg.min_seconds, cfg.max_seconds) * cfg.fps / FRAME_MULTIPLE) * FRAME_MULTIPLE
    n = max(n, FRAME_MULTIPLE)
    k = int(rng.integers(cfg.min_segments, cfg.max_segments + 1))
    longest = max(cfg.min_action_seconds, min(cfg.max_action_seconds, 0.8 * n / cfg.fps / k))
    lengths = [max(1, round(rng.uniform(cfg.min_action_seconds, longest) * cfg.fps)) for _ in range(k)]
    gaps = rng.multinomial(max(n - sum(lengths), 0), np.ones(k + 1) / (k + 1))  # before, between, after
    segments: list[Segment] = []
    pos = int(gaps[0])
    for j in range(k):
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        segments.append((pos, pos + lengths[j], label))
        pos += lengths[j] + int(gaps[j + 1])
    return n, segments


def render_untrimmed(index: int, cfg: UntrimmedConfig) -> tuple[np.ndarray, list[Segment]]:
    """Video ``index``: uint8 ``(T, H, W, 3)`` RGB frames and its segments (:func:`plan_untrimmed`)."""
    n, segments = plan_untrimmed(index, cfg)
    rng = np.random.default_rng([cfg.seed, 7920, index])
    clip_cfg = SynthConfig(size=cfg.size, fps=cfg.fps, seed=cfg.seed, min_frames=24, max_frames=40)
    still_cfg = SynthConfig(size=cfg.size, fps=cfg.fps, seed=cfg.seed, min_frames=2, max_frames=2)
    frames = np.empty((n, cfg.size, cfg.size, 3), dtype=np.uint8)
    clip_index = int(index) * 64  # clips of render_video used by this video: 64 per video apart

    def background(start: int, end: int) -> None:
        nonlocal clip_index
        if end <= start:
            return
        still = render_video(CLASSES[int(rng.integers(len(CLASSES)))], clip_index, still_cfg)[0].astype(np.float64)
        clip_index += 1
        for i in range(start, end):
            dy, dx = rng.integers(-1, 2, size=2)
            img = np.roll(still, (int(dy), int(dx)), axis=(0, 1)) + rng.normal(0, 8.0, still.shape)
            frames[i] = np.clip(img + 0.5, 0, 255).astype(np.uint8)

    pos = 0
    for start, end, label in segments:
        background(pos, start)
        pos = start
        while pos < end:
            clip = render_video(label, clip_index, clip_cfg)
            clip_index += 1
            take = min(len(clip), end - pos)
            frames[pos : pos + take] = clip[:take]
            pos += take
    background(pos, n)
    return frames, segments


def untrimmed_annotation(index: int, cfg: UntrimmedConfig) -> dict:
    """Video ``index``'s entry of ``annotations.json`` (the ActivityNet layout)."""
    n, segments = plan_untrimmed(index, cfg)
    return {
        "duration_second": n / cfg.fps,
        "duration_frame": n,
        "feature_frame": n,
        "fps": float(cfg.fps),
        "subset": cfg.subset(index),
        "annotations": [{"segment": [s / cfg.fps, e / cfg.fps], "label": lab} for s, e, lab in segments],
    }


def _job(args: tuple[int, UntrimmedConfig, str]) -> str:
    index, cfg, out = args
    path = Path(out)
    if not path.exists():  # resumable: complete files appear only through write_h264's atomic rename
        frames, _ = render_untrimmed(index, cfg)
        write_h264(path, frames, cfg.fps, gop=cfg.gop, crf=cfg.crf)
    return out


def render_untrimmed_dataset(
    out_dir: str | os.PathLike[str], cfg: UntrimmedConfig | None = None, *, workers: int = 1, progress: bool = True
) -> Path:
    """Render ``cfg.num_videos`` videos to ``out_dir/videos/`` (resumable) and write
    ``out_dir/annotations.json`` and ``out_dir/synth_config.json``; returns the annotation file."""
    cfg = cfg or UntrimmedConfig()
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    jobs = [(i, cfg, str(out / "videos" / f"{video_name(i)}.mp4")) for i in range(cfg.num_videos)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="rendering untrimmed videos", unit="video")
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_job, jobs):
                if bar is not None:
                    bar.update()
    else:
        for job in jobs:
            _job(job)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    path = out / "annotations.json"
    path.write_text(json.dumps({video_name(i): untrimmed_annotation(i, cfg) for i in range(cfg.num_videos)}, indent=1) + "\n")
    (out / "synth_config.json").write_text(json.dumps(asdict(cfg), indent=1) + "\n")
    return path
