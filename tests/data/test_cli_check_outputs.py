"""``vidcore-data check SRC --outputs OUT --prep VERB``: after a prep run over the synthetic set, one
output deleted and one truncated are each reported on their own line (and nothing else is), with a
summary that counts them and a non-zero exit; a complete run checks clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vidcore.data.cli import main
from vidcore.data.decoders.synthetic import write_test_video


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vidcore.data.synth import SynthConfig, render_dataset

    return render_dataset(
        tmp_path_factory.mktemp("synth"), SynthConfig(videos_per_class=1, size=32, min_frames=8, max_frames=10),
        progress=False,
    )  # fmt: skip


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _problems(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("MISSING", "CORRUPT", "PARTIAL"))]


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    rc = main(["check", *argv, "--no-progress"])
    out = capsys.readouterr().out
    return rc, _problems(out), out.strip().splitlines()[-1]


@pytest.mark.parametrize("verb, extra, suffix", [
    ("extract-frames", ["--new-size", "24", "24"], ""),
    ("resize-videos", ["--short-side", "32"], ".mp4"),
])  # fmt: skip
def test_a_deleted_and_a_truncated_output_are_reported(
    verb: str, extra: list[str], suffix: str, synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    src = synth / "train.txt"
    assert main([verb, str(src), str(out), *extra]) == 0
    argv = [str(src), "--outputs", str(out), "--prep", verb]
    rc, problems, summary = _check(capsys, *argv)
    n = len(src.read_text().splitlines())
    assert (rc, problems) == (0, [])
    assert f"{n} entries, {n} ok, 0 missing, 0 corrupt" in summary

    names = [line.split()[0] for line in src.read_text().splitlines()]
    gone, cut = (out / names[1]).with_suffix(suffix), (out / names[4]).with_suffix(suffix)
    if verb == "extract-frames":
        shutil.rmtree(gone)
        frames = sorted(cut.iterdir())
        _truncate(frames[-1])  # the last image is cut short
    else:
        gone.unlink()
        _truncate(cut)
    rc, problems, summary = _check(capsys, *argv)
    assert rc == 1
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"MISSING {synth / names[1]}:") and str(gone) in problems[0]
    assert problems[1].startswith(f"CORRUPT {synth / names[4]}:") and str(cut) in problems[1]
    assert f"{n} entries, {n - 2} ok, 1 missing, 1 corrupt" in summary


def test_frame_folder_with_a_gap_or_a_wrong_count(synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "frames"
    src = synth / "videos"
    assert main(["extract-frames", str(src), str(out)]) == 0
    folders = sorted(p for p in out.rglob("*") if p.is_dir() and any(p.glob("*.jpg")))
    (folders[0] / "img_00003.jpg").unlink()  # a hole in the numbering
    last = sorted(folders[1].glob("*.jpg"))[-1]
    last.unlink()  # one frame short of the source video
    rc, problems, _ = _check(capsys, str(src), "--outputs", str(out), "--prep", "extract-frames")
    assert rc == 1
    assert len(problems) == 2
    assert "img_00003.jpg is missing" in problems[0]
    n_src = len(list(folders[1].glob("*.jpg"))) + 1
    assert f"{n_src - 1} frames, the source video has {n_src}" in problems[1]


def test_audio_and_mel_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "videos"
    (src / "a").mkdir(parents=True)
    for i in range(3):
        write_test_video(src / "a" / f"v{i}.mp4", num_frames=12, audio_rate=16000)
    write_test_video(src / "a" / "silent.mp4", num_frames=12)  # no audio stream: no file expected
    wavs, mels = tmp_path / "wav", tmp_path / "mel"
    assert main(["extract-audio", str(src), str(wavs)]) == 0
    assert main(["mel", str(src), str(mels), "--workers", "1", "--no-progress"]) == 1  # silent.mp4 has no audio
    rc, problems, summary = _check(capsys, str(src), "--outputs", str(wavs), "--prep", "extract-audio")
    assert (rc, problems) == (0, [])
    assert "4 entries, 4 ok" in summary
    _truncate(wavs / "a" / "v0.wav", 0.6)
    (wavs / "a" / "v1.wav").unlink()
    rc, problems, summary = _check(capsys, str(src), "--outputs", str(wavs), "--prep", "extract-audio")
    assert rc == 1 and [p.split()[0] for p in problems] == ["CORRUPT", "MISSING"]
    assert "v0.wav: header announces" in problems[0] and "v1.wav not found" in problems[1]

    rc, problems, summary = _check(capsys, str(src), "--outputs", str(mels), "--prep", "mel")
    assert rc == 1 and problems == [f"MISSING {src / 'a' / 'silent.mp4'}: features {mels / 'a' / 'silent.npy'} not found"]
    _truncate(mels / "a" / "v2.npy", 0.7)
    rc, problems, summary = _check(capsys, str(src), "--outputs", str(mels), "--prep", "mel")
    assert [p.split()[0] for p in problems] == ["MISSING", "CORRUPT"]
    assert "v2.npy: not a readable .npy array" in problems[1]
    assert "4 entries, 2 ok, 1 missing, 1 corrupt" in summary


def test_outputs_needs_the_verb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path), "--outputs", str(tmp_path)]) == 2
    assert "--outputs needs --prep" in capsys.readouterr().out


def test_deep_finds_a_corrupt_middle_frame_and_video(synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = synth / "train.txt"
    frames, videos = tmp_path / "frames", tmp_path / "videos"
    assert main(["extract-frames", str(src), str(frames)]) == 0
    assert main(["resize-videos", str(src), str(videos), "--short-side", "32"]) == 0
    name = src.read_text().split()[0]
    middle = sorted((frames / name).with_suffix("").glob("*.jpg"))[3]
    _truncate(middle)
    argv = [str(src), "--outputs", str(frames), "--prep", "extract-frames"]
    assert _check(capsys, *argv)[:2] == (0, [])  # first and last frame only: not seen
    rc, problems, _ = _check(capsys, *argv, "--deep")
    assert rc == 1 and len(problems) == 1 and f"{middle}: image does not decode" in problems[0]

    mp4 = (videos / name).with_suffix(".mp4")
    import av

    with av.open(str(mp4)) as c:
        packets = sorted((p.pts, p.pos, p.size) for p in c.demux(video=0) if p.size)
    _, pos, size = packets[len(packets) // 2]  # a middle frame (GOP 250: not a keyframe)
    data = bytearray(mp4.read_bytes())
    for i in range(pos + 4, pos + size):  # keep the NAL length, garble the coded slice
        data[i] ^= 0x5A
    mp4.write_bytes(bytes(data))
    argv = [str(src), "--outputs", str(videos), "--prep", "resize-videos", "--deep"]
    rc, problems, _ = _check(capsys, *argv)
    assert rc == 1 and len(problems) == 1 and problems[0].startswith(f"CORRUPT {synth / name}: {mp4}: frame "), problems
