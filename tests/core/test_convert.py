"""vidcore.core.convert on a toy preset: the shared MMAction2 import every task package binds to its
presets (the task packages' own tests convert their real layouts)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from vidcore.core.checkpoint import CheckpointError
from vidcore.core.convert import (
    ConversionError,
    PresetConverter,
    convert_mmaction_checkpoint,
    fit_num_classes,
    load_mmaction_state_dict,
)
from vidcore.core.presets import ModelPreset


class _Toy(nn.Module):
    def __init__(self, num_classes: int = 5) -> None:
        super().__init__()
        self.stem = nn.Conv1d(3, 4, 1)
        self.fc = nn.Linear(4, num_classes)


def _rename(sd):  # MMAction2-style keys -> ours
    out = {}
    for k, v in sd.items():
        if k.startswith("data_preprocessor."):
            continue
        out[k.replace("backbone.", "").replace("cls_head.fc_cls.", "fc.")] = v
    return out


def _preset(**kw) -> ModelPreset:
    base = {"name": "toy", "builder": _Toy, "dataset": "toy", "num_classes": 5, "classifier": ("fc",)}
    return ModelPreset(**(base | {"convert_mmaction": _rename} | kw))


def _mm_state(num_classes: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "backbone.stem.weight": torch.randn(4, 3, 1),
        "backbone.stem.bias": torch.randn(4),
        "cls_head.fc_cls.weight": torch.randn(num_classes, 4),
        "cls_head.fc_cls.bias": torch.randn(num_classes),
        "data_preprocessor.mean": torch.zeros(3),
    }


def test_converted_tensors_equal_the_source_and_the_class_count_is_read(tmp_path: Path) -> None:
    mm = _mm_state(7)  # fine-tuned on 7 classes, the preset says 5
    path = tmp_path / "mm.pth"
    torch.save({"meta": {"epoch": 3}, "state_dict": mm}, path)
    sd = convert_mmaction_checkpoint(path, _preset())
    assert sorted(sd) == ["fc.bias", "fc.weight", "stem.bias", "stem.weight"]
    assert torch.equal(sd["fc.weight"], mm["cls_head.fc_cls.weight"])
    assert fit_num_classes(sd, _preset()) == 7
    model = _Toy(7)
    model.load_state_dict(sd, strict=True)


def test_a_wrong_class_count_and_missing_keys_are_listed() -> None:
    sd = _rename(_mm_state(5))
    with pytest.raises(ConversionError, match=r"\(3 classes\)[\s\S]*shape mismatch \(2\): fc.bias"):
        fit_num_classes(sd, _preset(), num_classes=3)
    del sd["stem.bias"]
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(ConversionError) as err:
        fit_num_classes(sd, _preset())
    assert "missing (1): stem.bias" in str(err.value) and "unexpected (1): extra.weight" in str(err.value)


def test_a_preset_without_a_classifier_is_built_as_it_is() -> None:
    class _NoClasses(nn.Module):
        def __init__(self) -> None:  # takes no num_classes (BMN-like)
            super().__init__()
            self.conv = nn.Conv1d(2, 2, 1)

    preset = _preset(builder=_NoClasses, classifier=())
    sd = {"conv.weight": torch.zeros(2, 2, 1), "conv.bias": torch.zeros(2)}
    assert fit_num_classes(sd, preset) == 5  # the preset's own figure; the builder got no num_classes


def test_mapping_errors_and_empty_or_foreign_inputs_are_conversion_errors(tmp_path: Path) -> None:
    def refuse(sd):
        raise ValueError("the sampling mask differs from the architecture's")

    with pytest.raises(ConversionError, match="preset toy: the sampling mask differs"):
        convert_mmaction_checkpoint(_mm_state(5), _preset(convert_mmaction=refuse))
    with pytest.raises(ConversionError, match="no MMAction2 counterpart"):
        convert_mmaction_checkpoint(_mm_state(5), _preset(convert_mmaction=None))
    with pytest.raises(ConversionError, match="no tensors"):
        load_mmaction_state_dict({"meta": {"epoch": 1}})
    with pytest.raises(FileNotFoundError):
        load_mmaction_state_dict(tmp_path / "absent.pth")
    text = tmp_path / "labels.pth"
    text.write_text("jumping\nrunning\n")
    with pytest.raises(CheckpointError, match=r"labels\.pth"):
        load_mmaction_state_dict(text)


def test_a_preset_converter_looks_presets_up_by_name() -> None:
    presets = {"toy": _preset()}
    converter = PresetConverter(presets.__getitem__)
    sd = converter.convert(_mm_state(3), "toy")
    assert converter.num_classes(sd, "toy") == 3
    with pytest.raises(KeyError):
        converter.convert(_mm_state(3), "other")
