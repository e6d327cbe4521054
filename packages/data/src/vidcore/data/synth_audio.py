"""Audio tracks for the built-in synthetic dataset, and the audio-visual set whose classes are the
product of a motion and a sound (``vidcore-data synth OUT --audio``).

Each clip of the audio-visual set is a video of :mod:`vidcore.data.synth` (the object moves one
way) with an AAC audio track carrying one sound pattern over background noise. The label is the
pair (motion, sound), so the video alone tells only the motion and the audio alone only the sound:
with the default 4 motions x 2 sounds a perfect video model reaches 50% top-1 and a perfect audio
model 25%, and only both together can reach 100% (late fusion of their scores).

    from vidcore.data.synth import SynthConfig
    from vidcore.data.synth_audio import AVSynthConfig, render_av_dataset
    render_av_dataset("av_data", SynthConfig(videos_per_class=30), AVSynthConfig())

writes ``av_data/videos/<class>/<class>_NNNN.mp4`` (H.264 + AAC), ``label_map.txt``, ``train.txt``,
``val.txt`` (MMAction2 video lists), ``av_classes.json`` (each class's motion and sound) and
``flip_label_map.json`` (the classes a horizontal flip swaps: mirrored motion, same sound).

Sound patterns (``SOUNDS``), each 40-75% of the clip long, at a random start, pitch and level:

- ``rising_chirp`` / ``falling_chirp``: a tone sweeping up (down) over 1-2.5 octaves, log in
  frequency, with a smooth envelope;
- ``rhythm``: 4-8 short tone bursts a regular interval apart;
- ``noise_band``: band-limited noise (a 250-900 Hz wide band between 500 and 5000 Hz).

Background on every clip: white noise plus low-passed (rumble) noise at 6-16 dB below the pattern,
and with probability 1/2 a steady distractor tone that belongs to no class.

Every track is a pure function of ``(seed, class, index)``, like the videos.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import av
import numpy as np
from scipy.signal import butter, sosfilt

from vidcore.data.synth import CLASSES as MOTIONS
from vidcore.data.synth import HFLIP_SWAP, SynthConfig, render_video, split_of

__all__ = [
    "SOUNDS",
    "AVSynthConfig",
    "av_classes",
    "render_av_dataset",
    "render_sound",
    "render_track",
    "write_av",
]

SOUNDS: tuple[str, ...] = ("rising_chirp", "falling_chirp", "rhythm", "noise_band")


@dataclass(frozen=True)
class AVSynthConfig:
    """The audio side of the audio-visual set.

    Attributes:
        motions: motion classes used (from ``vidcore.data.synth.CLASSES``).
        sounds: sound patterns used (from ``SOUNDS``); classes are ``motions x sounds``.
        sample_rate: Hz of the audio track.
        snr_db: range of the pattern-to-background ratio in dB.
    """

    motions: tuple[str, ...] = ("move_left", "move_right", "move_up", "move_down")
    sounds: tuple[str, ...] = ("rising_chirp", "falling_chirp")
    sample_rate: int = 16000
    snr_db: tuple[float, float] = (6.0, 16.0)

    def __post_init__(self) -> None:
        for m in self.motions:
            if m not in MOTIONS:
                raise ValueError(f"unknown motion {m!r}; expected some of {', '.join(MOTIONS)}")
        for s in self.sounds:
            if s not in SOUNDS:
                raise ValueError(f"unknown sound {s!r}; expected some of {', '.join(SOUNDS)}")
        if len(set(self.motions)) != len(self.motions) or len(set(self.sounds)) != len(self.sounds):
            raise ValueError("motions and sounds must not repeat")
        if not self.motions or not self.sounds:
            raise ValueError("need at least one motion and one sound")
        if self.sample_rate < 8000:
            raise ValueError(f"sample_rate must be >= 8000 Hz, got {self.sample_rate}")


def av_classes(cfg: AVSynthConfig) -> list[tuple[str, str, str]]:
    """``(class name, motion, sound)`` for every class, motion-major: label ``m * len(sounds) + s``."""
    return [(f"{m}_{s}", m, s) for m in cfg.motions for s in cfg.sounds]


def _envelope(n: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth attack/release envelope ``(n,)`` with 5-15% ramps (raised cosine)."""
    ramp = max(1, int(n * rng.uniform(0.05, 0.15)))
    env = np.ones(n)
    rise = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, ramp))
    env[:ramp] = rise
    env[-ramp:] = rise[::-1]
    return env


def render_sound(sound: str, n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """One sound pattern of ``n`` samples at ``sample_rate`` Hz, float64, RMS about 1."""
    t = np.arange(n) / sample_rate
    if sound in ("rising_chirp", "falling_chirp"):
        low = rng.uniform(250.0, 600.0)
        high = low * 2 ** rng.uniform(1.0, 2.5)
        f0, f1 = (low, high) if sound == "rising_chirp" else (high, low)
        duration = max(t[-1], 1e-3)
        k = math.log(f1 / f0) / duration  # exponential sweep: f(t) = f0 exp(k t)
        phase = 2 * math.pi * f0 * (np.expm1(k * t) / k)
        x = np.sin(phase + rng.uniform(0, 2 * math.pi)) * _envelope(n, rng)
    elif sound == "rhythm":
        beats = int(rng.integers(4, 9))
        freq = rng.uniform(600.0, 2000.0)
        burst = max(1, int(n / beats * rng.uniform(0.25, 0.45)))
        x = np.zeros(n)
        tone = np.sin(2 * math.pi * freq * np.arange(burst) / sample_rate) * np.hanning(burst)
        for b in range(beats):
            start = int(b * n / beats)
            x[start : start + burst] += tone[: n - start]
    elif sound == "noise_band":
        width = rng.uniform(250.0, 900.0)
        centre = rng.uniform(500.0 + width / 2, 5000.0 - width / 2)
        sos = butter(4, [centre - width / 2, centre + width / 2], btype="bandpass", fs=sample_rate, output="sos")
        x = sosfilt(sos, rng.normal(size=n)) * _envelope(n, rng)
    else:
        raise ValueError(f"unknown sound {sound!r}; expected one of {', '.join(SOUNDS)}")
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return x / rms


def render_track(sound: str, duration: float, cfg: AVSynthConfig, rng: np.random.Generator) -> np.ndarray:
    """The audio track of one clip: ``sound`` over background noise, float32 ``(S,)`` in [-1, 1]."""
    sr = cfg.sample_rate
    total = max(1, round(duration * sr))
    length = max(16, int(total * rng.uniform(0.40, 0.75)))
    start = int(rng.integers(0, max(1, total - length) + 1))
    pattern = np.zeros(total)
    pattern[start : start + length] = render_sound(sound, min(length, total - start), sr, rng)[: total - start]
    # background: white + rumble, scaled so the pattern is snr_db above it
    rumble = sosfilt(butter(2, 300.0, btype="lowpass", fs=sr, output="sos"), rng.normal(size=total))
    noise = rng.normal(size=total) + 2.0 * rumble / (np.std(rumble) or 1.0)
    if rng.random() < 0.5:  # a steady distractor tone of no class
        noise += 1.5 * np.sin(2 * math.pi * rng.uniform(200.0, 4000.0) * np.arange(total) / sr)
    noise /= float(np.sqrt(np.mean(noise**2))) or 1.0
    snr = rng.uniform(*cfg.snr_db)
    # the pattern's RMS over its own span is 1: compare the noise to it there
    wave = pattern + noise * 10 ** (-snr / 20)
    return (0.25 * wave / max(1e-9, float(np.abs(wave).max()))).astype(np.float32)


def write_av(
    path: str | os.PathLike[str],
    frames: np.ndarray,
    fps: int,
    wave: np.ndarray | None,
    sample_rate: int,
    *,
    gop: int = 12,
    crf: int = 20,
) -> None:
    """Encode uint8 RGB ``(T, H, W, 3)`` frames (H.264) and a mono float waveform ``(S,)`` (AAC; no
    audio stream when ``wave`` is None) into one MP4, atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    h, w = frames.shape[1:3]
    with av.open(str(tmp), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height = w, h
        video.pix_fmt = "yuv420p"
        video.options = {"crf": str(crf), "g": str(gop), "preset": "fast", "threads": "1"}
        audio = None
        if wave is not None:
            audio = container.add_stream("aac", rate=sample_rate)
            audio.layout = "mono"
        for frame in frames:
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            samples = np.ascontiguousarray(wave, dtype=np.float32).reshape(-1)
            for start in range(0, samples.size, 1024):
                chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="flt", layout="mono")
                chunk.sample_rate = sample_rate
                chunk.pts = start
                for packet in audio.encode(chunk):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    os.replace(tmp, path)


def _relpath(name: str, index: int) -> str:
    return f"videos/{name}/{name}_{index:04d}.mp4"


def _av_job(args: tuple[int, int, SynthConfig, AVSynthConfig, str]) -> str:
    label, index, cfg, acfg, out = args
    path = Path(out)
    if path.exists():  # resumable: complete files appear only through the atomic rename
        return out
    _, motion, sound = av_classes(acfg)[label]
    # a distinct video per (class, index): the sound's position among the sounds offsets the index
    video_index = acfg.sounds.index(sound) * cfg.videos_per_class + index
    frames = render_video(motion, video_index, cfg)
    rng = np.random.default_rng([cfg.seed, 1000 + label, index])
    wave = render_track(sound, len(frames) / cfg.fps, acfg, rng)
    write_av(path, frames, cfg.fps, wave, acfg.sample_rate, gop=cfg.gop, crf=cfg.crf)
    return out


def render_av_dataset(
    out_dir: str | os.PathLike[str],
    cfg: SynthConfig | None = None,
    audio: AVSynthConfig | None = None,
    *,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Render the audio-visual set into ``out_dir`` (resumable) with its lists; returns ``out_dir``."""
    cfg = cfg or SynthConfig()
    audio = audio or AVSynthConfig()
    out = Path(out_dir)
    classes = av_classes(audio)
    jobs = []
    for label, (name, _, _) in enumerate(classes):
        (out / "videos" / name).mkdir(parents=True, exist_ok=True)
        jobs += [(label, i, cfg, audio, str(out / _relpath(name, i))) for i in range(cfg.videos_per_class)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="rendering audio-visual clips", unit="video")
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_av_job, jobs, chunksize=4):
                if bar is not None:
                    bar.update()
    else:
        for job in jobs:
            _av_job(job)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    (out / "label_map.txt").write_text("".join(f"{name}\n" for name, _, _ in classes))
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for label, (name, _, _) in enumerate(classes):
        for i in range(cfg.videos_per_class):
            lists[split_of(i, cfg)].append(f"{_relpath(name, i)} {label}\n")
    for split, lines in lists.items():
        (out / f"{split}.txt").write_text("".join(lines))
    meta = {
        "classes": [{"name": n, "motion": m, "sound": s} for n, m, s in classes],
        "motions": list(audio.motions),
        "sounds": list(audio.sounds),
        "video": asdict(cfg),
        "audio": asdict(audio),
    }
    (out / "av_classes.json").write_text(json.dumps(meta, indent=1) + "\n")
    # a horizontal flip mirrors the motion and keeps the sound
    index = {(m, s): i for i, (_, m, s) in enumerate(classes)}
    flips = {i: index[(HFLIP_SWAP[m], s)] for i, (_, m, s) in enumerate(classes) if (HFLIP_SWAP.get(m), s) in index}
    (out / "flip_label_map.json").write_text(json.dumps(flips, indent=1) + "\n")
    return out


def parse_names(text: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """A comma-separated list of names from ``allowed`` (``ValueError`` naming the bad one)."""
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    for n in names:
        if n not in allowed:
            raise ValueError(f"unknown {what} {n!r}; expected some of {', '.join(allowed)}")
    return names
