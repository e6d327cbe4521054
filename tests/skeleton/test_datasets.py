"""Skeleton datasets: splits read from the pickle, the GCN and heatmap pipelines a preset implies,
bad samples skipped with the file, the frame_dir and the reason; the synthetic skeleton set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.annotations.safe_pickle import dump_pickle
from vidcore.data.annotations.skeleton import read_skeleton_pickle
from vidcore.data.datasets.base import SkippedSample
from vidcore.data.synth_skeleton import (
    MOTIONS,
    SkeletonSynthConfig,
    render_skeleton_dataset,
    skeleton_sequence,
)
from vidcore.skeleton.datasets import SkeletonDataset, collate_skeleton
from vidcore.skeleton.registry import get_preset


def _record(name: str, label: int, t: int = 20, v: int = 17, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "frame_dir": name,
        "label": label,
        "total_frames": t,
        "img_shape": (480, 640),
        "keypoint": (rng.random((1, t, v, 2)) * [640, 480]).astype(np.float32),
        "keypoint_score": rng.random((1, t, v)).astype(np.float32),
    }


@pytest.fixture()
def pickle_with_bad_samples(tmp_path: Path) -> Path:
    good = [_record(f"ok{i}", i % 3, seed=i) for i in range(4)]
    nan = _record("has_nan", 1, seed=9)
    nan["keypoint"][0, 3, 5, 0] = np.nan
    wrong_v = _record("wrong_joints", 2, v=25, seed=10)
    wrong_ndim = _record("flat", 0, seed=11)
    wrong_ndim["keypoint"] = wrong_ndim["keypoint"][0]  # (T, V, 2): no person axis
    del wrong_ndim["keypoint_score"]
    path = tmp_path / "poses.pkl"
    dump_pickle(
        {
            "split": {"train": ["ok0", "ok1", "has_nan", "flat"], "val": ["ok2", "ok3", "wrong_joints"]},
            "annotations": [*good, nan, wrong_v, wrong_ndim],
        },
        path,
    )
    return path


def test_bad_samples_are_skipped_with_file_frame_dir_and_reason(pickle_with_bad_samples: Path) -> None:
    preset = replace(get_preset("stgcn_joint_synth_coco_2d"), clip_len=8, test_num_clips=2)
    train = SkeletonDataset(pickle_with_bad_samples, preset, split="train", seed=0)
    assert [r.frame_dir for r in train.records] == ["ok0", "ok1", "has_nan", "flat"]  # the pickle's split
    items = [train[i] for i in range(len(train))]
    skipped = [s for s in items if isinstance(s, SkippedSample)]
    assert len(skipped) == 2
    text = [str(s) for s in skipped]
    assert "has_nan" in text[0] and "poses.pkl" in text[0] and "NaN" in text[0] and "frame 3, joint 5" in text[0]
    assert "flat" in text[1] and "poses.pkl" in text[1] and "(M, T, V, C)" in text[1]
    val = SkeletonDataset(pickle_with_bad_samples, preset, split="val", test_mode=True)
    bad = val[2]
    assert isinstance(bad, SkippedSample) and "wrong_joints" in str(bad) and "25 joints" in bad.reason
    batch = collate_skeleton([val[0], bad, val[1]])
    assert batch.keypoint.shape == (2, 2, 1, 8, 17, 3)  # (N, clips, M, T, J, C): x, y, score
    assert batch.frame_dir == ("ok2", "ok3") and batch.label.tolist() == [2, 0] and len(batch.skipped) == 1
    with pytest.raises(Exception, match="NaN"):
        SkeletonDataset(pickle_with_bad_samples, preset, split="train", on_error="raise")[2]


def test_gcn_pipeline_matches_a_hand_computed_sample(tmp_path: Path) -> None:
    rec = _record("one", 0, t=8, seed=3)
    path = tmp_path / "one.pkl"
    dump_pickle({"split": {"all": ["one"]}, "annotations": [rec]}, path)
    # MMAction2's 2D pipeline (PreNormalize2D); the synthetic preset itself centres on the body
    preset = replace(get_preset("stgcn_joint_synth_coco_2d"), clip_len=8, num_person=2, pre_normalize="2d")
    item = SkeletonDataset(path, preset, split="all", test_mode=True, num_clips=1)[0]
    kp = item.keypoint  # (clips, M, T, J, C)
    assert kp.shape == (1, 2, 8, 17, 3)
    # 8 frames of an 8-frame clip in order; x, y normalised to [-1, 1] of the 640x480 frame; score last
    expected_x = (rec["keypoint"][0, :, :, 0] - 320) / 320
    expected_y = (rec["keypoint"][0, :, :, 1] - 240) / 240
    np.testing.assert_allclose(kp[0, 0, :, :, 0], expected_x, atol=1e-6)
    np.testing.assert_allclose(kp[0, 0, :, :, 1], expected_y, atol=1e-6)
    np.testing.assert_allclose(kp[0, 0, :, :, 2], rec["keypoint_score"][0], atol=1e-7)
    assert not kp[0, 1].any()  # the missing second person is zeros
    bone = replace(preset, feats=("b",))
    b = SkeletonDataset(path, bone, split="all", test_mode=True, num_clips=1)[0].keypoint
    # COCO bone of the left elbow (7) hangs from the left shoulder (5)
    np.testing.assert_allclose(b[0, 0, :, 7, :2], kp[0, 0, :, 7, :2] - kp[0, 0, :, 5, :2], atol=1e-6)


def test_heatmap_pipeline_shapes(tmp_path: Path) -> None:
    path = tmp_path / "h.pkl"
    dump_pickle({"split": {"all": ["a"]}, "annotations": [_record("a", 1, t=12, seed=5)]}, path)
    preset = replace(get_preset("posec3d_slowonly_r50_ntu60_xsub_keypoint"), clip_len=4, test_num_clips=2)
    test_item = SkeletonDataset(path, preset, split="all", test_mode=True)[0]
    assert test_item.heatmap.shape == (4, 17, 4, 64, 64)  # 2 clips x (original, flipped)
    train_item = SkeletonDataset(path, preset, split="all", seed=1)[0]
    assert train_item.heatmap.shape == (1, 17, 4, 56, 56)
    assert train_item.heatmap.min() >= 0.0 and train_item.heatmap.max() <= 1.0 and train_item.heatmap.max() > 0.5
    batch = collate_skeleton([test_item])
    assert batch.heatmap.shape == (1, 4, 17, 4, 64, 64) and batch.keypoint is None


def test_synthetic_skeleton_set(tmp_path: Path) -> None:
    cfg = SkeletonSynthConfig(samples_per_class=3, min_frames=16, max_frames=20, seed=4)
    path = render_skeleton_dataset(tmp_path, cfg)
    ann = read_skeleton_pickle(path)  # the reader accepts it
    assert len(MOTIONS) >= 8 and len(ann.records) == 3 * len(MOTIONS)
    assert sorted(ann.split) == ["train", "val"] and len(ann.split["val"]) == len(MOTIONS)
    assert not set(ann.split["train"]) & set(ann.split["val"])
    h, w = cfg.img_shape
    for r in ann.records:
        assert r.keypoint.shape == (1, r.total_frames, 17, 2) and 16 <= r.total_frames <= 20
        visible = r.keypoint_score[0] > 0
        xs, ys = r.keypoint[0, ..., 0], r.keypoint[0, ..., 1]
        assert (xs[visible] >= 0).all() and (xs[visible] < w).all() and (ys[visible] < h).all()
        assert (r.keypoint[0][~visible] == 0).all()  # missing joints are zeros with score 0
    assert any((r.keypoint_score == 0).any() for r in ann.records)
    assert (tmp_path / "label_map.txt").read_text().splitlines() == list(MOTIONS)
    # same seed, same data
    again = read_skeleton_pickle(render_skeleton_dataset(tmp_path / "again", cfg))
    np.testing.assert_array_equal(again.records[5].keypoint, ann.records[5].keypoint)


def test_motions_move_what_they_should() -> None:
    rng = np.random.default_rng(0)
    wave = skeleton_sequence("wave_one_hand", 40, rng)
    # the waving (right, index 10) wrist is above the shoulder and moves; the other wrist stays low
    assert (wave[:, 10, 1] > wave[:, 6, 1]).all() and np.ptp(wave[:, 10, 0]) > 0.2
    assert (wave[:, 9, 1] < wave[:, 5, 1]).all()
    walk = skeleton_sequence("walk_left", 40, np.random.default_rng(1))
    assert walk[-1, 11, 0] < walk[0, 11, 0] - 1.0  # moves left by more than a torso length
    jump = skeleton_sequence("jump", 40, np.random.default_rng(2))
    assert np.ptp(jump[:, 15, 1]) > 0.3  # the ankles leave the floor
    squat = skeleton_sequence("squat", 40, np.random.default_rng(3))
    assert np.ptp(squat[:, 11, 1]) > 0.3  # the hips go down
    with pytest.raises(ValueError, match="unknown motions"):
        SkeletonSynthConfig(motions=("moonwalk",))
