"""MMAction2 checkpoint import without MMAction2: state dicts laid out as MMAction2's modules name
them (written out here from MMAction2's wrappers: ``TemporalShift.net``, ``NL3DWrapper.block`` /
``.non_local_block``, ``CombineNet.net1/net2``, ``TABlock.block`` / ``.tam``), converted and checked
tensor for tensor; class-count inference, error reports, safe loading and the CLI verbs.
(Numerical parity with MMAction2 itself is in tests/parity.)"""

from __future__ import annotations

import fractions
import importlib.metadata
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.checkpoint import CheckpointError, load_checkpoint
from vidcore.recognition.cli import main
from vidcore.recognition.convert import (
    ConversionError,
    checkpoint_num_classes,
    convert_mmaction_checkpoint,
)
from vidcore.recognition.registry import get_model

_BLOCK = re.compile(r"^(backbone\.layer\d\.\d+)\.(.*)$")


def _tsm_nl_to_mmaction(key: str, nl_blocks: set[str]) -> str:
    """Our TSM(-NL) key -> MMAction2's: residual shift wraps conv1.conv in ``.net``; a block with a
    non-local is wrapped as ``.block`` beside ``.non_local_block``."""
    key = re.sub(r"\.conv1\.conv\.(weight|bias)$", r".conv1.conv.net.\1", key)
    m = _BLOCK.match(key)
    if m and m.group(1) in nl_blocks:
        block, rest = m.groups()
        key = f"{block}.non_local_block.{rest[len('non_local.'):]}" if rest.startswith("non_local.") else f"{block}.block.{rest}"
    return re.sub(r"^head\.", "cls_head.", key)


def _tin_to_mmaction(key: str) -> str:
    key = re.sub(r"\.temporal\.", ".conv1.conv.net1.", key)
    key = re.sub(r"\.conv1\.conv\.(weight|bias)$", r".conv1.conv.net2.\1", key)
    return re.sub(r"^head\.", "cls_head.", key)


def _tanet_to_mmaction(key: str) -> str:
    m = _BLOCK.match(key)
    if m:
        block, rest = m.groups()
        key = f"{block}.tam.{rest[len('temporal.'):]}" if rest.startswith("temporal.") else f"{block}.block.{rest}"
    return re.sub(r"^head\.", "cls_head.", key)


def _randomized(name: str, num_classes: int | None = None) -> dict[str, torch.Tensor]:
    kw = {} if num_classes is None else {"num_classes": num_classes}
    torch.manual_seed(0)
    sd = get_model(name, **kw).state_dict()
    return {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in sd.items()}


def _check_round_trip(name: str, to_mm) -> None:
    ours = _randomized(name)
    mm = {to_mm(k): v for k, v in ours.items()}
    assert len(mm) == len(ours) and set(mm) != set(ours)
    converted = convert_mmaction_checkpoint({"meta": {"epoch": 50}, "state_dict": mm}, name)
    assert set(converted) == set(ours)
    for k, v in ours.items():
        assert torch.equal(converted[k], v), k


def test_convert_tsm_with_non_local() -> None:
    name = "tsm_r50_nl_embedded_gaussian_1x1x8_kinetics400"
    flags = ((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0))
    nl_blocks = {f"backbone.layer{s + 1}.{b}" for s, f in enumerate(flags) for b, on in enumerate(f) if on}
    _check_round_trip(name, lambda k: _tsm_nl_to_mmaction(k, nl_blocks))


def test_convert_tin() -> None:
    _check_round_trip("tin_r50_1x1x8_sthv1", _tin_to_mmaction)


def test_convert_tanet() -> None:
    _check_round_trip("tanet_r50_1x1x8_kinetics400", _tanet_to_mmaction)


def test_convert_mobilenet_v2_tsm() -> None:
    model = get_model("tsm_mobilenetv2_1x1x8_kinetics400")
    shifted = {n for n, m in model.named_modules() if getattr(m, "shift", None) is not None}

    def to_mm(k: str) -> str:
        for block in shifted:
            if k.startswith(f"{block}.conv.0."):
                k = k.replace(f"{block}.conv.0.", f"{block}.conv.0.net.")
        return re.sub(r"^head\.", "cls_head.", k)

    _check_round_trip("tsm_mobilenetv2_1x1x8_kinetics400", to_mm)


def test_fine_tuned_class_count_is_read_from_the_checkpoint() -> None:
    mm = {re.sub(r"^head\.", "cls_head.", k): v for k, v in _randomized("tsn_r50_1x1x3_kinetics400", 7).items()}
    converted = convert_mmaction_checkpoint(mm, "tsn_r50_1x1x3_kinetics400")  # bare state dict
    assert checkpoint_num_classes(converted, "tsn_r50_1x1x3_kinetics400") == 7
    model = get_model("tsn_r50_1x1x3_kinetics400", num_classes=7)
    model.load_state_dict(converted, strict=True)
    with pytest.raises(ConversionError, match="shape mismatch"):
        convert_mmaction_checkpoint(mm, "tsn_r50_1x1x3_kinetics400", num_classes=400)


def test_conversion_errors_name_the_keys() -> None:
    mm = {re.sub(r"^head\.", "cls_head.", k): v for k, v in _randomized("tsn_r50_1x1x3_kinetics400").items()}
    del mm["backbone.layer1.0.conv1.bn.running_var"]
    mm["backbone.extra.weight"] = torch.zeros(1)
    with pytest.raises(ConversionError) as err:
        convert_mmaction_checkpoint(mm, "tsn_r50_1x1x3_kinetics400")
    text = str(err.value)
    assert "missing (1): backbone.layer1.0.conv1.bn.running_var" in text
    assert "unexpected (1): backbone.extra.weight" in text
    with pytest.raises(ConversionError, match="no tensors"):
        convert_mmaction_checkpoint({"state_dict": {}}, "tsn_r50_1x1x3_kinetics400")


def test_numpy_metadata_loads_safely_but_other_objects_need_trust(tmp_path: Path) -> None:
    sd = {re.sub(r"^head\.", "cls_head.", k): v for k, v in _randomized("tsm_r18_1x1x8_kinetics400").items()}
    ok = tmp_path / "numpy_meta.pth"
    torch.save({"meta": {"seed": np.int64(3), "hist": np.arange(3.0)}, "state_dict": sd}, ok)
    assert len(convert_mmaction_checkpoint(ok, "tsm_r18_1x1x8_kinetics400")) == len(sd)
    risky = tmp_path / "pickled_object.pth"
    torch.save({"meta": {"ratio": fractions.Fraction(1, 3)}, "state_dict": sd}, risky)
    with pytest.raises(CheckpointError, match="refusing"):
        convert_mmaction_checkpoint(risky, "tsm_r18_1x1x8_kinetics400")
    assert len(convert_mmaction_checkpoint(risky, "tsm_r18_1x1x8_kinetics400", trust_pickle=True)) == len(sd)


def test_cli_convert_writes_a_loadable_vidcore_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours = _randomized("tsm_r18_1x1x8_kinetics400", 6)
    src, dst = tmp_path / "mm.pth", tmp_path / "out" / "vid.pth"
    dst.parent.mkdir()
    torch.save({"state_dict": {_tsm_nl_to_mmaction(k, set()): v for k, v in ours.items()}}, src)
    rc = main(["convert", "mmaction", str(src), str(dst), "--preset", "tsm_r18_1x1x8_kinetics400"])
    assert rc == 0 and "6 classes" in capsys.readouterr().out
    ckpt = load_checkpoint(dst)
    assert ckpt["meta"]["preset"] == "tsm_r18_1x1x8_kinetics400" and ckpt["meta"]["num_classes"] == 6
    assert ckpt["meta"]["versions"]["vidcore-recognition"] == importlib.metadata.version("vidcore-recognition")
    model = get_model("tsm_r18_1x1x8_kinetics400", num_classes=6)
    model.load_state_dict(ckpt["model"], strict=True)
    assert torch.equal(model.state_dict()["head.fc_cls.weight"], ours["head.fc_cls.weight"])

    rc = main(["convert", "mmaction", str(tmp_path / "nope.pth"), str(dst), "--preset", "tsm_r18_1x1x8_kinetics400"])
    assert rc == 1 and "nope.pth" in capsys.readouterr().err
    rc = main(["convert", "mmaction", str(src), str(dst), "--preset", "tsm_r18_1x1x8_kinetic"])
    assert rc == 1 and "did you mean" in capsys.readouterr().err


def test_cli_models_lists_clip_shape_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "tsm_r18", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows] == ["tsm_r18_1x1x8_kinetics400"]
    # torchvision's ResNet-18 has 11,689,512 parameters, 513,000 of them in its 1000-class fc;
    # the 400-class TSM head adds 512*400 + 400
    assert rows[0]["params"] == 11_689_512 - 513_000 + 512 * 400 + 400
    assert rows[0]["clip"] == "8x3x224x224" and rows[0]["sampling"] == "1x1x8"
    assert main(["models", "--filter", "tanet"]) == 0
    table = capsys.readouterr().out
    assert "tanet_r50_1x1x8_kinetics400" in table and "25.59M" in table
    assert main(["models", "--filter", "no_such_model"]) == 1
