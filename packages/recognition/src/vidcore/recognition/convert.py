"""Import MMAction2 checkpoints into vidcore-recognition models.

    sd = convert_mmaction_checkpoint("tsm_r50_1x1x8_kinetics400_20220831-....pth", "tsm_r50_1x1x8_kinetics400")
    get_model("tsm_r50_1x1x8_kinetics400").load_state_dict(sd)

:mod:`vidcore.core.convert` bound to this package's presets (reading, error reports and the strict
fit are shared by every task; each preset's ``convert_mmaction``, next to its model, maps the keys).
"""

from __future__ import annotations

from vidcore.core.convert import ConversionError, PresetConverter, load_mmaction_state_dict

from .registry import get_preset

__all__ = ["ConversionError", "checkpoint_num_classes", "convert_mmaction_checkpoint", "load_mmaction_state_dict"]

_CONVERTER = PresetConverter(get_preset)
convert_mmaction_checkpoint = _CONVERTER.convert
checkpoint_num_classes = _CONVERTER.num_classes
