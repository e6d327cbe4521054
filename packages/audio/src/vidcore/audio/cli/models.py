"""``vidcore-audio models``: the registered presets with clip shape, sampling and parameter count
(the shared verb of :mod:`vidcore.core.models_cli`)."""

from __future__ import annotations

from typing import Any

from vidcore.core.models_cli import ModelsVerb

from ..registry import PRESETS, Preset


def columns(preset: Preset) -> dict[str, Any]:
    """Clip (``T`` rows x ``F`` mel bands), sampling (clip_len x frame_interval x num_clips, in video
    frames), test clips."""
    return {
        "clip": "x".join(map(str, preset.input_shape)),
        "sampling": f"{preset.clip_len}x{preset.frame_interval}x{preset.num_clips}",
        "test_clips": preset.test_num_clips,
    }


add_parser, run = ModelsVerb(PRESETS, "vidcore-audio", columns=columns, example_filter="audioonly").bind()
