"""Imports every model family of this package, so that all presets are registered.

The recognition preset registry imports this module on its first lookup (and it is this
distribution's ``vidcore.recognition.presets`` entry point). Each family is imported by name:
a test checks that every module under :mod:`vidcore.recognition.models` that registers presets
is listed here, so a family cannot drop out of the registry unnoticed.
"""

from __future__ import annotations

from . import pretrain  # noqa: F401  (the tiny ViT preset of the synthetic pre-training demo)
from .models import (
    c3d,
    csn,
    mobilenet_v2,
    mvit,
    r2plus1d,
    resnet3d,
    slowfast,
    swin,
    tanet,
    timesformer,
    tin,
    tpn,
    trn,
    tsm,
    tsn,
    uniformer,
    uniformerv2,
    videomae,
    x3d,
)

#: The model modules whose import registers presets.
FAMILIES = (
    c3d, csn, mobilenet_v2, mvit, r2plus1d, resnet3d, slowfast, swin, tanet, timesformer, tin, tpn, trn, tsm, tsn,
    uniformer, uniformerv2, videomae, x3d,
)  # fmt: skip
