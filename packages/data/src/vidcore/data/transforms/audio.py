"""Audio transforms: waveform to log-mel spectrogram (numpy/scipy only) and feature-clip selection.

The log-mel recipe is the one MMAction2 uses to build its audio features
(``tools/data/build_audio_features.py``, run as a script): mono audio at 16 kHz, RMS-normalised to
0.1; an STFT of 512-sample frames (32 ms) every 256 samples (16 ms) with the ``lws`` package's
analysis window (square root of a half-sample-shifted Hann window, normalised for perfect
reconstruction) and framing (``perfectrec``: 256 zeros in front, the end padded to whole frames);
magnitudes through an 80-band Slaney mel filterbank (librosa's default: Slaney's mel scale, each
triangle normalised to unit area) from 125 to 7600 Hz; ``20 log10(max(1e-5, mel)) - 20`` dB, mapped
from [-100, 0] dB to [0, 1] and clipped. Features are ``(T, n_mels)`` float32, one row per 16 ms.

Only the resampling differs from MMAction2's: librosa resamples with its own filters, we use
``scipy.signal.resample_poly``, so files not already at 16 kHz give slightly different features.

The classes (``LogMelSpectrogram``, ``AudioFeatureSelector``) derive from ``AudioTransform``, the one
transform base (``vidcore.data.transforms.base.Transform``) on an ``AudioSample``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from vidcore.data.transforms.base import Params, RngLike, Transform
from vidcore.data.types import AudioSample

__all__ = [
    "AudioFeatureSelector",
    "AudioTransform",
    "LogMelSpectrogram",
    "hz_to_mel",
    "log_mel_spectrogram",
    "lws_window",
    "mel_filterbank",
    "mel_to_hz",
    "resample",
    "rms_normalize",
    "select_audio_features",
    "stft_magnitude",
]

# Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above (27 steps per 6.4x).
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(freq: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Frequency in Hz to mels: HTK ``2595 log10(1 + f / 700)``, or Slaney's (linear, then log)."""
    f = np.asarray(freq, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _F_SP
    logpart = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(f >= _MIN_LOG_HZ, logpart, linear)


def mel_to_hz(mels: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Inverse of ``hz_to_mel``."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _F_SP * m
    logpart = _MIN_LOG_HZ * np.exp(_LOG_STEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, logpart, linear)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int = 80,
    fmin: float = 0.0,
    fmax: float | None = None,
    *,
    htk: bool = False,
    norm: Literal["slaney"] | None = "slaney",
) -> np.ndarray:
    """Triangular mel filters ``(n_mels, n_fft // 2 + 1)`` float32 over the rfft bins.

    ``n_mels + 2`` points equally spaced in mels from ``fmin`` to ``fmax`` (default Nyquist) give
    the left edge, peak and right edge of each triangle (peak value 1 on the Hz axis). With
    ``norm="slaney"`` each triangle is divided by half its width in Hz, so all have equal area.
    """
    if fmax is None:
        fmax = sample_rate / 2
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"mel_filterbank: need 0 <= fmin < fmax <= {sample_rate / 2}, got {fmin}, {fmax}")
    fft_freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    mel_pts = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels + 2)
    hz_pts = mel_to_hz(mel_pts, htk=htk)  # (n_mels + 2,)
    widths = np.diff(hz_pts)
    rising = (fft_freqs[None, :] - hz_pts[:-2, None]) / widths[:-1, None]
    falling = (hz_pts[2:, None] - fft_freqs[None, :]) / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        weights *= (2.0 / (hz_pts[2:] - hz_pts[:-2]))[:, None]
    elif norm is not None:
        raise ValueError(f"mel_filterbank: norm must be 'slaney' or None, got {norm!r}")
    return weights.astype(np.float32)


def lws_window(frame_size: int, hop: int) -> np.ndarray:
    """The ``lws`` package's default analysis window ``(frame_size,)`` float64.

    ``sqrt(hann)`` with the half-sample-shifted Hann ``0.5 (1 - cos(pi (2k + 1) / N))``, divided by the
    square root of the overlap-added squared window so that analysis x synthesis sums to one.
    """
    k = np.arange(frame_size)
    root_hann = np.sqrt(0.5 * (1.0 - np.cos(np.pi * (2 * k + 1) / frame_size)))
    q = math.ceil(frame_size / hop)
    sq = np.concatenate([root_hann**2, np.zeros(q * hop - frame_size)])
    overlap = np.tile(sq.reshape(q, hop).sum(axis=0), q)[:frame_size]
    if overlap.min() <= 0:
        raise ValueError(f"lws_window: hop {hop} leaves gaps between frames of {frame_size}")
    return root_hann / np.sqrt(overlap)


def stft_magnitude(
    wave: np.ndarray,
    n_fft: int = 512,
    hop_length: int = 256,
    *,
    window: np.ndarray | None = None,
    padding: Literal["lws", "center", "none"] = "lws",
) -> np.ndarray:
    """``|STFT|`` ``(num_frames, n_fft // 2 + 1)`` float64 of a mono waveform ``(S,)``.

    ``padding``: ``"lws"`` (the default, MMAction2's recipe) puts ``n_fft - hop`` zeros in front
    (``n_fft - n_fft % hop`` when hop does not divide n_fft) and zeros at the end up to whole hops and
    a last full frame: ``ceil(S / hop) + ceil(n_fft / hop) - 1`` frames. ``"center"``: ``n_fft // 2``
    zeros on both sides (librosa's ``center=True`` with zero padding), ``1 + S // hop`` frames.
    ``"none"``: frames fully inside the signal only. ``window`` defaults to ``lws_window``.
    """
    x = np.asarray(wave, dtype=np.float64).reshape(-1)
    if window is None:
        window = lws_window(n_fft, hop_length)
    if len(window) != n_fft:
        raise ValueError(f"stft_magnitude: window has {len(window)} samples, n_fft is {n_fft}")
    if padding == "lws":
        residual = n_fft % hop_length
        front = n_fft - hop_length if residual == 0 else n_fft - residual
        back = (-len(x)) % hop_length
        padded_len = front + len(x) + back
        num_frames = padded_len // hop_length
        total = (num_frames - 1) * hop_length + n_fft
        x = np.concatenate([np.zeros(front), x, np.zeros(total - front - len(x))])
    elif padding == "center":
        x = np.pad(x, n_fft // 2)
        num_frames = 1 + (len(x) - n_fft) // hop_length
    elif padding == "none":
        num_frames = 1 + (len(x) - n_fft) // hop_length if len(x) >= n_fft else 0
    else:
        raise ValueError(f"stft_magnitude: padding must be 'lws', 'center' or 'none', got {padding!r}")
    if num_frames <= 0:
        return np.zeros((0, n_fft // 2 + 1))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop_length][:num_frames]  # (T, n_fft)
    return np.abs(np.fft.rfft(frames * window, axis=-1))


def rms_normalize(wave: np.ndarray, desired_rms: float = 0.1, eps: float = 1e-4) -> np.ndarray:
    """Scale a waveform to root-mean-square ``desired_rms`` (an RMS below ``eps`` counts as ``eps``)."""
    x = np.asarray(wave, dtype=np.float64)
    rms = max(eps, float(np.sqrt(np.mean(x**2)))) if x.size else eps
    return x * (desired_rms / rms)


def resample(wave: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``) of ``(S,)`` from ``orig_rate`` to ``target_rate`` Hz."""
    if orig_rate == target_rate:
        return np.asarray(wave, dtype=np.float64)
    from scipy.signal import resample_poly

    g = math.gcd(int(orig_rate), int(target_rate))
    return resample_poly(np.asarray(wave, dtype=np.float64), target_rate // g, orig_rate // g)


def log_mel_spectrogram(
    wave: np.ndarray,
    *,
    sample_rate: int = 16000,
    n_fft: int = 512,
    hop_length: int = 256,
    n_mels: int = 80,
    fmin: float = 125.0,
    fmax: float = 7600.0,
    min_level_db: float = -100.0,
    ref_level_db: float = 20.0,
    padding: Literal["lws", "center", "none"] = "lws",
) -> np.ndarray:
    """MMAction2's normalised log-mel features ``(T, n_mels)`` float32 in ``[0, 1]`` of ``(S,)`` audio.

    ``clip((20 log10(max(10^(min_level_db/20), mel)) - ref_level_db - min_level_db) / -min_level_db, 0, 1)``
    with ``mel = filterbank @ |STFT|``. The waveform is used as given (``LogMelSpectrogram`` does the
    resampling and RMS normalisation first).
    """
    spec = stft_magnitude(wave, n_fft, hop_length, padding=padding)  # (T, F)
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)  # (n_mels, F)
    mel = spec @ fb.T.astype(np.float64)  # (T, n_mels)
    floor = 10.0 ** (min_level_db / 20.0)
    db = 20.0 * np.log10(np.maximum(floor, mel)) - ref_level_db
    return np.clip((db - min_level_db) / -min_level_db, 0.0, 1.0).astype(np.float32)


def _to_numpy(x: object) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()  # type: ignore[union-attr]
    return np.asarray(x)


def _like(result: np.ndarray, reference: object) -> object:
    """Return ``result`` as a torch tensor when ``reference`` is one, else as numpy."""
    if hasattr(reference, "detach"):
        import torch

        return torch.from_numpy(np.ascontiguousarray(result))
    return result


class AudioTransform(Transform[AudioSample]):
    """Base class of the audio transforms: the one transform base
    (``vidcore.data.transforms.base.Transform``) on an ``AudioSample``. The audio transforms here
    are deterministic (``random = False``: no generator is built), so they compose with video and
    pose ones in one ``Compose`` at no cost.
    """

    input_type = AudioSample
    random = False

    def apply(self, sample: AudioSample, params: Params | None = None) -> AudioSample:
        raise NotImplementedError


class LogMelSpectrogram(AudioTransform):
    """AudioSample waveform ``(S,)`` (or ``(C, S)``, averaged) -> AudioSample features ``(T, n_mels)``.

    Resamples to ``sample_rate`` when the sample's rate differs (its ``sample_rate`` must be set),
    RMS-normalises to 0.1 when ``normalize_rms`` (else peak-normalises, as MMAction2's script does),
    then ``log_mel_spectrogram``. The output keeps numpy or torch as given; its ``sample_rate``
    becomes None (features, not samples) and ``meta["feature_rate"]`` is rows per second.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        n_fft: int = 512,
        hop_length: int = 256,
        n_mels: int = 80,
        fmin: float = 125.0,
        fmax: float = 7600.0,
        normalize_rms: bool = True,
    ) -> None:
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.normalize_rms = normalize_rms

    def features(self, wave: np.ndarray, rate: int | None) -> np.ndarray:
        """Features ``(T, n_mels)`` float32 of a waveform at ``rate`` Hz (None: already ``sample_rate``)."""
        x = np.asarray(wave, dtype=np.float64)
        if x.ndim == 2:
            x = x.mean(axis=0)
        if x.ndim != 1:
            raise ValueError(f"LogMelSpectrogram: expected a waveform (S,) or (C, S), got shape {x.shape}")
        if rate is not None and rate != self.sample_rate:
            x = resample(x, rate, self.sample_rate)
        if self.normalize_rms:
            x = rms_normalize(x)
        else:
            peak = np.abs(x).max() if x.size else 0.0
            x = x / peak if peak > 0 else x
        return log_mel_spectrogram(
            x, sample_rate=self.sample_rate, n_fft=self.n_fft, hop_length=self.hop_length,
            n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax,
        )  # fmt: skip

    def apply(self, sample: AudioSample, params: Params | None = None) -> AudioSample:
        feats = self.features(_to_numpy(sample.audio), sample.sample_rate)
        return replace(
            sample, audio=_like(feats, sample.audio), sample_rate=None,
            meta={**sample.meta, "feature_rate": self.sample_rate / self.hop_length},
        )  # fmt: skip


def select_audio_features(
    features: np.ndarray,
    frame_inds: np.ndarray | Sequence[int],
    *,
    total_frames: int,
    num_clips: int = 1,
    fixed_length: int = 128,
) -> np.ndarray:
    """Rows of ``features`` ``(L, F)`` covering each clip of video frames, cropped/padded to a length.

    MMAction2's ``AudioFeatureSelector``: ``frame_inds`` (num_clips * clip_len video frame indices,
    0-based) are split into clips; clip c covers feature rows
    ``[round((first + 1) / total_frames * L), round((last + 1) / total_frames * L))`` (Python's
    round, half to even), clipped to ``[0, L]``; then cut to ``fixed_length`` rows or zero-padded
    at the end. Returns ``(num_clips, fixed_length, F)`` float32.
    """
    feats = np.asarray(features)
    if feats.ndim != 2:
        raise ValueError(f"select_audio_features: features must be (L, F), got shape {feats.shape}")
    if total_frames <= 0:
        raise ValueError(f"select_audio_features: total_frames must be positive, got {total_frames}")
    inds = np.asarray(frame_inds).reshape(-1)
    if num_clips < 1 or inds.size == 0 or inds.size % num_clips:
        raise ValueError(f"select_audio_features: {inds.size} indices do not split into {num_clips} clips")
    length = feats.shape[0]
    out = np.zeros((num_clips, fixed_length, feats.shape[1]), dtype=np.float32)
    for c, clip in enumerate(inds.reshape(num_clips, -1)):
        start = max(0, round((int(clip[0]) + 1) / total_frames * length))
        stop = min(length, round((int(clip[-1]) + 1) / total_frames * length))
        rows = feats[start:stop][:fixed_length]
        out[c, : len(rows)] = rows
    return out


class AudioFeatureSelector(AudioTransform):
    """AudioSample with the whole feature matrix ``(L, F)`` -> the clips' rows ``(num_clips, fixed_length, F)``.

    Called with the sampled video frame indices and the video's frame count (see
    ``select_audio_features``); ``params`` of ``apply`` is ``{"frame_inds", "total_frames",
    "num_clips"}``. The output keeps numpy or torch as given.
    """

    def __init__(self, fixed_length: int = 128) -> None:
        if fixed_length < 1:
            raise ValueError(f"AudioFeatureSelector: fixed_length must be >= 1, got {fixed_length}")
        self.fixed_length = fixed_length

    def __call__(
        self,
        sample: AudioSample,
        frame_inds: np.ndarray | Sequence[int],
        *,
        total_frames: int,
        num_clips: int = 1,
        rng: RngLike = None,
    ) -> AudioSample:
        self.check_input(sample)
        params = {"frame_inds": frame_inds, "total_frames": total_frames, "num_clips": num_clips}
        return self.apply(sample, params)

    def apply(self, sample: AudioSample, params: Params | None = None) -> AudioSample:
        if not params or "frame_inds" not in params or "total_frames" not in params:
            raise ValueError(
                "AudioFeatureSelector.apply needs params={'frame_inds', 'total_frames', 'num_clips'}"
            )
        frame_inds = params["frame_inds"]
        clips = select_audio_features(
            _to_numpy(sample.audio), frame_inds, total_frames=params["total_frames"],
            num_clips=params.get("num_clips", 1), fixed_length=self.fixed_length,
        )  # fmt: skip
        return replace(
            sample,
            audio=_like(clips, sample.audio),
            meta={**sample.meta, "frame_inds": np.asarray(frame_inds).reshape(-1)},
        )
