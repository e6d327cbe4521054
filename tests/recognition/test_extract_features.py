"""``vidcore-recognition extract-features``: snippet counts, per-snippet features, resume, and the
files read back through vidcore-localization's reader (issue 11 item 5)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.data.decoders import open_video
from vidcore.data.synth import SynthConfig, render_video, write_h264
from vidcore.recognition.cli import main
from vidcore.recognition.features import SnippetConfig, extract_video_features, snippet_indices
from vidcore.recognition.inference import load_recognizer

spec = importlib.util.spec_from_file_location("_recog_tiny", Path(__file__).with_name("_recog_tiny.py"))
tiny = importlib.util.module_from_spec(spec)
assert spec.loader is not None
spec.loader.exec_module(tiny)

FRAMES = 40  # every synthetic video here: 40 frames of 32x32 (the tiny preset's crop: no resize, no crop)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("extract_videos")
    cfg = SynthConfig(size=32, min_frames=FRAMES, max_frames=FRAMES)
    out = []
    for i, label in enumerate(("move_left", "move_up")):
        path = base / f"v_{i}.mp4"
        write_h264(path, render_video(label, i, cfg), fps=12)
        out.append(path)
    return out


@pytest.fixture(scope="module")
def model() -> tuple:
    torch.manual_seed(0)
    return load_recognizer(tiny.register(), None, random_weights=True)


def test_snippet_indices_by_hand() -> None:
    # n=10, stride 4: centres 2, 6 (from 4 // 2, below 10); 4 frames 2 apart from centre - 2 * 2, clipped at 0
    got = snippet_indices(10, SnippetConfig(snippet_len=4, stride=4, frame_interval=2))
    np.testing.assert_array_equal(got, [[0, 0, 2, 4], [2, 4, 6, 8]])
    # clipped at the end: n=7, stride 8 -> centre 4; frames 2..5 then 6, 7 -> 6
    np.testing.assert_array_equal(snippet_indices(7, SnippetConfig(snippet_len=5, stride=8)), [[2, 3, 4, 5, 6]])
    # shorter than stride // 2 + 1 frames: one snippet around the middle frame (MMAction2 gives none)
    np.testing.assert_array_equal(snippet_indices(5, SnippetConfig(snippet_len=4, stride=16)), [[0, 1, 2, 3]])


def test_snippet_count_and_features_match_the_backbone(videos: list[Path], model: tuple) -> None:
    net, preset = model
    feats = extract_video_features(net, preset, videos[0], SnippetConfig(snippet_len=4, stride=8), batch_size=3)
    # centres 4, 12, 20, 28, 36 (< 40): 5 snippets; 16 channels out of the tiny backbone
    assert feats.shape == (5, 16)
    assert feats.dtype == np.float32
    # snippet 2: centre 20, frames 18..21; computed here from the decoded frames and the backbone
    with open_video(videos[0]) as reader:
        frames = torch.as_tensor(reader.get_frames(np.array([18, 19, 20, 21])))  # (4, 32, 32, 3) uint8
    mean = torch.tensor(preset.mean).view(1, 3, 1, 1)
    std = torch.tensor(preset.std).view(1, 3, 1, 1)
    x = (frames.permute(0, 3, 1, 2).float() - mean) / std  # (T, H, W, C) -> (T, C, H, W)
    with torch.no_grad():
        expected = net.backbone(x).mean(dim=(0, 2, 3))  # (4, 16, 8, 8) -> (16,)
    np.testing.assert_allclose(feats[2], expected.numpy(), rtol=0, atol=1e-5)
    # the batch size does not change the result
    one = extract_video_features(net, preset, videos[0], SnippetConfig(snippet_len=4, stride=8), batch_size=1)
    np.testing.assert_allclose(one, feats, rtol=0, atol=1e-5)


def test_cli_writes_resumes_and_localization_reads(videos: list[Path], tmp_path: Path) -> None:
    preset = tiny.register()
    out = tmp_path / "feats"
    out.mkdir()
    done = out / "v_0.csv"
    done.write_text("sentinel\n")  # a finished video: must be left alone
    argv = ["extract-features", *map(str, videos), "--preset", preset, "--random-weights", "--out", str(out),
            "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    assert done.read_text() == "sentinel\n"
    header, *rows = (out / "v_1.csv").read_text().splitlines()
    assert header == ",".join(f"f{i}" for i in range(16))
    # default stride 16: centres 8, 24 (< 40) -> 2 snippets
    assert len(rows) == 2 and all(len(r.split(",")) == 16 for r in rows)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left

    assert main([*argv, "--overwrite", "--format", "npy", "--stride", "8"]) == 0
    arr = np.load(out / "v_0.npy")
    assert arr.shape == (5, 16) and arr.dtype == np.float32

    loc = pytest.importorskip("vidcore.localization.datasets", reason="vidcore-localization is not installed")
    for path, length in ((out / "v_1.csv", 2), (out / "v_0.npy", 5)):
        feats = loc.load_features(path, temporal_scale=None)  # (C, T)
        assert tuple(feats.shape) == (16, length)
    np.testing.assert_array_equal(loc.load_features(out / "v_0.npy", None).T.numpy(), arr)


def test_csv_round_trips_float32(videos: list[Path], model: tuple, tmp_path: Path) -> None:
    from vidcore.recognition.features import write_features

    net, preset = model
    feats = extract_video_features(net, preset, videos[1])
    path = write_features(tmp_path / "v.csv", feats)
    back = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)
    np.testing.assert_array_equal(back, feats)


def test_random_weights_must_be_explicit(videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc = main(["extract-features", str(videos[0]), "--preset", tiny.register(), "--out", str(tmp_path)])
    assert rc == 2
    assert "--random-weights" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unreadable_video_is_reported_and_others_run(videos: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    out = tmp_path / "feats"
    rc = main(["extract-features", str(bad), str(videos[1]), "--preset", tiny.register(), "--random-weights",
               "--out", str(out), "--device", "cpu"])  # fmt: skip
    assert rc == 1
    assert sorted(p.name for p in out.iterdir()) == ["v_1.csv"]


def test_pool_features_layouts_by_hand() -> None:
    from vidcore.recognition.features import pool_features

    x3d = torch.arange(2 * 3 * 2 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2, 2)  # (B, C, t, h, w)
    # channel c of clip b holds 8 consecutive values starting at (b * 3 + c) * 8: their mean is start + 3.5
    expected = torch.tensor([[3.5, 11.5, 19.5], [27.5, 35.5, 43.5]])
    torch.testing.assert_close(pool_features(x3d, "NCTHW"), expected, rtol=0, atol=0)
    # the same values as a 2D model's (B, t, C, h, w): channel moved behind time
    torch.testing.assert_close(pool_features(x3d.transpose(1, 2), "NCHW"), expected, rtol=0, atol=0)
    # two pathways (SlowFast): pooled parts side by side
    both = pool_features((x3d, x3d[:, :1] * 2), "NCTHW")
    torch.testing.assert_close(both, torch.cat([expected, expected[:, :1] * 2], dim=1), rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"cannot pool backbone features of shape \(2, 3, 4\)"):
        pool_features(torch.zeros(2, 3, 4), "NCHW")


def test_short_side_and_crop_size_options(videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from vidcore.recognition.pipelines import resolve_preset

    argv = ["extract-features", str(videos[0]), "--preset", tiny.register(), "--random-weights", "--device", "cpu",
            "--stride", "8", "--snippet-len", "4", "--format", "npy"]  # fmt: skip
    torch.manual_seed(0)
    assert main([*argv, "--out", str(tmp_path / "small"), "--short-side", "16", "--crop-size", "16"]) == 0
    got = np.load(tmp_path / "small" / "v_0.npy")
    torch.manual_seed(0)
    net, preset = load_recognizer(tiny.register(), None, random_weights=True)
    small = resolve_preset(preset, short_side=16, crop_size=16, test_crop_size=16)
    expected = extract_video_features(net, small, videos[0], SnippetConfig(snippet_len=4, stride=8))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)  # the frames were resized to 16 px
    full = extract_video_features(net, preset, videos[0], SnippetConfig(snippet_len=4, stride=8))
    assert np.abs(full - got).max() > 1e-3
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "bad"), "--short-side", "16", "--crop-size", "24"]) == 2
    assert "--crop-size 24 is larger than the short side 16" in capsys.readouterr().err
