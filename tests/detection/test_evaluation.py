"""AVA frame-mAP: hand-computed cases for each rule of the two protocols, the file readers, the
trainer's evaluator, and MMAction2's own fixture with the value its unit test asserts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.data.errors import AnnotationError
from vidcore.detection.evaluation import (
    AVAFrameMAP,
    AVARows,
    ava_frame_map,
    evaluate_rows,
    read_rows,
    voc_average_precision,
)

G1 = (0.0, 0.0, 0.5, 0.5)
G2 = (0.5, 0.5, 1.0, 1.0)
NEAR_G1 = (0.0, 0.0, 0.5, 0.45)  # IoU with G1 = 0.9
LM = {1: "walk", 2: "talk"}


def rows(*items: tuple[str, tuple[float, ...], int, float]) -> AVARows:
    return AVARows.from_lists([i[0] for i in items], [i[1] for i in items], [i[2] for i in items], [i[3] for i in items])


def gt(*items: tuple[str, tuple[float, ...], int]) -> AVARows:
    return rows(*[(k, b, c, 1.0) for k, b, c in items])


def test_voc_ap_hand_computed() -> None:
    # ranked TP, FP, TP with 2 ground truths: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1;
    # the envelope gives 1 on [0, 1/2] and 2/3 on [1/2, 1]: AP = 1/2 + 1/3
    ap = voc_average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 2)
    assert ap == pytest.approx(0.5 + 1 / 3, abs=1e-12)
    assert voc_average_precision(np.array([]), np.array([], bool), 3) == 0.0
    assert math.isnan(voc_average_precision(np.array([0.5]), np.array([False]), 0))
    with pytest.raises(ValueError, match="true positives"):
        voc_average_precision(np.array([0.5, 0.4]), np.array([True, True]), 1)


@pytest.mark.parametrize("mode", ["official", "mmaction"])
def test_greedy_matching_without_fallback(mode: str) -> None:
    # D2 overlaps G1 (taken by D1) above 0.5 and G2 not at all: a false positive, not a fallback
    g = gt(("v,0902", G1, 1), ("v,0902", G2, 1))
    d = rows(("v,0902", NEAR_G1, 1, 0.8), ("v,0902", G1, 1, 0.9), ("v,0902", G2, 1, 0.7))
    res = evaluate_rows(g, d, {1: "walk"}, mode=mode)
    assert res.ap[1] == pytest.approx(5 / 6, abs=1e-12)
    assert res.mean_ap == pytest.approx(5 / 6, abs=1e-12)
    assert res.num_gt == {1: 2}


def test_second_best_box_is_not_taken_even_above_threshold() -> None:
    # the detection's best box is the one already matched: false positive even though a second
    # ground-truth box overlaps it with IoU 0.5 exactly
    a, b = (0.0, 0.0, 1.0, 0.5), (0.0, 0.0, 1.0, 0.25)
    det_box = (0.0, 0.0, 1.0, 0.375)  # IoU with a: 0.75; with b: 0.25/0.375 = 2/3
    g = gt(("v,0902", a, 1), ("v,0902", b, 1))
    d = rows(("v,0902", a, 1, 0.9), ("v,0902", det_box, 1, 0.8))
    res = evaluate_rows(g, d, {1: "walk"})
    # TP then FP with 2 ground truths: AP = 1/2 * 1
    assert res.ap[1] == pytest.approx(0.5, abs=1e-12)


def test_detections_on_keyframes_without_ground_truth() -> None:
    g = gt(("v,0902", G1, 1), ("v,0902", G2, 1))
    d = rows(
        ("v,0902", G1, 1, 0.9), ("v,0902", NEAR_G1, 1, 0.8), ("v,0902", G2, 1, 0.7),
        ("v,0903", G1, 1, 0.95),
    )  # fmt: skip
    # official: ranked FP, TP, FP, TP -> precision 0, 1/2, 1/3, 1/2 at recall 0, 1/2, 1/2, 1;
    # the envelope is 1/2 everywhere: AP = 1/2
    assert evaluate_rows(g, d, {1: "walk"}, mode="official").ap[1] == pytest.approx(0.5, abs=1e-12)
    # MMAction2 evaluates only keyframes with ground truth: the 0903 detection is dropped
    assert evaluate_rows(g, d, {1: "walk"}, mode="mmaction").ap[1] == pytest.approx(5 / 6, abs=1e-12)


def test_excluded_keyframes() -> None:
    g = gt(("v,0902", G1, 1), ("v,0904", G1, 1), ("v,0904", G2, 2))
    d = rows(("v,0902", G2, 1, 0.9), ("v,0904", G1, 1, 0.5), ("v,0904", G2, 2, 0.5))
    # ranked FP (0902), TP with 2 ground truths: precision 1/2 up to recall 1/2, AP = 1/4
    assert evaluate_rows(g, d, LM).ap == {1: pytest.approx(0.25, abs=1e-12), 2: 1.0}
    official = evaluate_rows(g, d, LM, excluded=["v,0902"])
    assert official.ap == {1: 1.0, 2: 1.0} and official.num_gt == {1: 1, 2: 1}
    # MMAction2 drops the excluded keyframe's detections but still counts its ground truth
    mm = evaluate_rows(g, d, LM, excluded=["v,0902"], mode="mmaction")
    assert mm.num_gt == {1: 2, 2: 1}
    assert mm.ap == {1: 0.5, 2: 1.0}


def test_official_cap_of_50_rows_per_keyframe() -> None:
    # 50 rows of class 2 (scores 0.5..0.99) outrank the one correct class-1 row (score 0.1)
    many = [("v,0902", G2, 2, 0.5 + i / 100) for i in range(50)]
    g = gt(("v,0902", G1, 1), ("v,0902", G2, 2))
    d = rows(("v,0902", G1, 1, 0.1), *many)
    official = evaluate_rows(g, d, LM)
    assert official.ap[1] == 0.0  # dropped by the cap: class 1 has ground truth but no detection
    assert official.ap[2] == 1.0
    assert official.mean_ap == 0.5
    mm = evaluate_rows(g, d, LM, mode="mmaction")
    assert mm.ap[1] == 1.0 and mm.mean_ap == 1.0
    # with 49 competing rows nothing is dropped
    d49 = rows(("v,0902", G1, 1, 0.1), *many[:49])
    assert evaluate_rows(g, d49, LM).ap[1] == 1.0


def test_cap_keeps_highest_scores_whatever_the_file_order() -> None:
    g = gt(("v,0902", G1, 1))
    low = [("v,0902", G2, 1, 0.01 * (i + 1)) for i in range(50)]  # false positives, scores 0.01..0.5
    for position in (0, 25, 50):
        items = [*low[:position], ("v,0902", G1, 1, 0.6), *low[position:]]
        res = evaluate_rows(g, rows(*items), {1: "walk"})
        assert res.ap[1] == 1.0  # the true positive ranks first and survives the cap


def test_degenerate_boxes() -> None:
    g = gt(("v,0902", G1, 1))
    d = rows(("v,0902", (0.2, 0.0, 0.2, 0.5), 1, 0.9), ("v,0902", G1, 1, 0.5))
    assert evaluate_rows(g, d, {1: "walk"}, mode="official").ap[1] == 1.0  # dropped before matching
    assert evaluate_rows(g, d, {1: "walk"}, mode="mmaction").ap[1] == 0.5  # a false positive
    inverted = rows(("v,0902", (0.3, 0.0, 0.2, 0.5), 1, 0.9), ("v,0902", G1, 1, 0.5))
    assert evaluate_rows(g, inverted, {1: "walk"}, mode="official").ap[1] == 1.0
    with pytest.raises(ValueError, match=r"v,0902 is inverted"):
        evaluate_rows(g, inverted, {1: "walk"}, mode="mmaction")


def test_classes_without_detections_or_ground_truth() -> None:
    g = gt(("v,0902", G1, 1), ("v,0902", G2, 2))
    d = rows(("v,0902", G1, 1, 0.9), ("v,0902", G2, 3, 0.9))  # class 3 not in the label map
    official = evaluate_rows(g, d, {**LM, 4: "sit"})
    assert official.ap[1] == 1.0 and official.ap[2] == 0.0 and math.isnan(official.ap[4])
    assert official.mean_ap == 0.5
    mm = evaluate_rows(g, d, {**LM, 4: "sit"}, mode="mmaction")
    assert mm.ap[1] == 1.0 and math.isnan(mm.ap[2]) and mm.mean_ap == 1.0


def test_groups_follow_mmaction_id_ranges() -> None:
    g = gt(("v,0902", G1, 14), ("v,0902", G1, 15), ("v,0902", G1, 64))
    d = rows(("v,0902", G1, 14, 0.9), ("v,0902", G2, 15, 0.9), ("v,0902", G1, 64, 0.9))
    res = evaluate_rows(g, d, {14: "a", 15: "b", 64: "c"})
    assert res.groups == {"person_movement": 1.0, "object_manipulation": 0.0, "person_interaction": 1.0}
    assert res.mean_ap == pytest.approx(2 / 3)
    table = res.table()
    assert "frame-mAP@0.5" in table and "0.6667" in table


def test_read_rows_and_files(tmp_path: Path) -> None:
    (tmp_path / "gt.csv").write_text("v,902,0.0,0.0,0.5,0.5,1,0\nv,0903,0.5,0.5,1,1,2,1\n")
    (tmp_path / "det.csv").write_text("v,0902,0.0,0.0,0.5,0.5,1,0.7\nv,903,0.5,0.5,1,1,2,0.2\nv,903,0,0,1,1,2,0.4\n")
    (tmp_path / "lm.pbtxt").write_text('item {\n  name: "walk"\n  id: 1\n}\nitem {\n  name: "talk"\n  id: 2\n}\n')
    (tmp_path / "ex.csv").write_text("v,0903\n")
    r = read_rows(tmp_path / "det.csv")
    assert r.keys == ["v,0902", "v,0903", "v,0903"] and r.labels.tolist() == [1, 2, 2]
    np.testing.assert_allclose(r.scores, [0.7, 0.2, 0.4])
    res = ava_frame_map(tmp_path / "gt.csv", tmp_path / "det.csv", tmp_path / "lm.pbtxt")
    assert res.ap == {1: 1.0, 2: 0.5}
    res = ava_frame_map(tmp_path / "gt.csv", tmp_path / "det.csv", tmp_path / "lm.pbtxt", tmp_path / "ex.csv")
    assert res.ap[1] == 1.0 and math.isnan(res.ap[2])
    (tmp_path / "bad.csv").write_text("v,0902,0.0,0.0,0.5,0.5,1,0.7\nv,0902,0.0,0.0,0.5\n")
    with pytest.raises(AnnotationError, match=r"bad.csv.*2.*columns"):
        read_rows(tmp_path / "bad.csv")
    (tmp_path / "bad2.csv").write_text("v,0902,0.0,zero,0.5,0.5,1,0.7\n")
    with pytest.raises(AnnotationError, match=r"bad2.csv.*1"):
        read_rows(tmp_path / "bad2.csv")


@pytest.mark.parametrize("mode", ["official", "mmaction"])
def test_evaluator_equals_rows(mode: str) -> None:
    """The trainer's evaluator writes the rows MMAction2's ``bbox2result``/``det2csv`` would
    (scores above ``action_thr``, class-major) and scores them like the file path."""
    g = gt(("v,0902", G1, 1), ("v,0902", G2, 2), ("v,0903", G2, 1))
    ev = AVAFrameMAP(g, LM, mode=mode, action_thr=0.05)
    scores = np.array([[0.0, 0.9, 0.01], [0.0, 0.3, 0.8]])  # columns: unused 0, class 1, class 2
    ev.update(img_keys=["v,0902"], boxes=[np.array([G1, G2])], scores=[scores])
    ev.update(img_keys=["v,0903"], boxes=[np.array([G2])], scores=[torch.tensor([[0.0, 0.6, 0.7]])])
    r = ev.rows()
    assert r.keys == ["v,0902", "v,0902", "v,0902", "v,0903", "v,0903"]
    assert r.labels.tolist() == [1, 1, 2, 1, 2]
    np.testing.assert_allclose(r.scores, [0.9, 0.3, 0.8, 0.6, 0.7])
    expected = evaluate_rows(g, r, LM, mode=mode)
    assert ev.compute()["mAP"] == expected.mean_ap
    # class 1 rows: 0902 G1 0.9 (TP), 0902 G2 0.3 (FP), 0903 G2 0.6 (TP): ranked TP TP FP -> AP 1
    # class 2 rows: 0902 G2 0.8 (TP), 0903 G2 0.7 (FP, no class-2 box there) -> AP 1
    assert expected.ap == {1: 1.0, 2: 1.0}
    ev.reset()
    assert len(ev.rows()) == 0


def test_conformance_mmaction_fixture(conformance_root: Path) -> None:
    """MMAction2's ``tests/data/eval_detection`` files; its unit test asserts overall mAP
    0.09385522 for ``ava_eval`` on them. No official/MMAction2 difference applies to these files
    (every detection frame has ground truth, <= 50 rows per frame, every class detected), so both
    modes give it."""
    d = conformance_root / "data" / "eval_detection"
    if not (d / "gt.csv").is_file():
        pytest.skip(f"no eval_detection fixture under {d}")
    for mode in ("mmaction", "official"):
        res = ava_frame_map(d / "gt.csv", d / "pred.csv", d / "action_list.txt", mode=mode)  # type: ignore[arg-type]
        assert res.mean_ap == pytest.approx(0.09385522, abs=5e-9)
        assert res.num_gt == {1: 4, 2: 3, 3: 5}


def test_conformance_ava_sample(conformance_root: Path) -> None:
    """MMAction2's AVA sample annotations scored against themselves are perfect; with the
    sample's excluded timestamps and its label map (ids 12, 17, 79, 80)."""
    d = conformance_root / "data" / "ava_dataset"
    if not (d / "ava_sample.csv").is_file():
        pytest.skip(f"no ava_dataset fixture under {d}")
    g = read_rows(d / "ava_sample.csv")
    det = AVARows(g.keys, g.boxes, g.labels, np.full(len(g), 0.9))
    from vidcore.data.annotations.labelmap import read_label_map

    lm = read_label_map(d / "action_list.txt")
    for mode in ("official", "mmaction"):
        res = evaluate_rows(g, det, lm, mode=mode)  # type: ignore[arg-type]
        assert res.mean_ap == 1.0
        assert set(res.ap) == {12, 17, 79, 80}
    excluded = [line.strip() for line in (d / "ava_excluded_timestamps_sample.csv").read_text().splitlines()]
    res = evaluate_rows(g, det, lm, excluded=[k.split(",")[0] + f",{int(k.split(',')[1]):04d}" for k in excluded])
    assert res.num_gt[12] == sum(1 for k, c in zip(g.keys, g.labels) if c == 12 and k not in excluded)
