"""Numerical parity of the ViT-based recognizers (VideoMAE / VideoMAE V2, TimeSformer, UniFormerV2)
with MMAction2 1.2.0 (see shared/PARITY.md).

For each preset: build MMAction2's recognizer from the preset's stock config, re-initialise every
float parameter and buffer from a seed (VideoMAE's sinusoidal table included, so its mapping is
checked too), save it as a checkpoint file, convert it with the preset's converter, load it
strictly into ours and compare the logits in eval mode, float32, on the same random input
(max abs diff <= 1e-4, raw and batch-centred).

Input sizes. VideoMAE accepts any frame size (it resizes its position table bicubically, as
MMAction2 does): its stock models run on 16 x 64 x 64 clips, and ViT-S also at the full
16 x 224 x 224. TimeSformer and UniFormerV2 fix the frame size (and UniFormerV2 the frame count)
in their position tables, so MMAction2's stock config is built with only ``img_size`` /
``input_resolution`` / ``t_size`` overridden (width, depth, heads, head untouched) and ours with the
same sizes through the family's recognizer function; that the preset is that function at the
stock sizes is checked separately (same parameter names and shapes on the meta device), and the
full-size TimeSformer divST is compared as well.

Where MMAction2's attention math differs from ours (SDPA): VideoMAE scales q before q·kᵀ and
writes the softmax out; TimeSformer and UniFormerV2's local blocks use ``nn.MultiheadAttention``;
UniFormerV2's global blocks write ``softmax(q kᵀ / √d) v`` out. All are the same function; the
measured differences are printed per preset (``-s``) and are ~1e-6 relative.

Run with the MMAction2 environment:
``/work/mmenv/bin/python -m pytest tests/parity/test_recognition_transformer_parity.py -s``.
"""

from __future__ import annotations

from collections.abc import Callable
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
from torch import nn

from vidcore.recognition.registry import get_preset, list_presets

pytestmark = pytest.mark.parity

RESULTS: dict[str, dict[str, float]] = {}


@dataclass(frozen=True)
class Case:
    preset: str
    input_shape: tuple[int, ...]  # (N, C, T, H, W)
    mm_overrides: dict[str, Any] = field(default_factory=dict)  # MMAction2 backbone size overrides
    ours: Callable[[], nn.Module] | None = None  # our model at those sizes (None: the preset's builder)
    stock: Callable[[], nn.Module] | None = None  # the same function at the stock sizes (= the preset)
    label: str = ""


def _videomae_cases() -> list[Case]:
    names = [p.name for p in list_presets() if p.name.startswith("videomae") and p.mmaction_config]  # not the synth ViT
    cases = [Case(n, (2, 3, 16, 64, 64)) for n in names]
    cases.append(Case("videomaev2_vit_small_p16_16x4x1_kinetics400", (2, 3, 16, 224, 224), label="224"))
    return cases


def _timesformer_cases() -> list[Case]:
    from vidcore.recognition.models.timesformer import timesformer_recognizer

    kinds = {"divst": "divided_space_time", "jointst": "joint_space_time", "spaceonly": "space_only"}
    cases = []
    for p in list_presets():
        if not p.name.startswith("timesformer_"):
            continue
        kind = kinds[p.name.split("_")[1]]
        cases.append(
            Case(
                p.name,
                (2, 3, 8, 64, 64),
                {"img_size": 64},
                ours=lambda kind=kind, k=p.num_classes: timesformer_recognizer(kind, k, img_size=64),
                stock=lambda kind=kind, k=p.num_classes: timesformer_recognizer(kind, k),
            )
        )
    cases.append(Case("timesformer_divst_8x32x1_kinetics400", (2, 3, 8, 224, 224), label="224"))
    return cases


def _uniformerv2_cases() -> list[Case]:
    from vidcore.recognition.models.uniformerv2 import uniformerv2_recognizer

    cases = []
    for p in list_presets():
        if not p.name.startswith("uniformerv2_"):
            continue
        size = "base" if "_base_" in p.name else "large"
        patch = 16 if size == "base" else 14
        res, frames = 3 * patch, 4  # a 3x3 grid of patches, 4 frames
        cases.append(
            Case(
                p.name,
                (2, 3, frames, res, res),
                {"input_resolution": res, "t_size": frames},
                ours=lambda s=size, k=p.num_classes, r=res, t=frames: uniformerv2_recognizer(s, k, res=r, frames=t),
                stock=lambda s=size, k=p.num_classes, r=p.crop_size, t=p.clip_len: uniformerv2_recognizer(
                    s, k, res=r, frames=t
                ),
            )
        )
    return cases


def _cases() -> list[Case]:
    try:
        return _videomae_cases() + _timesformer_cases() + _uniformerv2_cases()
    except Exception:  # the registry cannot be read: let the single case below report it
        return []


CASES = _cases()


def _mm_forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    # MMAction2's Recognizer3D takes (N, num_views, C, T, H, W).
    return model(x.unsqueeze(1), mode="tensor", stage="head")


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.preset + (f"-{c.label}" if c.label else ""))
def test_transformer_parity(case: Case, tmp_path: Any) -> None:
    require_mmaction()
    preset = get_preset(case.preset)
    assert preset.mmaction_config is not None and preset.convert_mmaction is not None
    if case.stock is not None:
        # the preset is the family function at the stock sizes: same tensors, same shapes
        with torch.device("meta"):
            assert _shapes(case.stock()) == _shapes(preset.builder(num_classes=preset.num_classes))
    torch.manual_seed(0)
    mm = build_mm_model(preset.mmaction_config, **case.mm_overrides)
    reinit_(mm, seed=1234)
    source = save_and_reload_state_dict(mm, tmp_path / "mmaction.pth", remove=True)
    converted = preset.convert_mmaction(dict(source))
    assert_all_consumed(source, converted)
    ours = (case.ours() if case.ours is not None else preset.builder(num_classes=preset.num_classes)).eval()
    strict_load(ours, converted)  # every converted tensor has a home, every parameter a source
    assert count_params(ours) == count_params(mm)

    x = torch.randn(case.input_shape, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        theirs = _mm_forward(mm, x)
        mine = ours(x)
    stats = compare(mine, theirs)
    RESULTS[case.preset + case.label] = stats
    print(f"\n{case.preset}{' ' + case.label if case.label else ''} {tuple(x.shape)}: "
          f"max|diff| {stats['max_abs']:.3g} (output scale {stats['scale']:.3g})")  # fmt: skip


def test_cases_cover_every_transformer_preset() -> None:
    families = ("videomae", "timesformer_", "uniformerv2_")
    names = {p.name for p in list_presets() if p.name.startswith(families) and p.mmaction_config}
    assert names and names == {c.preset for c in CASES}


def test_videomae_sinusoid_table_equals_mmaction2() -> None:
    """Our rebuilt position table (loaded over from checkpoints anyway) is MMAction2's, bit for bit."""
    require_mmaction()
    from mmaction.models.backbones.vit_mae import get_sinusoid_encoding

    from vidcore.recognition.models.videomae import videomae_vit

    for size, dim in (("small", 384), ("base", 768)):
        ours = videomae_vit(size).pos_embed
        assert torch.equal(ours, get_sinusoid_encoding(1568, dim))


def test_uniformerv2_local_mhra_parity(tmp_path: Any) -> None:
    """The LMHRA path (off in every MMAction2 config) against MMAction2 with ``no_lmhra=False``."""
    require_mmaction()
    from vidcore.recognition.models.uniformerv2 import UniFormerV2

    preset = get_preset("uniformerv2_base_p16_res224_clip_u8_kinetics400")
    mm = build_mm_model(
        preset.mmaction_config, input_resolution=48, t_size=4, layers=4, return_list=[2, 3], n_layers=2,
        mlp_dropout=[0.5, 0.5], no_lmhra=False, double_lmhra=True,
    )  # fmt: skip
    reinit_(mm, seed=5)
    source = save_and_reload_state_dict(mm, tmp_path / "mmaction.pth", remove=True)
    ours = preset.builder(num_classes=400)
    ours.backbone = UniFormerV2(
        input_resolution=48, patch_size=16, width=768, layers=4, heads=12, num_frames=4, return_list=(2, 3),
        mlp_dropout=(0.5, 0.5), lmhra=True, double_lmhra=True,
    )  # fmt: skip
    ours.eval()
    converted = preset.convert_mmaction(dict(source))
    assert_all_consumed(source, converted)
    strict_load(ours, converted)
    x = torch.randn((2, 3, 4, 48, 48), generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        stats = compare(ours(x), _mm_forward(mm, x))
    print(f"\nuniformerv2 with LMHRA: max|diff| {stats['max_abs']:.3g} (output scale {stats['scale']:.3g})")
