"""The synthetic untrimmed set (vidcore-data's ``synth_untrimmed`` and ``synth --untrimmed``):
layout of segments, determinism, the videos and annotation file; the demo's motion features."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import av
import numpy as np
import pytest

from vidcore.data.cli import synth as synth_cli
from vidcore.data.synth import CLASSES
from vidcore.data.synth_untrimmed import (
    FRAME_MULTIPLE,
    UntrimmedConfig,
    plan_untrimmed,
    render_untrimmed,
    render_untrimmed_dataset,
    untrimmed_annotation,
)
from vidcore.localization.datasets import FeatureDataset
from vidcore.localization.synth import FEATURE_DIM, motion_features, render_motion_feature_dataset

SMALL = UntrimmedConfig(num_videos=3, size=32, fps=8, min_seconds=8, max_seconds=10, max_segments=2,
                        min_action_seconds=2.0, max_action_seconds=3.0)  # fmt: skip


def test_segments_layout_and_determinism() -> None:
    frames, segs = render_untrimmed(1, SMALL)
    again, segs2 = render_untrimmed(1, SMALL)
    assert np.array_equal(frames, again) and segs == segs2
    assert plan_untrimmed(1, SMALL) == (len(frames), segs)  # the ground truth without rendering
    n = len(frames)
    assert n % FRAME_MULTIPLE == 0 and 8 * 8 - 8 <= n <= 10 * 8 + 8 and frames.shape[1:] == (32, 32, 3)
    assert 1 <= len(segs) <= 2 and all(lab in CLASSES for _, _, lab in segs)
    covered = sum(e - s for s, e, _ in segs)
    assert covered <= 0.8 * n + len(segs)  # at least ~20% background
    for (s, e, _), nxt in zip(segs, [*segs[1:], (n, n, "")]):
        assert 0 <= s < e <= nxt[0]
    # the first frame of each segment is a scene cut: it differs from the frame before more than
    # consecutive frames inside the segment differ from each other
    for s, _, _ in segs:
        if s > 0:
            cut = np.abs(frames[s].astype(float) - frames[s - 1]).mean()
            inside = np.abs(np.diff(frames[s : s + 4].astype(float), axis=0)).mean()
            assert cut > inside


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="background"):
        UntrimmedConfig(min_seconds=10, max_segments=4, min_action_seconds=3.0)
    with pytest.raises(ValueError, match="num_videos"):
        UntrimmedConfig(num_videos=1)


def test_motion_energy_tells_actions_from_background() -> None:
    # the background's camera shake on a textured still moves every pixel by up to one pixel per
    # frame: more frame-difference energy than the actions' smooth object motion
    frames, segs = render_untrimmed(2, SMALL)
    feats = motion_features(frames)
    assert feats.shape == (len(frames) // 4, FEATURE_DIM) and feats.dtype == np.float32
    energy = feats[:, :64].mean(1)
    inside = np.zeros(len(feats), dtype=bool)
    for s, e, _ in segs:
        inside[(s + 3) // 4 : e // 4] = True
    assert energy[~inside].mean() > energy[inside].mean() + 0.05


def test_motion_feature_dataset(tmp_path: Path) -> None:
    ann = render_motion_feature_dataset(tmp_path, SMALL, workers=1)
    info = json.loads(ann.read_text())
    assert [v["subset"] for v in info.values()] == ["training", "training", "validation"]
    assert info["v_synth_0001"] == untrimmed_annotation(1, SMALL)
    ds = FeatureDataset(ann, tmp_path / "features", temporal_scale=50, feature_ext=".npy", subset="training")
    s = ds[0]
    assert s.features.shape == (FEATURE_DIM, 50)
    assert (s.gt_segments >= 0).all() and (s.gt_segments <= 1).all() and len(s.gt_segments) >= 1


def test_video_dataset_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = UntrimmedConfig(num_videos=2, size=32, fps=8, min_seconds=6, max_seconds=6, max_segments=1,
                          min_action_seconds=2.0, max_action_seconds=2.5, val_fraction=0.5)  # fmt: skip
    ann = render_untrimmed_dataset(tmp_path / "a", cfg, progress=False)
    info = json.loads(ann.read_text())
    frames, segs = render_untrimmed(0, cfg)
    with av.open(str(tmp_path / "a" / "videos" / "v_synth_0000.mp4")) as c:
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    assert decoded.shape == frames.shape  # every frame written, at the configured size
    assert np.abs(decoded.astype(float) - frames).mean() < 12  # H.264 at crf 20 on noisy 32 px frames
    v0 = info["v_synth_0000"]
    assert v0["duration_frame"] == v0["feature_frame"] == len(frames) and v0["duration_second"] == len(frames) / 8
    assert v0["annotations"] == [{"segment": [s / 8, e / 8], "label": lab} for s, e, lab in segs]
    assert [v["subset"] for v in info.values()] == ["training", "validation"]
    # the CLI flag: the default untrimmed config (20-40 s, 48 px), two videos
    parser = argparse.ArgumentParser()
    synth_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["synth", str(tmp_path / "b"), "--untrimmed", "--videos", "2", "--workers", "1",
                              "--no-progress", "--fps", "4"])  # fmt: skip
    assert synth_cli.run(args) == 0
    assert "wrote 2 untrimmed videos" in capsys.readouterr().out
    written = json.loads((tmp_path / "b" / "annotations.json").read_text())
    assert written == {f"v_synth_{i:04d}": untrimmed_annotation(i, UntrimmedConfig(num_videos=2, fps=4)) for i in (0, 1)}
    assert all(20 * 4 - 8 <= v["duration_frame"] <= 40 * 4 + 8 for v in written.values())
    args = parser.parse_args(["synth", str(tmp_path / "c"), "--untrimmed", "--videos", "1", "--no-progress"])
    assert synth_cli.run(args) == 2 and "num_videos" in capsys.readouterr().out
