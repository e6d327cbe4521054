"""Feature datasets: MMAction2's csv layout and .npy, rescaling, malformed files named with the
video id, batches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.data.errors import AnnotationError, DataError
from vidcore.localization.datasets import (
    FeatureDataset,
    LocalizationBatch,
    collate_localization,
    load_features,
    rescale_features,
)


def _write_csv(path: Path, arr: np.ndarray) -> None:
    header = ",".join(f"f{i}" for i in range(arr.shape[1]))
    np.savetxt(path, arr, delimiter=",", header=header, comments="")


def _annotations(path: Path) -> Path:
    ann = {
        "v_a": {"duration_second": 10.0, "duration_frame": 250, "feature_frame": 240, "subset": "training",
                "annotations": [{"segment": [2.4, 4.8], "label": "jump"}]},
        "v_b": {"duration_second": 20.0, "subset": "validation", "annotations": [{"segment": [0.0, 10.0], "label": "run"}]},
        "v_c": {"duration_second": 5.0, "subset": "training", "annotations": []},
    }  # fmt: skip
    path.write_text(json.dumps(ann))
    return path


def test_rescale_hand_computed() -> None:
    x = np.arange(8, dtype=np.float32)[:, None].repeat(2, 1)  # (T=8, C=2)
    np.testing.assert_allclose(rescale_features(x, 4)[:, 0], [0.5, 2.5, 4.5, 6.5])  # bin means
    np.testing.assert_allclose(rescale_features(x[:2], 4)[:, 0], [0.0, 0.25, 0.75, 1.0])  # linear, clamped ends
    assert torch.equal(rescale_features(x, 8), torch.from_numpy(x))


def test_dataset_csv_npy_and_rescale(tmp_path: Path) -> None:
    feats = tmp_path / "feats"
    feats.mkdir()
    rng = np.random.default_rng(0)
    a = rng.normal(size=(100, 6)).astype(np.float32)
    _write_csv(feats / "v_a.csv", a)
    np.save(feats / "v_b.npy", rng.normal(size=(37, 6)).astype(np.float32))
    ds = FeatureDataset(_annotations(tmp_path / "ann.json"), feats, temporal_scale=100, require_segments=True)
    assert len(ds) == 2  # v_c has no segments
    s = ds[0]
    torch.testing.assert_close(s.features, torch.from_numpy(a.T.copy()), rtol=0, atol=1e-6)  # csv as (C, T)
    # features span 240 of 250 frames of 10 s = 9.6 s: [2.4, 4.8] s -> [0.25, 0.5]
    torch.testing.assert_close(s.gt_segments, torch.tensor([[0.25, 0.5]]))
    assert ds[1].features.shape == (6, 100)
    batch = collate_localization([ds[0], ds[1]])
    assert isinstance(batch, LocalizationBatch) and batch.features.shape == (2, 6, 100)
    assert batch.video_name == ("v_a", "v_b")
    assert batch.video_duration(0, 16) == pytest.approx(240 / 250 * 10.0)  # 250 // 16 * 16 = 240
    assert batch.video_duration(1) == 20.0
    assert len(FeatureDataset(tmp_path / "ann.json", feats, subset="validation")) == 1


def test_missing_and_malformed_feature_files_name_the_video(tmp_path: Path) -> None:
    feats = tmp_path / "feats"
    feats.mkdir()
    (feats / "v_a.csv").write_text("f0,f1\n1,2\n3,x\n")
    ds = FeatureDataset(_annotations(tmp_path / "ann.json"), feats, require_segments=True)
    s = ds[0]
    assert "v_a.csv" in str(s) and "video v_a" in str(s)
    assert "video v_b" in str(ds[1])
    batch = collate_localization([ds[0], ds[1]])
    assert len(batch.skipped) == 2 and batch.features.numel() == 0
    strict = FeatureDataset(tmp_path / "ann.json", feats, on_error="raise", require_segments=True)
    with pytest.raises(DataError, match="video v_a"):
        strict[0]
    with pytest.raises(DataError, match="feature file not found"):
        load_features(feats / "nothing.csv")


def test_malformed_annotation_names_file_and_video(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"v_ok": {"duration_second": 3.0, "annotations": []},
                               "v_bad": {"duration_second": 3.0, "annotations": [{"segment": [2.0, 1.0], "label": "x"}]}}))  # fmt: skip
    with pytest.raises(AnnotationError, match=r"bad\.json.*v_bad"):
        FeatureDataset(bad, tmp_path)
