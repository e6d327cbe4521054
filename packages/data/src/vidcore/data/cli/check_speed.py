"""``vidcore-data check LIST --speed``: a dataset's keyframe spacing (GOP) and what re-encoding buys.

Decoding dominates a clip's cost (~85-90 % in benchmarks/RESULTS.md), and a frame can only be
decoded from the keyframe before it: a clip of 8 frames spread over a video with one keyframe
every 250 frames costs far more than its 8 frames. This reads the keyframe positions from the
container (the packet index, no decoding: the same index the PyAV backend builds), samples clips
as a recipe would, and counts the frames a keyframe-seeking reader must decode for each clip:

    for each wanted frame w (sorted): start at the keyframe k <= w if k lies beyond the frame
    decoded last, else continue after it; decode up to w.

It then counts the same clips on the same videos re-encoded with a keyframe every ``--gop``
frames (``vidcore-data resize-videos --gop N``) and reports the ratio: the expected decoding
speed-up. It is a model in frames decoded (display order, seeks cost nothing, frames no other
frame refers to are counted although the backend skips the unwanted ones), stated as such.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SpeedReport", "decode_cost", "keyframe_indices", "run_speed", "speed_report"]

#: the recipes whose clips are counted: (name, clip_len, frame_interval, num_clips), as the
#: pipeline benchmark's cells (TSN 1x1x8 and SlowFast 32x2x1) sample them in training
SAMPLINGS: tuple[tuple[str, int, int, int], ...] = (("tsn_1x1x8", 1, 1, 8), ("slowfast_32x2x1", 32, 2, 1))


def decode_cost(wanted: Sequence[int] | np.ndarray, keyframes: Sequence[int] | np.ndarray) -> int:
    """Frames decoded to get the frames ``wanted`` (any order, repeats allowed) of a video whose
    keyframes are at the sorted display indices ``keyframes`` (the first frame is always one)."""
    keys = np.asarray(keyframes, dtype=np.int64)
    if keys.size == 0 or keys[0] != 0:
        keys = np.concatenate([[0], keys])
    cost, last = 0, -1
    for w in np.unique(np.asarray(wanted, dtype=np.int64)):
        key = int(keys[np.searchsorted(keys, w, side="right") - 1])
        start = key if key > last else last + 1
        cost += int(w) - start + 1
        last = int(w)
    return cost


def keyframe_indices(path: str | Path) -> tuple[np.ndarray, int]:
    """``(display indices of the keyframes, number of frames)`` of a video, from its packet index."""
    from vidcore.data.decoders.pyav import stream_index

    info = stream_index(str(path))
    if info.mode != "pts" or info.frame_pts.size == 0:
        # no usable timestamps: the backend decodes such files from the start every time
        n = int(info.num_frames or info.container_frames or 0)
        return np.zeros(1, dtype=np.int64), n
    frames = info.frame_pts
    keys = np.searchsorted(frames, info.key_pts[info.key_pts >= frames[0]], side="left")
    keys = np.unique(np.clip(keys, 0, frames.size - 1))
    return keys.astype(np.int64), int(frames.size)


@dataclass(frozen=True)
class SpeedReport:
    """Per sampling recipe: mean frames decoded per clip now and after re-encoding at ``gop``."""

    videos: int
    median_gop: float
    gop: int
    decoded_now: dict[str, float]
    decoded_reencoded: dict[str, float]
    frames_per_clip: dict[str, int]

    def speedup(self, recipe: str) -> float:
        return self.decoded_now[recipe] / self.decoded_reencoded[recipe]


def speed_report(
    videos: Sequence[tuple[np.ndarray, int]], *, gop: int = 16, draws: int = 8, seed: int = 0
) -> SpeedReport:
    """Count decoded frames per clip over ``videos`` (``keyframe_indices`` results), ``draws``
    training clips per video and recipe, now and with a keyframe every ``gop`` frames."""
    from vidcore.data.samplers import sample_frames

    rng = np.random.default_rng(seed)
    now: dict[str, list[int]] = {name: [] for name, *_ in SAMPLINGS}
    after: dict[str, list[int]] = {name: [] for name, *_ in SAMPLINGS}
    gaps: list[float] = []
    for keys, n in videos:
        if n <= 0:
            continue
        bounds = np.append(keys, n)
        gaps.append(float(np.mean(np.diff(bounds))))
        regular = np.arange(0, n, gop)
        for name, clip_len, interval, num_clips in SAMPLINGS:
            for _ in range(draws):
                inds = sample_frames(n, clip_len=clip_len, frame_interval=interval, num_clips=num_clips, rng=rng)
                now[name].append(decode_cost(inds.ravel(), keys))
                after[name].append(decode_cost(inds.ravel(), regular))
    if not gaps:
        raise ValueError("no readable video to measure")
    return SpeedReport(
        videos=len(gaps),
        median_gop=float(np.median(gaps)),
        gop=gop,
        decoded_now={k: float(np.mean(v)) for k, v in now.items()},
        decoded_reencoded={k: float(np.mean(v)) for k, v in after.items()},
        frames_per_clip={name: clip_len * num_clips for name, clip_len, _, num_clips in SAMPLINGS},
    )


def run_speed(args: argparse.Namespace, paths: Sequence[Path]) -> int:
    """Print the GOP report for (a sample of) ``paths``; 1 if none could be read."""
    from tqdm import tqdm

    from vidcore.data.errors import DataError

    rng = np.random.default_rng(0)
    chosen = list(paths)
    if len(chosen) > args.speed_videos:
        chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), args.speed_videos, replace=False))]
    videos, bad = [], []
    for path in tqdm(chosen, desc="keyframes", unit="video", disable=args.no_progress, file=sys.stderr):
        try:
            videos.append(keyframe_indices(path))
        except (DataError, OSError) as exc:
            bad.append(f"{path}: {exc}")
    for line in bad:
        print(f"check --speed: skipped {line}")
    if not videos:
        print("check --speed: no readable video to measure")
        return 1
    rep = speed_report(videos, gop=args.gop)
    print(f"check --speed: {rep.videos} video(s) of {len(paths)}: median keyframe spacing (GOP) "
          f"{rep.median_gop:.1f} frames")  # fmt: skip
    print("  frames decoded per training clip (a model: display order, from the keyframe before each frame)")
    print(f"  {'recipe':<18}{'frames/clip':>12}{'decoded now':>14}{f'at --gop {rep.gop}':>14}{'speed-up':>10}")
    for name in rep.decoded_now:
        print(f"  {name:<18}{rep.frames_per_clip[name]:>12}{rep.decoded_now[name]:>14.1f}"
              f"{rep.decoded_reencoded[name]:>14.1f}{rep.speedup(name):>9.2f}x")  # fmt: skip
    best = max(rep.speedup(name) for name in rep.decoded_now)
    if best >= 1.2:
        print(f"  re-encoding helps: vidcore-data resize-videos SRC DST --gop {rep.gop} (decoding is most of a "
              f"clip's cost; expect up to ~{best:.1f}x fewer frames decoded)")  # fmt: skip
    else:
        print(f"  re-encoding with --gop {rep.gop} would not help these files (keyframes are already close)")
    return 0
