"""``vidcore-audio infer`` on an audio-only file (a 16-bit PCM .wav, no video stream): the printed
probabilities equal the model run on the log-mel of the in-memory waveform, sampled over the
frame count its duration implies at ``--video-fps`` (the wav decode, the duration-based frame
count and the CLI are what is checked; the log-mel transform is checked against MMAction2 in
tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import wavfile

from vidcore.audio.cli import main
from vidcore.audio.datasets import ClipSampling
from vidcore.audio.registry import get_model, get_preset
from vidcore.data.transforms.audio import LogMelSpectrogram

PRESET = "tsn_r18_synth_av"


def test_infer_a_wav_file_prints_the_models_probabilities(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rate, seconds = 16000, 3.0
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(0)
    wave = 0.25 * np.sin(2 * np.pi * (300 + 400 * t) * t) + 0.02 * rng.normal(size=t.size)  # rising chirp
    pcm = np.round(wave * 32767).astype(np.int16)
    wavfile.write(tmp_path / "chirp.wav", rate, pcm)
    torch.manual_seed(0)
    model = get_model(PRESET, num_classes=4).eval()
    torch.save({"model": model.state_dict()}, tmp_path / "audio.pth")

    preset = get_preset(PRESET)
    mel = LogMelSpectrogram(preset.sample_rate, n_fft=preset.n_fft, hop_length=preset.hop_length,
                            n_mels=preset.n_mels, fmin=preset.fmin, fmax=preset.fmax)  # fmt: skip
    feats = mel.features(pcm.astype(np.float64) / 32768.0, rate)
    frames = round(seconds * 15)  # an audio-only file: its duration at --video-fps 15
    clips = ClipSampling.from_preset(preset, test_mode=True)(feats, frames, np.random.default_rng(0))
    with torch.no_grad():
        expected = model.predict(torch.from_numpy(clips)[None])[0]

    wav = str(tmp_path / "chirp.wav")
    argv = ["infer", wav, "--preset", PRESET, "--checkpoint", str(tmp_path / "audio.pth"), "--video-fps", "15"]
    assert main([*argv, "--top-k", "4", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["file"] == wav and [r["label"] for r in row["top_k"]] == expected.argsort(descending=True).tolist()
    got = torch.zeros(4)
    for r in row["top_k"]:
        got[r["label"]] = r["score"]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    # plain text: the file, then "name score" of the top-k, best first
    assert main([*argv, "--top-k", "2"]) == 0
    best = expected.argsort(descending=True)[:2].tolist()
    assert capsys.readouterr().out.strip() == f"{wav}: {best[0]} {expected[best[0]]:.3f}, {best[1]} {expected[best[1]]:.3f}"
