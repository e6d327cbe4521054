"""Training targets, Soft-NMS/NMS and candidate generation against hand-computed cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from vidcore.localization.evaluation import evaluate_files
from vidcore.localization.postprocess import (
    bmn_candidates,
    bsn_candidates,
    nms,
    proposals_to_seconds,
    soft_nms,
    video_span_seconds,
    write_results_json,
)
from vidcore.localization.targets import bmn_targets, tem_targets


def test_bmn_targets_hand_computed() -> None:
    conf, start, end = bmn_targets(np.array([[0.2, 0.5]]), 10)
    assert conf.shape == (10, 10) and start.shape == (10,)
    assert conf[2, 2] == pytest.approx(1.0)  # proposal [0.2, 0.5]: start 2, duration index 2
    assert conf[1, 2] == pytest.approx(0.2 / 0.3)  # [0.2, 0.4]
    assert conf[0, 7] == 0.0
    # start anchors [(i - 0.5) / 10, (i + 1.5) / 10] vs the region [0.05, 0.35] around 0.2
    np.testing.assert_allclose(start.numpy()[:5], [0.5, 1.0, 1.0, 0.5, 0.0], atol=1e-6)
    # end region [0.35, 0.65]: anchor 3 [0.25, 0.45] half in, 4 and 5 inside, 6 half, 7 out
    np.testing.assert_allclose(end.numpy()[3:8], [0.5, 1.0, 1.0, 0.5, 0.0], atol=1e-6)


def test_tem_targets_hand_computed() -> None:
    action, start, end = tem_targets(np.array([[0.2, 0.5]]), 10)
    np.testing.assert_allclose(action.numpy(), [0, 0, 1, 1, 1, 0, 0, 0, 0, 0], atol=1e-6)
    # boundary width max(1/10, 0.1 * 0.3) = 0.1: [0.15, 0.25] covers half of anchors 1 and 2
    np.testing.assert_allclose(start.numpy()[:4], [0, 0.5, 0.5, 0], atol=1e-6)
    np.testing.assert_allclose(end.numpy()[3:7], [0, 0.5, 0.5, 0], atol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        tem_targets(np.zeros((0, 2)), 10)


def test_soft_nms_hand_computed() -> None:
    props = np.array([[0.0, 0.5, 0.8], [0.0, 0.5, 0.9], [0.7, 0.9, 0.5]])
    out = soft_nms(props, alpha=0.4, low_threshold=0.5, high_threshold=0.9, top_k=100)
    # the twin of the best overlaps it with tIoU 1 > 0.5 + 0.4 * 0.5: decayed by exp(-1 / 0.4)
    # (0.066 after the decay, so the disjoint 0.5 is taken second)
    np.testing.assert_allclose(out, [[0, 0.5, 0.9], [0.7, 0.9, 0.5], [0, 0.5, 0.8 * math.exp(-2.5)]])
    # a partial overlap below the width-dependent threshold is left alone
    out = soft_nms(np.array([[0.0, 0.5, 0.9], [0.1, 0.5, 0.8]]), 0.4, 0.5, 0.9, 100)  # tIoU 0.8 > 0.7
    assert out[1, 2] == pytest.approx(0.8 * math.exp(-0.64 / 0.4))
    out = soft_nms(np.array([[0.0, 0.5, 0.9], [0.2, 0.5, 0.8]]), 0.4, 0.5, 0.9, 100)  # tIoU 0.6 <= 0.7
    assert out[1, 2] == pytest.approx(0.8)


def test_nms_hand_computed() -> None:
    props = np.array([[0, 10, 0.9], [1, 10, 0.8], [20, 30, 0.7], [0, 4, 0.6]])
    out = nms(props, iou_threshold=0.5)
    np.testing.assert_allclose(out, [[0, 10, 0.9], [20, 30, 0.7], [0, 4, 0.6]])
    assert len(nms(props, 0.5, top_k=2)) == 2


def test_bmn_candidates_hand_computed() -> None:
    start = np.array([0.1, 0.9, 0.1, 0.1])  # boundaries: 0 (always) and 1 (peak)
    end = np.array([0.1, 0.1, 0.8, 0.1])  # 2 (peak) and 3 (always)
    conf = np.ones((2, 4, 4))
    conf[0] *= 0.5
    cand = bmn_candidates(start, end, conf)
    # (s, e) pairs with e < T = 4: (0, 2) d=1, (1, 2) d=0, (1, 3) d=1, (0, 3) d=2 -> by d then s
    np.testing.assert_allclose(cand[:, :2] * 4, [[1, 2], [0, 2], [1, 3], [0, 3]])
    np.testing.assert_allclose(cand[:, -1], [0.9 * 0.8 * 0.5, 0.1 * 0.8 * 0.5, 0.9 * 0.1 * 0.5, 0.1 * 0.1 * 0.5])


def test_bsn_candidates() -> None:
    start = np.array([0.1, 0.9, 0.1, 0.1, 0.1])
    end = np.array([0.1, 0.1, 0.1, 0.8, 0.1])
    cand = bsn_candidates(start, end)
    # starts {0, 1, 4}, ends {0, 3, 4}; centres (i + 0.5) / 5; only start < end pairs
    pairs = {(round(a * 5 - 0.5), round(b * 5 - 0.5)) for a, b in cand[:, :2]}
    assert pairs == {(0, 3), (1, 3), (0, 4), (1, 4)}
    assert cand[0, -1] == pytest.approx(0.9 * 0.8)


def test_seconds_and_results_roundtrip(tmp_path: Path) -> None:
    assert video_span_seconds(100.0, 1000, 16) == pytest.approx(992 / 1000 * 100)
    assert video_span_seconds(100.0, None) == 100.0
    out = proposals_to_seconds(np.array([[-0.1, 0.5, 0.9], [0.5, 1.2, 0.3]]), 10.0, soft_nms_alpha=0.4,
                               soft_nms_low_threshold=0.5, soft_nms_high_threshold=0.9, top_k=100)  # fmt: skip
    np.testing.assert_allclose(out, [[0, 5, 0.9], [5, 10, 0.3]])
    write_results_json({"a": out}, tmp_path / "r.json", label="jump")
    (tmp_path / "gt.json").write_text(json.dumps({"v_a": {"duration_second": 10.0, "annotations": [
        {"segment": [0, 5], "label": "jump"}]}}))  # fmt: skip
    r = evaluate_files(tmp_path / "gt.json", tmp_path / "r.json")
    assert r["proposal"].ar_at(100) == 1.0 and r["detection"].average_mAP == 1.0
