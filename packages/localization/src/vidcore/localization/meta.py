"""Preset metadata shared by the localization presets, varied per preset with
:func:`dataclasses.replace` (see :mod:`vidcore.localization.registry`).

The values are MMAction2's ActivityNet feature configs: 100 positions of 400-d two-stream TSN
features (``csv_mean_100``), one feature per 16 frames.
"""

from __future__ import annotations

from .registry import Preset

__all__ = ["ACTIVITYNET_TSN", "HACS_SLOWONLY"]

#: ActivityNet-1.3, MMAction2's rescaled TSN features (400 x 100), class-agnostic proposals.
ACTIVITYNET_TSN = Preset(dataset="activitynet", num_classes=1, temporal_scale=100, feat_dim=400)
#: HACS segments, MMAction2's 700-d SlowOnly features at 100 positions.
HACS_SLOWONLY = Preset(dataset="hacs", num_classes=1, temporal_scale=100, feat_dim=700)
