"""Numerical parity of the audio recognizers (audio TSN-R18, AudioOnly ResNetAudio-50) with
MMAction2 1.2.0: build MMAction2's model from its stock config, re-initialise every float tensor
from a seed, save it as a checkpoint file, convert it through the preset, load it strictly into
ours, and compare logits and test-time aggregated scores on the same log-mel clips in eval mode
(float32, max abs diff <= 1e-4, batch-centred too).

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity/test_audio_parity.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mm_helpers import (
    assert_all_consumed,
    build_mm_model,
    compare,
    count_params,
    reinit_,
    require_mmaction,
    save_and_reload_state_dict,
    strict_load,
)

from vidcore.audio.convert import convert_mmaction_checkpoint
from vidcore.audio.registry import get_model, get_preset

pytestmark = pytest.mark.parity

#: preset -> published parameter count (shared/PARITY.md for TSN-R18; issue 14 for AudioOnly-R50)
CASES = {
    "tsn_r18_64x1x1_kinetics400_audio_feature": 11.38,
    "audioonly_r50_64x1x1_kinetics400_audio_feature": 6.32,
}


@pytest.fixture(autouse=True)
def _threads():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _clips(batch: int, views: int, seed: int) -> torch.Tensor:
    """Log-mel-like clips in [0, 1]: ``(N, V, 128, 80)`` with structure along time and frequency, so
    that samples differ beyond noise."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, 128).view(1, 1, 128, 1)
    f = torch.linspace(0, 1, 80).view(1, 1, 1, 80)
    phase = torch.rand(batch, views, 1, 1, generator=gen) * 6.28
    base = 0.5 + 0.25 * torch.sin(8 * t + 5 * f + phase)
    return (base + 0.2 * torch.rand(batch, views, 128, 80, generator=gen)).clamp(0, 1)


@pytest.mark.parametrize("preset", sorted(CASES))
def test_audio_parity(preset: str, tmp_path: Path) -> None:
    require_mmaction()
    p = get_preset(preset)
    mm = build_mm_model(p.mmaction_config)
    assert count_params(mm) == count_params(get_model(preset)), "parameter counts differ"
    assert round(count_params(mm) / 1e6, 2) == CASES[preset]
    reinit_(mm, seed=3)
    mm.eval()
    source = save_and_reload_state_dict(mm, tmp_path / "mm.pth")
    converted = convert_mmaction_checkpoint(tmp_path / "mm.pth", preset)
    assert_all_consumed(source, converted)
    ours = get_model(preset).eval()
    strict_load(ours, converted)

    views = p.test_num_clips if p.test_num_clips > 1 else 2
    clips = _clips(2, views, seed=7)  # (N, V, T, F)
    x = clips.reshape(-1, 1, 128, 80)  # MMAction2's NCTF after RecognizerAudio folds the views
    with torch.no_grad():
        # RecognizerAudio folds (N, V, 1, T, F) into (N*V, 1, T, F); mode="tensor" stops at the backbone
        theirs_feats = mm(clips.unsqueeze(2), mode="tensor")
        feats = compare(ours.forward_features(x), theirs_feats)
        theirs_logits = mm.cls_head(theirs_feats)  # (N*V, K)
        ours_logits = ours(x)
        stats = compare(ours_logits, theirs_logits)
        # test-time aggregation: MMAction2's head averages the softmax over the views
        theirs_scores = mm.cls_head.average_clip(theirs_logits, num_segs=views)
        ours_scores = ours.predict(clips)
        agg = compare(ours_scores, theirs_scores, atol=1e-6, rtol_centred=1e-2)
    print(f"{preset}: features {feats}, logits {stats}, aggregated {agg}")
