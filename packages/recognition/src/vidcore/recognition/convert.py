"""Import MMAction2 checkpoints into vidcore-recognition models.

    sd = convert_mmaction_checkpoint("tsm_r50_1x1x8_kinetics400_20220831-....pth",
                                     "tsm_r50_1x1x8_kinetics400")
    model = get_model("tsm_r50_1x1x8_kinetics400")
    model.load_state_dict(sd)

The reading, the key mapping's error handling and the strict fit check are
:mod:`vidcore.core.convert`, shared by every task; this module binds them to this package's presets
(each preset's ``convert_mmaction``, next to its model, maps the keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

from torch import Tensor

from vidcore.core import convert as _core
from vidcore.core.convert import ConversionError, load_mmaction_state_dict

from .registry import get_preset

__all__ = ["ConversionError", "checkpoint_num_classes", "convert_mmaction_checkpoint", "load_mmaction_state_dict"]


def checkpoint_num_classes(state_dict: Mapping[str, Tensor], preset: str, num_classes: int | None = None) -> int:
    """The class count with which a converted (vidcore-keyed) ``state_dict`` loads strictly into
    ``preset``'s model; :class:`ConversionError` listing what does not fit otherwise."""
    return _core.fit_num_classes(state_dict, get_preset(preset), num_classes)


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """Convert an MMAction2 checkpoint (path, checkpoint dict or bare state dict) for the preset
    named ``preset``; see :func:`vidcore.core.convert.convert_mmaction_checkpoint`."""
    return _core.convert_mmaction_checkpoint(
        src, get_preset(preset), num_classes=num_classes, trust_pickle=trust_pickle
    )
