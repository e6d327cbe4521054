"""CenterBody2D (the synthetic preset's normalisation): coordinates around each person's mean visible
joint in PreNormalize2D's units, missing joints at 0, checked against values computed by hand; the
synthetic preset's pipeline uses it, the NTU 2D presets keep MMAction2's PreNormalize2D."""

from __future__ import annotations

import numpy as np
import pytest

from vidcore.data.transforms.pose import PreNormalize2D
from vidcore.data.types import PoseSample
from vidcore.skeleton.datasets import CenterBody2D, build_pipeline
from vidcore.skeleton.registry import get_preset


def _sample(with_score: bool) -> PoseSample:
    kp = np.zeros((2, 2, 3, 2), np.float32)  # (M, T, V, C); person 1 is padding (all zero)
    kp[0, 0] = [[100, 50], [120, 60], [0, 0]]  # joint 2 missing in frame 0
    kp[0, 1] = [[110, 40], [130, 70], [140, 80]]
    score = (kp.sum(-1) > 0).astype(np.float32) * 0.9 if with_score else None
    return PoseSample(keypoint=kp, keypoint_score=score, img_shape=(100, 200))


@pytest.mark.parametrize("with_score", [True, False])
def test_centred_on_the_visible_joints_by_hand(with_score: bool) -> None:
    out = CenterBody2D().apply(_sample(with_score)).keypoint
    # visible: 5 joints, centre (600 / 5, 300 / 5) = (120, 60) px; units W/2 = 100, H/2 = 50
    expected = np.array([[[-0.2, -0.2], [0.0, 0.0], [0.0, 0.0]], [[-0.1, -0.4], [0.1, 0.2], [0.2, 0.4]]])
    np.testing.assert_allclose(out[0], expected, atol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)  # a person never seen stays at 0


def test_differs_from_prenormalize2d_by_the_centre_alone() -> None:
    sample = _sample(True)
    frame = PreNormalize2D().apply(sample).keypoint[0, 1]  # all joints visible in frame 1
    centred = CenterBody2D().apply(sample).keypoint[0, 1]
    # PreNormalize2D's origin is the image centre (100, 50) px; ours (120, 60) px = (0.2, 0.2) in those units
    np.testing.assert_allclose(frame - centred, np.broadcast_to([0.2, 0.2], frame.shape), atol=1e-6)


def test_the_synthetic_preset_centres_and_ntu_keeps_mmaction2s_normalisation() -> None:
    steps = build_pipeline(get_preset("stgcn_joint_synth_coco_2d"), test_mode=True)[1].transforms
    assert isinstance(steps[0], CenterBody2D)
    steps = build_pipeline(get_preset("stgcn_joint_80e_ntu60_xsub_keypoint_2d"), test_mode=True)[1].transforms
    assert isinstance(steps[0], PreNormalize2D)
