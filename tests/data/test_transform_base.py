"""The one transform base and the one rng rule shared by video, pose and audio transforms and samplers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from vidcore.data import samplers
from vidcore.data import transforms as T
from vidcore.data.transforms import audio as A
from vidcore.data.transforms import pose as P
from vidcore.data.transforms.base import Compose, Transform, as_generator
from vidcore.data.types import AudioSample, PoseSample, VideoSample


def _pose(seed: int = 0) -> PoseSample:
    rng = np.random.default_rng(seed)
    kp = rng.uniform(1, 60, size=(2, 4, 17, 2)).astype(np.float32)  # (M, T, V, 2) pixels, none missing
    score = rng.uniform(0, 1, size=(2, 4, 17)).astype(np.float32)
    return PoseSample(keypoint=kp, keypoint_score=score, img_shape=(64, 80), total_frames=4)


@pytest.mark.parametrize(
    "cls",
    [T.VideoTransform, P.PoseTransform, A.AudioTransform, P.FormatHeatmapShape, P.PoseDecode, T.Compose],
)
def test_every_transform_family_derives_from_the_one_base(cls):
    assert issubclass(cls, Transform)
    assert T.Compose is Compose


def test_one_rng_rule_everywhere():
    # the pose package and the samplers carry no copy of their own
    assert not hasattr(P, "_as_generator")
    assert not hasattr(samplers, "_generator")
    assert samplers.as_generator is as_generator is T.as_generator


def test_as_generator_rule():
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert as_generator(7).integers(1 << 30) == np.random.default_rng(7).integers(1 << 30)
    assert as_generator(np.int64(7)).integers(1 << 30) == np.random.default_rng(7).integers(1 << 30)
    a = as_generator(torch.Generator().manual_seed(5)).integers(1 << 30)
    b = as_generator(torch.Generator().manual_seed(5)).integers(1 << 30)
    assert a == b
    torch.manual_seed(11)
    a = as_generator(None).integers(1 << 30)
    torch.manual_seed(11)
    assert as_generator(None).integers(1 << 30) == a
    for bad in (True, "3", 1.5):
        with pytest.raises(TypeError, match="rng must be"):
            as_generator(bad)


def test_compose_drives_a_pose_pipeline_like_its_parts():
    sample = _pose()
    flip, resize = P.PoseFlip(0.5), P.PoseResize((32, 40))
    out = Compose([flip, resize])(sample, rng=4)
    gen = np.random.default_rng(4)
    expected = resize.apply(flip.apply(sample, flip.make_params(sample, gen)))
    np.testing.assert_array_equal(out.keypoint, expected.keypoint)
    assert out.meta["flip"] == expected.meta["flip"]
    assert out.img_shape == (32, 40)


def test_deterministic_transforms_and_test_mode_samplers_leave_torch_rng_alone():
    state = torch.get_rng_state()
    P.PreNormalize2D()(_pose())
    P.PoseResize((32, 40))(_pose())
    A.LogMelSpectrogram()(AudioSample(audio=np.zeros(4000, np.float32), sample_rate=16000))
    samplers.sample_frames(50, clip_len=4, num_clips=3, test_mode=True)
    samplers.dense_sample(200, clip_len=4, num_clips=2, test_mode=True)
    assert torch.equal(torch.get_rng_state(), state)
    # a random one called without rng does draw its seed from torch's global generator
    P.PoseFlip(0.5)(_pose())
    assert not torch.equal(torch.get_rng_state(), state)


def test_wrong_input_type_names_the_transform():
    with pytest.raises(TypeError, match="PoseFlip: expected a PoseSample, got VideoSample"):
        P.PoseFlip(0.5)(VideoSample(video=torch.zeros(1, 3, 4, 4, dtype=torch.uint8)))
    with pytest.raises(TypeError, match="LogMelSpectrogram: expected an AudioSample, got PoseSample"):
        A.LogMelSpectrogram()(_pose())
    with pytest.raises(TypeError, match="FormatHeatmapShape: expected a HeatmapSample"):
        P.FormatHeatmapShape()(_pose())


def test_audio_feature_selector_apply_equals_call():
    feats = np.arange(40, dtype=np.float32).reshape(20, 2)  # (L, F)
    sample = AudioSample(audio=feats)
    sel = A.AudioFeatureSelector(fixed_length=8)
    called = sel(sample, [0, 1, 2, 3], total_frames=10)
    applied = sel.apply(sample, {"frame_inds": [0, 1, 2, 3], "total_frames": 10, "num_clips": 1})
    np.testing.assert_array_equal(called.audio, applied.audio)
    # clip frames 0..3 of 10 cover rows round(1/10*20)=2 to round(4/10*20)=8
    np.testing.assert_array_equal(called.audio[0, :6], feats[2:8])


def test_samplers_import_without_torch():
    code = "import sys, vidcore.data.samplers as s; s.tsn_sample(30, 3, rng=1); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
