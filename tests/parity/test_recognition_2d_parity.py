"""Numerical parity of the 2D recognizers (TSN, TSM, TIN, TANet, TRN, MobileNetV2-TSM) with
MMAction2 1.2.0: build MMAction2's model from its stock config, re-initialise it from a seed,
save its state dict as a checkpoint file, convert it, load it strictly into ours, and compare
logits on the same random input in eval mode (float32, max abs diff <= 1e-4, batch-centred too).

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity -q``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
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

from vidcore.recognition.convert import convert_mmaction_checkpoint
from vidcore.recognition.models.tsm import convert_mmaction_tsm, tsm_resnet
from vidcore.recognition.models.tsn import convert_mmaction_tsn, tsn_resnet
from vidcore.recognition.registry import get_model, get_preset

pytestmark = pytest.mark.parity

CFG = "recognition/"


@dataclass(frozen=True)
class Case:
    """One architecture: a preset (ours and its converter) or an explicit variant of one."""

    name: str
    config: str
    preset: str | None = None  # registered preset; else ``build`` + ``convert`` give the variant
    build: Callable[[], torch.nn.Module] | None = None
    convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    segments: int = 8
    params_m: float | None = None  # published parameter count (PARITY.md), millions
    mm_backbone: dict[str, Any] = field(default_factory=dict)  # overrides of the config's backbone
    mm_head: dict[str, Any] = field(default_factory=dict)
    seed_numpy: bool = False  # TRN draws relations with np.random on every forward
    tame_non_local: bool = False  # shrink the non-local embeddings so activations stay finite
    patch_tin_shift: bool = False  # MMAction2's TIN needs MMCV's compiled op: substitute a transcription
    size: int = 64
    batch: int = 2


_TSN = CFG + "tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_kinetics400-rgb.py"
_TSM = CFG + "tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py"
_TSM_NL = CFG + "tsm/tsm_imagenet-pretrained-r50-nl-{}_8xb16-1x1x8-50e_kinetics400-rgb.py"

CASES = [
    Case("tsn_r50", _TSN, "tsn_r50_1x1x3_kinetics400", segments=3, params_m=24.33),
    Case(
        "tsn_r34", _TSN, build=lambda: tsn_resnet(34, num_classes=400, num_segments=3), convert=convert_mmaction_tsn,
        segments=3, mm_backbone={"depth": 34}, mm_head={"in_channels": 512},
    ),
    Case("tsm_r50", _TSM, "tsm_r50_1x1x8_kinetics400", params_m=24.33),
    Case(
        "tsm_r18", _TSM, "tsm_r18_1x1x8_kinetics400", mm_backbone={"depth": 18}, mm_head={"in_channels": 512}
    ),
    Case(
        "tsm_r50_shift_block", _TSM, build=lambda: tsm_resnet(50, num_classes=400, shift_place="block"),
        convert=convert_mmaction_tsm, mm_backbone={"shift_place": "block"},
    ),
    Case(
        "tsm_r50_temporal_pool", _TSM, build=lambda: tsm_resnet(50, num_classes=400, temporal_pool=True),
        convert=convert_mmaction_tsm, mm_backbone={"temporal_pool": True}, mm_head={"temporal_pool": True},
    ),
    Case("tsm_r50_nl_embedded_gaussian", _TSM_NL.format("embedded-gaussian"),
         "tsm_r50_nl_embedded_gaussian_1x1x8_kinetics400", tame_non_local=True),
    Case("tsm_r50_nl_dot_product", _TSM_NL.format("dot-product"),
         "tsm_r50_nl_dot_product_1x1x8_kinetics400", tame_non_local=True),
    Case("tsm_r50_nl_gaussian", _TSM_NL.format("gaussian"),
         "tsm_r50_nl_gaussian_1x1x8_kinetics400", tame_non_local=True),
    Case("tsm_r101", CFG + "tsm/tsm_imagenet-pretrained-r101_8xb16-1x1x8-50e_sthv2-rgb.py",
         "tsm_r101_1x1x8_sthv2", size=32),
    Case("tsm_mobilenetv2", CFG + "tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py",
         "tsm_mobilenetv2_1x1x8_kinetics400"),
    Case("tin_r50", CFG + "tin/tin_imagenet-pretrained-r50_8xb6-1x1x8-40e_sthv1-rgb.py",
         "tin_r50_1x1x8_sthv1", params_m=23.90, patch_tin_shift=True, size=32),
    Case("tanet_r50", CFG + "tanet/tanet_imagenet-pretrained-r50_8xb8-dense-1x1x8-100e_kinetics400-rgb.py",
         "tanet_r50_1x1x8_kinetics400", params_m=25.59),
    Case("trn_r50", CFG + "trn/trn_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv1-rgb.py",
         "trn_r50_1x1x8_sthv1", params_m=26.64, seed_numpy=True),
]


def _case_id(case: Case) -> str:
    return case.name


@torch.no_grad()
def _tame_non_local(model: torch.nn.Module, factor: float = 0.1) -> None:
    """Scale the g/theta/phi convolutions of every non-local block by ``factor``.

    With all weights ~ N(0, 1/fan_in) and five non-local blocks in a row, the dot-product mode
    grows activations cubically per block (to inf in float32) and the Gaussian modes saturate
    their softmax; shrinking these embeddings keeps every tensor random but the outputs finite.
    """
    for name, p in model.named_parameters():
        if ".non_local_block." in name and any(f".{b}." in name for b in ("g", "theta", "phi")):
            p.mul_(factor)


def mmcv_tin_shift_transcribed(data: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """MMCV's ``tin_shift`` op, transcribed loop for loop from its CUDA kernel: input
    ``(N, T, C, HW)``, integer shifts ``(N, G)``; channel ``c`` belongs to group ``c // (C // G)``
    and ``out[n, t + shift, c] = data[n, t, c]`` where ``t + shift`` lies in ``[0, T)``, else 0."""
    n, t, c, _ = data.shape
    g = shift.shape[1]
    out = torch.zeros_like(data)
    for b in range(n):
        for ch in range(c):
            s = int(shift[b, ch // (c // g)])
            for i in range(t):
                if 0 <= i + s < t:
                    out[b, i + s, ch] = data[b, i, ch]
    return out


def _mm_logits(model: torch.nn.Module, x: torch.Tensor, seed_numpy: bool) -> torch.Tensor:
    if seed_numpy:
        np.random.seed(0)
    logits, _ = model.extract_feat(x, stage="head", test_mode=True)
    return logits


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_parity_2d(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_mmaction()
    if case.patch_tin_shift:
        fake_ops = types.ModuleType("mmcv.ops")
        fake_ops.tin_shift = mmcv_tin_shift_transcribed  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "mmcv.ops", fake_ops)
    torch.manual_seed(0)
    mm = build_mm_model(case.config, backbone=case.mm_backbone, head=case.mm_head)
    reinit_(mm, seed=1)
    if case.tame_non_local:
        _tame_non_local(mm)
    mm.eval()
    sd = save_and_reload_state_dict(mm, tmp_path / "mm.pth")

    if case.preset is not None:
        converted = convert_mmaction_checkpoint(tmp_path / "mm.pth", case.preset)
        ours = get_model(case.preset)
    else:
        assert case.build is not None and case.convert is not None
        converted = case.convert(sd)
        ours = case.build()
    assert_all_consumed(sd, converted)
    strict_load(ours, converted)
    ours.eval()

    n_ours, n_mm = count_params(ours), count_params(mm)
    assert n_ours == n_mm, f"parameter count {n_ours} != MMAction2's {n_mm}"
    if case.params_m is not None:
        assert round(n_ours / 1e6, 2) == case.params_m

    t, hw = case.segments, case.size
    gen = torch.Generator().manual_seed(2)
    video = torch.randint(0, 256, (case.batch, t, 3, hw, hw), dtype=torch.uint8, generator=gen)
    x = ours.preprocess(video)  # (N*T, C, H, W), normalized with the preset's mean/std
    with torch.no_grad():
        ref = _mm_logits(mm, x.view(case.batch, t, 3, hw, hw), case.seed_numpy)
        if case.seed_numpy:
            np.random.seed(0)
        got = ours(x)
    stats = compare(got, ref)
    print(
        f"\nPARITY {case.name}: max_abs={stats['max_abs']:.2e} centred={stats['centred_max_abs']:.2e} "
        f"spread={stats['spread']:.3g} params={n_ours} (mmaction {n_mm})"
    )


def test_preprocess_matches_mmaction_data_preprocessor() -> None:
    """Our on-device normalization equals MMAction2's ActionDataPreprocessor (NCHW format)."""
    require_mmaction()
    from mmaction.models import ActionDataPreprocessor

    preset = get_preset("tsm_r50_1x1x8_kinetics400")
    ours = get_model("tsm_r50_1x1x8_kinetics400")
    dp = ActionDataPreprocessor(mean=list(preset.mean), std=list(preset.std), format_shape="NCHW")
    video = torch.randint(0, 256, (2, 8, 3, 16, 16), dtype=torch.uint8)
    theirs = dp({"inputs": [v for v in video], "data_samples": None})["inputs"]  # (N, T, C, H, W)
    mine = ours.preprocess(video)
    assert torch.allclose(mine, theirs.reshape(-1, 3, 16, 16).float(), atol=1e-5)
