"""Pose and audio transforms against MMAction2 1.2.0, run where ``import mmaction`` works.

Run with the MMAction2 environment:
``VIDCORE_CONFORMANCE_DATA=.../fixtures/mmaction2 /work/mmenv/bin/python -m pytest tests/parity/test_pose_audio_parity.py``.

The fixture ``data/annotations/sample.pkl`` (MMAction2's own test file) holds per-box frame indices,
box scores, image shapes and frame counts, but no keypoints: the tests take those real values and
draw keypoints from a seeded generator (so every case is reproducible). Heatmaps and the 2D
transforms must be identical; 3D pre-normalisation equal to float32 precision (MMAction2 returns
float64).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("mmaction", reason="MMAction2 is not installed in this environment")
mm_pose = pytest.importorskip("mmaction.datasets.transforms.pose_transforms")
mm_loading = pytest.importorskip("mmaction.datasets.transforms.loading")
mm_formatting = pytest.importorskip("mmaction.datasets.transforms.formatting")

from vidcore.data.transforms.audio import select_audio_features  # noqa: E402
from vidcore.data.transforms.pose import (  # noqa: E402
    FormatGCNInput,
    FormatHeatmapShape,
    GeneratePoseTarget,
    JointToBone,
    PadTo,
    PoseCompact,
    PreNormalize2D,
    PreNormalize3D,
    ToMotion,
    decompress_pose,
)
from vidcore.data.types import PoseSample  # noqa: E402


@pytest.fixture(scope="module")
def annotations(conformance_root):
    path = conformance_root / "data" / "annotations" / "sample.pkl"
    with open(path, "rb") as fh:
        data = pickle.load(fh)  # MMAction2's own fixture file, read in this test only
    return data["annotations"][:12]


def _keypoints(anno: dict, index: int, num_frames: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Seeded keypoints (M, T, 17, 2) inside the annotation's image, some missing (0), and scores."""
    rng = np.random.default_rng(index)
    h, w = anno["img_shape"]
    m = 1 + index % 3
    t = min(num_frames, anno["total_frames"])
    kp = rng.uniform(0, [w, h], size=(m, t, 17, 2)).astype(np.float32)
    kp[rng.random((m, t, 17)) < 0.1] = 0
    score = rng.uniform(0, 1, size=(m, t, 17)).astype(np.float32)
    score[rng.random((m, t, 17)) < 0.1] = 0
    return kp, score


HEATMAP_CASES = [
    {},
    {"with_kp": False, "with_limb": True},
    {"double": True},
    {"with_kp": False, "with_limb": True, "double": True},
    {"sigma": 1.1, "use_score": False},
    {"scaling": 0.25},
    {"sigma": 0.4, "with_kp": False, "with_limb": True, "scaling": 0.2},
]


@pytest.mark.parametrize("case", range(len(HEATMAP_CASES)))
def test_generate_pose_target(annotations, case):
    kwargs = HEATMAP_CASES[case]
    for i, anno in enumerate(annotations[:6]):
        kp, score = _keypoints(anno, i, num_frames=4)
        # the heatmap grid is the image scaled to about 56-80 px, as after PoseC3D's resizing
        h, w = anno["img_shape"]
        scale = 64 / min(h, w) if "scaling" not in kwargs else 1.0
        kp = kp * np.float32(scale)
        shape = (int(h * scale), int(w * scale))
        ref = mm_pose.GeneratePoseTarget(**kwargs).transform(
            {"keypoint": kp.copy(), "keypoint_score": score.copy(), "img_shape": shape}
        )["imgs"]
        ours = GeneratePoseTarget(**kwargs)(PoseSample(keypoint=kp, keypoint_score=score, img_shape=shape))
        assert ours.heatmap.shape == ref.shape
        assert np.array_equal(ours.heatmap, ref), np.abs(ours.heatmap - ref).max()
        if kwargs.get("double"):
            clip_len = kp.shape[1]
            ref_fmt = mm_formatting.FormatShape("NCTHW_Heatmap").transform(
                {"imgs": ref, "num_clips": 1, "clip_len": clip_len}
            )["imgs"]
            assert np.array_equal(FormatHeatmapShape(1)(ours).heatmap, ref_fmt)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"hw_ratio": 1.0},
        {"hw_ratio": (0.8, 1.2), "allow_imgpad": False},
        {"padding": 0.0, "threshold": 50},
    ],
)
def test_pose_compact(annotations, kwargs):
    for i, anno in enumerate(annotations):
        kp, _ = _keypoints(anno, i)
        # shrink the people so the box does not fill the frame
        h, w = anno["img_shape"]
        kp = np.where(kp != 0, kp * np.float32(0.5) + np.float32(min(h, w) / 5), 0).astype(np.float32)
        ref = mm_pose.PoseCompact(**kwargs).transform({"keypoint": kp.copy(), "img_shape": (h, w)})
        ours = PoseCompact(**kwargs)(PoseSample(keypoint=kp, img_shape=(h, w)))
        assert tuple(ours.img_shape) == tuple(ref["img_shape"])
        assert np.array_equal(ours.keypoint, ref["keypoint"])
        if "crop_quadruple" in ref:
            assert ours.meta["crop_quadruple"] == pytest.approx(ref["crop_quadruple"])


def test_prenormalize2d(annotations):
    for i, anno in enumerate(annotations):
        kp, _ = _keypoints(anno, i)
        ref = mm_pose.PreNormalize2D().transform({"keypoint": kp.copy(), "img_shape": anno["img_shape"]})
        ours = PreNormalize2D()(PoseSample(keypoint=kp, img_shape=anno["img_shape"]))
        assert np.array_equal(ours.keypoint, ref["keypoint"])


@pytest.mark.parametrize("seed", range(6))
def test_prenormalize3d(seed):
    rng = np.random.default_rng(seed)
    m = 1 + seed % 2
    kp = rng.normal(size=(m, 12, 25, 3)).astype(np.float32)
    kp[0, rng.random(12) < 0.3] = 0  # frames without the first person
    ref = mm_pose.PreNormalize3D().transform({"keypoint": kp.copy()})
    ours = PreNormalize3D()(PoseSample(keypoint=kp))
    assert ours.keypoint.shape == ref["keypoint"].shape and ours.total_frames == ref["total_frames"]
    assert np.allclose(ours.keypoint, ref["keypoint"], atol=1e-5, rtol=0)
    assert np.allclose(ours.meta["body_center"], ref["body_center"])


@pytest.mark.parametrize("layout", ["coco", "openpose", "nturgb+d"])
def test_joint_to_bone_and_motion(annotations, layout):
    v = {"coco": 17, "openpose": 18, "nturgb+d": 25}[layout]
    for i in range(4):
        rng = np.random.default_rng(100 + i)
        kp = rng.normal(size=(2, 6, v, 3)).astype(np.float32)
        ref = mm_pose.JointToBone(dataset=layout).transform({"keypoint": kp.copy()})["keypoint"]
        assert np.array_equal(JointToBone(layout)(PoseSample(keypoint=kp)).keypoint, ref)
        ref_m = mm_pose.ToMotion(dataset=layout).transform({"keypoint": kp.copy()})["motion"]
        assert np.array_equal(ToMotion(layout)(PoseSample(keypoint=kp)).keypoint, ref_m)


def test_decompress_pose_on_the_fixture_frame_indices(annotations):
    for i, anno in enumerate(annotations):
        rng = np.random.default_rng(i)
        frame_inds = anno["frame_inds"]
        n = len(frame_inds)
        boxes = np.concatenate(
            [rng.uniform(0, 300, size=(n, 17, 2)), rng.uniform(0, 1, size=(n, 17, 1))], axis=-1
        ).astype(np.float16)
        boxes[..., 2] *= anno["box_score"][:, None]
        for max_person in (10, 2):
            ref = mm_pose.DecompressPose(max_person=max_person).transform(
                {
                    "keypoint": boxes.copy(),
                    "frame_inds": frame_inds.copy(),
                    "total_frames": anno["total_frames"],
                }
            )
            kp, score, total = decompress_pose(
                boxes, frame_inds, total_frames=anno["total_frames"], max_person=max_person
            )
            assert total == ref["total_frames"]
            assert np.array_equal(kp, ref["keypoint"].astype(np.float32))
            assert np.array_equal(score, ref["keypoint_score"].astype(np.float32))


def test_format_gcn_input_and_pad_to(annotations):
    for i, anno in enumerate(annotations[:6]):
        kp, score = _keypoints(anno, i, num_frames=8)
        for mode in ("zero", "loop"):
            ref = mm_formatting.FormatGCNInput(num_person=2, mode=mode).transform(
                {"keypoint": kp.copy(), "keypoint_score": score.copy(), "num_clips": 2}
            )["keypoint"]
            ours = FormatGCNInput(num_person=2, mode=mode, num_clips=2)(
                PoseSample(keypoint=kp, keypoint_score=score)
            )
            assert np.array_equal(ours.keypoint, ref)
            ref_pad = mm_pose.PadTo(11, mode=mode).transform(
                {"keypoint": kp.copy(), "total_frames": kp.shape[1]}
            )["keypoint"]
            ours_pad = PadTo(11, mode=mode)(
                PoseSample(keypoint=kp, keypoint_score=score, total_frames=kp.shape[1])
            )
            assert np.array_equal(ours_pad.keypoint, ref_pad)


@pytest.mark.parametrize("seed", range(5))
def test_audio_feature_selector(seed):
    rng = np.random.default_rng(seed)
    length, total = int(rng.integers(20, 400)), int(rng.integers(10, 300))
    clip_len, num_clips = int(rng.integers(1, 64)), int(rng.integers(1, 4))
    feats = rng.random((length, 80)).astype(np.float32)
    inds = np.sort(rng.integers(0, total, size=(num_clips, clip_len)), axis=1).reshape(-1)
    ref = mm_loading.AudioFeatureSelector(fixed_length=128).transform(
        {"audios": feats, "frame_inds": inds, "num_clips": num_clips, "length": length, "total_frames": total}
    )["audios"]
    ours = select_audio_features(feats, inds, total_frames=total, num_clips=num_clips, fixed_length=128)
    assert np.array_equal(ours, ref)


def test_log_mel_against_librosa_filterbank():
    librosa = pytest.importorskip("librosa", reason="librosa is not installed (optional comparison)")
    from vidcore.data.transforms.audio import mel_filterbank

    ref = librosa.filters.mel(sr=16000, n_fft=512, n_mels=80, fmin=125, fmax=7600)
    assert np.allclose(mel_filterbank(16000, 512, 80, 125, 7600), ref, atol=1e-7)
