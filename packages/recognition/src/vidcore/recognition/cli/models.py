"""``vidcore-recognition models``: list the registered presets with clip shape and parameter count."""

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
        description="List the model presets: input layout, training clip (T x C x H x W), sampling "
        "(clip_len x frame_interval x num_clips), test views, label set, parameters.",
        epilog="examples:\n  vidcore-recognition models\n  vidcore-recognition models --filter slowfast --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--filter", default=None, metavar="TEXT", help="only presets whose name contains TEXT")
    p.add_argument("--json", action="store_true", help="print one JSON object per preset")
    p.add_argument("--no-params", action="store_true", help="skip counting parameters")
    return p


def count_parameters(preset: Preset) -> int:
    """Parameters of the preset's model at its default class count (built on the meta device:
    no memory, no initialisation cost)."""
    with torch.device("meta"):
        model = get_model(preset.name)
    return sum(p.numel() for p in model.parameters())


def describe(preset: Preset, *, params: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": preset.name,
        "layout": preset.input_layout,
        "clip": "x".join(str(d) for d in preset.input_shape),
        "sampling": f"{preset.clip_len}x{preset.frame_interval}x{preset.num_clips}"
        + ("-dense" if preset.sampling == "dense" else ""),
        "test_views": preset.test_views,
        "test_clip": "x".join(str(d) for d in preset.test_input_shape[1:]),
        "dataset": preset.dataset,
        "num_classes": preset.num_classes,
        "mmaction_config": preset.mmaction_config,
    }
    if params:
        info["params"] = count_parameters(preset)
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
    cols = ["name", "layout", "clip", "sampling", "test_views", "dataset", "num_classes"]
    if not args.no_params:
        cols.append("params")
    table = [[_fmt(c, r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
    return 0


def _fmt(col: str, value: Any) -> str:
    if col == "params":
        return f"{value / 1e6:.2f}M"
    return str(value)
