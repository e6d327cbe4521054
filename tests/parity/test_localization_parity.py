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
import torch
from mm_helpers import (
    assert_all_consumed,
    compare,
    count_params,
    load_mm_config,
    reinit_,
    require_mmaction,
    strict_load,
)

from vidcore.localization import evaluation as ev
from vidcore.localization.convert import convert_mmaction_checkpoint
from vidcore.localization.models.bmn import boundary_matching_mask
from vidcore.localization.registry import get_model, get_preset

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


# -- models ----------------------------------------------------------------------------------------


_BMN_FIXED = {"sample_mask", "bm_mask"}


def _build_mm(preset: str) -> torch.nn.Module:
    require_mmaction()
    from mmaction.registry import MODELS

    cfg = load_mm_config(get_preset(preset).mmaction_config)
    return MODELS.build(cfg.model).eval()


@pytest.fixture(scope="module")
def mm_bmn() -> torch.nn.Module:
    return _build_mm("bmn_400x100_9e_activitynet_feature")


def test_bmn_mask_equals_mmaction(mm_bmn: torch.nn.Module) -> None:
    ours = boundary_matching_mask(100, 32, 3, 0.5).reshape(100, -1)
    assert np.array_equal(ours, mm_bmn.sample_mask.detach().numpy())  # bit-identical
    model = get_model("bmn_400x100_9e_activitynet_feature")
    assert torch.equal(model.bm_mask, mm_bmn.bm_mask)


def test_bmn_parity(mm_bmn: torch.nn.Module, tmp_path: Path) -> None:
    assert count_params(mm_bmn) == 36_978_564  # 36.98M, the sampling mask included
    reinit_(mm_bmn, 0, skip=_BMN_FIXED)
    torch.save({"meta": {}, "state_dict": mm_bmn.state_dict()}, tmp_path / "bmn.pth")
    source = torch.load(tmp_path / "bmn.pth", weights_only=True)["state_dict"]
    sd = convert_mmaction_checkpoint(tmp_path / "bmn.pth", "bmn_400x100_9e_activitynet_feature")
    assert_all_consumed(source, sd, dropped=_BMN_FIXED)
    ours = get_model("bmn_400x100_9e_activitynet_feature").eval()
    strict_load(ours, sd)
    x = torch.randn(2, 400, 100, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        conf, start, end = mm_bmn._forward(x)
        out = ours(x)
    for name, a, b in (("confidence", out.confidence, conf), ("start", out.start, start), ("end", out.end, end)):
        stats = compare(a, b)
        print(f"BMN {name}: {stats}")


def test_bmn_predict_parity(mm_bmn: torch.nn.Module) -> None:
    """BMN.predict (candidates, Soft-NMS, seconds) vs our forward_eval on the same weights."""
    from mmaction.structures import ActionDataSample

    from vidcore.localization.datasets import LocalizationBatch

    reinit_(mm_bmn, 3, skip=_BMN_FIXED)
    ours = get_model("bmn_400x100_9e_activitynet_feature").eval()
    strict_load(ours, get_preset("bmn_400x100_9e_activitynet_feature").convert_mmaction(mm_bmn.state_dict()))
    x = torch.randn(1, 400, 100, generator=torch.Generator().manual_seed(4))
    sample = ActionDataSample()
    sample.set_metainfo({"video_name": "v_x", "duration_second": 123.4, "duration_frame": 3700})
    with torch.no_grad():
        theirs = mm_bmn.predict(x, [sample])[0]["proposal_list"]
    batch = LocalizationBatch(
        features=x, video_name=("v_x",), duration_second=torch.tensor([123.4], dtype=torch.float64),
        duration_frame=torch.tensor([3700]),
    )  # fmt: skip
    mine = ours.forward_eval(batch)["proposals"][0]
    ref = np.array([[*p["segment"], p["score"]] for p in theirs])
    assert mine.shape == ref.shape, (mine.shape, ref.shape)
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "preset, shape",
    [("bsn_tem_400x100_20e_activitynet_feature", (2, 400, 100)), ("bsn_pem_400x100_20e_activitynet_feature", (64, 32))],
)
def test_bsn_parity(preset: str, shape: tuple[int, ...], tmp_path: Path) -> None:
    mm = _build_mm(preset)
    if "tem" in preset:
        assert round(count_params(mm) / 1e6, 2) == 1.40
    reinit_(mm, 0)
    torch.save({"state_dict": mm.state_dict()}, tmp_path / "m.pth")
    sd = convert_mmaction_checkpoint(tmp_path / "m.pth", preset)
    assert_all_consumed(mm.state_dict(), sd)
    ours = get_model(preset).eval()
    strict_load(ours, sd)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        stats = compare(ours(x), mm._forward(x))
    print(f"{preset}: {stats}")


# -- losses and targets ----------------------------------------------------------------------------


def _random_gt(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(1, 5))
    s = rng.uniform(0, 0.8, n)
    return np.stack([s, np.minimum(s + rng.uniform(0.02, 0.5, n), 1.0)], 1).astype(np.float32)


@pytest.mark.parametrize("seed", range(4))
def test_bmn_targets_and_loss_parity(mm_bmn: torch.nn.Module, seed: int) -> None:
    from mmaction.models.losses import BMNLoss as MMBMNLoss

    from vidcore.localization.losses import BMNLoss
    from vidcore.localization.targets import bmn_targets

    rng = np.random.default_rng(seed)
    gts = [_random_gt(rng) for _ in range(3)]
    conf_t, start_t, end_t = mm_bmn.generate_labels([torch.from_numpy(g) for g in gts])
    ours = [bmn_targets(g, 100) for g in gts]
    # MMAction2 rounds the boundary regions to float32 (~6e-8) before dividing by anchors 2/T wide
    for i in range(3):
        torch.testing.assert_close(ours[i][0], conf_t[i], rtol=0, atol=1e-6)
        torch.testing.assert_close(ours[i][1], start_t[i], rtol=0, atol=1e-5)
        torch.testing.assert_close(ours[i][2], end_t[i], rtol=0, atol=1e-5)
    gen = torch.Generator().manual_seed(seed)
    pred = torch.rand(3, 2, 100, 100, generator=gen)
    ps, pe = torch.rand(3, 100, generator=gen), torch.rand(3, 100, generator=gen)
    torch.manual_seed(10 + seed)
    theirs = MMBMNLoss()(pred, ps, pe, conf_t, start_t, end_t, mm_bmn.bm_mask)
    torch.manual_seed(10 + seed)
    mine = BMNLoss()(pred, ps, pe, conf_t, start_t, end_t, mm_bmn.bm_mask)
    for a, b in zip(mine, theirs):
        assert abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))), (mine, theirs)


@pytest.mark.parametrize("seed", range(4))
def test_tem_targets_and_loss_parity(seed: int) -> None:
    mm = _build_mm("bsn_tem_400x100_20e_activitynet_feature")
    from mmaction.models.losses.binary_logistic_regression_loss import (
        binary_logistic_regression_loss as mm_blr,
    )

    from vidcore.localization.losses import binary_logistic_regression_loss
    from vidcore.localization.targets import tem_targets

    rng = np.random.default_rng(100 + seed)
    gts = [_random_gt(rng) for _ in range(3)]
    theirs = mm.generate_labels([torch.from_numpy(g) for g in gts])
    for i, g in enumerate(gts):
        for a, b in zip(tem_targets(g, 100, 0.1), theirs):
            torch.testing.assert_close(a, b[i], rtol=0, atol=1e-5)
    score = torch.rand(3, 100, generator=torch.Generator().manual_seed(seed))
    for label in theirs:
        for thr in (0.5, 0.9):
            assert abs(float(binary_logistic_regression_loss(score, label, thr)) - float(mm_blr(score, label, thr))) < 1e-6


# -- post-processing -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_soft_nms_and_post_processing_parity(seed: int) -> None:
    require_mmaction()
    from mmaction.models.localizers.utils import post_processing
    from mmaction.models.localizers.utils import soft_nms as mm_soft_nms

    from vidcore.localization.postprocess import proposals_to_seconds, soft_nms

    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 400))
    s = rng.uniform(-0.05, 0.9, k)
    cand = np.stack([s, s + rng.uniform(0.01, 0.5, k), rng.uniform(0, 1, k)], 1)
    alpha, low, high, top_k = [(0.4, 0.5, 0.9, 100), (0.75, 0.65, 0.9, 100), (0.4, 0.5, 0.9, 10)][seed % 3]
    np.testing.assert_allclose(soft_nms(cand, alpha, low, high, top_k), mm_soft_nms(cand, alpha, low, high, top_k),
                               rtol=0, atol=1e-12)  # fmt: skip
    info = {"duration_second": 87.5, "duration_frame": 2100}
    theirs = post_processing(cand, info, alpha, low, high, top_k, 16)
    ours = proposals_to_seconds(cand, 2100 // 16 * 16 / 2100 * 87.5, soft_nms_alpha=alpha, soft_nms_low_threshold=low,
                                soft_nms_high_threshold=high, top_k=top_k)  # fmt: skip
    np.testing.assert_allclose(ours, [[*p["segment"], p["score"]] for p in theirs], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_bsn_pgm_parity(seed: int, tmp_path: Path) -> None:
    """PGM candidates and BSP features against MMAction2's file-based functions."""
    require_mmaction()
    from mmaction.models.localizers.utils import generate_bsp_feature, generate_candidate_proposals

    from vidcore.localization.models.bsn import bsp_features
    from vidcore.localization.postprocess import bsn_candidates

    rng = np.random.default_rng(seed)
    t = 100
    tem = np.concatenate([rng.uniform(0, 1, (t, 3)), np.stack([np.arange(t) / t, np.arange(1, t + 1) / t], 1)], 1)
    (tmp_path / "tem").mkdir()
    (tmp_path / "pgm").mkdir()
    np.savetxt(tmp_path / "tem" / "v_a.csv", tem, header="action,start,end,tmin,tmax", delimiter=",", comments="")
    info = [{"video_name": "v_a", "duration_frame": 1600, "duration_second": 64.0, "feature_frame": 1600,
             "annotations": [{"segment": [10.0, 30.0], "label": "x"}]}]  # fmt: skip
    props = generate_candidate_proposals([0], info, str(tmp_path / "tem"), t, 0.5)["v_a"]
    tem32 = np.loadtxt(tmp_path / "tem" / "v_a.csv", dtype=np.float32, delimiter=",", skiprows=1)
    ours = bsn_candidates(tem32[:, 1], tem32[:, 2], 0.5)
    assert ours.shape[0] == props.shape[0]
    np.testing.assert_allclose(ours, props[:, :5], rtol=0, atol=1e-12)
    header = "tmin,tmax,tmin_score,tmax_score,score,match_iou,match_ioa"
    np.savetxt(tmp_path / "pgm" / "v_a.csv", props, header=header, delimiter=",", comments="")
    feats = generate_bsp_feature([0], info, str(tmp_path / "tem"), str(tmp_path / "pgm"), top_k=1000)["v_a"]
    pgm32 = np.loadtxt(tmp_path / "pgm" / "v_a.csv", dtype=np.float32, delimiter=",", skiprows=1)[:1000]
    mine = bsp_features(tem32[:, 0], pgm32[:, :2])
    # MMAction2 computes the sample positions in float32 (the proposal bounds are float32 scalars);
    # here in float64: measured <= 2e-6
    np.testing.assert_allclose(mine, feats, rtol=0, atol=1e-5)


# -- SSN -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_reg", [True, False])
def test_ssn_loss_parity(seed: int, with_reg: bool) -> None:
    """Our SSNLoss (plain autograd) against MMAction2's (a custom autograd Function for the OHEM
    hinge): the three losses and the gradients of every input."""
    require_mmaction()
    from mmaction.models.losses import SSNLoss as MMSSNLoss
    from mmengine.config import ConfigDict

    from vidcore.localization.models.ssn import SSNLoss

    gen = torch.Generator().manual_seed(seed)
    videos, k = 3, 20
    n = videos * 8
    ptype = torch.tensor([0] + [1] * 6 + [2]).repeat(videos)
    labels = torch.randint(1, k + 1, (videos,), generator=gen).repeat_interleave(8)
    labels[7::8] = 0  # backgrounds
    act = torch.randn(n, k + 1, generator=gen)
    comp = torch.randn(n, k, generator=gen)
    bbox = torch.randn(n, k, 2, generator=gen) if with_reg else None
    targets = torch.randn(n, 2, generator=gen)
    cfg = ConfigDict(ssn=dict(
        sampler=dict(num_per_video=8, positive_ratio=1, background_ratio=1, incomplete_ratio=6),
        loss_weight=dict(comp_loss_weight=0.1, reg_loss_weight=0.1)))  # fmt: skip

    def run(loss_fn: object, mm: bool) -> tuple[dict, list]:
        inputs = [t.clone().requires_grad_(True) if t is not None else None for t in (act, comp, bbox)]
        args = (*inputs, ptype, labels, targets) + ((cfg,) if mm else ())
        out = loss_fn(*args)  # type: ignore[operator]
        sum(v.sum() for v in out.values()).backward()
        return {key: float(v.detach().sum()) for key, v in out.items()}, [t.grad for t in inputs if t is not None]

    theirs, g_theirs = run(MMSSNLoss(), True)
    ours, g_ours = run(SSNLoss(), False)
    assert set(ours) == set(theirs)
    for key in theirs:
        assert abs(ours[key] - theirs[key]) <= 1e-6 * max(1.0, abs(theirs[key])), (key, ours, theirs)
    for a, b in zip(g_ours, g_theirs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


# -- TCANet ----------------------------------------------------------------------------------------


def test_tcanet_parity(tmp_path: Path) -> None:
    """Encoder outputs, the three refinement stages, the rebuilt LGTE masks, strict load."""
    mm = _build_mm("tcanet_700x100_9e_hacs_feature")
    assert count_params(mm) == 10_954_255
    for i in range(2):
        ours_mask = get_model("tcanet_700x100_9e_hacs_feature").lgtes[i].mask
        assert torch.equal(mm.lgtes[i].mask[0], ours_mask)
    reinit_(mm, 0)
    torch.save({"state_dict": mm.state_dict()}, tmp_path / "tca.pth")
    sd = convert_mmaction_checkpoint(tmp_path / "tca.pth", "tcanet_700x100_9e_hacs_feature")
    assert_all_consumed(mm.state_dict(), sd, dropped={"lgtes.0.mask", "lgtes.1.mask"})
    ours = get_model("tcanet_700x100_9e_hacs_feature").eval()
    strict_load(ours, sd)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 700, 100, generator=gen)
    s = torch.rand(40, generator=gen) * 0.7
    props = torch.stack([s, s + torch.rand(40, generator=gen) * 0.3, (torch.arange(40) % 2).float()], 1)
    scores = torch.rand(40, generator=gen)
    with torch.no_grad():
        enc_mm = mm._forward(x)
        stats = compare(ours(x), enc_mm)
        print(f"TCANet encoder: {stats}")
        feats = enc_mm[props[:, 2].long()]
        # as TCANet.predict: stage k's refined proposals with stage k's tIoU
        i1, p1 = mm.tbr1(props, feats, None, 0.5, False)[:2]
        i2, p2 = mm.tbr2(p1, feats, None, 0.6, False)[:2]
        i3, p3 = mm.tbr3(p2, feats, None, 0.7, False)[:2]
        theirs = torch.cat([torch.cat([q, (scores * i).view(-1, 1)], 1) for q, i in ((p1, i1), (p2, i2), (p3, i3))])
        mine = ours.refine(enc_mm, props, scores)
    torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-5)


def test_tcanet_predict_parity() -> None:
    """TCANet.predict (refinement, Soft-NMS, seconds) against refine + proposals_to_seconds.

    MMAction2 1.2.0's predict scores every proposal with the video's batch index instead of its
    input score (``scores`` is a view of the column it then overwrites), so a single video's
    proposals all score 0: checked here, and the segments compared as a set (all 3 x 30 are kept).
    """
    mm = _build_mm("tcanet_700x100_9e_hacs_feature")
    from mmaction.structures import ActionDataSample
    from mmengine.structures import InstanceData

    from vidcore.localization.postprocess import proposals_to_seconds, video_span_seconds

    reinit_(mm, 1)
    ours = get_model("tcanet_700x100_9e_hacs_feature").eval()
    strict_load(ours, get_preset("tcanet_700x100_9e_hacs_feature").convert_mmaction(mm.state_dict()))
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(1, 700, 100, generator=gen)
    s = torch.rand(30, generator=gen) * 0.7
    props = torch.stack([s, s + torch.rand(30, generator=gen) * 0.3, torch.rand(30, generator=gen)], 1)
    sample = ActionDataSample()
    sample.set_metainfo({"video_name": "v_x", "duration_second": 61.0, "duration_frame": 1525})
    sample.proposals = InstanceData(proposals=props.clone())
    with torch.no_grad():
        theirs = mm.predict(x, [sample])[0]["proposal_list"]
        rows = ours.refine(ours(x), torch.cat([props[:, :2], torch.zeros(30, 1)], 1), torch.zeros(30))
    ref = np.array([[*p["segment"], p["score"]] for p in theirs])
    assert np.all(ref[:, 2] == 0)  # the aliasing described above
    mine = proposals_to_seconds(rows.numpy(), video_span_seconds(61.0, 1525, 16), soft_nms_alpha=0.4,
                                soft_nms_low_threshold=0.0, soft_nms_high_threshold=0.0, top_k=100)  # fmt: skip
    assert mine.shape == ref.shape == (90, 3)
    key = np.lexsort((ref[:, 1], ref[:, 0]))
    np.testing.assert_allclose(mine[np.lexsort((mine[:, 1], mine[:, 0]))], ref[key], rtol=0, atol=1e-4)
