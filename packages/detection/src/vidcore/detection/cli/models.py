"""``vidcore-detection models``: list the registered detector presets (the shared verb of
:mod:`vidcore.core.models_cli`; the clip around the keyframe as clip_len x frame_interval)."""

from __future__ import annotations

from typing import Any

from vidcore.core.models_cli import ModelsVerb

from ..registry import PRESETS, Preset


def columns(preset: Preset) -> dict[str, Any]:
    """The clip around each keyframe: ``clip_len x frame_interval``."""
    return {"clip": f"{preset.clip_len}x{preset.frame_interval}"}


add_parser, run = ModelsVerb(PRESETS, "vidcore-detection", columns=columns, example_filter="slowfast").bind()
