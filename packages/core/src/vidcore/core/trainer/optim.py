"""Optimizer parameter groups and per-iteration learning-rate schedules."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from vidcore.core.trainer.config import OptimConfig, ScheduleConfig

__all__ = [
    "build_optimizer",
    "build_scheduler",
    "layer_ids",
    "lr_factor",
    "param_groups",
    "resolve_schedule_iters",
]

_NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,  # BatchNorm1d/2d/3d, SyncBatchNorm, InstanceNorm*
    nn.GroupNorm,
    nn.LayerNorm,
    nn.LocalResponseNorm,
    nn.RMSNorm,
)


def _lr_mult_for(name: str, lr_mult: dict[str, float]) -> tuple[str, float]:
    best = ""
    for prefix in lr_mult:
        if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return best, (lr_mult[best] if best else 1.0)


def layer_ids(model: nn.Module, blocks: str = "blocks") -> tuple[dict[str, int], int]:
    """Layer index of every parameter for layer-wise LR decay, and the number of blocks ``L``.

    A parameter inside block ``i`` of the ``ModuleList`` named ``blocks`` (name containing
    ``<blocks>.<i>.``) has layer ``i + 1``; parameters registered before the first block (patch
    embedding, position embeddings, class token) have layer 0; the others (final norm, head, and
    anything registered after the blocks) layer ``L + 1``. Raises ``ValueError`` when the model has
    no such blocks.
    """
    pattern = re.compile(rf"(?:^|\.){re.escape(blocks)}\.(\d+)\.")
    names = [n for n, _ in model.named_parameters()]
    found = [(n, pattern.search(n)) for n in names]
    indices = {int(m.group(1)) for _, m in found if m}
    if not indices:
        raise ValueError(f"{type(model).__name__} has no parameters under '{blocks}.<i>.' for layer-wise LR decay")
    num_layers = max(indices) + 1
    ids: dict[str, int] = {}
    seen_block = False
    for name, m in found:
        if m:
            seen_block = True
            ids[name] = int(m.group(1)) + 1
        else:
            ids[name] = num_layers + 1 if seen_block else 0
    return ids, num_layers


def param_groups(
    model: nn.Module,
    *,
    lr: float,
    weight_decay: float,
    no_decay_norm_and_bias: bool = True,
    lr_mult: dict[str, float] | None = None,
    no_decay_keys: Sequence[str] = (),
    layer_decay: float = 1.0,
    layer_decay_blocks: str = "blocks",
) -> list[dict[str, Any]]:
    """Split the trainable parameters of ``model`` into optimizer groups.

    A parameter goes to the no-decay group (``weight_decay=0``) when ``no_decay_norm_and_bias`` and
    it belongs to a normalization layer, its name ends in ``bias``, or it is 1-D (this also catches
    norm layers that do not subclass torch's); or when one of the dot-separated parts of its name
    is in ``no_decay_keys`` (ViT position embeddings and tokens: ``("pos_embed", "cls_token")``).
    ``lr_mult`` maps name prefixes (``"backbone"``, ``"backbone.layer4"``) to LR multipliers; the
    longest matching prefix wins. ``layer_decay < 1`` multiplies the LR of layer ``k`` (see
    :func:`layer_ids`) by ``layer_decay ** (L + 1 - k)``. Each group carries ``lr``,
    ``weight_decay``, ``lr_mult`` (all multipliers together) and a readable ``name``; frozen
    parameters are left out.
    """
    lr_mult = lr_mult or {}
    keys = set(no_decay_keys)
    if not 0.0 < layer_decay <= 1.0:
        raise ValueError(f"layer_decay must be in (0, 1], got {layer_decay}")
    ids, num_layers = layer_ids(model, layer_decay_blocks) if layer_decay != 1.0 else ({}, 0)
    norm_params: set[int] = set()
    for module in model.modules():
        if isinstance(module, _NORM_TYPES):
            norm_params.update(id(p) for p in module.parameters(recurse=False))
    groups: dict[tuple[str, bool, int], dict[str, Any]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = no_decay_norm_and_bias and (id(p) in norm_params or name.endswith("bias") or p.ndim <= 1)
        no_decay = no_decay or not keys.isdisjoint(name.split("."))
        prefix, mult = _lr_mult_for(name, lr_mult)
        layer = ids.get(name, -1)
        if layer >= 0:
            mult *= layer_decay ** (num_layers + 1 - layer)
        key = (prefix, no_decay, layer)
        if key not in groups:
            groups[key] = {
                "name": f"{prefix or 'default'}{f'/layer{layer}' if layer >= 0 else ''}"
                f"{'/no_decay' if no_decay else ''}",
                "params": [],
                "param_names": [],
                "lr": lr * mult,
                "lr_mult": mult,
                "weight_decay": 0.0 if no_decay else weight_decay,
            }
        groups[key]["params"].append(p)
        groups[key]["param_names"].append(name)
    unused = [k for k in lr_mult if not any(g[0] == k for g in groups)]
    if unused:
        raise ValueError(f"lr_mult prefixes {unused} match no trainable parameter of {type(model).__name__}")
    return list(groups.values())


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.Optimizer:
    """SGD or AdamW over :func:`param_groups` of ``model``."""
    groups = param_groups(
        model,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        no_decay_norm_and_bias=cfg.no_decay_norm_and_bias,
        lr_mult=cfg.lr_mult,
        no_decay_keys=cfg.no_decay_keys,
        layer_decay=cfg.layer_decay,
        layer_decay_blocks=cfg.layer_decay_blocks,
    )
    if cfg.name == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    if cfg.name == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps)
    raise ValueError(f"unknown optimizer {cfg.name!r} (expected 'sgd' or 'adamw')")


def resolve_schedule_iters(cfg: ScheduleConfig, iters_per_epoch: int) -> tuple[int, list[int]]:
    """Warm-up length and milestones in iterations for ``iters_per_epoch`` optimizer steps per epoch."""
    warmup = cfg.warmup_iters or round(cfg.warmup_epochs * iters_per_epoch)
    milestones = sorted(round(m * iters_per_epoch) for m in cfg.milestones)
    return warmup, milestones


def lr_factor(cfg: ScheduleConfig, it: int, *, total_iters: int, iters_per_epoch: int) -> float:
    """The multiplier of the base LR at iteration ``it`` (0-based); see :class:`ScheduleConfig`."""
    warmup, milestones = resolve_schedule_iters(cfg, iters_per_epoch)
    factor = 1.0
    if cfg.name == "cosine":
        span = max(total_iters - warmup, 1)
        progress = min(max(it - warmup, 0) / span, 1.0)
        m = cfg.min_lr_ratio
        factor = m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * progress))
    elif cfg.name == "multistep":
        factor = cfg.gamma ** sum(1 for m in milestones if it >= m)
    elif cfg.name != "constant":
        raise ValueError(f"unknown schedule {cfg.name!r}")
    if it < warmup:
        s = cfg.warmup_start_factor
        factor *= s + (1.0 - s) * it / warmup
    return factor


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: ScheduleConfig, *, iters_per_epoch: int, max_epochs: int
) -> LambdaLR:
    """A ``LambdaLR`` stepped once per optimizer step; group ``g`` gets ``g["initial_lr"] * lr_factor``."""
    total = iters_per_epoch * max_epochs

    def factor(it: int) -> float:
        return lr_factor(cfg, it, total_iters=total, iters_per_epoch=iters_per_epoch)

    return LambdaLR(optimizer, factor)
