"""Helpers for numerical parity tests against MMAction2 1.2.0 (see shared/PARITY.md).

Every test in tests/parity imports this module through :func:`require_mmaction`, which skips the
test with a reason when MMAction2 cannot be imported (it is never a vidcore dependency; run these
tests with the separate MMAction2 environment, e.g. ``/work/mmenv/bin/python -m pytest tests/parity``).
"""

from __future__ import annotations

import math
import sys
import types
import warnings
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

_MM_STATE: dict[str, Any] = {}


def _import_mmaction() -> Any:
    """Import ``mmaction.models`` (working around the wheel's missing ``localizers/drn`` package)
    and register all its modules. Returns the ``mmaction`` package."""
    if "mmaction" in _MM_STATE:
        return _MM_STATE["mmaction"]
    import mmaction  # raises ImportError when absent

    # The PyPI wheel of mmaction2 1.2.0 lacks mmaction/models/localizers/drn/ but its
    # localizers/__init__.py imports it: put placeholders in sys.modules first.
    for name in ("mmaction.models.localizers.drn", "mmaction.models.localizers.drn.drn"):
        if name not in sys.modules:
            placeholder = types.ModuleType(name)
            placeholder.DRN = type("DRN", (), {})  # type: ignore[attr-defined]
            sys.modules[name] = placeholder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mmaction.models
        from mmaction.utils import register_all_modules

        register_all_modules()
    _MM_STATE["mmaction"] = mmaction
    return mmaction


def require_mmaction() -> Any:
    """The ``mmaction`` package, or skip the calling test/module with the import error as reason."""
    try:
        return _import_mmaction()
    except Exception as exc:  # ImportError, or a broken install
        pytest.skip(f"MMAction2 is not importable here ({type(exc).__name__}: {exc}); "
                    "run tests/parity with the MMAction2 environment")


def config_root() -> Path:
    """The ``configs/`` directory shipped inside the mmaction2 wheel (``mmaction/.mim/configs``)."""
    mmaction = _import_mmaction()
    root = Path(mmaction.__file__).parent / ".mim" / "configs"
    if not root.is_dir():
        pytest.skip(f"this mmaction2 install ships no configs at {root}")
    return root


def load_mm_config(config_relpath: str) -> Any:
    """``mmengine.Config`` of a stock config, e.g. ``recognition/tsm/tsm_...-rgb.py``."""
    from mmengine import Config

    path = config_root() / config_relpath
    if not path.is_file():
        raise FileNotFoundError(f"no MMAction2 config {config_relpath} under {config_root()}")
    return Config.fromfile(str(path))


def build_mm_model(
    config_relpath: str,
    *,
    backbone: Mapping[str, Any] | None = None,
    head: Mapping[str, Any] | None = None,
    neck: Mapping[str, Any] | None = None,
    **backbone_overrides: Any,
) -> nn.Module:
    """Build the recognizer of a stock MMAction2 config, without pretrained weights, in eval mode.

    ``backbone.pretrained`` is cleared (nothing can be downloaded and TANet loads weights in its
    constructor); ``backbone``/``head``/``neck`` update those parts of the config (e.g.
    ``backbone={"depth": 18}, head={"in_channels": 512}``); other keyword arguments update the
    backbone too.
    """
    _import_mmaction()
    from mmaction.registry import MODELS

    cfg = load_mm_config(config_relpath)
    model_cfg = cfg.model
    if "pretrained" in model_cfg.backbone:
        model_cfg.backbone.pretrained = None
    backbone = {**(backbone or {}), **backbone_overrides}
    for part, overrides in (("backbone", backbone), ("cls_head", head), ("neck", neck)):
        if overrides:
            model_cfg[part].update(overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MODELS.build(model_cfg)
    return model.eval()


_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


@torch.no_grad()
def reinit_(module: nn.Module, seed: int, *, skip: Collection[str] = ()) -> nn.Module:
    """Re-initialise every float parameter and buffer of ``module`` from ``seed`` (in place).

    Default initialisations leave BatchNorm statistics at 0/1 and many biases at 0, so a wrong
    mapping of those tensors would go unnoticed. Here: weights ~ N(0, 1/fan_in); norm scales
    ~ U(0.5, 1.5); norm shifts, biases and running means ~ N(0, 0.1^2); running variances
    ~ U(0.5, 1.5); any other float buffer ~ N(0, 0.1^2). Names in ``skip`` (full dotted names) are
    left alone (for fixed structures that the model rebuilds).
    """
    gen = torch.Generator().manual_seed(seed)

    def randn(shape: torch.Size) -> Tensor:
        return torch.randn(shape, generator=gen)

    def rand(shape: torch.Size) -> Tensor:
        return torch.rand(shape, generator=gen)

    for mod_name, mod in module.named_modules():
        is_norm = isinstance(mod, _NORM_TYPES)
        prefix = f"{mod_name}." if mod_name else ""
        for name, p in mod.named_parameters(recurse=False):
            if f"{prefix}{name}" in skip or not p.is_floating_point():
                continue
            if is_norm and name == "weight":
                p.copy_(0.5 + rand(p.shape))
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(randn(p.shape) / math.sqrt(fan_in))
            else:
                p.copy_(0.1 * randn(p.shape))
        for name, b in mod.named_buffers(recurse=False):
            if f"{prefix}{name}" in skip or b is None or not b.is_floating_point():
                continue
            if is_norm and name == "running_var":
                b.copy_(0.5 + rand(b.shape))
            else:
                b.copy_(0.1 * randn(b.shape))
    return module


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def assert_all_consumed(
    source: Mapping[str, Tensor], converted: Mapping[str, Tensor], *, dropped: Collection[str] = ()
) -> None:
    """Every source tensor (except the listed ``dropped`` keys) reappears, unchanged, in
    ``converted``, and nothing else does: the converter neither loses nor invents tensors."""
    kept = {k: v for k, v in source.items() if k not in dropped}
    assert len(converted) == len(kept), (
        f"converter produced {len(converted)} tensors from {len(kept)} source tensors"
    )
    pool: dict[tuple[tuple[int, ...], float], int] = {}
    for v in kept.values():
        key = (tuple(v.shape), float(v.double().sum()) if v.numel() else 0.0)
        pool[key] = pool.get(key, 0) + 1
    for name, v in converted.items():
        key = (tuple(v.shape), float(v.double().sum()) if v.numel() else 0.0)
        assert pool.get(key, 0) > 0, f"converted tensor {name} {tuple(v.shape)} matches no source tensor"
        pool[key] -= 1


def strict_load(model: nn.Module, state_dict: Mapping[str, Tensor]) -> None:
    """``load_state_dict(strict=True)`` with a readable failure listing the offending keys."""
    result = model.load_state_dict(dict(state_dict), strict=False)
    problems = []
    if result.missing_keys:
        problems.append(f"missing {sorted(result.missing_keys)}")
    if result.unexpected_keys:
        problems.append(f"unexpected {sorted(result.unexpected_keys)}")
    assert not problems, "strict load failed: " + "; ".join(problems)


def compare(ours: Tensor, theirs: Tensor, *, atol: float = 1e-4, rtol_centred: float = 1e-2) -> dict[str, float]:
    """Assert our outputs equal MMAction2's and return the measured differences.

    Checks (1) raw max abs diff <= ``atol``; (2) the batch-centred outputs (each row minus the
    batch mean) agree within ``atol`` and within ``rtol_centred`` of their spread, because on
    random inputs deep CNNs give nearly the same output for every sample and a constant offset
    would pass check (1) alone. Needs a batch of at least 2 samples.
    """
    ours = ours.detach().double()
    theirs = theirs.detach().double()
    assert ours.shape == theirs.shape, f"shape {tuple(ours.shape)} != MMAction2's {tuple(theirs.shape)}"
    assert ours.shape[0] >= 2, "compare() needs a batch of at least two samples"
    assert torch.isfinite(ours).all() and torch.isfinite(theirs).all(), "non-finite outputs"
    max_abs = float((ours - theirs).abs().max())
    oc = ours - ours.mean(dim=0, keepdim=True)
    tc = theirs - theirs.mean(dim=0, keepdim=True)
    spread = float(tc.abs().max())
    centred = float((oc - tc).abs().max())
    stats = {"max_abs": max_abs, "centred_max_abs": centred, "spread": spread,
             "scale": float(theirs.abs().max())}
    assert spread > 0, f"MMAction2's outputs do not vary across the batch: {stats}"
    assert max_abs <= atol, f"max abs diff {max_abs:.3g} > {atol}: {stats}"
    assert centred <= atol and centred <= rtol_centred * spread, f"batch-centred outputs differ: {stats}"
    return stats


def save_and_reload_state_dict(model: nn.Module, path: Path, *, remove: bool = False) -> dict[str, Tensor]:
    """Save ``model``'s state dict as MMAction2 does (``{"state_dict": ..., "meta": ...}``) and return
    the path-loaded dict, so the converter is exercised on a real checkpoint file. ``remove`` deletes
    the file once read, for tests that only use the returned dict: the large presets (UniFormerV2-L,
    1.4 GB each) would otherwise fill the disk, since pytest keeps every tmp_path until the end."""
    torch.save({"meta": {"mmaction_version": "1.2.0"}, "state_dict": model.state_dict()}, path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    finally:
        if remove:
            Path(path).unlink(missing_ok=True)
