"""``vidcore-audio models``: the registered presets with clip shape, sampling and parameter count."""

from __future__ import annotations

import argparse
import json
from typing import Any

import torch

from ..registry import Preset, get_model, list_presets


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "models",
        help="list model presets",
        description="List the audio presets: clip (T rows x F mel bands), sampling (clip_len x "
        "frame_interval x num_clips, in video frames), test clips, label set, parameters.",
        epilog="examples:\n  vidcore-audio models\n  vidcore-audio models --filter audioonly --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--filter", default=None, metavar="TEXT", help="only presets whose name contains TEXT")
    p.add_argument("--json", action="store_true", help="print one JSON object per preset")
    p.add_argument("--no-params", action="store_true", help="skip counting parameters")
    return p


def describe(preset: Preset, *, params: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": preset.name,
        "clip": "x".join(map(str, preset.input_shape)),
        "sampling": f"{preset.clip_len}x{preset.frame_interval}x{preset.num_clips}",
        "test_clips": preset.test_num_clips,
        "dataset": preset.dataset,
        "num_classes": preset.num_classes,
        "mmaction_config": preset.mmaction_config,
    }
    if params:
        with torch.device("meta"):  # shapes only
            info["params"] = sum(p.numel() for p in get_model(preset.name).parameters())
    return info


def run(args: argparse.Namespace) -> int:
    presets = [p for p in list_presets() if not args.filter or args.filter in p.name]
    if not presets:
        print(f"no preset matches {args.filter!r}")
        return 1
    rows = [describe(p, params=not args.no_params) for p in presets]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    cols = ["name", "clip", "sampling", "test_clips", "dataset", "num_classes"] + ([] if args.no_params else ["params"])
    table = [[f"{r[c] / 1e6:.2f}M" if c == "params" else str(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
    return 0
