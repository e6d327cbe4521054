"""``vidcore-recognition models``: list the registered presets with clip shape and parameter count
(the shared verb of :mod:`vidcore.core.models_cli` with recognition's columns)."""

from __future__ import annotations

from typing import Any

from vidcore.core.models_cli import ModelsVerb

from ..registry import PRESETS, Preset


def columns(preset: Preset) -> dict[str, Any]:
    """Input layout, training clip ``TxCxHxW``, sampling ``clip_len x interval x clips``, test views."""
    return {
        "layout": preset.input_layout,
        "clip": "x".join(str(d) for d in preset.input_shape),
        "sampling": f"{preset.clip_len}x{preset.frame_interval}x{preset.num_clips}"
        + {"dense": "-dense", "uniform_sample": "-uniform"}.get(preset.sampling, ""),
        "test_views": preset.test_views,
        "test_clip": "x".join(str(d) for d in preset.test_input_shape[1:]),
    }


add_parser, run = ModelsVerb(PRESETS, "vidcore-recognition", columns=columns, example_filter="slowfast").bind()
