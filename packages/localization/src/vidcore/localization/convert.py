"""Import MMAction2 localization checkpoints (BMN, BSN TEM/PEM) into vidcore models.

    sd = convert_mmaction_checkpoint("bmn_mmaction.pth",
                                     "bmn_400x100_9e_activitynet_feature")
    model = get_model("bmn_400x100_9e_activitynet_feature")
    model.load_state_dict(sd)

The preset's ``convert_mmaction`` maps the keys (and checks the fixed structures that MMAction2
saves, BMN's sampling mask); the result is validated by a strict load into the preset's model
built on the meta device.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from vidcore.core.checkpoint import extract_state_dict, load_checkpoint

from .registry import get_model, get_preset

__all__ = ["ConversionError", "convert_mmaction_checkpoint", "load_mmaction_state_dict"]


class ConversionError(ValueError):
    """A checkpoint does not fit the architecture of the preset it was converted for."""


def load_mmaction_state_dict(src: str | PathLike[str] | Mapping[str, Any], *, trust_pickle: bool = False) -> dict[str, Tensor]:
    """The tensors of an MMAction2 checkpoint (a path, a ``{"state_dict": ...}`` dict or a bare
    state dict). Files load with ``weights_only=True`` unless ``trust_pickle``."""
    if isinstance(src, (str, PathLike)):
        path = Path(src)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint file {path}")
        ckpt: Any = load_checkpoint(path, weights_only=not trust_pickle, map_location="cpu")
    else:
        ckpt = src
    if not isinstance(ckpt, Mapping):
        raise ConversionError(f"expected a checkpoint dict, got {type(ckpt).__name__}")
    sd = extract_state_dict(ckpt) if isinstance(ckpt.get("state_dict"), Mapping) else dict(ckpt)
    tensors = {k: v for k, v in sd.items() if isinstance(v, Tensor)}
    if not tensors:
        raise ConversionError("the checkpoint holds no tensors")
    return tensors


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any], preset: str, *, trust_pickle: bool = False
) -> dict[str, Tensor]:
    """Convert an MMAction2 checkpoint for ``preset``; raises :class:`ConversionError` listing
    missing, unexpected and mis-shaped keys unless it loads strictly into the preset's model."""
    p = get_preset(preset)
    if p.convert_mmaction is None:
        raise ConversionError(f"preset {preset} has no MMAction2 counterpart to convert from")
    try:
        sd = p.convert_mmaction(load_mmaction_state_dict(src, trust_pickle=trust_pickle))
    except ValueError as exc:
        raise ConversionError(f"preset {preset}: {exc}") from None
    with torch.device("meta"):
        own = get_model(preset).state_dict()
    missing = sorted(k for k in own if k not in sd)
    unexpected = sorted(k for k in sd if k not in own)
    shapes = sorted(f"{k}: {tuple(sd[k].shape)} vs {tuple(own[k].shape)}" for k in own if k in sd and sd[k].shape != own[k].shape)
    if missing or unexpected or shapes:
        lines = [f"checkpoint does not fit preset {preset} after conversion:"]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else ""))
        raise ConversionError("\n".join(lines))
    return sd
