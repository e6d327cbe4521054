"""Audio datasets: MMAction2's clip sampling worked by hand, features on the fly equal the
log-mel transform, and unreadable samples (no audio track, missing file) are skipped by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.audio.datasets import AudioFeatureClips, ClipSampling, WaveformClips, sample_clips
from vidcore.data.datasets import collate_samples
from vidcore.data.errors import DataError
from vidcore.data.synth_audio import write_av
from vidcore.data.transforms.audio import LogMelSpectrogram


def test_sample_clips_test_mode_by_hand() -> None:
    feats = np.arange(100 * 3, dtype=np.float32).reshape(100, 3)  # L=100 rows of F=3
    out = sample_clips(feats, 50, clip_len=10, num_clips=1, fixed_length=24, test_mode=True)
    # SampleFrames(test): one clip of 10 frames starting at int((50 - 10 + 1) / 2) = 20 -> frames 20..29;
    # AudioFeatureSelector: rows round(21/50*100)=42 .. round(30/50*100)=60, 18 rows, zero-padded to 24
    assert out.shape == (1, 24, 3)
    np.testing.assert_array_equal(out[0, :18], feats[42:60])
    assert not out[0, 18:].any()
    # a clip longer than fixed_length is cut: 40 frames of 50 -> start int(11/2)=5 -> rows 12..90 -> 24 kept
    cut = sample_clips(feats, 50, clip_len=40, fixed_length=24, test_mode=True)
    np.testing.assert_array_equal(cut[0], feats[12:36])


def test_sample_clips_train_mode_is_seeded() -> None:
    feats = np.random.default_rng(0).random((200, 4)).astype(np.float32)
    a = sample_clips(feats, 120, clip_len=16, num_clips=2, fixed_length=32, rng=np.random.default_rng(5))
    b = sample_clips(feats, 120, clip_len=16, num_clips=2, fixed_length=32, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 32, 4)


def _tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * (300 + 400 * t) * t)).astype(np.float32)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    frames = np.zeros((24, 32, 32, 3), np.uint8)
    write_av(root / "with_audio.mp4", frames, 12, _tone(2.0), 16000)
    write_av(root / "silent_video.mp4", frames, 12, None, 16000)
    (root / "list.txt").write_text("with_audio.mp4 1\nsilent_video.mp4 0\nmissing.mp4 2\n")
    return root


def test_waveform_clips_compute_the_log_mel_of_the_track(media: Path) -> None:
    sampling = ClipSampling(clip_len=24, fixed_length=128, test_mode=True)
    ds = WaveformClips(media / "list.txt", media, sampling=sampling, seed=0)
    sample = ds[0]
    assert sample.audio.shape == (1, 128, 80) and sample.label == 1
    assert sample.meta["total_frames"] == 24  # from the video stream
    from vidcore.data.decoders import read_audio

    wave, rate = read_audio(str(media / "with_audio.mp4"), 16000)
    feats = LogMelSpectrogram().features(wave, rate)
    # the whole video is the clip: rows round(1/24 L) .. L, cut or padded to 128
    expected = sample_clips(feats, 24, clip_len=24, fixed_length=128, test_mode=True)
    torch.testing.assert_close(sample.audio, torch.from_numpy(expected))
    assert float(sample.audio.max()) > 0.5  # the tone is loud above the floor


def test_video_without_audio_is_a_skipped_sample_naming_the_file(media: Path) -> None:
    ds = WaveformClips(media / "list.txt", media, sampling=ClipSampling(clip_len=24, test_mode=True))
    batch = collate_samples([ds[i] for i in range(3)])
    assert len(batch) == 1 and batch.audio.shape == (1, 1, 128, 80)
    assert len(batch.skipped) == 2
    assert "silent_video.mp4" in batch.skipped[0] and "no audio stream" in batch.skipped[0]
    assert "missing.mp4" in batch.skipped[1] and "not found" in batch.skipped[1]
    strict = WaveformClips(media / "list.txt", media, sampling=ClipSampling(clip_len=24), on_error="raise")
    with pytest.raises(DataError, match=r"silent_video\.mp4"):
        strict[1]


def test_feature_clips_read_mmaction_feature_lists(tmp_path: Path) -> None:
    feats = np.linspace(0, 1, 300 * 80, dtype=np.float32).reshape(300, 80)
    np.save(tmp_path / "a.npy", feats)
    (tmp_path / "list.txt").write_text("a 150 3\n")  # MMAction2 lists name the file without .npy
    ds = AudioFeatureClips(
        tmp_path / "list.txt", tmp_path, sampling=ClipSampling(clip_len=64, num_clips=2, test_mode=True)
    )
    sample = ds[0]
    expected = sample_clips(feats, 150, clip_len=64, num_clips=2, fixed_length=128, test_mode=True)
    np.testing.assert_array_equal(sample.audio.numpy(), expected)
    assert sample.audio.shape == (2, 128, 80) and sample.label == 3
