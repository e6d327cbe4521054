"""Parity of vidcore-localization with MMAction2 1.2.0 (see shared/PARITY.md): the ActivityNet
evaluation on random cases and on the shared fixture, the BMN/BSN models (strict load of the
converted state dict, outputs <= 1e-4 in float32, rebuilt sampling mask equal to theirs), the
losses and the training targets.

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity -k localization``.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from mm_helpers import require_mmaction

from vidcore.localization import evaluation as ev

pytestmark = pytest.mark.parity


def _random_case(seed: int) -> tuple[dict, dict, int]:
    rng = np.random.default_rng(seed)
    gt, props, total = {}, {}, 0
    for v in range(int(rng.integers(1, 40))):
        n = int(rng.integers(1, 6))
        s = rng.uniform(0, 80, n)
        gt[f"v_{v}"] = np.stack([s, s + rng.uniform(1, 30, n)], 1)
        k = int(rng.integers(1, 150))
        s = rng.uniform(0, 90, k)
        props[f"v_{v}"] = np.stack([s, s + rng.uniform(0.5, 40, k), rng.uniform(0, 1, k)], 1)
        total += k
    return gt, props, total


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("max_avg", [None, 100, 7])
def test_average_recall_matches_mmaction(seed: int, max_avg: int | None) -> None:
    require_mmaction()
    from mmaction.evaluation.functional.accuracy import average_recall_at_avg_proposals

    gt, props, total = _random_case(seed)
    recall, avg_recall, per_video, auc = average_recall_at_avg_proposals(gt, props, total, max_avg_proposals=max_avg)
    ours = ev.average_recall_at_avg_proposals(gt, props, max_avg_proposals=max_avg)
    np.testing.assert_array_equal(ours.recall, recall)
    np.testing.assert_allclose(ours.average_recall, avg_recall, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.proposals_per_video, per_video, rtol=0, atol=1e-12)
    assert abs(ours.auc - auc) < 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_average_precision_matches_mmaction(seed: int) -> None:
    require_mmaction()
    from mmaction.evaluation.functional.accuracy import average_precision_at_temporal_iou

    gt, props, _ = _random_case(100 + seed)
    preds = [(v, p[0], p[1], p[2]) for v, ps in props.items() for p in ps[:25]]
    preds.append(("not_in_gt", 1.0, 5.0, 0.5))
    theirs = average_precision_at_temporal_iou(gt, [[v, 0, s, e, c] for v, s, e, c in preds])
    ours = ev.average_precision_at_temporal_iou(gt, preds)
    # theirs accumulates in float32: agreement to float32 resolution
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert ours.max() > 0


def test_anet_metric_ar_an_matches(tmp_path: Path) -> None:
    """MMAction2's ANetMetric (the metric of its BMN/BSN configs) on random per-video results."""
    require_mmaction()
    from mmaction.evaluation.metrics import ANetMetric

    gt, props, _ = _random_case(7)
    metric = ANetMetric(metric_type="AR@AN", dump_config=dict(out=str(tmp_path / "out.json"), output_format="json"))
    samples, results = [], []
    for vid, g in gt.items():
        sample = SimpleNamespace(
            metainfo={"video_name": vid, "annotations": [{"segment": list(s), "label": "x"} for s in g]}
        )
        samples.append(sample)
        results.append({"video_name": vid, "proposal_list": [{"segment": [p[0], p[1]], "score": p[2]} for p in props[vid]]})
    metric.process({"data_samples": samples}, results)
    theirs = metric.compute_metrics(metric.results)
    gt_ids = {v[2:]: g for v, g in gt.items()}
    prop_ids = {v[2:]: p for v, p in props.items()}
    ours = ev.average_recall_at_avg_proposals(gt_ids, prop_ids, max_avg_proposals=100).summary()
    for k in ("AR@1", "AR@5", "AR@10", "AR@100"):
        assert abs(ours[k] - theirs[k]) < 1e-12, k
    assert abs(ours["AUC"] - theirs["auc"]) < 1e-9


def test_fixture_matches_mmaction() -> None:
    require_mmaction()
    root = os.environ.get("VIDCORE_CONFORMANCE_DATA")
    if not root or not (Path(root) / "data" / "eval_localization").is_dir():
        pytest.skip("VIDCORE_CONFORMANCE_DATA is not set (point it at shared/fixtures/mmaction2)")
    from mmaction.evaluation.functional.accuracy import average_recall_at_avg_proposals
    from mmaction.evaluation.functional.eval_detection import ActivityNetLocalization

    d = Path(root) / "data" / "eval_localization"
    ours = ev.evaluate_files(d / "gt.json", d / "result.json")
    m_ap, avg = ActivityNetLocalization(str(d / "gt.json"), str(d / "result.json")).evaluate()
    np.testing.assert_allclose(ours["detection"].mAP, m_ap, rtol=0, atol=1e-12)
    assert abs(ours["detection"].average_mAP - avg) < 1e-12
    import json

    gt_json = json.loads((d / "gt.json").read_text())
    res = json.loads((d / "result.json").read_text())["results"]
    gt = {v[2:]: np.array([a["segment"] for a in info["annotations"]]) for v, info in gt_json.items()}
    props = {v: np.array([[*p["segment"], p["score"]] for p in ps]) for v, ps in res.items()}
    recall, _, _, auc = average_recall_at_avg_proposals(gt, props, sum(len(p) for p in props.values()), 100)
    np.testing.assert_array_equal(ours["proposal"].recall, recall)
    assert abs(ours["proposal"].auc - auc) < 1e-9
