"""The extract-frames / resize-videos / extract-audio verbs, run in-process on tiny generated videos."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from vidcore.data.cli import main


@pytest.fixture()
def video_tree(tmp_path: Path, generated_videos: dict[str, Path]) -> Path:
    root = tmp_path / "videos"
    (root / "class_a").mkdir(parents=True)
    shutil.copy(generated_videos["short_gop"], root / "class_a" / "clip1.mp4")
    shutil.copy(generated_videos["cut"], root / "class_a" / "cut.mp4")
    shutil.copy(generated_videos["avi"], root / "clip3.avi")
    return root


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("extract-frames", "resize-videos", "extract-audio"):
        with pytest.raises(SystemExit):
            main([verb, "--help"])
        assert "examples:" in capsys.readouterr().out


def test_extract_frames_exact_order_resume_and_errors(
    video_tree: Path, tmp_path: Path, reference_frames, capsys: pytest.CaptureFixture[str]
) -> None:
    (video_tree / "broken.mp4").write_text("not a video")
    out = tmp_path / "frames"
    # stale partial output of an interrupted run must not count as done
    (out / "class_a").mkdir(parents=True)
    (out / "class_a" / ".cut.partial").mkdir()
    (out / "class_a" / ".cut.partial" / "img_00001.jpg").write_bytes(b"half")
    assert main(["extract-frames", str(video_tree), str(out), "--new-size", "96", "64", "--workers", "2"]) == 1
    assert "broken.mp4" in capsys.readouterr().err
    assert not (out / "broken").exists()
    assert sorted(p.name for p in (out / "class_a").iterdir()) == ["clip1", "cut"]  # no partial left
    for rel, src in [("class_a/cut", "class_a/cut.mp4"), ("class_a/clip1", "class_a/clip1.mp4"), ("clip3", "clip3.avi")]:
        truth = reference_frames(video_tree / src)
        names = sorted(p.name for p in (out / rel).iterdir())
        assert names == [f"img_{i:05d}.jpg" for i in range(1, len(truth) + 1)]
        for k in (0, len(truth) // 2, len(truth) - 1):
            img = np.asarray(Image.open(out / rel / f"img_{k + 1:05d}.jpg")).astype(np.int16)
            errors = [np.abs(img - truth[j]).mean() for j in range(len(truth))]
            assert int(np.argmin(errors)) == k and errors[k] < 4  # the right frame, JPEG-close
    # resume: nothing redone; a deleted output is redone
    stamp = (out / "clip3" / "img_00001.jpg").stat().st_mtime_ns
    shutil.rmtree(out / "class_a" / "clip1")
    assert main(["extract-frames", str(video_tree), str(out), "--new-size", "96", "64"]) == 1
    report = capsys.readouterr().out
    assert "2 already done" in report and "1 extracted" in report
    assert (out / "clip3" / "img_00001.jpg").stat().st_mtime_ns == stamp
    assert len(list((out / "class_a" / "clip1").iterdir())) == 60


def test_extract_frames_short_side_and_list(video_tree: Path, tmp_path: Path) -> None:
    listing = tmp_path / "train.txt"
    listing.write_text("class_a/clip1.mp4 0\n\nclip3.avi 1\n")
    out = tmp_path / "frames"
    assert main(["extract-frames", str(listing), str(out), "--root", str(video_tree), "--short-side", "32"]) == 0
    assert Image.open(out / "class_a" / "clip1" / "img_00001.jpg").size == (48, 32)  # 96x64 -> 48x32
    assert len(list((out / "clip3").iterdir())) == 40


def test_resize_videos_short_gop(video_tree: Path, tmp_path: Path, generated_videos, reference_frames) -> None:
    shutil.copy(generated_videos["vfr"], video_tree / "vfr.mp4")
    out = tmp_path / "small"
    assert main(["resize-videos", str(video_tree), str(out), "--short-side", "32", "--gop", "8"]) == 0
    for rel, src in [("class_a/cut.mp4", "class_a/cut.mp4"), ("clip3.mp4", "clip3.avi"), ("vfr.mp4", "vfr.mp4")]:
        truth = reference_frames(video_tree / src)
        with av.open(str(out / rel)) as c:
            stream = c.streams.video[0]
            assert (stream.width, stream.height) == (48, 32)
            packets = [p for p in c.demux(stream) if p.size]
            c.seek(0)
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(stream)]
        assert len(frames) == len(truth)
        keys = sorted(p.pts for p in packets if p.is_keyframe)
        assert len(keys) == -(-len(truth) // 8)  # a keyframe every 8 frames
        for k in (0, len(truth) - 1):
            small = np.asarray(Image.fromarray(truth[k]).resize((48, 32), Image.BILINEAR)).astype(np.int16)
            assert np.abs(small - frames[k]).mean() < 12
    with av.open(str(generated_videos["vfr"])) as a, av.open(str(out / "vfr.mp4")) as b:
        pa = [f.time for f in a.decode(video=0)]
        pb = [f.time for f in b.decode(video=0)]
    assert np.allclose(pa, pb, atol=1e-3)  # variable frame timing kept


def test_extract_audio(tmp_path: Path, generated_videos, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(generated_videos["long_gop"], src / "with_audio.mp4")
    shutil.copy(generated_videos["short_gop"], src / "silent.mp4")
    out = tmp_path / "audio"
    assert main(["extract-audio", str(src), str(out), "--sample-rate", "8000", "--mono"]) == 0
    assert "1 no audio stream" in capsys.readouterr().out
    assert not (out / "silent.wav").exists()
    with wave.open(str(out / "with_audio.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    assert abs(len(data) / 8000 - 200 / 30) < 0.1
    peak = np.argmax(np.abs(np.fft.rfft(data))) * 8000 / len(data)
    assert abs(peak - 440) < 2 and 0.4 * 32767 < np.abs(data).max() < 0.55 * 32767


def test_published_output_is_all_or_nothing(tmp_path: Path) -> None:
    from vidcore.data.cli._jobs import published, temp_path

    dst = tmp_path / "clip.wav"
    dst.write_text("old")
    temp_path(dst).write_text("stale, from an interrupted run")
    with pytest.raises(RuntimeError), published(dst) as tmp:
        assert not tmp.exists()  # the stale file was cleared
        tmp.write_text("half")
        raise RuntimeError("killed mid-way")
    assert dst.read_text() == "old" and not temp_path(dst).exists()
    with published(dst) as tmp:
        tmp.write_text("new")
    assert dst.read_text() == "new" and not temp_path(dst).exists()

    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "img_00001.jpg").write_text("old frame")
    with published(folder, folder=True) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir())
        (tmp / "img_00001.jpg").write_text("new frame")
    assert [p.name for p in folder.iterdir()] == ["img_00001.jpg"]
    assert (folder / "img_00001.jpg").read_text() == "new frame"
