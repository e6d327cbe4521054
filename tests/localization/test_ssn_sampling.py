"""SSN proposal sampling: labelling, per-video counts, stage splits, snippet bins and regression
targets against hand-computed values (MMAction2 0.x THUMOS14 settings), and the THUMOS14 recipe's
head against a hand-counted parameter total."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vidcore.localization.models.ssn import SSNLoss
from vidcore.localization.ssn_sampling import (
    BACKGROUND,
    IGNORED,
    INCOMPLETE,
    POSITIVE,
    SSN_R50_450E_THUMOS14_RGB,
    SSNSamplingConfig,
    label_proposals,
    proposal_stages,
    regression_normalizers,
    regression_targets,
    sample_video,
    ssn_r50_450e_thumos14_rgb,
    stage_frame_indices,
)

# one 100-frame video, ground truths [20, 40) class 3 and [60, 70) class 5
GTS = [[20, 40], [60, 70]]
GT_LABELS = [3, 5]
PROPOSALS = [
    [21, 45],  # gt0: inter 19, union 25 -> IoU 0.76 > 0.7: positive, class 3
    [25, 30],  # gt0: inter 5, union 20 -> IoU 0.25, overlap_self 1.0: incomplete, class 3
    [80, 95],  # no overlap, coverage 0.15 > 0.02: background
    [10, 30],  # gt0: inter 10, union 30 -> IoU 1/3: between the thresholds, ignored
    [90, 91],  # no overlap, coverage 0.01 <= 0.02: ignored
    [62, 64],  # gt1: inter 2, union 10 -> IoU 0.2, overlap_self 1.0: incomplete, class 5
]


def test_labelling_hand_computed() -> None:
    lab = label_proposals("v1", 100, GTS, GT_LABELS, PROPOSALS)
    np.testing.assert_allclose(lab.best_iou, [19 / 25, 5 / 20, 0, 10 / 30, 0, 2 / 10])
    np.testing.assert_allclose(lab.overlap_self, [19 / 24, 1.0, 0, 10 / 20, 0, 1.0])
    assert lab.kinds.tolist() == [POSITIVE, INCOMPLETE, BACKGROUND, IGNORED, IGNORED, INCOMPLETE]
    assert lab.labels[[0, 1, 2, 5]].tolist() == [3, 3, 0, 5]


def test_overlap_self_threshold_decides_incompletes() -> None:
    # [15, 30) has 10 of its 15 frames in gt0 (overlap_self 0.667) and IoU 10/25 = 0.4; with
    # incomplete IoU < 0.5 it is incomplete at overlap_self > 0.01, ignored at > 0.8
    loose = SSNSamplingConfig(incomplete_iou_threshold=0.5)
    strict = SSNSamplingConfig(incomplete_iou_threshold=0.5, incomplete_overlap_threshold=0.8)
    assert label_proposals("v1", 100, GTS, GT_LABELS, [[15, 30]], loose).kinds.tolist() == [INCOMPLETE]
    assert label_proposals("v1", 100, GTS, GT_LABELS, [[15, 30]], strict).kinds.tolist() == [IGNORED]


def test_regression_target_hand_computed() -> None:
    # [21, 45) toward [20, 40): centres (21+45-1)/2 = 32.5 and 29.5, lengths 24 and 20
    loc, size = regression_targets([21, 45], [20, 40])
    assert loc == pytest.approx(-3 / 24)
    assert size == pytest.approx(math.log(20 / 24))
    assert regression_targets([20, 40], [20, 40]) == (0.0, 0.0)


def test_sample_counts_order_and_targets() -> None:
    cfg = SSNSamplingConfig()
    assert cfg.per_video == (1, 6, 1) and cfg.num_segments == (2, 5, 2)
    s = sample_video("v1", 100, GTS, GT_LABELS, PROPOSALS, np.random.default_rng(0))
    assert s.proposal_type.tolist() == [0, 1, 1, 1, 1, 1, 1, 2]
    assert s.segments.shape == (8, 2) and s.frame_indices.shape == (8, 9)
    # the positive comes from [21, 45) or the two ground truths (add_gt_as_proposals)
    pos = s.segments[0].tolist()
    assert pos in ([21, 45], [20, 40], [60, 70])
    expected = {(21, 45): (3, -3 / 24, math.log(20 / 24)), (20, 40): (3, 0.0, 0.0), (60, 70): (5, 0.0, 0.0)}
    label, loc, size = expected[tuple(pos)]
    assert s.labels[0] == label
    np.testing.assert_allclose(s.reg_targets[0], [loc, size], rtol=1e-6)
    # two incompletes for six places: drawn with replacement from exactly those two
    assert {tuple(x) for x in s.segments[1:7].tolist()} <= {(25, 30), (62, 64)}
    assert all(lbl == (3 if seg[0] == 25 else 5) for seg, lbl in zip(s.segments[1:7].tolist(), s.labels[1:7]))
    assert s.segments[7].tolist() == [80, 95] and s.labels[7] == 0
    assert not s.reg_targets[1:].any()
    # the batch feeds SSNLoss (positives, incompletes, backgrounds per 8)
    torch.manual_seed(0)
    losses = SSNLoss()(torch.randn(8, 21), torch.randn(8, 20), torch.randn(8, 20, 2),
                       torch.from_numpy(s.proposal_type), torch.from_numpy(s.labels),
                       torch.from_numpy(s.reg_targets))  # fmt: skip
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_positive_pool_all_kinds_over_seeds() -> None:
    seen = {tuple(sample_video("v1", 100, GTS, GT_LABELS, PROPOSALS, np.random.default_rng(k)).segments[0])
            for k in range(40)}  # fmt: skip
    assert seen == {(21, 45), (20, 40), (60, 70)}


def test_determinism_with_seed() -> None:
    a = sample_video("v1", 100, GTS, GT_LABELS, PROPOSALS, np.random.default_rng(7))
    b = sample_video("v1", 100, GTS, GT_LABELS, PROPOSALS, np.random.default_rng(7))
    for x, y in zip((a.segments, a.labels, a.reg_targets, a.scale_factors, a.frame_indices),
                    (b.segments, b.labels, b.reg_targets, b.scale_factors, b.frame_indices)):  # fmt: skip
        np.testing.assert_array_equal(x, y)
    others = [sample_video("v1", 100, GTS, GT_LABELS, PROPOSALS, np.random.default_rng(k)) for k in range(8, 12)]
    assert any(not np.array_equal(a.frame_indices, o.frame_indices) for o in others)


def test_stage_boundaries_and_scale_factors() -> None:
    # [20, 30) of 100 frames: d = 10, extended by int(5) on each side
    st = proposal_stages(20, 30, 100)
    assert (st.valid_starting, st.valid_ending) == (15, 34)
    # valid lengths 20 - 15 - 1 = 4 and (34 - 30 + 1) - 1 = 4: (4 + 1 + 1) / (10 * 0.5)
    assert st.starting_scale == pytest.approx(1.2) and st.ending_scale == pytest.approx(1.2)
    # near both ends: [2, 12) of 14 frames: start clipped to 0, end to 14
    st = proposal_stages(2, 12, 14)
    assert (st.valid_starting, st.valid_ending) == (0, 14)
    assert st.starting_scale == pytest.approx((1 + 2) / 5) and st.ending_scale == pytest.approx((2 + 2) / 5)


def test_snippets_fall_in_their_bins() -> None:
    # [20, 30) of 100 frames: starting bins of (4 + 1) // 2 = 2 frames from 15, course bins of
    # (9 + 1) // 5 = 2 frames from 20, ending bins of 2 frames from 30
    bins = [(15, 16), (17, 18), (20, 21), (22, 23), (24, 25), (26, 27), (28, 29), (30, 31), (32, 33)]
    seen = [set() for _ in bins]
    rng = np.random.default_rng(3)
    for _ in range(60):
        idx = stage_frame_indices(20, 30, 100, rng)
        for k, (lo, hi) in enumerate(bins):
            assert lo <= idx[k] <= hi
            seen[k].add(int(idx[k]))
    assert all(len(s) == 2 for s in seen)
    # a stage shorter than its snippet count gets zero offsets: [0, 2) has no starting span
    idx = stage_frame_indices(0, 2, 100, rng)
    assert idx[:2].tolist() == [0, 0]


def test_normalizers_hand_computed() -> None:
    props = [[21, 45], [20, 41]]  # IoUs 0.76 and 20/21: both positive
    t = np.array([[-3 / 24, math.log(20 / 24)], [(29.5 - 30.0) / 21, math.log(20 / 21)]])
    got = regression_normalizers([("v1", 100, [[20, 40]], [3], props)])
    np.testing.assert_allclose(got, [t.mean(0), t.std(0)], rtol=1e-9)
    s = sample_video("v1", 100, [[20, 40]], [3], [*props, [25, 30], [80, 95]], np.random.default_rng(1),
                     normalizers=got)  # fmt: skip
    raw = {(21, 45): t[0], (20, 41): t[1], (20, 40): np.zeros(2)}[tuple(s.segments[0])]
    np.testing.assert_allclose(s.reg_targets[0], (raw - got[0]) / got[1], rtol=1e-5)


def test_errors_name_the_video() -> None:
    with pytest.raises(ValueError, match="video v_bad: no ground truth"):
        sample_video("v_bad", 100, [], [], PROPOSALS, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"video v_bad: proposal 1 is \[5, 5\)"):
        label_proposals("v_bad", 100, GTS, GT_LABELS, [[1, 4], [5, 5]])
    with pytest.raises(ValueError, match="video v_bad: no background proposal"):
        sample_video("v_bad", 100, GTS, GT_LABELS, PROPOSALS[:2], np.random.default_rng(0))
    with pytest.raises(ValueError, match="video v_bad: expected 2 ground-truth labels"):
        label_proposals("v_bad", 100, GTS, [3], PROPOSALS)


def test_thumos14_recipe_head() -> None:
    head = SSN_R50_450E_THUMOS14_RGB.build_head()
    # STPP (1, 1, 1): 3 parts of 2048; activity 2048 x 21, completeness 6144 x 20, regressor 6144 x 40
    expected = (2048 * 21 + 21) + (6144 * 20 + 20) + (6144 * 40 + 40)
    assert sum(p.numel() for p in head.parameters()) == expected == 411_729
    model = ssn_r50_450e_thumos14_rgb(nn.Flatten()).eval()
    act, comp, bbox = model(torch.randn(2 * 9, 2048), torch.ones(2, 2))
    assert act.shape == (2, 21) and comp.shape == (2, 20) and bbox is not None and bbox.shape == (2, 20, 2)
    with pytest.raises(TypeError, match="backbone"):
        ssn_r50_450e_thumos14_rgb("resnet50")  # type: ignore[arg-type]
