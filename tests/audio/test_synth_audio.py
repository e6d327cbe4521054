"""The audio-visual synthetic set: sound patterns measured on their spectra, the product label
set, files with both streams, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.synth import SynthConfig
from vidcore.data.synth_audio import AVSynthConfig, av_classes, render_av_dataset, render_sound, render_track

SR = 16000


def _peak_freq(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / SR)[spec.argmax()])


@pytest.mark.parametrize("seed", range(4))
def test_chirps_sweep_up_and_down(seed: int) -> None:
    n = SR * 2
    up = render_sound("rising_chirp", n, SR, np.random.default_rng(seed))
    down = render_sound("falling_chirp", n, SR, np.random.default_rng(seed))
    q = n // 4
    # windows centred at 1/4 and 3/4 of the sweep: a sweep of >= 1 octave, exponential in time,
    # moves >= half an octave (x1.41) between their centres
    assert _peak_freq(up[-q - q // 2 : -q // 2]) > 1.3 * _peak_freq(up[q // 2 : q + q // 2])
    assert _peak_freq(down[q // 2 : q + q // 2]) > 1.3 * _peak_freq(down[-q - q // 2 : -q // 2])
    assert np.sqrt(np.mean(up**2)) == pytest.approx(1.0)


def test_noise_band_and_rhythm() -> None:
    x = render_sound("noise_band", SR, SR, np.random.default_rng(1))
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    assert power[(f >= 500) & (f <= 5000)].sum() > 0.95 * power.sum()
    r = render_sound("rhythm", SR, SR, np.random.default_rng(2))
    silent = np.abs(r) < 1e-9  # gaps between the bursts
    assert 0.4 < silent.mean() < 0.8


def test_track_is_pattern_over_noise() -> None:
    cfg = AVSynthConfig()
    wave = render_track("rising_chirp", 2.5, cfg, np.random.default_rng(0))
    assert wave.dtype == np.float32 and wave.shape == (40000,) and np.abs(wave).max() == pytest.approx(0.25)
    assert (np.abs(wave) > 0).all()  # background noise everywhere
    with pytest.raises(ValueError, match="unknown sound 'whistle'"):
        AVSynthConfig(sounds=("rising_chirp", "whistle"))


def test_render_av_dataset(tmp_path: Path) -> None:
    video = SynthConfig(videos_per_class=2, size=32, min_frames=8, max_frames=10, val_fraction=0.5)
    audio = AVSynthConfig(motions=("move_left", "move_right"), sounds=("rising_chirp", "falling_chirp"))
    out = render_av_dataset(tmp_path / "av", video, audio, progress=False)
    names = [n for n, _, _ in av_classes(audio)]
    assert names == ["move_left_rising_chirp", "move_left_falling_chirp", "move_right_rising_chirp",
                     "move_right_falling_chirp"]  # fmt: skip
    assert (out / "label_map.txt").read_text().split() == names
    train = (out / "train.txt").read_text().split("\n")[:-1]
    assert len(train) == 4 and train[1] == "videos/move_left_falling_chirp/move_left_falling_chirp_0000.mp4 1"
    flips = json.loads((out / "flip_label_map.json").read_text())
    assert flips == {"0": 2, "1": 3, "2": 0, "3": 1}  # left <-> right, the sound kept
    meta = json.loads((out / "av_classes.json").read_text())
    assert meta["classes"][3] == {"name": "move_right_falling_chirp", "motion": "move_right", "sound": "falling_chirp"}

    import av

    from vidcore.data.decoders import read_audio

    first = out / "videos/move_left_rising_chirp/move_left_rising_chirp_0000.mp4"
    with av.open(str(first)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        assert c.streams.audio[0].rate == 16000
    wave, _ = read_audio(str(first), 16000)
    assert wave.size >= 8 / 12 * 16000
    other = out / "videos/move_left_falling_chirp/move_left_falling_chirp_0000.mp4"
    assert first.read_bytes() != other.read_bytes()  # same index, another class: another clip
    again = render_av_dataset(tmp_path / "again", video, audio, progress=False)
    rel = first.relative_to(out)
    assert (again / rel).read_bytes() == first.read_bytes()  # a pure function of (seed, class, index)
