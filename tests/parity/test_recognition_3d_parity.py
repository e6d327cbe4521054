"""Numerical parity of the 3D recognition models with MMAction2 1.2.0 (see shared/PARITY.md).

For each architecture: build MMAction2's recognizer from its stock config, re-initialise every
float parameter and buffer from a seed, save its state dict as a checkpoint file, convert it with
the preset's converter, load it strictly into our model, and compare the logits of both in eval
mode on the same random input (raw and batch-centred, max abs diff <= 1e-4 in float32). The
temporal length is the config's; the spatial size is small to keep CPU time low. Parameter counts
must equal MMAction2's and the numbers measured on its stock configs.

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity -k 3d``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    input_shape: tuple[int, ...]  # (N, C, T, H, W); for 2D models (N, T, C, H, W)
    params_m: float | None  # MMAction2's parameter count on the stock config, in millions
    overrides: dict[str, Any] = field(default_factory=dict)  # MMAction2 backbone config overrides
    # Scale of the re-initialised non-local theta/phi weights: dot-product affinities are not
    # normalised by a softmax, and with unit-scale random weights five such blocks overflow float32.
    nl_embed_scale: float = 1.0


CASES = [
    Case("i3d_r50_32x2x1_kinetics400", (2, 3, 32, 64, 64), 28.04),
    Case("i3d_r50_nl_embedded_gaussian_32x2x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("i3d_r50_nl_dot_product_32x2x1_kinetics400", (2, 3, 32, 64, 64), None, nl_embed_scale=0.05),
    Case("i3d_r50_nl_gaussian_32x2x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("c2d_r50_16x4x1_kinetics400", (2, 3, 16, 64, 64), 24.33),
    Case("slowonly_r101_8x8x1_kinetics400", (2, 3, 8, 64, 64), None),
    Case("slowonly_r50_nl_embedded_gaussian_8x8x1_kinetics400", (2, 3, 8, 64, 64), None),
    Case("slowfast_r101_8x8x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("ircsn_r50_ig65m_bnfrozen_32x2x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("c2d_r50_8x8x1_kinetics400", (2, 3, 8, 64, 64), 24.33),
    Case("slowonly_r50_8x8x1_kinetics400", (2, 3, 8, 64, 64), 32.45),
    Case("slowonly_r50_4x16x1_kinetics400", (2, 3, 4, 64, 64), 32.45),
    Case("c3d_sports1m_16x1x1_ucf101", (2, 3, 16, 112, 112), 78.41),
    Case("r2plus1d_r34_8x8x1_kinetics400", (2, 3, 8, 64, 64), 63.76),
    Case("slowfast_r50_4x16x1_kinetics400", (2, 3, 32, 64, 64), 34.48),
    Case("slowfast_r50_8x8x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("x3d_s_13x6x1_kinetics400", (2, 3, 13, 64, 64), 3.79),
    Case("x3d_m_16x5x1_kinetics400", (2, 3, 16, 64, 64), 3.79),
    Case("ipcsn_r152_32x2x1_kinetics400", (2, 3, 32, 64, 64), 33.02),
    Case("ircsn_r152_32x2x1_kinetics400", (2, 3, 32, 64, 64), None),
    Case("tpn_slowonly_r50_8x8x1_kinetics400", (2, 3, 8, 64, 64), 91.50),
    Case("tpn_tsm_r50_1x1x8_sthv1", (2, 8, 3, 64, 64), 82.45),
]


def _mm_forward(model: torch.nn.Module, x: torch.Tensor, layout: str) -> torch.Tensor:
    # MMAction2's Recognizer3D takes (N, num_views, C, T, H, W); its Recognizer2D (N, T, C, H, W).
    return model(x.unsqueeze(1) if layout == "NCTHW" else x, mode="tensor", stage="head")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.preset)
def test_3d_parity(case: Case, tmp_path: Any) -> None:
    require_mmaction()
    preset = get_preset(case.preset)
    assert preset.mmaction_config is not None and preset.convert_mmaction is not None
    mm = build_mm_model(preset.mmaction_config, **case.overrides)
    reinit_(mm, seed=1234)
    if case.nl_embed_scale != 1.0:
        with torch.no_grad():
            for name, p in mm.named_parameters():
                if ".theta." in name or ".phi." in name:
                    p.mul_(case.nl_embed_scale)
    source = save_and_reload_state_dict(mm, tmp_path / "mmaction.pth", remove=True)

    ours = preset.builder(num_classes=preset.num_classes).eval()
    converted = preset.convert_mmaction(dict(source))
    # Flattened: C2D's converter reshapes 2D kernels to 1xkxk (strict_load checks the shapes).
    assert_all_consumed(
        {k: v.flatten() for k, v in source.items()}, {k: v.flatten() for k, v in converted.items()}
    )
    strict_load(ours, converted)  # every converted tensor has a home, every parameter a source

    n_ours, n_mm = count_params(ours), count_params(mm)
    assert n_ours == n_mm
    if case.params_m is not None:
        assert round(n_ours / 1e6, 2) == case.params_m

    gen = torch.Generator().manual_seed(7)
    x = torch.randn(case.input_shape, generator=gen)
    with torch.no_grad():
        theirs = _mm_forward(mm, x, preset.input_layout)
        if preset.input_layout == "NCHW":
            n, t = x.shape[:2]
            mine = ours(x.reshape(n * t, *x.shape[2:]), t)  # (N, T, C, H, W) -> (N*T, C, H, W)
        else:
            mine = ours(x)
    stats = compare(mine, theirs)
    RESULTS[case.preset] = {**stats, "params_ours": n_ours, "params_mm": n_mm}
    print(f"\n{case.preset}: {stats} params {n_ours} (MMAction2 {n_mm})")


@pytest.mark.parametrize("preset_name", ["tpn_slowonly_r50_8x8x1_kinetics400", "tpn_tsm_r50_1x1x8_sthv1"])
def test_tpn_aux_head_parity(preset_name: str, tmp_path: Any) -> None:
    """TPN's auxiliary head never reaches the eval logits: compare it on its own."""
    require_mmaction()
    preset = get_preset(preset_name)
    mm = build_mm_model(preset.mmaction_config)
    reinit_(mm, seed=99)
    source = save_and_reload_state_dict(mm, tmp_path / "mmaction.pth", remove=True)
    ours = preset.builder(num_classes=preset.num_classes).eval()
    strict_load(ours, preset.convert_mmaction(dict(source)))
    x = torch.randn((2, 1024, 8, 4, 4), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        theirs = mm.neck.aux_head(x)
        mine = ours.neck.aux_head(x)
    compare(mine, theirs)
