"""``vidcore-data mel``: files and folders to .npy log-mel features, resumable, failures reported."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy.io import wavfile

from vidcore.data.cli import main
from vidcore.data.transforms.audio import hz_to_mel, mel_to_hz

SR = 16000


def write_sine(path, freq: float, seconds: float = 0.5, rate: int = SR) -> None:
    t = np.arange(int(rate * seconds)) / rate
    wavfile.write(path, rate, (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16))


def band_of(freq: float) -> int:
    centers = mel_to_hz(np.linspace(hz_to_mel(125.0), hz_to_mel(7600.0), 82))[1:-1]
    return int(np.argmin(np.abs(centers - freq)))


def test_help_shows_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mel", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--workers" in out and "--out" in out


def test_folder_to_features_resumable_with_failures(tmp_path, capsys):
    src = tmp_path / "audio"
    (src / "sub").mkdir(parents=True)
    write_sine(src / "a.wav", 440.0)
    write_sine(src / "sub" / "b.wav", 3000.0, rate=8000)  # resampled to 16 kHz on decoding
    (src / "broken.wav").write_bytes(b"RIFF not really a wave file")
    (src / "notes.txt").write_text("ignored: not an audio extension")
    out = tmp_path / "mels"
    rc = main(["mel", str(src), "--out", str(out), "--workers", "1", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1  # one file failed
    assert "broken.wav" in captured.err and "2 written" in captured.out
    a = np.load(out / "a.npy")
    b = np.load(out / "sub" / "b.npy")
    assert a.dtype == np.float32 and a.shape == (math.ceil(SR * 0.5 / 256) + 1, 80)
    assert a.min() >= 0 and a.max() <= 1
    assert abs(int(a[3:-3].mean(0).argmax()) - band_of(440.0)) <= 1
    assert abs(int(b[3:-3].mean(0).argmax()) - band_of(3000.0)) <= 1
    assert not list(out.rglob("*.tmp"))

    # resume: existing outputs are kept; --overwrite recomputes them
    mtime = os.stat(out / "a.npy").st_mtime_ns
    os.utime(out / "a.npy", ns=(mtime - 10**9, mtime - 10**9))
    (src / "broken.wav").unlink()
    rc = main(["mel", str(src), "--out", str(out), "--workers", "2", "--no-progress"])
    assert rc == 0 and "0 written, 2 already done" in capsys.readouterr().out
    assert os.stat(out / "a.npy").st_mtime_ns == mtime - 10**9
    rc = main(["mel", str(src / "a.wav"), "--out", str(out), "--overwrite", "--no-progress"])
    assert rc == 0 and os.stat(out / "a.npy").st_mtime_ns != mtime - 10**9
    assert np.array_equal(np.load(out / "a.npy"), a)


def test_parallel_workers_give_the_same_features(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for i, f in enumerate((300.0, 1200.0, 5000.0)):
        write_sine(src / f"s{i}.wav", f, seconds=0.25)
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["mel", str(src), "--out", str(one), "--workers", "1", "--no-progress"]) == 0
    assert main(["mel", str(src), "--out", str(two), "--workers", "2", "--no-progress"]) == 0
    for i in range(3):
        assert np.array_equal(np.load(one / f"s{i}.npy"), np.load(two / f"s{i}.npy"))


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["mel", str(tmp_path / "missing.wav"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    write_sine(tmp_path / "x.wav", 100.0, seconds=0.1)
    assert main(["mel", str(tmp_path / "x.wav"), "--out", str(tmp_path / "o"), "--fmax", "9000"]) == 2
    a, b = tmp_path / "d1", tmp_path / "d2"
    a.mkdir()
    b.mkdir()
    write_sine(a / "same.wav", 100.0, seconds=0.1)
    write_sine(b / "same.wav", 100.0, seconds=0.1)
    assert main(["mel", str(a / "same.wav"), str(b / "same.wav"), "--out", str(tmp_path / "o")]) == 2
    assert "would both write" in capsys.readouterr().err
    assert main(["mel", str(a / "same.wav")]) == 2  # no output folder
    assert "mel SRC... OUT" in capsys.readouterr().err


def test_output_folder_as_last_positional_like_the_other_verbs(tmp_path):
    a = tmp_path / "in"
    a.mkdir()
    write_sine(a / "x.wav", 440.0, seconds=0.2)
    write_sine(a / "y.wav", 880.0, seconds=0.2)
    assert main(["mel", str(a / "x.wav"), str(a / "y.wav"), str(tmp_path / "pos"), "--no-progress"]) == 0
    assert main(["mel", str(a / "x.wav"), str(a / "y.wav"), "--out", str(tmp_path / "opt"), "--no-progress"]) == 0
    for name in ("x.npy", "y.npy"):
        assert np.array_equal(np.load(tmp_path / "pos" / name), np.load(tmp_path / "opt" / name))


def test_fixture_video_audio_track(conformance_root, tmp_path, capsys):
    """The audio of MMAction2's test.avi (MP3 in AVI) equals its test.wav: same features."""
    data = conformance_root / "data"
    rc = main(["mel", str(data / "test.avi"), "--out", str(tmp_path / "v"), "--no-progress"])
    rc += main(["mel", str(data / "test.wav"), "--out", str(tmp_path / "w"), "--no-progress"])
    assert rc == 0
    video, audio = np.load(tmp_path / "v" / "test.npy"), np.load(tmp_path / "w" / "test.npy")
    assert video.shape[1] == 80 and abs(video.shape[0] - audio.shape[0]) <= 3
    n = min(len(video), len(audio))
    assert np.abs(video[:n] - audio[:n]).mean() < 0.05
