"""Import MMAction2 skeleton checkpoints (ST-GCN, ST-GCN++, 2s-AGCN, PoseC3D) into vidcore models.

    sd = convert_mmaction_checkpoint("stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d_....pth", "stgcn_joint_80e_ntu60_xsub_keypoint_2d")
    get_model("stgcn_joint_80e_ntu60_xsub_keypoint_2d").load_state_dict(sd)

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
