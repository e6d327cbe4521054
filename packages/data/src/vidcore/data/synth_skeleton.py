"""A built-in synthetic skeleton dataset: COCO-17 stick figures performing motions, written as an
MMAction2 skeleton pickle (``vidcore-data synth --skeleton OUT``).

Every sample is one person seen from the front, built from a 2D kinematic model (torso, head, two
arms and two legs with their joint angles over time) and then varied: limb lengths (each segment
+-15 %), body size in the image (camera distance), position, speed and phase of the motion, pixel
noise on every joint, and missing joints (coordinates 0 and score 0, as pose estimators report
them). Scores of visible joints are drawn in [0.5, 1]. Nothing is downloaded.

Motions (the class index is the position in :data:`MOTIONS`): wave one hand, wave both hands,
jump, squat, walk left, walk right, turn around, punch, raise both arms, kick.

Output: ``OUT/skeleton.pkl`` with ``{"split": {"train": [...], "val": [...]}, "annotations": [...]}``,
each record ``frame_dir``, ``label``, ``total_frames``, ``img_shape`` ``(H, W)``, ``original_shape``,
``keypoint`` float32 ``(1, T, 17, 2)`` pixels and ``keypoint_score`` float32 ``(1, T, 17)``; and
``OUT/label_map.txt`` (one motion name per line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidcore.data.annotations.skeleton import PoseRecord, SkeletonAnnotations, write_skeleton_pickle

__all__ = ["MOTIONS", "SkeletonSynthConfig", "render_skeleton_dataset", "skeleton_sequence"]

MOTIONS: tuple[str, ...] = (
    "wave_one_hand",
    "wave_both_hands",
    "jump",
    "squat",
    "walk_left",
    "walk_right",
    "turn_around",
    "punch",
    "raise_arms",
    "kick",
)


@dataclass(frozen=True)
class SkeletonSynthConfig:
    """Size and variation of the synthetic skeleton set.

    Attributes:
        samples_per_class: sequences per motion.
        motions: the motion names (a subset of :data:`MOTIONS`, in label order).
        min_frames, max_frames: sequence length range.
        img_shape: ``(H, W)`` of the virtual camera, pixels.
        noise_px: max std of the per-joint pixel noise (drawn per sample in [0.3, 1] x this).
        missing_rate: max fraction of joints reported missing (drawn per sample in [0, 1] x this).
        val_fraction: share of each class in the ``val`` split.
        seed: everything is a function of it.
    """

    samples_per_class: int = 60
    motions: tuple[str, ...] = MOTIONS
    min_frames: int = 40
    max_frames: int = 72
    img_shape: tuple[int, int] = (480, 640)
    noise_px: float = 2.0
    missing_rate: float = 0.08
    val_fraction: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [m for m in self.motions if m not in MOTIONS]
        if unknown or not self.motions:
            raise ValueError(f"unknown motions {unknown} (choose from {list(MOTIONS)})")
        if self.samples_per_class < 2:
            raise ValueError(f"samples_per_class must be >= 2, got {self.samples_per_class}")
        if not 8 <= self.min_frames <= self.max_frames:
            raise ValueError(f"need 8 <= min_frames <= max_frames, got {self.min_frames}, {self.max_frames}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


# body proportions in units of the hip-to-neck length
_TORSO, _HEAD, _SHOULDER_W, _HIP_W = 1.0, 0.42, 0.72, 0.42
_UPPER_ARM, _FOREARM, _THIGH, _SHIN = 0.6, 0.55, 0.85, 0.8


def _limb(root: np.ndarray, side: float, a: np.ndarray, b: np.ndarray, l1: float, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-segment limb from ``root`` ``(T, 2)``: angles ``a`` (first segment) and ``a + b`` (second)
    from straight down, positive away from the body; ``side`` is +1 when outward is image +x."""
    mid = root + l1 * np.stack([side * np.sin(a), -np.cos(a)], axis=-1)
    end = mid + l2 * np.stack([side * np.sin(a + b), -np.cos(a + b)], axis=-1)
    return mid, end


def skeleton_sequence(motion: str, num_frames: int, rng: np.random.Generator) -> np.ndarray:
    """One person performing ``motion``: ``(T, 17, 2)`` float64 body coordinates (x right, y up,
    unit = hip-to-neck length, origin between the hips at rest), COCO-17 joint order."""
    t = np.arange(num_frames, dtype=np.float64)
    cycles = rng.uniform(1.5, 3.0)  # motion cycles over the sequence
    phase = rng.uniform(0, 2 * np.pi)
    w = 2 * np.pi * cycles / num_frames
    osc = np.sin(w * t + phase)
    pos = 0.5 * (1 + osc)  # 0..1
    lengths = rng.uniform(0.85, 1.15, size=8)
    ua, fa, th, sh = _UPPER_ARM * lengths[0], _FOREARM * lengths[1], _THIGH * lengths[2], _SHIN * lengths[3]
    torso, head = _TORSO * lengths[4], _HEAD * lengths[5]
    sw, hw = _SHOULDER_W * lengths[6], _HIP_W * lengths[7]
    zeros = np.zeros(num_frames)
    rest_arm = np.full(num_frames, rng.uniform(0.1, 0.25))
    # joint angles (radians from straight down, outward positive); r = person's right (image left)
    arm = {"r": (rest_arm.copy(), np.full(num_frames, 0.1)), "l": (rest_arm.copy(), np.full(num_frames, 0.1))}
    leg = {"r": (np.full(num_frames, 0.05), zeros.copy()), "l": (np.full(num_frames, 0.05), zeros.copy())}
    lift = zeros.copy()  # vertical offset of the whole body
    shift = zeros.copy()  # horizontal offset
    hip_drop = zeros.copy()  # squat: hips go down, knees bend
    turn = zeros.copy()  # rotation about the vertical axis
    if motion == "wave_one_hand":
        arm["r"] = (np.full(num_frames, 2.3), 0.5 + 0.45 * osc)
    elif motion == "wave_both_hands":
        arm["r"] = (np.full(num_frames, 2.3), 0.5 + 0.45 * osc)
        arm["l"] = (np.full(num_frames, 2.3), 0.5 + 0.45 * osc)
    elif motion == "jump":
        air = np.clip(osc, 0, None)
        lift = 0.6 * air
        for s in "rl":
            arm[s] = (0.2 + 1.2 * air, np.full(num_frames, 0.2))
            leg[s] = (0.05 + 0.1 * air, zeros.copy())
    elif motion == "squat":
        hip_drop = 0.55 * pos
        for s in "rl":
            arm[s] = (0.2 + 1.3 * pos, np.full(num_frames, 0.1))
            leg[s] = (0.15 + 0.9 * pos, -1.8 * pos)
    elif motion in ("walk_left", "walk_right"):
        direction = -1.0 if motion == "walk_left" else 1.0
        shift = direction * np.linspace(0, rng.uniform(1.5, 2.5), num_frames)
        swing = 0.45 * osc
        leg["r"], leg["l"] = (swing, -0.3 * np.clip(osc, 0, None)), (-swing, -0.3 * np.clip(-osc, 0, None))
        arm["r"], arm["l"] = (0.15 - 0.3 * osc, np.full(num_frames, 0.2)), (0.15 + 0.3 * osc, np.full(num_frames, 0.2))
    elif motion == "turn_around":
        turn = np.linspace(0, rng.uniform(1.6, 2.0) * np.pi, num_frames) + rng.uniform(-0.2, 0.2)
    elif motion == "punch":
        jab = np.clip(osc, 0, None)
        arm["r"] = (np.full(num_frames, 1.5), 1.6 * (1 - jab))
        arm["l"] = (np.full(num_frames, 0.6), np.full(num_frames, 1.9))
    elif motion == "raise_arms":
        for s in "rl":
            arm[s] = (0.2 + 2.6 * pos, np.full(num_frames, 0.1))
    elif motion == "kick":
        kick = np.clip(osc, 0, None)
        leg["r"] = (0.05 + 1.2 * kick, -0.6 * (1 - kick) * kick * 4)
    else:
        raise ValueError(f"unknown motion {motion!r}")

    cos_t, sin_t = np.cos(turn), np.sin(turn)
    hip_c = np.stack([shift, lift - hip_drop], axis=-1)  # (T, 2)
    neck = hip_c + np.stack([zeros, np.full(num_frames, torso)], axis=-1)
    # left side of the person is image right (+x) when facing the camera; a turn shrinks widths by cos
    side = {"l": cos_t, "r": -cos_t}
    kp = np.zeros((num_frames, 17, 2))
    shoulders = {s: neck + np.stack([side[s] * sw / 2, zeros], axis=-1) for s in "rl"}
    hips = {s: hip_c + np.stack([side[s] * hw / 2, zeros], axis=-1) for s in "rl"}
    nose = neck + np.stack([0.15 * sin_t, np.full(num_frames, head * 0.75)], axis=-1)
    kp[:, 0] = nose
    for s, eye, ear in (("l", 1, 3), ("r", 2, 4)):
        kp[:, eye] = nose + np.stack([side[s] * 0.08 + 0.05 * sin_t, np.full(num_frames, 0.08)], axis=-1)
        kp[:, ear] = nose + np.stack([side[s] * 0.17, np.full(num_frames, 0.0)], axis=-1)
    for s, (sh_i, el_i, wr_i, hp_i, kn_i, an_i) in (("l", (5, 7, 9, 11, 13, 15)), ("r", (6, 8, 10, 12, 14, 16))):
        sign = np.where(side[s] >= 0, 1.0, -1.0)  # outward in the image
        elbow, wrist = _limb(shoulders[s], sign, arm[s][0], arm[s][1], ua, fa)  # type: ignore[arg-type]
        # limbs foreshorten with the turn too
        elbow[:, 0] = shoulders[s][:, 0] + (elbow[:, 0] - shoulders[s][:, 0]) * np.abs(cos_t)
        wrist[:, 0] = shoulders[s][:, 0] + (wrist[:, 0] - shoulders[s][:, 0]) * np.abs(cos_t)
        knee, ankle = _limb(hips[s], sign, leg[s][0], leg[s][1], th, sh)  # type: ignore[arg-type]
        if motion.startswith("walk"):
            direction = -1.0 if motion == "walk_left" else 1.0
            # in profile-like walking the legs swing along the direction of travel
            knee = hips[s] + th * np.stack([direction * np.sin(leg[s][0]), -np.cos(leg[s][0])], axis=-1)
            a2 = leg[s][0] + leg[s][1]
            ankle = knee + sh * np.stack([direction * np.sin(a2), -np.cos(a2)], axis=-1)
        kp[:, sh_i], kp[:, el_i], kp[:, wr_i] = shoulders[s], elbow, wrist
        kp[:, hp_i], kp[:, kn_i], kp[:, an_i] = hips[s], knee, ankle
    # legs of a standing body end on the floor: for a squat the bent knees keep the feet down
    return kp


def _to_camera(body: np.ndarray, rng: np.random.Generator, cfg: SkeletonSynthConfig) -> tuple[np.ndarray, np.ndarray]:
    """Body coordinates -> pixel keypoints ``(1, T, 17, 2)`` float32 and scores ``(1, T, 17)``."""
    h, w = cfg.img_shape
    scale = rng.uniform(0.12, 0.25) * h  # pixels per hip-to-neck length (camera distance)
    xs = body[..., 0] * scale
    ys = -body[..., 1] * scale
    # place the person anywhere the whole sequence stays inside the frame
    def place(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi)) if lo < hi else (lo + hi) / 2

    cx = place(1 - xs.min(), w - 2 - xs.max())
    cy = place(1 - ys.min(), h - 2 - ys.max())
    noise = rng.uniform(0.3, 1.0) * cfg.noise_px
    kp = np.stack([xs + cx, ys + cy], axis=-1) + rng.normal(0, noise, size=body.shape)
    kp[..., 0] = np.clip(kp[..., 0], 0.5, w - 1)
    kp[..., 1] = np.clip(kp[..., 1], 0.5, h - 1)
    score = rng.uniform(0.5, 1.0, size=body.shape[:2])
    missing = rng.random(body.shape[:2]) < rng.uniform(0, 1) * cfg.missing_rate
    kp[missing] = 0.0
    score[missing] = 0.0
    return kp[None].astype(np.float32), score[None].astype(np.float32)


def render_skeleton_dataset(out_dir: str | Path, cfg: SkeletonSynthConfig | None = None) -> Path:
    """Write ``OUT/skeleton.pkl`` and ``OUT/label_map.txt`` (see module docs); returns the pickle path."""
    cfg = cfg or SkeletonSynthConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records: list[PoseRecord] = []
    split: dict[str, list[str]] = {"train": [], "val": []}
    n_val = max(1, round(cfg.samples_per_class * cfg.val_fraction))
    for label, motion in enumerate(cfg.motions):
        for i in range(cfg.samples_per_class):
            rng = np.random.default_rng([cfg.seed, MOTIONS.index(motion), i])
            frames = int(rng.integers(cfg.min_frames, cfg.max_frames + 1))
            kp, score = _to_camera(skeleton_sequence(motion, frames, rng), rng, cfg)
            name = f"{motion}_{i:04d}"
            records.append(
                PoseRecord(
                    frame_dir=name,
                    label=label,
                    total_frames=frames,
                    keypoint=kp,
                    keypoint_score=score,
                    img_shape=cfg.img_shape,
                    original_shape=cfg.img_shape,
                )
            )
            split["val" if i < n_val else "train"].append(name)
    path = out / "skeleton.pkl"
    write_skeleton_pickle(SkeletonAnnotations(split, records), path)
    (out / "label_map.txt").write_text("".join(f"{m}\n" for m in cfg.motions))
    return path
