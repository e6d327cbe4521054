"""Pose transforms: hand-computed values, geometric truths and hypothesis properties."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidcore.data.skeleton_graphs import COCO17, LAYOUTS, NTU25, OPENPOSE18, get_layout
from vidcore.data.transforms.pose import (
    FormatGCNInput,
    FormatHeatmapShape,
    GeneratePoseTarget,
    GenSkeFeat,
    JointToBone,
    PadTo,
    PoseCenterCrop,
    PoseCompact,
    PoseDecode,
    PoseFlip,
    PoseRandomResizedCrop,
    PoseResize,
    PreNormalize2D,
    PreNormalize3D,
    ToMotion,
    decompress_pose,
    generate_heatmaps,
)
from vidcore.data.types import PoseSample

SETTINGS = settings(max_examples=25, deadline=None)


def sample_2d(m=1, t=2, v=17, h=20, w=24, seed=0, low=1.0) -> PoseSample:
    rng = np.random.default_rng(seed)
    kp = rng.uniform(low, [w - 1, h - 1], size=(m, t, v, 2)).astype(np.float32)
    score = rng.uniform(0.2, 1.0, size=(m, t, v)).astype(np.float32)
    return PoseSample(keypoint=kp, keypoint_score=score, img_shape=(h, w), total_frames=t, label=3)


# ----------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
def test_layout_flip_index_is_an_involution_swapping_left_and_right(layout):
    idx = layout.flip_index
    assert np.array_equal(idx[idx], np.arange(layout.num_joints))
    for a, b in zip(layout.left_joints, layout.right_joints):
        assert idx[a] == b and idx[b] == a
    # a limb's mirror image is the limb whose joints are the mirrored joints
    limb_idx = layout.limb_flip_index
    for i, (a, b) in enumerate(layout.limbs):
        assert {int(idx[a]), int(idx[b])} == set(layout.limbs[limb_idx[i]])


def test_layout_lookup():
    assert get_layout("coco") is COCO17 and get_layout(NTU25) is NTU25
    assert OPENPOSE18.num_joints == 18 and NTU25.parents[20] == 20 and COCO17.parents[9] == 7
    with pytest.raises(ValueError, match="unknown skeleton layout"):
        get_layout("h36m")


# ----------------------------------------------------------------------------- heatmaps
def test_single_joint_gives_a_gaussian_peak_equal_to_its_score():
    kp = np.zeros((1, 1, 17, 2), np.float32)
    score = np.zeros((1, 1, 17), np.float32)
    kp[0, 0, 5] = (10, 7)  # x = 10, y = 7
    score[0, 0, 5] = 0.8
    s = PoseSample(keypoint=kp, keypoint_score=score, img_shape=(16, 20))
    heat = GeneratePoseTarget(sigma=0.6)(s).heatmap
    assert heat.shape == (1, 17, 16, 20) and heat.dtype == np.float32
    assert heat[0, 5, 7, 10] == pytest.approx(0.8, abs=1e-7)
    assert heat[0, 5, 7, 11] == pytest.approx(0.8 * math.exp(-1 / (2 * 0.36)), rel=1e-6)
    assert heat[0, 5, 8, 11] == pytest.approx(0.8 * math.exp(-2 / (2 * 0.36)), rel=1e-6)
    assert np.unravel_index(heat[0, 5].argmax(), (16, 20)) == (7, 10)
    heat_ns = GeneratePoseTarget(sigma=0.6, use_score=False)(s).heatmap
    assert heat_ns[0, 5, 7, 10] == pytest.approx(1.0)
    # nothing drawn for the zero-score joints or beyond +-3 sigma
    assert heat[0, [i for i in range(17) if i != 5]].max() == 0
    assert heat[0, 5, :, :8].max() == 0 and heat[0, 5, :, 13:].max() == 0


def test_limb_heatmap_is_a_gaussian_of_the_distance_to_the_segment():
    kp = np.zeros((1, 1, 17, 2), np.float32)
    kp[0, 0, 5] = (2, 5)
    kp[0, 0, 7] = (12, 5)  # limb 5 of COCO-17 is (5, 7)
    score = np.ones((1, 1, 17), np.float32)
    heat = GeneratePoseTarget(sigma=1.0, with_kp=False, with_limb=True)(
        PoseSample(keypoint=kp, keypoint_score=score, img_shape=(12, 16))
    ).heatmap
    assert heat.shape == (1, len(COCO17.limbs), 12, 16)
    assert heat[0, 5, 5, 2:13] == pytest.approx(np.ones(11))  # on the segment
    assert heat[0, 5, 6, 7] == pytest.approx(math.exp(-0.5))  # 1 px from the segment
    assert heat[0, 5, 5, 14] == pytest.approx(math.exp(-2.0))  # 2 px beyond the end
    assert heat[0, 5, 7, 0] == pytest.approx(math.exp(-(4 + 4) / 2))  # beyond the start, diagonal


def test_both_joint_and_limb_channels_are_kept_apart():
    s = sample_2d()
    both = GeneratePoseTarget(with_kp=True, with_limb=True)(s).heatmap
    joints = GeneratePoseTarget()(s).heatmap
    limbs = GeneratePoseTarget(with_kp=False, with_limb=True)(s).heatmap
    assert np.array_equal(both, np.concatenate([joints, limbs], axis=1))


def test_double_appends_the_mirrored_maps_with_swapped_channels():
    s = sample_2d(t=3)
    heat = GeneratePoseTarget(double=True)(s)
    single = GeneratePoseTarget()(s).heatmap
    assert heat.heatmap.shape == (6, 17, 20, 24)
    flipped = heat.heatmap[3:]
    # left wrist (9) of the mirrored map is the right wrist (10) reversed along x
    assert np.array_equal(flipped[:, 9], single[:, 10, :, ::-1])
    assert np.array_equal(flipped[:, 0], single[:, 0, :, ::-1])
    out = FormatHeatmapShape(num_clips=1)(heat)
    assert out.layout == "NCTHW" and out.heatmap.shape == (2, 17, 3, 20, 24)
    assert np.array_equal(out.heatmap[1, :, 2], flipped[2])


def test_format_heatmap_shape_groups_clips():
    s = sample_2d(t=6)
    heat = GeneratePoseTarget()(s)
    out = FormatHeatmapShape(num_clips=3)(heat).heatmap
    assert out.shape == (3, 17, 2, 20, 24)
    assert np.array_equal(out[2, :, 1], heat.heatmap[5])
    with pytest.raises(ValueError, match="do not split"):
        FormatHeatmapShape(num_clips=4)(heat)


def test_scaling_changes_the_grid():
    s = sample_2d(h=21, w=30)
    heat = GeneratePoseTarget(scaling=0.5)(s).heatmap
    assert heat.shape[-2:] == (int(21 * 0.5 + 0.5), 15)


@SETTINGS
@given(
    m=st.integers(1, 3), t=st.integers(1, 3), h=st.integers(4, 24), w=st.integers(4, 24),
    sigma=st.floats(0.3, 2.0), seed=st.integers(0, 2**31 - 1), limbs=st.booleans(),
)  # fmt: skip
def test_heatmaps_shape_range_and_determinism(m, t, h, w, sigma, seed, limbs):
    rng = np.random.default_rng(seed)
    kp = rng.uniform(-4, max(h, w) + 4, size=(m, t, 17, 2)).astype(np.float32)
    score = rng.uniform(0, 1, size=(m, t, 17)).astype(np.float32)
    s = PoseSample(keypoint=kp, keypoint_score=score, img_shape=(h, w))
    kp_before = kp.copy()
    g = GeneratePoseTarget(sigma=sigma, with_kp=not limbs, with_limb=limbs)
    heat = g(s).heatmap
    assert heat.shape == (t, 17, h, w) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() <= score.max() + 1e-6
    assert np.array_equal(heat, g(s).heatmap)
    assert np.array_equal(kp, kp_before)  # input untouched


def test_heatmap_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        GeneratePoseTarget(with_kp=False, with_limb=False)
    with pytest.raises(ValueError, match="img_shape"):
        GeneratePoseTarget()(PoseSample(keypoint=np.zeros((1, 1, 17, 2), np.float32)))
    with pytest.raises(ValueError, match=r"\(M, T, V, C"):
        generate_heatmaps(np.zeros((2, 17, 2)), None, (8, 8))


def test_heatmap_speed_48_frames_56x56(record_property):
    import time

    s = sample_2d(m=2, t=48, h=56, w=56)
    g = GeneratePoseTarget()
    g(s)
    t0 = time.perf_counter()
    for _ in range(3):
        g(s)
    ms = (time.perf_counter() - t0) / 3 * 1000
    record_property("heatmap_ms_48x17x56x56_2p", ms)
    assert ms < 500  # generous: about 10 ms here, MMAction2's loop about 45 ms


# ----------------------------------------------------------------------------- normalisation
def test_prenormalize2d_maps_corners_to_plus_minus_one():
    kp = np.array([[[[0, 0], [640, 480], [320, 240], [160, 360]]]], np.float32)
    out = PreNormalize2D()(PoseSample(keypoint=kp, img_shape=(480, 640))).keypoint
    assert np.allclose(out[0, 0], [[-1, -1], [1, 1], [0, 0], [-0.5, 0.5]])
    # without img_shape the default 1080 x 1920
    out = PreNormalize2D()(PoseSample(keypoint=np.array([[[[1920, 0]]]], np.float32))).keypoint
    assert np.allclose(out, [[[[1, -1]]]])


def _canonical_ntu() -> np.ndarray:
    """An NTU skeleton with spine base (0) -> spine middle (1) along +z and the right shoulder (8)
    minus the left (4) along +x, centred on joint 1."""
    rng = np.random.default_rng(1)
    kp = rng.normal(size=(25, 3))
    kp[1] = 0
    kp[0] = (0, 0, -0.3)
    kp[8] = (0.2, 0.0, 0.25)
    kp[4] = (-0.2, 0.0, 0.25)
    return kp


def _random_rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prenormalize3d_undoes_a_rigid_motion(seed):
    canon = _canonical_ntu()
    rot = _random_rotation(seed)
    moved = canon @ rot.T + np.array([1.0, -2.0, 3.5])
    kp = np.repeat(moved[None, None], 4, axis=1).astype(np.float32)  # (1, 4, 25, 3)
    out = PreNormalize3D()(PoseSample(keypoint=kp))
    assert out.keypoint.dtype == np.float32 and out.keypoint.shape == (1, 4, 25, 3)
    assert np.allclose(out.keypoint[0, 0], canon, atol=1e-5)
    spine = out.keypoint[0, 0, 1] - out.keypoint[0, 0, 0]
    shoulders = out.keypoint[0, 0, 8] - out.keypoint[0, 0, 4]
    assert np.allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-5)
    assert np.allclose(shoulders / np.linalg.norm(shoulders), [1, 0, 0], atol=1e-5)
    assert np.allclose(out.meta["body_center"], moved[1], atol=1e-6)


def test_prenormalize3d_drops_empty_frames_and_picks_the_main_person():
    canon = _canonical_ntu().astype(np.float32)
    kp = np.zeros((2, 5, 25, 3), np.float32)
    kp[0, 1] = canon + 1  # person 0 appears once
    kp[1, 1:4] = canon  # person 1 in three frames: becomes the main person
    out = PreNormalize3D(align_spine=False, align_shoulder=False)(PoseSample(keypoint=kp))
    assert out.keypoint.shape == (2, 3, 25, 3) and out.total_frames == 3
    assert np.allclose(out.keypoint[0, 0], canon - canon[1])
    assert np.allclose(out.keypoint[1, 0], canon + 1 - canon[1])
    assert np.all(out.keypoint[1, 1:] == 0)  # missing joints stay zero
    with pytest.raises(ValueError, match="C in"):
        PreNormalize3D()(PoseSample(keypoint=np.ones((1, 2, 25, 2), np.float32)))


# ----------------------------------------------------------------------------- geometry
def test_pose_compact_by_hand():
    kp = np.zeros((1, 2, 3, 2), np.float32)
    kp[0, 0] = [(20, 10), (60, 30), (0, 0)]  # the (0, 0) joint is missing
    kp[0, 1] = [(30, 20), (40, 25), (35, 15)]
    s = PoseSample(keypoint=kp, img_shape=(40, 80))
    out = PoseCompact(padding=0.25, threshold=10)(s)
    # tight box x 20..60, y 10..30 -> centre (40, 20), half sizes 25 and 12.5 -> (15, 7, 65, 32)
    assert out.img_shape == (25, 50)
    assert np.allclose(out.keypoint[0, 0], [(5, 3), (45, 23), (0, 0)])
    assert out.meta["crop_quadruple"] == pytest.approx((15 / 80, 7 / 40, 50 / 80, 25 / 40))
    square = PoseCompact(padding=0.25, hw_ratio=1.0)(s)
    assert square.img_shape == (50, 50)  # half height raised to 25: box (15, -5, 65, 45)
    assert np.allclose(square.keypoint[0, 1, 0], (30 - 15, 20 + 5))
    clipped = PoseCompact(padding=0.25, hw_ratio=1.0, allow_imgpad=False)(s)
    assert clipped.img_shape == (40, 50)
    small = PoseCompact(threshold=100)(s)
    assert small.img_shape == (40, 80) and np.array_equal(small.keypoint, kp)


def test_resize_and_crops_by_hand():
    kp = np.array([[[[10, 20], [0, 0]]]], np.float32)
    s = PoseSample(keypoint=kp, img_shape=(100, 200))
    r = PoseResize(short_side=50)(s)
    assert r.img_shape == (50, 100) and np.allclose(r.keypoint[0, 0, 0], (5, 10))
    r = PoseResize((25, 25))(s)
    assert r.img_shape == (25, 25) and np.allclose(r.keypoint[0, 0, 0], (1.25, 5))
    c = PoseCenterCrop((60, 100))(s)
    assert c.img_shape == (60, 100) and np.allclose(c.keypoint[0, 0, 0], (10 - 50, 20 - 20))
    rrc = PoseRandomResizedCrop(area_range=(0.3, 0.6))
    params = rrc.make_params(s, np.random.default_rng(0))
    x0, y0, x1, y1 = params["box"]
    assert 0 <= x0 < x1 <= 200 and 0 <= y0 < y1 <= 100
    assert 0.25 <= (x1 - x0) * (y1 - y0) / 20000 <= 0.65
    out = rrc.apply(s, params)
    assert out.img_shape == (y1 - y0, x1 - x0) and np.allclose(out.keypoint[0, 0, 0], (10 - x0, 20 - y0))
    assert np.array_equal(rrc(s, rng=5).keypoint, rrc(s, rng=5).keypoint)


def test_flip_by_hand():
    kp = np.zeros((1, 1, 17, 2), np.float32)
    kp[0, 0, 9] = (3, 4)  # left wrist
    kp[0, 0, 0] = (5, 6)
    score = np.arange(17, dtype=np.float32)[None, None]
    s = PoseSample(keypoint=kp, keypoint_score=score, img_shape=(8, 10))
    out = PoseFlip(flip_ratio=1.0)(s, rng=0)
    assert np.allclose(out.keypoint[0, 0, 10], (7, 4))  # became the right wrist, x -> 10 - 3
    assert np.allclose(out.keypoint[0, 0, 0], (5, 6))
    assert np.allclose(out.keypoint[0, 0, 9], (0, 0))  # the missing right wrist stays missing
    assert out.keypoint_score[0, 0, 10] == 9 and out.keypoint_score[0, 0, 9] == 10
    kept = PoseFlip(flip_ratio=0.0)(s, rng=0)
    assert np.array_equal(kept.keypoint, kp) and kept.meta["flip"] is False


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), layout=st.sampled_from(sorted(LAYOUTS)), m=st.integers(1, 3))
def test_flip_twice_is_identity(seed, layout, m):
    lay = get_layout(layout)
    rng = np.random.default_rng(seed)
    kp = rng.uniform(0, 31.9, size=(m, 3, lay.num_joints, 2)).astype(np.float32)
    kp[rng.random(kp.shape) < 0.1] = 0  # some missing coordinates
    score = rng.random((m, 3, lay.num_joints)).astype(np.float32)
    s = PoseSample(keypoint=kp, keypoint_score=score, img_shape=(20, 32))
    flip = PoseFlip(1.0, layout=lay)
    twice = flip.apply(flip.apply(s, {"flip": True}), {"flip": True})
    assert np.allclose(twice.keypoint, kp, atol=1e-5) and np.array_equal(twice.keypoint == 0, kp == 0)
    assert np.array_equal(twice.keypoint_score, score)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), ratio=st.floats(0, 1))
def test_flip_same_seed_same_result(seed, ratio):
    s = sample_2d(seed=seed % 100)
    f = PoseFlip(ratio)
    assert np.array_equal(f(s, rng=seed).keypoint, f(s, rng=seed).keypoint)


# ----------------------------------------------------------------------------- GCN features
def test_joint_to_bone_by_hand_coco_with_scores():
    kp = np.zeros((1, 1, 17, 3), np.float32)
    kp[0, 0, 5] = (10, 20, 0.5)  # left shoulder
    kp[0, 0, 7] = (13, 24, 0.9)  # left elbow, parent 5
    kp[0, 0, 0] = (11, 5, 1.0)  # nose, root, parent of the shoulders
    bone = JointToBone("coco")(PoseSample(keypoint=kp)).keypoint
    assert np.allclose(bone[0, 0, 7], (3, 4, 0.7))
    assert np.allclose(bone[0, 0, 5], (-1, 15, 0.75))
    assert np.allclose(bone[0, 0, 0], (0, 0, 1.0))


def test_joint_to_bone_ntu_is_3d():
    kp = np.random.default_rng(0).normal(size=(2, 3, 25, 3)).astype(np.float32)
    bone = JointToBone("nturgb+d")(PoseSample(keypoint=kp)).keypoint
    assert np.allclose(bone[..., 0, :], kp[..., 0, :] - kp[..., 1, :])
    assert np.allclose(bone[..., 22, :], kp[..., 22, :] - kp[..., 7, :])
    assert np.all(bone[..., 20, :] == 0)
    with pytest.raises(ValueError, match="25 joints"):
        JointToBone("nturgb+d")(PoseSample(keypoint=np.zeros((1, 1, 17, 3), np.float32)))


def test_to_motion_and_gen_ske_feat():
    kp = np.array([[[[1, 2]], [[4, 6]], [[5, 5]]]], np.float32)  # (1, 3, 1, 2)
    motion = ToMotion("nturgb+d")(PoseSample(keypoint=kp)).keypoint
    assert np.allclose(motion[0, :, 0], [(3, 4), (1, -1), (0, 0)])
    s = sample_2d(t=3)
    feats = GenSkeFeat("coco", feats=("j", "b", "jm"))(s)
    assert feats.keypoint.shape == (1, 3, 17, 9) and feats.keypoint_score is None
    j = np.concatenate([s.keypoint, s.keypoint_score[..., None]], -1)
    assert np.allclose(feats.keypoint[..., :3], j)
    assert np.allclose(feats.keypoint[..., 3:6], JointToBone("coco")(PoseSample(keypoint=j)).keypoint)
    assert np.allclose(feats.keypoint[..., 6:], ToMotion("coco")(PoseSample(keypoint=j)).keypoint)
    with pytest.raises(ValueError, match="subset"):
        GenSkeFeat(feats=("x",))


def test_pad_to_loop_and_zero():
    kp = np.arange(3, dtype=np.float32).reshape(1, 3, 1, 1)
    score = np.ones((1, 3, 1), np.float32)
    s = PoseSample(keypoint=kp, keypoint_score=score, total_frames=3)
    loop = PadTo(7)(s)
    assert loop.keypoint[0, :, 0, 0].tolist() == [0, 1, 2, 0, 1, 2, 0] and loop.total_frames == 7
    zero = PadTo(5, mode="zero")(s)
    assert zero.keypoint[0, :, 0, 0].tolist() == [0, 1, 2, 0, 0]
    assert zero.keypoint_score[0, :, 0].tolist() == [1, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="more than length"):
        PadTo(2)(s)


def test_format_gcn_input_pads_people_and_splits_clips():
    s = sample_2d(m=1, t=4)
    out = FormatGCNInput(num_person=2, num_clips=2)(s)
    assert out.keypoint.shape == (2, 2, 2, 17, 3) and out.label == 3
    assert np.allclose(out.keypoint[1, 0, 1, :, :2], s.keypoint[0, 3])
    assert np.allclose(out.keypoint[1, 0, 1, :, 2], s.keypoint_score[0, 3])
    assert np.all(out.keypoint[:, 1] == 0)
    loop = FormatGCNInput(num_person=3, mode="loop")(s)
    assert np.array_equal(loop.keypoint[0, 2], loop.keypoint[0, 0])
    cut = FormatGCNInput(num_person=1)(sample_2d(m=3))
    assert cut.keypoint.shape == (1, 1, 2, 17, 3)


def test_pose_decode_selects_frames():
    s = sample_2d(t=5)
    out = PoseDecode()(s, [4, 0, 0], offset=0)
    assert np.array_equal(out.keypoint[:, 0], s.keypoint[:, 4]) and out.total_frames == 3
    assert np.array_equal(out.keypoint_score[:, 2], s.keypoint_score[:, 0])
    with pytest.raises(IndexError):
        PoseDecode()(s, [5])


def test_decompress_pose_by_hand():
    # frames 2, 2, 5: two people in frame 2, one in frame 5; V = 2 joints (x, y, score)
    boxes = np.array(
        [[[1, 1, 0.5], [2, 2, 0.5]], [[3, 3, 0.9], [4, 4, 0.9]], [[5, 5, 0.1], [6, 6, 0.2]]], np.float32
    )
    kp, score, total = decompress_pose(boxes, np.array([2, 2, 5]), total_frames=7, squeeze=True)
    assert total == 2 and kp.shape == (2, 2, 2, 2) and score.shape == (2, 2, 2)
    assert np.allclose(kp[1, 0], [[3, 3], [4, 4]]) and np.allclose(kp[0, 1], [[5, 5], [6, 6]])
    assert np.all(kp[1, 1] == 0)
    kp, score, total = decompress_pose(boxes, np.array([2, 2, 5]), total_frames=7, squeeze=False)
    assert total == 7 and kp.shape == (2, 7, 2, 2)
    kp, score, _ = decompress_pose(boxes, np.array([2, 2, 5]), total_frames=7, max_person=1)
    assert kp.shape[0] == 1 and np.allclose(kp[0, 0], [[3, 3], [4, 4]])  # the higher-scored person


@pytest.mark.parametrize(
    "transform",
    [PreNormalize2D(), PoseCompact(), PoseFlip(1.0), JointToBone("coco"), ToMotion("coco"), PadTo(4),
     GeneratePoseTarget(), FormatGCNInput(), GenSkeFeat("coco", ("j", "bm")), PoseResize((9, 9))],
    ids=lambda t: type(t).__name__,
)  # fmt: skip
def test_transforms_do_not_modify_input_and_pickle(transform):
    s = sample_2d()
    before = (s.keypoint.copy(), s.keypoint_score.copy(), s.img_shape)
    out1 = transform(s, rng=1)
    out2 = pickle.loads(pickle.dumps(transform))(s, rng=1)
    assert np.array_equal(s.keypoint, before[0]) and np.array_equal(s.keypoint_score, before[1])
    assert s.img_shape == before[2]
    field = "heatmap" if hasattr(out1, "heatmap") else "keypoint"
    assert np.array_equal(getattr(out1, field), getattr(out2, field))
