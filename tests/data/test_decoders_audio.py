"""read_audio: waveform, sample rate, resampling, channels, and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidcore.data.decoders import read_audio
from vidcore.data.decoders.synthetic import write_test_video
from vidcore.data.errors import VideoDecodeError


def peak_hz(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.argmax(spectrum) * rate / len(wave))


def test_audio_from_mp4_and_resampling(generated_videos: dict[str, Path]) -> None:
    wave, rate = read_audio(generated_videos["long_gop"])  # 200 frames at 30 fps, 440 Hz sine at 16 kHz
    assert rate == 16000 and wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) / rate - 200 / 30) < 0.1  # AAC adds priming/padding samples only
    assert abs(peak_hz(wave, rate) - 440) < 2
    assert 0.4 < np.abs(wave).max() <= 0.55  # amplitude 0.5
    wave8, rate8 = read_audio(generated_videos["long_gop"], sample_rate=8000)
    assert rate8 == 8000 and abs(len(wave8) - len(wave) / 2) < 100
    assert abs(peak_hz(wave8, rate8) - 440) < 2


def test_audio_channels_and_avi(tmp_path: Path) -> None:
    path = tmp_path / "a.avi"
    write_test_video(path, num_frames=15, codec="mpeg4", audio_rate=8000, audio_freq=1000.0)
    wave, rate = read_audio(path, mono=False)
    assert wave.shape[0] == 1 and rate == 8000
    assert abs(wave.shape[1] - 4000) < 50  # 0.5 s
    assert abs(peak_hz(wave[0], rate) - 1000) < 3


def test_audio_errors(generated_videos: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="no audio stream"):
        read_audio(generated_videos["short_gop"])
    with pytest.raises(VideoDecodeError, match="not found"):
        read_audio(tmp_path / "missing.wav")
    (tmp_path / "x.wav").write_text("not audio")
    with pytest.raises(VideoDecodeError, match="cannot open"):
        read_audio(tmp_path / "x.wav")


def test_read_audio_has_its_own_module_and_old_imports_work() -> None:
    import vidcore.data.decoders as decoders
    from vidcore.data.decoders import audio, pyav

    assert audio.read_audio is pyav.read_audio is decoders.read_audio is read_audio
    assert read_audio.__module__ == "vidcore.data.decoders.audio"
