"""The synthetic untrimmed set: layout of segments, determinism, features, the annotation file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidcore.localization.datasets import FeatureDataset
from vidcore.localization.synth import (
    FEATURE_DIM,
    UntrimmedConfig,
    motion_features,
    render_untrimmed,
    render_untrimmed_dataset,
)

SMALL = UntrimmedConfig(num_videos=3, size=32, fps=8, min_seconds=8, max_seconds=10, max_segments=2,
                        min_action_seconds=2.0, max_action_seconds=3.0)  # fmt: skip


def test_segments_layout_and_determinism() -> None:
    frames, segs = render_untrimmed(1, SMALL)
    again, segs2 = render_untrimmed(1, SMALL)
    assert np.array_equal(frames, again) and segs == segs2
    n = len(frames)
    assert 8 * 8 <= n <= 10 * 8 and frames.shape[1:] == (32, 32, 3)
    assert 1 <= len(segs) <= 2
    covered = sum(e - s for s, e, _ in segs)
    assert covered <= 0.8 * n + len(segs)  # at least ~20% background
    for (s, e, _), nxt in zip(segs, [*segs[1:], (n, n, "")]):
        assert 0 <= s < e <= nxt[0]


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


def test_dataset_files(tmp_path: Path) -> None:
    ann = render_untrimmed_dataset(tmp_path, SMALL, workers=1)
    info = json.loads(ann.read_text())
    assert [v["subset"] for v in info.values()] == ["training", "training", "validation"]
    ds = FeatureDataset(ann, tmp_path / "features", temporal_scale=50, feature_ext=".npy", subset="training")
    s = ds[0]
    assert s.features.shape == (FEATURE_DIM, 50)
    assert (s.gt_segments >= 0).all() and (s.gt_segments <= 1).all() and len(s.gt_segments) >= 1
