"""The synthetic spatio-temporal detection set (``vidcore-data synth --detection``): AVA files that
vidcore-data's own readers accept, boxes that follow the drawn actors, actions that show up as the
motions they name, and held-out clips that do not depend on the training count."""

from __future__ import annotations

import av
import numpy as np
import pytest

from vidcore.data.annotations.ava import group_keyframes, read_ava_csv, read_ava_proposals
from vidcore.data.annotations.labelmap import read_label_map
from vidcore.data.cli import main as data_cli
from vidcore.data.synth_detection import (
    ACTIONS,
    SynthDetectionConfig,
    render_detection_set,
    render_detection_video,
)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_cli_writes_ava_files_that_the_readers_accept(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "det"
    assert data_cli(["synth", str(out), "--detection", "--train-videos", "2", "--val-videos", "1", "--seed", "3"]) == 0
    assert "wrote 3 detection clips" in capsys.readouterr().out
    assert read_label_map(out / "label_map.pbtxt").names_by_id == ACTIONS
    for split, n in (("train", 2), ("val", 1)):
        records = read_ava_csv(out / f"{split}.csv", kind="gt")
        frames = group_keyframes(records)
        # Keyframes at seconds 1..5 of every clip, each with 1-3 actors doing 1-2 actions.
        assert sorted({(f.video_id, f.timestamp) for f in frames}) == [
            (f"{split}{i:03d}", s) for i in range(n) for s in range(1, 6)
        ]
        proposals = read_ava_proposals(out / f"proposals_{split}.pkl")
        assert set(proposals) == {f"{f.video_id},{f.timestamp:04d}" for f in frames}
        for rec in records:
            assert rec.action_id in ACTIONS and 0 <= rec.box[0] < rec.box[2] <= 1 and 0 <= rec.box[1] < rec.box[3] <= 1
        for key, props in proposals.items():
            assert props.dtype == np.float32 and props.shape[1] == 5
            gt = {r.box for r in records if f"{r.video_id},{r.timestamp:04d}" == key}
            # Every ground-truth box has a proposal scored >= 0.95 within 5 sigma of the N(0, 0.01) jitter
            # per coordinate; false positives score 0.9-0.95 and miss every actor.
            for box in gt:
                err = np.abs(props[:, :4] - np.asarray(box)).max(axis=1)
                assert err.min() < 0.05 and props[err.argmin(), 4] >= 0.95
            for row in props[props[:, 4] < 0.95]:
                assert row[4] >= 0.9 and all(_iou(row[:4], np.asarray(b)) < 0.1 for b in gt)
            assert len(props) - len(gt) in (0, 1)
    with av.open(str(out / "videos" / "val000.mp4")) as c:
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    assert decoded.shape == (48, 96, 128, 3)


def test_bad_sizes_are_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert data_cli(["synth", str(tmp_path / "x"), "--detection", "--train-videos", "0", "--val-videos", "0"]) == 2
    assert "need at least one video" in capsys.readouterr().out
    with pytest.raises(ValueError, match="seconds must be >= 2"):
        SynthDetectionConfig(seconds=1)


def test_boxes_follow_the_actors_and_move_as_their_actions_say() -> None:
    cfg = SynthDetectionConfig()
    rng = np.random.default_rng(5)
    seen: set[int] = set()
    for _ in range(6):
        frames, actors = render_detection_video(rng, cfg)
        assert frames.shape == (48, 96, 128, 3) and frames.dtype == np.uint8
        for actor in actors:
            b = actor["boxes"] * [cfg.width, cfg.height, cfg.width, cfg.height]  # (T, 4) pixels
            cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
            w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
            acts = set(actor["actions"])
            seen |= acts
            # sway moves the centre +-10 px horizontally, bob vertically, pulse scales by +-40 %; what an
            # actor does not do stays within the rounding (and the frame border clipping a pulse's width).
            assert np.ptp(cx) > 12 if 2 in acts else np.ptp(cx) <= 2
            assert np.ptp(cy) > 12 if 1 in acts else np.ptp(cy) <= 1
            assert np.ptp(h) > 0.4 * h.mean() if 3 in acts else np.ptp(h) <= 2
            assert w.min() > 0
            # flash: the brightness inside the box swings; without it the box's mean stays steady.
            t_in = [frames[t, int(y1) + 2 : int(y2) - 2, int(x1) + 2 : int(x2) - 2].mean() for t, (x1, y1, x2, y2)
                    in enumerate(b)]  # fmt: skip
            assert (np.ptp(t_in) > 60) == (4 in acts)
    assert seen == set(ACTIONS)


def test_held_out_clips_do_not_depend_on_the_training_count(tmp_path) -> None:
    a = render_detection_set(tmp_path / "a", SynthDetectionConfig(train_videos=1, val_videos=1, seconds=2))
    b = render_detection_set(tmp_path / "b", SynthDetectionConfig(train_videos=2, val_videos=1, seconds=2))
    assert (a / "val.csv").read_text() == (b / "val.csv").read_text()
    assert (a / "train.csv").read_text() != (b / "train.csv").read_text()
    pa, pb = read_ava_proposals(a / "proposals_val.pkl"), read_ava_proposals(b / "proposals_val.pkl")
    assert pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)
