"""Import MMAction2 audio checkpoints into vidcore-audio models.

    sd = convert_mmaction_checkpoint("tsn_r18_..._audio-feature_20201012-bf34df6c.pth",
                                     "tsn_r18_64x1x1_kinetics400_audio_feature")
    model = get_model("tsn_r18_64x1x1_kinetics400_audio_feature")
    model.load_state_dict(sd)

The preset names the architecture; its ``convert_mmaction`` (in the model's file) maps the keys;
the result is checked by a strict fit into the preset's model (built on the meta device): every
tensor consumed, every model tensor provided, shapes equal. A checkpoint fine-tuned on another
label set is accepted: its class count is read from the classifier (``preset.classifier``).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from os import PathLike
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.core.checkpoint import extract_state_dict, load_checkpoint

from .registry import get_model, get_preset

__all__ = ["ConversionError", "checkpoint_num_classes", "convert_mmaction_checkpoint", "load_mmaction_state_dict"]


class ConversionError(ValueError):
    """A checkpoint does not fit the architecture of the preset it was converted for."""


def _numpy_meta_globals() -> list[Any]:
    """numpy objects that model-zoo checkpoints keep in their ``meta`` (arrays, scalars, dtypes),
    safe to rebuild: allowed in ``weights_only`` loading under numpy 1 and numpy 2 names."""
    import numpy as np

    name = "numpy._core.multiarray" if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else "numpy.core.multiarray"
    multiarray = import_module(name)
    allowed: list[Any] = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed += [(multiarray._reconstruct, f"{module}._reconstruct"), (multiarray.scalar, f"{module}.scalar")]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        allowed += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith("DType")]
    return allowed


def load_mmaction_state_dict(
    src: str | PathLike[str] | Mapping[str, Any], *, trust_pickle: bool = False
) -> dict[str, Tensor]:
    """The tensors of an MMAction2 checkpoint (a path, a ``{"state_dict": ...}`` dict or a bare
    state dict). Files are read with ``weights_only=True`` unless ``trust_pickle`` (MMEngine
    training checkpoints pickle logging objects: that runs their code)."""
    if isinstance(src, (str, PathLike)):
        path = Path(src)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint file {path}")
        try:
            if trust_pickle:
                ckpt: Any = load_checkpoint(path, weights_only=False, map_location="cpu")
            else:
                with torch.serialization.safe_globals(_numpy_meta_globals()):
                    ckpt = load_checkpoint(path, weights_only=True, map_location="cpu")
        except Exception as exc:  # unpickling refused or a corrupt file
            hint = "" if trust_pickle else " (an MMEngine training checkpoint may need --trust-pickle)"
            raise ConversionError(f"{path}: cannot read the checkpoint: {exc}{hint}") from None
    else:
        ckpt = src
    if not isinstance(ckpt, Mapping):
        raise ConversionError(f"expected a checkpoint dict, got {type(ckpt).__name__}")
    sd = extract_state_dict(ckpt) if isinstance(ckpt.get("state_dict"), Mapping) else dict(ckpt)
    tensors = {k: v for k, v in sd.items() if isinstance(v, Tensor)}
    if not tensors:
        raise ConversionError("the checkpoint holds no tensors")
    return tensors


def _mismatch(model: nn.Module, sd: Mapping[str, Tensor]) -> tuple[list[str], list[str], list[str]]:
    own = model.state_dict()
    missing = sorted(k for k in own if k not in sd)
    unexpected = sorted(k for k in sd if k not in own)
    shapes = sorted(
        f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in sd and own[k].shape != sd[k].shape
    )
    return missing, unexpected, shapes


def _fit(sd: Mapping[str, Tensor], preset: str, num_classes: int | None) -> int:
    p = get_preset(preset)
    k = num_classes if num_classes is not None else (p.num_classes_in(sd) or p.num_classes)
    with torch.device("meta"):  # shapes only
        model = get_model(preset, num_classes=k)
    missing, unexpected, shapes = _mismatch(model, sd)
    if missing or unexpected or shapes:
        lines = [f"checkpoint does not fit preset {preset} ({k} classes) after conversion:"]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                shown = ", ".join(items[:12]) + (f" ... (+{len(items) - 12})" if len(items) > 12 else "")
                lines.append(f"  {title} ({len(items)}): {shown}")
        raise ConversionError("\n".join(lines))
    return k


def checkpoint_num_classes(state_dict: Mapping[str, Tensor], preset: str) -> int:
    """Classes of a vidcore-keyed state dict for ``preset`` (``ConversionError`` if it does not fit)."""
    return _fit(state_dict, preset, None)


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """Convert an MMAction2 audio checkpoint for ``preset``; returns a state dict verified to load
    strictly into ``get_model(preset, num_classes=K)`` (``K`` read from the classifier unless given)."""
    p = get_preset(preset)
    if p.convert_mmaction is None:
        raise ConversionError(f"preset {preset} has no MMAction2 counterpart to convert from")
    sd = p.convert_mmaction(load_mmaction_state_dict(src, trust_pickle=trust_pickle))
    _fit(sd, preset, num_classes)
    return sd
