"""A synthetic spatio-temporal action detection set in AVA's file formats (``vidcore-data synth
--detection OUT``; nothing downloaded).

Each clip shows 1-3 actors (textured rectangles on a textured background, one per third of the
frame width, so they never overlap); each actor does one or two motion actions at once, inside its
own box:

    1 bob    - moves up and down (+-10 px)      2 sway  - moves left and right (+-10 px)
    3 pulse  - grows and shrinks (+-40 %)       4 flash - its brightness flickers

with a period of 0.6-1 s and a random phase per actor.

Files written under ``out_dir`` (the layout vidcore-data's ``AVADataset`` and vidcore-detection
read): ``videos/<video_id>.mp4`` (H.264, ``train000``.. and ``val000``..), ``train.csv`` /
``val.csv`` ground truth at 1 fps keyframes, seconds ``1 .. seconds - 1``
(``video_id,second,x1,y1,x2,y2,action_id,person_id``, the actor's box at the keyframe normalised
to [0, 1], one line per action), ``proposals_train.pkl`` / ``proposals_val.pkl`` (``"video,ssss"``
-> float32 ``(n, 5)``: every ground-truth box jittered by N(0, 0.01) per coordinate with score
0.95-1.0, and at every second keyframe on average a false positive on an empty place scored
0.9-0.95), ``label_map.pbtxt``. Timestamps count from second 0 (``timestamp_start=0``).

The two splits are drawn from separate random streams of ``seed``: the held-out clips do not
change with ``train_videos``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidcore.data.annotations.ava import write_ava_proposals
from vidcore.data.annotations.labelmap import LabelMap, write_label_map
from vidcore.data.synth import write_h264

__all__ = ["ACTIONS", "SynthDetectionConfig", "render_detection_set", "render_detection_video"]

#: Action id -> name.
ACTIONS: dict[int, str] = {1: "bob", 2: "sway", 3: "pulse", 4: "flash"}


@dataclass(frozen=True)
class SynthDetectionConfig:
    """Size of the set.

    Attributes:
        train_videos, val_videos: clips per split.
        seconds: length of each clip (keyframes at seconds ``1 .. seconds - 1``).
        fps: frame rate.
        height, width: frame size in pixels (actors are 18-26 x 26-40 pixels whatever the size).
        seed: everything is a function of it.
    """

    train_videos: int = 24
    val_videos: int = 8
    seconds: int = 6
    fps: int = 8
    height: int = 96
    width: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        if self.train_videos < 0 or self.val_videos < 0 or self.train_videos + self.val_videos < 1:
            raise ValueError(f"need at least one video, got train_videos={self.train_videos}, "
                             f"val_videos={self.val_videos}")  # fmt: skip
        if self.seconds < 2:
            raise ValueError(f"seconds must be >= 2 (keyframes at 1 .. seconds - 1), got {self.seconds}")
        if self.fps < 2:
            raise ValueError(f"fps must be >= 2, got {self.fps}")
        if self.height < 64 or self.width < 96:
            raise ValueError(f"frames must be at least 64x96 (three 26-pixel actors side by side), "
                             f"got {self.height}x{self.width}")  # fmt: skip


def _texture(rng: np.random.Generator, h: int, w: int, scale: int) -> np.ndarray:
    coarse = rng.random((h // scale + 2, w // scale + 2))
    return np.kron(coarse, np.ones((scale, scale)))[:h, :w]


def render_detection_video(rng: np.random.Generator, cfg: SynthDetectionConfig) -> tuple[np.ndarray, list[dict]]:
    """One clip: uint8 frames ``(T, H, W, 3)`` and its actors, each ``{"actions": [ids],
    "boxes": (T, 4) normalised x1y1x2y2 per frame}``."""
    h, w, n = cfg.height, cfg.width, cfg.seconds * cfg.fps
    bg = 60 + 60 * _texture(rng, h, w, 8)
    frames = np.repeat(bg[None, :, :, None], n, axis=0).repeat(3, axis=3)  # (T, H, W, 3)
    actors = []
    num = int(rng.integers(1, 4))
    slots = rng.permutation(3)[:num]  # three columns: actors never overlap
    for slot in slots:
        bw, bh = int(rng.integers(18, 26)), int(rng.integers(26, 40))
        cx = (slot + 0.5) * w / 3 + rng.uniform(-4, 4)
        cy = rng.uniform(bh / 2 + 10, h - bh / 2 - 10)
        k = int(rng.integers(1, 3))
        acts = sorted(int(a) for a in rng.choice(list(ACTIONS), size=k, replace=False))
        color = rng.uniform(120, 255, size=3)
        tex = 0.6 + 0.4 * _texture(rng, 64, 64, 4)
        phase, period = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.0) * cfg.fps
        boxes = np.zeros((n, 4))
        for t in range(n):
            s = np.sin(2 * np.pi * t / period + phase)
            x, y, sw, sh, gain = cx, cy, bw, bh, 1.0
            if 1 in acts:
                y += 10 * s
            if 2 in acts:
                x += 10 * s
            if 3 in acts:
                sw, sh = bw * (1 + 0.4 * s), bh * (1 + 0.4 * s)
            if 4 in acts:
                gain = 0.55 + 0.45 * (1 if np.sin(2 * np.pi * t / (period / 2) + phase) > 0 else -1)
            x1, y1 = round(x - sw / 2), round(y - sh / 2)
            x2, y2 = round(x + sw / 2), round(y + sh / 2)
            x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
            frames[t, y1:y2, x1:x2] = tex[: y2 - y1, : x2 - x1, None] * color[None, None] * gain
            boxes[t] = (x1 / w, y1 / h, x2 / w, y2 / h)
        actors.append({"actions": acts, "boxes": boxes})
    noise = rng.normal(0, 4, frames.shape)
    return np.clip(frames + noise, 0, 255).astype(np.uint8), actors


def _iou(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _empty_box(rng: np.random.Generator, actors: list[dict], t: int) -> list[float] | None:
    for _ in range(20):
        x1, y1 = rng.uniform(0, 0.75), rng.uniform(0, 0.6)
        box = [x1, y1, x1 + rng.uniform(0.12, 0.22), y1 + rng.uniform(0.25, 0.4)]
        if all(_iou(box, a["boxes"][t]) < 0.1 for a in actors):
            return box
    return None


def render_detection_set(out_dir: str | Path, cfg: SynthDetectionConfig = SynthDetectionConfig()) -> Path:
    """Write the set (see the module docs) and return ``out_dir``."""
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    write_label_map(LabelMap(dict(ACTIONS)), out / "label_map.pbtxt", format="pbtxt")
    for stream, (split, count) in enumerate((("train", cfg.train_videos), ("val", cfg.val_videos))):
        rng = np.random.default_rng((cfg.seed, stream))
        lines: list[str] = []
        proposals: dict[str, np.ndarray] = {}
        for i in range(count):
            vid = f"{split}{i:03d}"
            frames, actors = render_detection_video(rng, cfg)
            write_h264(out / "videos" / f"{vid}.mp4", frames, cfg.fps, gop=cfg.fps)
            for sec in range(1, cfg.seconds):
                t = sec * cfg.fps
                props = []
                for pid, actor in enumerate(actors):
                    b = actor["boxes"][t]
                    for a in actor["actions"]:
                        lines.append(f"{vid},{sec:04d},{b[0]:.3f},{b[1]:.3f},{b[2]:.3f},{b[3]:.3f},{a},{pid}")
                    jitter = rng.normal(0, 0.01, 4)
                    props.append([*np.clip(b + jitter, 0, 1), rng.uniform(0.95, 1.0)])
                extra = _empty_box(rng, actors, t) if rng.random() < 0.5 else None
                if extra is not None:
                    props.append([*extra, rng.uniform(0.9, 0.95)])
                proposals[f"{vid},{sec:04d}"] = np.asarray(props, dtype=np.float32)
        (out / f"{split}.csv").write_text("".join(line + "\n" for line in lines))
        write_ava_proposals(proposals, out / f"proposals_{split}.pkl")
    return out
