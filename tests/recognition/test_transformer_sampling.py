"""UniformSample presets (UniFormerV2, MViTv2 on Something-Something V2): their pipelines sample
with :func:`vidcore.data.samplers.uniform_sample`, checked against hand-computed indices.

That each preset's MMAction2 config uses ``UniformSample`` (and with the same test clips) is
checked in tests/parity/test_transformer_sampling_parity.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from vidcore.recognition.pipelines import test_pipeline, train_pipeline, val_pipeline
from vidcore.recognition.registry import get_preset, list_presets


def test_uniformerv2_and_mvit_sthv2_presets_use_uniform_sample() -> None:
    chosen = {p.name for p in list_presets() if p.sampling == "uniform_sample"}
    uniformerv2 = {p.name for p in list_presets() if p.name.startswith("uniformerv2_")}
    assert uniformerv2 and uniformerv2 <= chosen
    assert {"mvit_small_p244_k400_pre_u16_sthv2", "mvit_base_p244_u32_sthv2", "mvit_large_p244_u40_sthv2"} <= chosen
    assert get_preset("mvit_small_p244_16x4x1_kinetics400").sampling == "uniform"  # SampleFrames there
    assert all("not express" not in (get_preset(n).notes or "") for n in chosen)


def test_uniformerv2_test_views_by_hand() -> None:
    preset = get_preset("uniformerv2_base_p16_res224_clip_u8_kinetics400")
    pipe = test_pipeline(preset)
    assert (pipe.num_views, pipe.views, pipe.frames_per_view) == (4, 12, 8)
    # 100 frames, 8 segments of 99/8 = 12.375: starts 0 12 25 37 50 62 74 87 (49.5 -> 50, half to
    # even); 4 clips shift by int(k * 12.375 / 5) for k = 1..4: 2, 4, 7, 9.
    starts = np.array([0, 12, 25, 37, 50, 62, 74, 87])
    expected = np.concatenate([starts + s for s in (2, 4, 7, 9)])
    np.testing.assert_array_equal(pipe.sampler(100), expected)
    # validation: one clip, int(12.375 / 2) = 6 into each segment
    np.testing.assert_array_equal(val_pipeline(preset).sampler(100), starts + 6)


def test_uniform_sample_training_clips_are_one_frame_per_segment() -> None:
    pipe = train_pipeline(get_preset("mvit_small_p244_k400_pre_u16_sthv2"))
    assert pipe.frames_per_view == 16
    torch.manual_seed(0)
    draws = np.stack([pipe.sampler(49) for _ in range(200)])  # 48/16 = 3 frames per segment
    assert draws.shape == (200, 16)
    for i, col in enumerate(draws.T):  # position i draws from 3i .. 3i + 3, every frame of it
        assert set(col.tolist()) == set(range(3 * i, 3 * i + 4)), i
    torch.manual_seed(0)
    np.testing.assert_array_equal(pipe.sampler(49), draws[0])  # torch's seed fixes the clip


def test_uniform_sample_needs_a_3d_preset_and_sampling_names_are_checked() -> None:
    tsn = get_preset("tanet_r50_1x1x8_kinetics400")  # a 2D (NCHW) preset
    with pytest.raises(ValueError, match="3D preset"):
        replace(tsn, sampling="uniform_sample")
    with pytest.raises(ValueError, match="sampling must be"):
        replace(get_preset("uniformerv2_base_p16_res224_clip_u8_kinetics400"), sampling="uniformsample")  # type: ignore[arg-type]
