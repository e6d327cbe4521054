"""``vidcore-skeleton models``: list the registered presets with their input and parameter count
(the shared verb of :mod:`vidcore.core.models_cli` with skeleton's columns)."""

from __future__ import annotations

from typing import Any

from vidcore.core.models_cli import ModelsVerb

from ..registry import PRESETS, Preset


def columns(preset: Preset) -> dict[str, Any]:
    """Input kind, graph layout (and partition for GCNs), streams, clip frames x people, test clips."""
    if preset.input_key == "keypoint":
        layout = f"{preset.graph}/{preset.graph_strategy}"
        clip = f"{preset.num_person}x{preset.clip_len}"
    else:
        layout = f"{preset.graph}/{'limbs' if preset.with_limb else 'joints'}"
        clip = f"{preset.in_channels}x{preset.clip_len}x{preset.heatmap_size}x{preset.heatmap_size}"
    return {
        "input": preset.input_key,
        "layout": layout,
        "feats": ",".join(preset.feats) if preset.input_key == "keypoint" else "-",
        "clip": clip,
        "test_views": preset.test_views,
    }


add_parser, run = ModelsVerb(PRESETS, "vidcore-skeleton", columns=columns, example_filter="stgcnpp").bind()
