"""Every MMAction2 annotation fixture parses, with facts checked against the files by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vidcore.data.annotations as A
from vidcore.data.errors import AnnotationError


@pytest.fixture(scope="module")
def ann(conformance_root: Path) -> Path:
    return conformance_root / "data" / "annotations"


def test_rawframe_lists(ann: Path) -> None:
    plain = A.read_rawframe_list(ann / "rawframe_test_list.txt")
    assert [(r.frame_dir, r.total_frames, r.labels, r.offset) for r in plain] == [("imgs", 5, (127,), 0)] * 2
    assert plain[1].source == (str(ann / "rawframe_test_list.txt"), 2)
    off = A.read_rawframe_list(ann / "rawframe_test_list_with_offset.txt", with_offset=True)
    assert [(r.offset, r.total_frames, r.label) for r in off] == [(2, 5, 127)] * 2
    multi = A.read_rawframe_list(ann / "rawframe_test_list_multi_label.txt", multi_label=True)
    assert [r.labels for r in multi] == [(1,), (3, 5)]


def test_multi_label_line_refused_without_flag(ann: Path) -> None:
    with pytest.raises(AnnotationError) as info:
        A.read_rawframe_list(ann / "rawframe_test_list_multi_label.txt")
    assert ":2:" in str(info.value) and "multi_label=True" in str(info.value)


def test_video_and_audio_lists(ann: Path) -> None:
    assert [(r.path, r.label) for r in A.read_video_list(ann / "video_test_list.txt")] == [
        ("test.mp4", 0)
    ] * 2
    multi = A.read_video_list(ann / "video_test_list_multi_label.txt", multi_label=True)
    assert [r.labels for r in multi] == [(0, 3), (0, 2, 4)]
    audio = A.read_audio_list(ann / "audio_test_list.txt")
    assert (audio[0].path, audio[0].total_frames, audio[0].label) == ("test.wav", 100, 127)
    feats = A.read_audio_list(ann / "audio_feature_test_list.txt")
    assert [(r.path, r.total_frames, r.label) for r in feats] == [("test", 100, 127)] * 2


def test_rawvideo_lists(ann: Path) -> None:
    txt = A.read_rawvideo_list(ann / "rawvideo_test_anno.txt")
    js = A.read_rawvideo_list(ann / "rawvideo_test_anno.json")
    assert txt == js == [A.RawVideoRecord("rawvideo_dataset", 1, 2, (0,))]


def test_proposal_lists(ann: Path) -> None:
    (entry,) = A.read_proposal_list(ann / "proposal_test_list.txt")
    assert entry.video_id == "imgs" and entry.num_frames == 5
    assert entry.gts == ((3, 1.0, 2.0), (3, 3.0, 5.0))
    assert len(entry.proposals) == 10
    assert entry.proposals[0] == (3, 1.0, 1.0, 1.0, 2.0) and entry.proposals[-1] == (3, 0.5, 1.0, 4.0, 5.0)
    (norm,) = A.read_proposal_list(ann / "proposal_normalized_list.txt")
    assert norm.gts[1] == (3, 0.6, 1.0) and norm.proposals[2] == (3, 0.3333, 0.3333, 0.2, 0.8)


def test_activitynet_json(ann: Path, conformance_root: Path) -> None:
    recs = A.read_activitynet_json(ann / "action_test_anno.json")
    assert [r.video_name for r in recs] == ["v_test1", "v_test2"]
    assert (recs[1].duration_frame, recs[1].feature_frame, recs[1].fps, recs[1].rfps) == (48, 48, 24.0, 24.0)
    assert recs[0].segments == (A.Segment(0.3, 0.6, "Rock climbing"),)
    # v_test2: segment [1, 2] s of a 2 s video whose features cover all 48 frames -> [0.5, 1.0]
    np.testing.assert_allclose(recs[1].normalized_segments(), [[0.5, 1.0]])
    gt = A.read_activitynet_json(conformance_root / "data/eval_localization/gt.json")
    assert [r.video_name for r in gt] == ["v_bYUmtLBL7W4", "v_hDPLy21Yyuk"]
    assert gt[0].subset == "validation" and gt[0].duration_second == 224.49 and len(gt[0].segments) == 3
    assert gt[0].duration_frame is None
    res = A.read_localization_results(conformance_root / "data/eval_localization/result.json")
    assert {k: len(v) for k, v in res.items()} == {"bYUmtLBL7W4": 10, "hDPLy21Yyuk": 4}
    assert res["bYUmtLBL7W4"][0].label == "Wakeboarding" and res["bYUmtLBL7W4"][0].score == pytest.approx(
        0.6533445
    )


def test_skeleton_pickle(ann: Path) -> None:
    s = A.read_skeleton_pickle(ann / "sample.pkl")
    assert len(s.records) == 100 and list(s.split) == ["train"] and len(s.select("train")) == 100
    r = s.records[0]
    assert (r.frame_dir, r.label, r.total_frames, r.img_shape) == ("jf7RDuUTrsQ", 325, 300, (320, 570))
    assert r.keypoint is None and set(r.extra) == {"frame_inds", "box_score", "valid"}
    assert r.extra["valid"][0.5] == 150


def test_ava_files(conformance_root: Path) -> None:
    d = conformance_root / "data" / "ava_dataset"
    rows = A.read_ava_csv(d / "ava_sample.csv")
    assert len(rows) == 8
    assert rows[0] == A.AVABoxRecord("0f39OWEqJ24", 902, (0.031, 0.162, 0.670, 0.995), 12, person_id=0)
    keys = A.group_keyframes(rows)
    assert [(k.video_id, k.timestamp, k.actions) for k in keys] == [
        ("0f39OWEqJ24", 902, [(12, 17, 79)]),
        ("0f39OWEqJ24", 903, [(12, 17)]),
        ("_-Z6wFjXtGQ", 902, [(12, 74, 80)]),
    ]
    excluded = A.read_excluded_timestamps(d / "ava_excluded_timestamps_sample.csv")
    assert [(e.video_id, e.timestamp) for e in excluded] == [("0f39OWEqJ24", 903), ("_-Z6wFjXtGQ", 902)]
    props = A.read_ava_proposals(d / "ava_proposals_sample.pkl")
    assert list(props) == ["0f39OWEqJ24,0902", "0f39OWEqJ24,0903", "_-Z6wFjXtGQ,0902"]
    assert props["_-Z6wFjXtGQ,0902"].shape == (3, 5)
    np.testing.assert_allclose(props["0f39OWEqJ24,0902"], [[0.011, 0.157, 0.655, 0.983, 0.998163]], rtol=1e-6)
    lm = A.read_label_map(d / "action_list.txt")
    assert dict(lm.items()) == {12: "action1", 17: "action2", 79: "action3", 80: "action3"}


def test_eval_detection_files(conformance_root: Path) -> None:
    d = conformance_root / "data" / "eval_detection"
    gt = A.read_ava_csv(d / "gt.csv")
    pred = A.read_ava_csv(d / "pred.csv")
    assert len(gt) == 12 and gt[1].person_id == 1 and gt[1].score is None
    assert len(pred) == 30 and pred[0].score == 0.655 and pred[0].person_id is None and pred[0].action_id == 2
    props = A.read_ava_proposals(d / "proposal.pkl")
    assert {k: v.shape for k, v in props.items()} == {
        k: (10, 5) for k in ("3reY9zJKhqN,1774", "HmR8SmNIoxu,1384", "5HNXoce1raG,1097")
    }
    assert A.read_label_map(d / "action_list.txt").names == ["action1", "action2", "action3"]


@pytest.mark.parametrize(
    ("rel", "count", "num_classes", "first_id", "first_name"),
    [
        ("activitynet/label_map.txt", 200, 200, 0, "Applying sunscreen"),
        ("ava/label_map.txt", 60, 81, 1, "bend/bow (at the waist)"),
        ("hmdb51/label_map.txt", 51, 51, 0, "brush_hair"),
        ("kinetics/label_map_k400.txt", 400, 400, 0, "abseiling"),
        (
            "skeleton/label_map_gym99.txt",
            99,
            99,
            0,
            "(VT) round-off, flic-flac with 0.5 turn on, stretched salto forward with 0.5 turn off",
        ),
        ("skeleton/label_map_ntu60.txt", 60, 60, 0, "drink water"),
        ("sthv2/label_map.txt", 174, 174, 0, "Approaching something with your camera"),
        ("ucf101/label_map.txt", 101, 101, 0, "ApplyEyeMakeup"),
    ],
)
def test_tool_label_maps(
    conformance_root: Path, rel: str, count: int, num_classes: int, first_id: int, first_name: str
) -> None:
    lm = A.read_label_map(conformance_root / "tools" / "data" / rel)
    assert (len(lm), lm.num_classes, next(iter(lm)), lm[first_id]) == (
        count,
        num_classes,
        first_id,
        first_name,
    )
