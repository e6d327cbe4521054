"""Import MMAction2 skeleton checkpoints (ST-GCN, ST-GCN++, 2s-AGCN, PoseC3D) into vidcore models.

    sd = convert_mmaction_checkpoint("stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d_....pth",
                                     "stgcn_joint_80e_ntu60_xsub_keypoint_2d")
    model = get_model("stgcn_joint_80e_ntu60_xsub_keypoint_2d")
    model.load_state_dict(sd)

The preset names the architecture; its ``convert_mmaction`` function (next to the model) maps the
keys. The result is validated by a strict load into the preset's model (built on the ``meta``
device: shapes only), so a converted checkpoint is known to fit: every tensor consumed, every model
tensor provided. A checkpoint fine-tuned on another label set converts too: its class count is read
from the classifier shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.recognition.convert import load_mmaction_state_dict

from .registry import get_model, get_preset

__all__ = ["ConversionError", "convert_mmaction_checkpoint", "load_mmaction_state_dict"]


class ConversionError(ValueError):
    """A checkpoint does not fit the architecture of the preset it was converted for."""


def _mismatches(model: nn.Module, sd: Mapping[str, Tensor]) -> list[tuple[str, list[str]]]:
    own = model.state_dict()
    return [
        ("missing", sorted(k for k in own if k not in sd)),
        ("unexpected", sorted(k for k in sd if k not in own)),
        (
            "shape mismatch",
            sorted(
                f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
                for k in own
                if k in sd and own[k].shape != sd[k].shape
            ),
        ),
    ]


def checkpoint_num_classes(state_dict: Mapping[str, Tensor], preset: str, num_classes: int | None = None) -> int:
    """The class count with which the converted ``state_dict`` loads strictly into ``preset``'s
    model (``num_classes`` if given, else the preset's or the one the classifier shapes imply);
    :class:`ConversionError` listing missing, unexpected and mis-shaped keys otherwise."""
    p = get_preset(preset)
    k = num_classes if num_classes is not None else (p.num_classes_in(state_dict) or p.num_classes)
    with torch.device("meta"):
        model = get_model(preset, num_classes=k)
    problems = [(title, items) for title, items in _mismatches(model, state_dict) if items]
    if problems:
        lines = [f"checkpoint does not fit preset {preset} ({k} classes) after conversion:"]
        for title, items in problems:
            shown = ", ".join(items[:12]) + (f" ... (+{len(items) - 12})" if len(items) > 12 else "")
            lines.append(f"  {title} ({len(items)}): {shown}")
        raise ConversionError("\n".join(lines))
    return k


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """Convert an MMAction2 checkpoint (path, full checkpoint dict or bare state dict with
    ``backbone.*`` / ``cls_head.*`` keys) for ``preset`` into a vidcore state dict, verified to load
    strictly into ``get_model(preset, num_classes=K)``; :class:`ConversionError` otherwise.
    ``trust_pickle`` lets a file unpickle arbitrary objects (MMEngine training checkpoints)."""
    p = get_preset(preset)
    if p.convert_mmaction is None:
        raise ConversionError(f"preset {preset} has no MMAction2 counterpart to convert from")
    sd = p.convert_mmaction(load_mmaction_state_dict(src, trust_pickle=trust_pickle))
    checkpoint_num_classes(sd, preset, num_classes)
    return sd
