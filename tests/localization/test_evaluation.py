"""ActivityNet evaluation against hand-computed cases, MMAction2's published numbers on the shared
fixture, and properties (see vidcore.localization.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.annotations.activitynet import Segment
from vidcore.localization.evaluation import (
    ProposalEvaluator,
    average_precision_at_temporal_iou,
    average_recall_at_avg_proposals,
    evaluate_files,
    interpolated_average_precision,
    mean_average_precision,
    temporal_iou,
)


def test_temporal_iou_hand_computed() -> None:
    iou = temporal_iou([[0, 10], [5, 15], [20, 30]], [[0, 10], [8, 12]])
    # [0,10]-[8,12]: 2 / (10 + 4 - 2); [5,15]-[0,10]: 5 / 15; [5,15]-[8,12]: 4 / (10 + 4 - 4)
    expected = [[1.0, 2 / 12], [5 / 15, 4 / 10], [0.0, 0.0]]
    np.testing.assert_allclose(iou, expected)


def test_ar_an_two_perfect_videos() -> None:
    # V=2 videos, 2 instances and the 2 exact proposals each, AN up to 4/2=2 per video: at AN < 1
    # nothing is kept, at 1 <= AN < 2 one of the two instances is found, at AN = 2 both.
    gt = {"a": [[0, 1], [1, 2]], "b": [[0, 1], [1, 2]]}
    props = {"a": [[0, 1, 1.0], [1, 2, 1.0]], "b": [[0, 1, 1.0], [1, 2, 1.0]]}
    r = average_recall_at_avg_proposals(gt, props, max_avg_proposals=None)
    expected = np.array([0.0] * 49 + [0.5] * 50 + [1.0])
    np.testing.assert_array_equal(r.recall, np.tile(expected, (10, 1)))
    np.testing.assert_allclose(r.proposals_per_video, np.arange(1, 101) * 0.02)
    # trapezoids: 0.02 * 0.5 / 2 + 0.98 * 0.5 + 0.02 * 1.5 / 2 = 0.51, over AN_max = 2 -> 25.5 %
    assert r.auc == pytest.approx(25.5)


def test_video_without_proposals_counts_as_zero_recall() -> None:
    gt = {"a": [[0, 1]], "b": [[0, 1]]}
    for props in ({"a": [[0, 1, 0.9]]}, {"a": [[0, 1, 0.9]], "b": np.zeros((0, 3))}):
        r = average_recall_at_avg_proposals(gt, props, max_avg_proposals=1)
        # one proposal over two videos: AN = j/100; "a" keeps its proposal from AN = 0.5 on
        assert r.ar_at(100) == pytest.approx(0.5)
        assert r.ar_at(49) == 0.0 and r.ar_at(50) == pytest.approx(0.5)
        assert r.auc == pytest.approx(100 * (0.01 * 0.5 / 2 + 0.5 * 0.5))


def test_ar_an_all_videos_empty() -> None:
    r = average_recall_at_avg_proposals({"a": [[0, 1]]}, {})
    assert r.auc == 0.0 and r.ar_at(100) == 0.0


def test_ar_at_threshold_edges() -> None:
    # the only proposal overlaps its instance with tIoU 0.6: found at 0.5, 0.55, 0.6, not above
    r = average_recall_at_avg_proposals({"a": [[0, 10]]}, {"a": [[0, 6, 1.0]]}, max_avg_proposals=1)
    np.testing.assert_array_equal(r.recall[:, -1], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert r.ar_at(100) == pytest.approx(0.3)


def test_interpolated_ap_hand_computed() -> None:
    # precision 1, 0.5, 2/3 at recall 0.5, 0.5, 1: envelope 1 up to 0.5, 2/3 up to 1
    assert interpolated_average_precision(np.array([1, 0.5, 2 / 3]), np.array([0.5, 0.5, 1.0])) == pytest.approx(
        0.5 + 0.5 * 2 / 3
    )


def _ap_case() -> tuple[dict, list]:
    gt = {"a": [[0, 10], [20, 30]]}
    preds = [
        ("b", 0.0, 1.0, 0.95),  # video without instances: false positive
        ("a", 0.0, 10.0, 0.9),  # exact: true positive
        ("a", 0.0, 10.0, 0.8),  # the same instance again: false positive
        ("a", 20.0, 25.0, 0.7),  # tIoU exactly 0.5: true positive only at 0.5
    ]
    return gt, preds


def test_average_precision_hand_computed() -> None:
    gt, preds = _ap_case()
    ap = average_precision_at_temporal_iou(gt, preds)
    # at 0.5: precision 0, 1/2, 1/3, 1/2 at recall 0, 1/2, 1/2, 1 -> 1/2 * 1/2 + 1/2 * 1/2
    # above: the last is a false positive -> 1/2 * 1/2
    np.testing.assert_allclose(ap, [0.5] + [0.25] * 9)


def test_mean_average_precision_classes() -> None:
    gt_pairs, preds = _ap_case()
    gt = {"a": [Segment(s, e, "jump") for s, e in gt_pairs["a"]] + [Segment(40, 50, "run")]}
    pred = {}
    for vid, s, e, score in preds:
        pred.setdefault(vid, []).append(Segment(s, e, "jump", score))
    pred["a"].append(Segment(40, 50, "swim", 0.99))  # a label not in the ground truth: left out
    r = mean_average_precision(gt, pred)
    assert r.classes == ("jump", "run")
    np.testing.assert_allclose(r.ap[:, 1], 0.0)  # "run" has no prediction
    np.testing.assert_allclose(r.mAP, np.array([0.5] + [0.25] * 9) / 2)
    assert r.average_mAP == pytest.approx((0.5 + 0.25 * 9) / 20)


def test_proposal_evaluator_accumulates() -> None:
    ev = ProposalEvaluator({"a": [[0, 1], [1, 2]], "b": [[0, 1], [1, 2]]}, max_avg_proposals=2)
    ev.update(["a"], [np.array([[0, 1, 1.0], [1, 2, 1.0]])])
    ev.update(["b", "a"], [np.array([[0, 1, 1.0], [1, 2, 1.0]]), np.zeros((0, 3))])  # repeat of "a" ignored
    out = ev.compute()
    assert set(out) == {"AR@1", "AR@5", "AR@10", "AR@100", "AUC"}
    assert out["AUC"] == pytest.approx(25.5)
    ev.reset()
    ev.update(["a", "b"], [np.zeros((0, 3)), np.zeros((0, 3))])
    assert ev.compute()["AR@100"] == 0.0


def test_fixture_detection_map_published(conformance_root: Path) -> None:
    """MMAction2's own test of its ActivityNet detection evaluator on these two files publishes
    these numbers (tests/evaluation/functional/test_accuracy.py::test_activitynet_detection)."""
    d = conformance_root / "data" / "eval_localization"
    r = evaluate_files(d / "gt.json", d / "result.json", task="detection")["detection"]
    published = [0.71428571, 0.71428571, 0.71428571, 0.6875, 0.6875, 0.59722222,
                 0.52083333, 0.52083333, 0.52083333, 0.5]  # fmt: skip
    np.testing.assert_allclose(r.mAP, published, atol=1e-8)
    assert r.average_mAP == pytest.approx(0.6177579365079365, abs=1e-12)


def test_fixture_proposals_properties(conformance_root: Path) -> None:
    d = conformance_root / "data" / "eval_localization"
    r = evaluate_files(d / "gt.json", d / "result.json", task="proposal")["proposal"]
    # the AN axis ends at max_avg_proposals; the curve is non-decreasing
    assert r.proposals_per_video[-1] == pytest.approx(100.0)
    assert np.all(np.diff(r.average_recall) >= 0)
    # 14 proposals for 2 videos are all kept at AN = 100: AR@100 is the share of (instance,
    # threshold) pairs whose best proposal reaches the threshold (point by point vs MMAction2 in
    # tests/parity)
    gt = json.loads((d / "gt.json").read_text())
    res = json.loads((d / "result.json").read_text())["results"]
    best = []
    for vid, info in gt.items():
        props = np.array([p["segment"] for p in res[vid[2:]]])
        for a in info["annotations"]:
            best.append(temporal_iou(props, [a["segment"]]).max())
    thresholds = np.linspace(0.5, 0.95, 10)
    expected_end = np.mean([[b >= t for b in best] for t in thresholds])
    assert r.ar_at(100) == pytest.approx(expected_end)


def test_evaluate_files_rejects_unknown_task(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="task must be"):
        evaluate_files(tmp_path / "gt.json", tmp_path / "r.json", task="map")


def _sequential_ap(gt: dict, preds: list, thresholds: np.ndarray) -> np.ndarray:
    """The official algorithm written plainly: one prediction at a time, per threshold."""
    order = np.argsort([p[3] for p in preds], kind="stable")[::-1]
    locked = {v: np.zeros((len(thresholds), len(g)), dtype=bool) for v, g in gt.items()}
    tp = np.zeros((len(thresholds), len(preds)))
    for rank, i in enumerate(order):
        v, s, e, _ = preds[i]
        if v not in gt:
            continue
        iou = temporal_iou([[s, e]], gt[v])[0]
        for t, thr in enumerate(thresholds):
            for j in np.argsort(iou, kind="stable")[::-1]:
                if iou[j] < thr:
                    break
                if locked[v][t, j]:
                    continue
                locked[v][t, j] = True
                tp[t, rank] = 1
                break
    tpc, fpc = np.cumsum(tp, 1), np.cumsum(1 - tp, 1)
    n = sum(len(g) for g in gt.values())
    return np.array([interpolated_average_precision(tpc[t] / (tpc[t] + fpc[t]), tpc[t] / n) for t in range(len(thresholds))])


@pytest.mark.parametrize("seed", range(5))
def test_batched_matching_equals_sequential(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = {f"v{i}": np.sort(rng.uniform(0, 50, (int(rng.integers(1, 6)), 2)), axis=1) for i in range(15)}
    preds = []
    for i in range(17):  # two videos without ground truth
        for _ in range(int(rng.integers(0, 40))):
            s = float(rng.uniform(0, 45))
            preds.append((f"v{i}", s, s + float(rng.uniform(0.5, 20)), float(rng.uniform())))
    thresholds = np.linspace(0.1, 0.95, 18)
    np.testing.assert_allclose(average_precision_at_temporal_iou(gt, preds, thresholds),
                               _sequential_ap(gt, preds, thresholds), rtol=0, atol=1e-12)  # fmt: skip
