"""``vidcore-localization models``: the registered presets with their inputs and parameter counts
(the shared verb of :mod:`vidcore.core.models_cli`; parameters are the trainable ones: BMN's
fixed sampling mask is a buffer here, where MMAction2 counts it as a 32M-value parameter)."""

from __future__ import annotations

from typing import Any

from vidcore.core.models_cli import ModelsVerb

from ..registry import PRESETS, Preset


def columns(preset: Preset) -> dict[str, Any]:
    """Task, input features (``C x T``, or ``C`` per proposal for PEM), Soft-NMS parameters."""
    return {
        "task": preset.task,
        "input": f"{preset.feat_dim} per proposal" if preset.task == "pem" else f"{preset.feat_dim}x{preset.temporal_scale}",
        "soft_nms": f"{preset.soft_nms_alpha}/{preset.soft_nms_low_threshold}/{preset.soft_nms_high_threshold}",
    }


add_parser, run = ModelsVerb(PRESETS, "vidcore-localization", columns=columns, example_filter="bmn").bind()
