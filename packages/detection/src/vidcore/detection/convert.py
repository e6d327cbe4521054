"""Import MMAction2 AVA detector checkpoints.

    sd = convert_mmaction_checkpoint("slowonly_..._ava21-rgb_20220906-953ef5fe.pth",
                                     "slowonly_r50_4x16x1_ava21")
    model = get_model("slowonly_r50_4x16x1_ava21")
    model.load_state_dict(sd)

The preset's ``convert_mmaction`` maps the keys (MMAction2's ``FastRCNN`` layout is ours: only
``data_preprocessor.*`` entries are dropped); the result is validated by a strict load into the
preset's model (on the meta device), so a converted checkpoint is known to fit. A checkpoint with
another class count (``custom_classes``) is accepted: the count is read from the classifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import torch
from torch import Tensor

from vidcore.recognition.convert import ConversionError, load_mmaction_state_dict

from .registry import get_model, get_preset

__all__ = ["ConversionError", "convert_mmaction_checkpoint"]


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """An MMAction2 detector checkpoint (path, checkpoint dict or state dict) -> our state dict for
    ``preset``, checked by a strict load (``ConversionError`` listing missing, unexpected and
    mis-shaped keys otherwise)."""
    p = get_preset(preset)
    if p.convert_mmaction is None:
        raise ConversionError(f"preset {preset} has no MMAction2 converter")
    sd = p.convert_mmaction(load_mmaction_state_dict(src, trust_pickle=trust_pickle))
    k = num_classes if num_classes is not None else (p.num_classes_in(sd) or p.num_classes)
    with torch.device("meta"):
        own = get_model(preset, num_classes=k).state_dict()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    shapes = sorted(
        f"{key}: checkpoint {tuple(sd[key].shape)} vs model {tuple(own[key].shape)}"
        for key in own
        if key in sd and own[key].shape != sd[key].shape
    )
    if missing or unexpected or shapes:
        lines = [f"checkpoint does not fit preset {preset} ({k} classes) after conversion:"]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                shown = ", ".join(items[:8]) + (f" ... ({len(items)} in all)" if len(items) > 8 else "")
                lines.append(f"  {title}: {shown}")
        raise ConversionError("\n".join(lines))
    return sd
