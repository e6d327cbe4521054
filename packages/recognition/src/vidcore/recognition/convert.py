"""Import MMAction2 checkpoints into vidcore models.

    sd = convert_mmaction_checkpoint("tsm_r50_1x1x8_kinetics400_20220831-....pth",
                                     "tsm_r50_1x1x8_kinetics400")
    model = get_model("tsm_r50_1x1x8_kinetics400")
    model.load_state_dict(sd)

The preset names the architecture; its ``convert_mmaction`` function (in the model's file) maps the
keys. The result is validated by a strict load into the preset's model, so a converted checkpoint
is known to fit. A checkpoint fine-tuned on another label set is accepted: its number of classes
is read from the classifier shapes.
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

__all__ = [
    "ConversionError",
    "checkpoint_num_classes",
    "convert_mmaction_checkpoint",
    "load_mmaction_state_dict",
]


class ConversionError(ValueError):
    """A checkpoint does not fit the architecture of the preset it was converted for."""


def _numpy_safe_globals() -> list[Any]:
    """numpy objects that MMAction2 checkpoints keep in their ``meta`` (arrays, scalars, dtypes):
    safe to rebuild, allowed in ``weights_only`` loading under the names numpy 1 and 2 pickle."""
    import numpy as np

    multiarray = import_module("numpy._core.multiarray" if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else "numpy.core.multiarray")
    reconstruct, scalar = multiarray._reconstruct, multiarray.scalar
    allowed: list[Any] = [np.ndarray, np.dtype, reconstruct, scalar]
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed += [(reconstruct, f"{module}._reconstruct"), (scalar, f"{module}.scalar")]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        allowed += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith("DType")]
    return allowed


def load_mmaction_state_dict(
    src: str | PathLike[str] | Mapping[str, Any], *, trust_pickle: bool = False
) -> dict[str, Tensor]:
    """The tensors of an MMAction2 checkpoint: a path, a full checkpoint dict (with
    ``"state_dict"``) or a bare state dict. Non-tensor entries are dropped.

    Files are read with ``weights_only=True`` (numpy metadata allowed); MMEngine training
    checkpoints also pickle logging objects, which need ``trust_pickle=True`` (runs their code).
    """
    if isinstance(src, (str, PathLike)):
        path = Path(src)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint file {path}")
        if trust_pickle:
            ckpt: Any = load_checkpoint(path, weights_only=False, map_location="cpu")
        else:
            with torch.serialization.safe_globals(_numpy_safe_globals()):
                ckpt = load_checkpoint(path, weights_only=True, map_location="cpu")
    else:
        ckpt = src
    if not isinstance(ckpt, Mapping):
        raise ConversionError(f"expected a checkpoint dict, got {type(ckpt).__name__}")
    if "state_dict" in ckpt and isinstance(ckpt["state_dict"], Mapping):
        sd = extract_state_dict(ckpt)
    else:
        sd = dict(ckpt)
    tensors = {k: v for k, v in sd.items() if isinstance(v, Tensor)}
    if not tensors:
        raise ConversionError("the checkpoint holds no tensors")
    return tensors


def _mismatch_report(model: nn.Module, sd: Mapping[str, Tensor]) -> tuple[list[str], list[str], list[str]]:
    own = model.state_dict()
    missing = sorted(k for k in own if k not in sd)
    unexpected = sorted(k for k in sd if k not in own)
    shapes = sorted(
        f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in sd and own[k].shape != sd[k].shape
    )
    return missing, unexpected, shapes


def _fit_num_classes(sd: Mapping[str, Tensor], preset: str, num_classes: int | None) -> int:
    """The class count with which ``sd`` loads strictly into ``preset``'s model (``num_classes``
    if given, else the preset's or the one the classifier shapes imply). Raises
    :class:`ConversionError` listing missing, unexpected and mis-shaped keys otherwise."""
    p = get_preset(preset)
    k = num_classes if num_classes is not None else p.num_classes
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        model = get_model(preset, num_classes=k)
    missing, unexpected, shapes = _mismatch_report(model, sd)
    if shapes and num_classes is None and not missing and not unexpected:
        inferred = p.num_classes_in(sd)
        if inferred is not None and inferred != k:
            with torch.device("meta"):
                model = get_model(preset, num_classes=inferred)
            missing, unexpected, shapes = _mismatch_report(model, sd)
            k = inferred
    if missing or unexpected or shapes:
        lines = [f"checkpoint does not fit preset {preset} ({k} classes) after conversion:"]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                shown = ", ".join(items[:12]) + (f" ... (+{len(items) - 12})" if len(items) > 12 else "")
                lines.append(f"  {title} ({len(items)}): {shown}")
        raise ConversionError("\n".join(lines))
    return k


def checkpoint_num_classes(state_dict: Mapping[str, Tensor], preset: str) -> int:
    """Classes of a converted (vidcore-keyed) state dict for ``preset``; raises
    :class:`ConversionError` when it does not fit the architecture."""
    return _fit_num_classes(state_dict, preset, None)


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: str,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """Convert an MMAction2 checkpoint for ``preset`` into a vidcore state dict.

    Args:
        src: checkpoint path, full checkpoint dict or bare state dict (``backbone.*``,
            ``cls_head.*``, ``neck.*`` keys as MMAction2 saves them).
        preset: registered preset name giving the architecture.
        num_classes: classes of the checkpoint's classifier; inferred from its shapes when None
            (so a checkpoint fine-tuned on another label set converts too).
        trust_pickle: let a checkpoint file unpickle arbitrary objects (see
            :func:`load_mmaction_state_dict`).

    Returns the converted state dict, verified to load strictly into
    ``get_model(preset, num_classes=K)``: every tensor is consumed and every model tensor is
    provided, with matching shapes. Raises :class:`ConversionError` otherwise.
    """
    p = get_preset(preset)
    if p.convert_mmaction is None:
        raise ConversionError(f"preset {preset} has no MMAction2 counterpart to convert from")
    sd = p.convert_mmaction(load_mmaction_state_dict(src, trust_pickle=trust_pickle))
    _fit_num_classes(sd, preset, num_classes)
    return sd
