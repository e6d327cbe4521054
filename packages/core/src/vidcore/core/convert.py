"""Import MMAction2 checkpoints into any task's models: one reader, one strict fit check.

    from vidcore.core.convert import convert_mmaction_checkpoint
    sd = convert_mmaction_checkpoint("tsm_r50_..._20220831-....pth", get_preset("tsm_r50_1x1x8_kinetics400"))

Every task package binds this module to its presets with :class:`PresetConverter`, so its
``convert_mmaction_checkpoint(src, preset_name)`` is this function with its own registry. The preset names the architecture and its ``convert_mmaction``
(next to the model) maps MMAction2's keys; the result is validated by a strict fit into the
preset's model built on the ``meta`` device (shapes only, nothing allocated): every tensor is
consumed, every model tensor provided, shapes equal. A checkpoint fine-tuned on another label set
converts too: its class count is read from the classifier tensors the preset declares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from os import PathLike
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .checkpoint import extract_state_dict, load_checkpoint
from .presets import ModelPreset

__all__ = [
    "ConversionError",
    "PresetConverter",
    "convert_mmaction_checkpoint",
    "fit_num_classes",
    "load_mmaction_state_dict",
]


class ConversionError(ValueError):
    """A checkpoint does not fit the architecture of the preset it was converted for."""


def _numpy_safe_globals() -> list[Any]:
    """numpy objects that MMAction2 checkpoints keep in their ``meta`` (arrays, scalars, dtypes):
    safe to rebuild, allowed in ``weights_only`` loading under the names numpy 1 and 2 pickle."""
    import numpy as np

    numpy2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
    multiarray = import_module("numpy._core.multiarray" if numpy2 else "numpy.core.multiarray")
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
    A file that is not a checkpoint raises :class:`~vidcore.core.checkpoint.CheckpointError`
    saying what the file is.
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
    sd = extract_state_dict(ckpt) if isinstance(ckpt.get("state_dict"), Mapping) else dict(ckpt)
    tensors = {k: v for k, v in sd.items() if isinstance(v, Tensor)}
    if not tensors:
        raise ConversionError("the checkpoint holds no tensors")
    return tensors


def _mismatches(model: nn.Module, sd: Mapping[str, Tensor]) -> list[tuple[str, list[str]]]:
    own = model.state_dict()
    shapes = [
        f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in sd and own[k].shape != sd[k].shape
    ]
    return [
        ("missing", sorted(k for k in own if k not in sd)),
        ("unexpected", sorted(k for k in sd if k not in own)),
        ("shape mismatch", sorted(shapes)),
    ]


def fit_num_classes(state_dict: Mapping[str, Tensor], preset: ModelPreset, num_classes: int | None = None) -> int:
    """The class count with which ``state_dict`` (vidcore keys) loads strictly into ``preset``'s
    model: ``num_classes`` if given, else the one its classifier tensors imply, else the preset's.
    Raises :class:`ConversionError` listing missing, unexpected and mis-shaped keys otherwise.
    A preset without a classifier (``preset.classifier == ()``, e.g. BMN) is built as it is."""
    try:
        k = num_classes if num_classes is not None else (preset.num_classes_in(state_dict) or preset.num_classes)
    except ValueError as exc:  # classifier tensors disagree on the class count
        raise ConversionError(str(exc)) from None
    kwargs = {"num_classes": k} if preset.classifier or num_classes is not None else {}
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        model = preset.build(**kwargs)
    problems = [(title, items) for title, items in _mismatches(model, state_dict) if items]
    if problems:
        classes = f" ({k} classes)" if kwargs else ""
        lines = [f"checkpoint does not fit preset {preset.name}{classes} after conversion:"]
        for title, items in problems:
            shown = ", ".join(items[:12]) + (f" ... (+{len(items) - 12})" if len(items) > 12 else "")
            lines.append(f"  {title} ({len(items)}): {shown}")
        raise ConversionError("\n".join(lines))
    return k


def convert_mmaction_checkpoint(
    src: str | PathLike[str] | Mapping[str, Any],
    preset: ModelPreset,
    *,
    num_classes: int | None = None,
    trust_pickle: bool = False,
) -> dict[str, Tensor]:
    """Convert an MMAction2 checkpoint for ``preset`` into a vidcore state dict.

    Args:
        src: checkpoint path, full checkpoint dict or bare state dict (``backbone.*``,
            ``cls_head.*``, ``neck.*`` ... keys as MMAction2 saves them).
        preset: the preset giving the architecture and its key mapping.
        num_classes: classes of the checkpoint's classifier; read from its shapes when None.
        trust_pickle: let a checkpoint file unpickle arbitrary objects (see
            :func:`load_mmaction_state_dict`).

    Returns the converted state dict, verified by :func:`fit_num_classes` to load strictly into
    the preset's model. Raises :class:`ConversionError` otherwise (also when the preset's mapping
    rejects the checkpoint, e.g. a fixed sampling mask that differs from the architecture's).
    """
    if preset.convert_mmaction is None:
        raise ConversionError(f"preset {preset.name} has no MMAction2 counterpart to convert from")
    tensors = load_mmaction_state_dict(src, trust_pickle=trust_pickle)
    try:
        sd = preset.convert_mmaction(tensors)
    except ConversionError:
        raise
    except (KeyError, ValueError) as exc:
        raise ConversionError(f"preset {preset.name}: {exc}") from None
    fit_num_classes(sd, preset, num_classes)
    return sd


class PresetConverter:
    """The MMAction2 import bound to one task's presets, looked up by name.

    A task package's ``convert`` module is ``convert_mmaction_checkpoint = PresetConverter(get_preset).convert``.
    """

    def __init__(self, get_preset: Callable[[str], ModelPreset]) -> None:
        self._get_preset = get_preset

    def convert(
        self,
        src: str | PathLike[str] | Mapping[str, Any],
        preset: str,
        *,
        num_classes: int | None = None,
        trust_pickle: bool = False,
    ) -> dict[str, Tensor]:
        """:func:`convert_mmaction_checkpoint` for the preset named ``preset``."""
        return convert_mmaction_checkpoint(
            src, self._get_preset(preset), num_classes=num_classes, trust_pickle=trust_pickle
        )

    def num_classes(self, state_dict: Mapping[str, Tensor], preset: str, num_classes: int | None = None) -> int:
        """:func:`fit_num_classes` for the preset named ``preset``."""
        return fit_num_classes(state_dict, self._get_preset(preset), num_classes)
