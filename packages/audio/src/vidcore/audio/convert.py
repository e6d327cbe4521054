"""Import MMAction2 audio checkpoints into vidcore-audio models.

    sd = convert_mmaction_checkpoint("tsn_r18_..._audio-feature_20201012-bf34df6c.pth", "tsn_r18_64x1x1_kinetics400_audio_feature")
    get_model("tsn_r18_64x1x1_kinetics400_audio_feature").load_state_dict(sd)

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
