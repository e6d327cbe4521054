"""Numerical parity of Video Swin, MViTv2 and UniFormer (V1) with MMAction2 1.2.0 (shared/PARITY.md).

For every preset: build MMAction2's recognizer from the stock config, re-initialise every float
parameter and buffer from a seed, save its state dict as a checkpoint file, convert it with the
preset's converter, check that every source tensor reappears unchanged (the relative-position
index buffers of Swin, which vidcore rebuilds, are compared with MMAction2's instead), load it
strictly into our model, and compare the logits of both in eval mode, float32, on the same random
input (raw and batch-centred, max abs diff <= 1e-4). Inputs are smaller than the configs' 224
crops where the architecture allows (the Swin windows shrink, MViT interpolates its relative
position tables; both code paths are MMAction2's too) to keep CPU time low.

Run with the MMAction2 environment:
``/work/mmenv/bin/python -m pytest tests/parity/test_recognition_swin_mvit_parity.py -q -s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

from vidcore.recognition.registry import get_preset

pytestmark = pytest.mark.parity

RESULTS: dict[str, dict[str, float]] = {}


@dataclass(frozen=True)
class Case:
    preset: str
    input_shape: tuple[int, ...]  # (N, C, T, H, W)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.preset}{'-' + self.label if self.label else ''}"


CASES = [
    # 32 frames -> 16 temporal tokens: two temporal windows, so the temporal shift is exercised;
    # 64 pixels -> 16x16 tokens: padded 7x7 windows in stage 1-2, shrunken windows in stage 3-4.
    Case("swin_tiny_p244_w877_32x2x1_kinetics400", (2, 3, 32, 64, 64)),
    Case("swin_small_p244_w877_32x2x1_kinetics400", (2, 3, 32, 64, 64)),
    Case("swin_base_p244_w877_32x2x1_kinetics400", (2, 3, 32, 64, 64)),
    Case("swin_large_p244_w877_32x2x1_kinetics400", (2, 3, 16, 64, 64)),
    Case("swin_large_p244_w877_32x2x1_kinetics700", (2, 3, 16, 64, 64)),
    Case("swin_small_p244_w877_32x2x1_kinetics710", (2, 3, 16, 64, 64)),
    # 64 pixels: MMAction2 and vidcore interpolate the relative position tables (sized for 224).
    Case("mvit_small_p244_16x4x1_kinetics400", (2, 3, 16, 64, 64)),
    # The configured input: the tables are used as they are.
    Case("mvit_small_p244_16x4x1_kinetics400", (2, 3, 16, 224, 224), "full-size"),
    Case("mvit_small_p244_k400_maskfeat_pre_16x4x1_kinetics400", (2, 3, 16, 64, 64)),
    Case("mvit_small_p244_k400_pre_u16_sthv2", (2, 3, 16, 64, 64)),
    Case("mvit_base_p244_32x3x1_kinetics400", (2, 3, 32, 64, 64)),
    Case("mvit_base_p244_u32_sthv2", (2, 3, 32, 64, 64)),
    Case("mvit_large_p244_40x3x1_kinetics400", (2, 3, 8, 64, 64)),
    Case("mvit_large_p244_u40_sthv2", (2, 3, 8, 64, 64)),
    Case("uniformer_small_16x4x1_kinetics400", (2, 3, 16, 64, 64)),
    Case("uniformer_base_16x4x1_kinetics400", (2, 3, 16, 64, 64)),
    Case("uniformer_base_32x4x1_kinetics400", (2, 3, 32, 64, 64)),
]


def _mm_forward(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    # MMAction2's Recognizer3D takes (N, num_views, C, T, H, W).
    return model(x.unsqueeze(1), mode="tensor", stage="head")


def _rebuilt(source: dict[str, torch.Tensor]) -> list[str]:
    """Fixed buffers vidcore rebuilds instead of loading (Swin's relative-position index)."""
    return [k for k in source if k.endswith(".relative_position_index")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_parity(case: Case, tmp_path: Any) -> None:
    require_mmaction()
    torch.manual_seed(0)
    preset = get_preset(case.preset)
    assert preset.mmaction_config is not None and preset.convert_mmaction is not None
    mm = build_mm_model(preset.mmaction_config)
    rebuilt = _rebuilt(dict(mm.state_dict()))
    reinit_(mm, seed=1234, skip=rebuilt)
    source = save_and_reload_state_dict(mm, tmp_path / "mmaction.pth", remove=True)

    ours = preset.builder(num_classes=preset.num_classes).eval()
    converted = preset.convert_mmaction(dict(source))
    assert_all_consumed(source, converted, dropped=rebuilt)
    strict_load(ours, converted)  # every converted tensor has a home, every parameter a source
    own_buffers = dict(ours.named_buffers())
    for key in rebuilt:  # the rebuilt index equals MMAction2's
        ours_key = "head." + key[len("cls_head.") :] if key.startswith("cls_head.") else key
        assert torch.equal(own_buffers[ours_key], source[key]), key

    n_ours, n_mm = count_params(ours), count_params(mm)
    assert n_ours == n_mm

    x = torch.randn(case.input_shape, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        theirs = _mm_forward(mm, x)
        mine = ours(x)
    stats = compare(mine, theirs)
    RESULTS[case.id] = {**stats, "params": n_ours}
    print(f"\n{case.id}: {stats} params {n_ours}")
