"""Audio transforms: mel scale and filterbank against the formulas, STFT framing, sine placement, selection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from vidcore.data.transforms.audio import (
    AudioFeatureSelector,
    LogMelSpectrogram,
    hz_to_mel,
    log_mel_spectrogram,
    lws_window,
    mel_filterbank,
    mel_to_hz,
    rms_normalize,
    select_audio_features,
    stft_magnitude,
)
from vidcore.data.types import AudioSample

SR = 16000


def test_mel_scale_known_values():
    # Slaney: 3 mels per 200 Hz below 1 kHz, 27 mels per factor 6.4 above
    assert hz_to_mel(1000.0) == pytest.approx(15.0)
    assert hz_to_mel(500.0) == pytest.approx(7.5)
    assert hz_to_mel(6400.0) == pytest.approx(42.0)
    assert hz_to_mel(700.0, htk=True) == pytest.approx(2595 * math.log10(2))
    f = np.array([0.0, 125.0, 999.0, 1000.0, 1234.5, 7600.0])
    assert np.allclose(mel_to_hz(hz_to_mel(f)), f)
    assert np.allclose(mel_to_hz(hz_to_mel(f, htk=True), htk=True), f)


def _slaney_row(i: int, n_mels: int, fmin: float, fmax: float, freqs: np.ndarray, htk: bool) -> np.ndarray:
    """Filter i written out from the textbook definition, one frequency at a time."""

    def to_mel(f):
        if htk:
            return 2595 * math.log10(1 + f / 700)
        return f / (200 / 3) if f < 1000 else 15 + math.log(f / 1000) * 27 / math.log(6.4)

    def to_hz(m):
        if htk:
            return 700 * (10 ** (m / 2595) - 1)
        return m * 200 / 3 if m < 15 else 1000 * math.exp((m - 15) * math.log(6.4) / 27)

    lo_m, hi_m = to_mel(fmin), to_mel(fmax)
    edges = [to_hz(lo_m + (hi_m - lo_m) * k / (n_mels + 1)) for k in (i, i + 1, i + 2)]
    row = []
    for f in freqs:
        if edges[0] < f <= edges[1]:
            v = (f - edges[0]) / (edges[1] - edges[0])
        elif edges[1] < f < edges[2]:
            v = (edges[2] - f) / (edges[2] - edges[1])
        else:
            v = 0.0
        row.append(v * 2 / (edges[2] - edges[0]))
    return np.array(row)


@pytest.mark.parametrize("htk", [False, True])
def test_filterbank_rows_match_the_formula(htk):
    fb = mel_filterbank(SR, 512, 40, 125.0, 7600.0, htk=htk)
    assert fb.shape == (40, 257) and fb.dtype == np.float32
    freqs = np.linspace(0, SR / 2, 257)
    for i in (0, 7, 21, 39):
        assert np.allclose(fb[i], _slaney_row(i, 40, 125.0, 7600.0, freqs, htk), rtol=1e-5, atol=1e-9)
    # Slaney normalisation: each triangle has unit area in Hz (checked on the wide high filters)
    df = SR / 512
    assert np.allclose(fb[-5:].sum(axis=1) * df, 1.0, atol=0.02)


def test_lws_window_is_a_perfect_reconstruction_pair():
    for n, hop in [(512, 256), (1280, 320), (400, 160), (300, 128)]:
        win = lws_window(n, hop)
        q = math.ceil(n / hop)
        padded = np.concatenate([win**2, np.zeros(q * hop - n)])
        assert np.allclose(padded.reshape(q, hop).sum(axis=0), 1.0)  # overlap-added squares sum to 1
        assert np.allclose(win, win[::-1])  # symmetric


def test_stft_framing_and_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    win = np.hanning(64)
    spec = stft_magnitude(x, 64, 16, window=win, padding="none")
    assert spec.shape == (1 + (1000 - 64) // 16, 33)
    assert np.allclose(spec[3], np.abs(np.fft.fft(x[48:112] * win))[:33])
    lws = stft_magnitude(x, 64, 16)
    assert lws.shape == (math.ceil(1000 / 16) + 64 // 16 - 1, 33)
    # lws framing: 48 zeros in front, so frame 3 starts at sample 0
    assert np.allclose(lws[3], np.abs(np.fft.rfft(x[:64] * lws_window(64, 16))))
    center = stft_magnitude(x, 64, 16, window=win, padding="center")
    assert center.shape == (1 + 1000 // 16, 33)
    assert np.allclose(center[2], np.abs(np.fft.rfft(x[0:64] * win)))  # frame 2 starts at -32 + 32


@pytest.mark.parametrize("freq", [250.0, 700.0, 1500.0, 3000.0, 7000.0])
def test_a_sine_puts_its_energy_in_the_band_containing_its_frequency(freq):
    t = np.arange(SR // 2) / SR
    feats = log_mel_spectrogram(rms_normalize(np.sin(2 * np.pi * freq * t)))
    assert feats.shape == (math.ceil(SR / 2 / 256) + 1, 80) and feats.dtype == np.float32
    assert feats.min() >= 0 and feats.max() <= 1
    # the band whose triangle peaks nearest to f
    centers = mel_to_hz(np.linspace(hz_to_mel(125.0), hz_to_mel(7600.0), 82))[1:-1]
    band = int(np.argmin(np.abs(centers - freq)))
    assert abs(int(feats[5:-5].mean(0).argmax()) - band) <= 1
    assert feats[5:-5, band].mean() > feats[5:-5].mean() + 0.2


def test_silence_is_all_zero_and_input_type_is_kept():
    out = LogMelSpectrogram()(AudioSample(audio=np.zeros(4000, np.float32), sample_rate=SR))
    assert isinstance(out.audio, np.ndarray) and np.all(out.audio == 0)
    assert out.sample_rate is None and out.meta["feature_rate"] == SR / 256
    wave = torch.from_numpy(np.sin(np.arange(4000) * 0.3).astype(np.float32))
    out = LogMelSpectrogram()(AudioSample(audio=wave, sample_rate=SR))
    assert isinstance(out.audio, torch.Tensor) and out.audio.shape == (math.ceil(4000 / 256) + 1, 80)


def test_resampling_keeps_the_frequency():
    rate = 8000
    t = np.arange(rate) / rate
    out = LogMelSpectrogram()(AudioSample(audio=np.sin(2 * np.pi * 1000 * t), sample_rate=rate))
    assert out.audio.shape[0] == math.ceil(SR / 256) + 1
    centers = mel_to_hz(np.linspace(hz_to_mel(125.0), hz_to_mel(7600.0), 82))[1:-1]
    assert abs(int(out.audio[5:-5].mean(0).argmax()) - int(np.argmin(np.abs(centers - 1000)))) <= 1


def test_rms_normalize():
    x = np.array([3.0, -4.0, 0.0, 0.0])
    assert np.sqrt(np.mean(rms_normalize(x) ** 2)) == pytest.approx(0.1)
    assert np.all(rms_normalize(np.zeros(3)) == 0)


def test_select_audio_features_by_hand():
    feats = np.arange(100 * 2, dtype=np.float32).reshape(100, 2)
    out = select_audio_features(feats, np.arange(9, 19), total_frames=50, fixed_length=32)
    # rows round(10 / 50 * 100) = 20 .. round(19 / 50 * 100) = 38
    assert out.shape == (1, 32, 2)
    assert np.array_equal(out[0, :18], feats[20:38]) and np.all(out[0, 18:] == 0)
    out = select_audio_features(feats, np.r_[0:10, 30:40], total_frames=50, num_clips=2, fixed_length=8)
    assert np.array_equal(out[0], feats[2:10]) and np.array_equal(out[1], feats[62:70])
    # half-way rounding is Python's (to even): (2 + 1) / 40 * 100 = 7.5 -> 8, (4 + 1) / 40 * 100 = 12.5 -> 12
    out = select_audio_features(feats, [2, 4], total_frames=40, fixed_length=8)
    assert np.array_equal(out[0, :4], feats[8:12]) and np.all(out[0, 4:] == 0)
    with pytest.raises(ValueError, match="split"):
        select_audio_features(feats, np.arange(5), total_frames=50, num_clips=2)


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(1, 300), total=st.integers(1, 400), clip_len=st.integers(1, 16),
    num_clips=st.integers(1, 3), fixed=st.integers(1, 64), seed=st.integers(0, 2**31 - 1),
)  # fmt: skip
def test_select_audio_features_properties(length, total, clip_len, num_clips, fixed, seed):
    rng = np.random.default_rng(seed)
    feats = rng.random((length, 3)).astype(np.float32) + 1  # no zero rows
    inds = np.sort(rng.integers(0, total, size=(num_clips, clip_len)), axis=1).reshape(-1)
    sample = AudioSample(audio=torch.from_numpy(feats))
    out = AudioFeatureSelector(fixed)(sample, inds, total_frames=total, num_clips=num_clips)
    assert isinstance(out.audio, torch.Tensor) and out.audio.shape == (num_clips, fixed, 3)
    a = out.audio.numpy()
    for c in range(num_clips):
        n = int((a[c, :, 0] != 0).sum())
        assert np.all(a[c, n:] == 0)  # rows then zero padding
        if n:  # consecutive rows of the feature matrix
            start = int(np.flatnonzero((feats == a[c, 0]).all(1))[0])
            assert np.array_equal(a[c, :n], feats[start : start + n])
