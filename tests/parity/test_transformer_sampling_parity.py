"""Transformer presets sample frames as their MMAction2 config does: ``sampling="uniform_sample"``
exactly where the config's training pipeline uses ``UniformSample``, with its ``clip_len``, and
the test pipeline's ``UniformSample(num_clips)`` equal to the preset's test clips. The sampler's
indices themselves are checked against MMAction2's transform in test_data_parity.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from mm_helpers import load_mm_config, require_mmaction

from vidcore.recognition.registry import get_preset, list_presets

FAMILIES = ("timesformer_", "swin_", "videomae", "mvit_", "uniformer_", "uniformerv2_")
NAMES = sorted(p.name for p in list_presets() if p.name.startswith(FAMILIES) and p.mmaction_config)


def _sampler(pipeline: Any) -> dict[str, Any]:
    for step in pipeline:
        if step["type"] in ("UniformSample", "SampleFrames"):
            return dict(step)
    raise AssertionError(f"no frame sampler in {[s['type'] for s in pipeline]}")


@pytest.mark.parametrize("name", NAMES)
def test_preset_sampling_follows_the_config(name: str) -> None:
    require_mmaction()
    preset = get_preset(name)
    cfg = load_mm_config(preset.mmaction_config)
    pipelines = [cfg[k] for k in ("train_pipeline", "test_pipeline") if k in cfg]
    if not pipelines:
        # the config ships the model only (UniFormerV2 clip-pre K710): the family's sampling
        assert name.startswith("uniformerv2_") and preset.sampling == "uniform_sample"
        return
    first = _sampler(pipelines[0])  # training's sampler, or the test one (inference-only configs)
    uniform = first["type"] == "UniformSample"
    assert (preset.sampling == "uniform_sample") == uniform, (preset.sampling, first)
    assert preset.clip_len == first["clip_len"]
    if uniform and "test_pipeline" in cfg:
        test = _sampler(cfg.test_pipeline)
        assert test["type"] == "UniformSample" and test.get("test_mode", False)
        assert preset.test_num_clips == test.get("num_clips", 1)
