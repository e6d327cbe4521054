"""``vidcore-localization models``: the registered presets with their inputs and parameter counts."""

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
        description="List the localization presets: task, input features (C x T), Soft-NMS parameters, "
        "parameters (trainable; BMN's fixed sampling mask is not a parameter here).",
        epilog="examples:\n  vidcore-localization models\n  vidcore-localization models --filter bmn --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--filter", default=None, metavar="TEXT", help="only presets whose name contains TEXT")
    p.add_argument("--json", action="store_true", help="print one JSON object per preset")
    p.add_argument("--no-params", action="store_true", help="skip counting parameters")
    return p


def describe(preset: Preset, *, params: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": preset.name,
        "task": preset.task,
        "input": f"{preset.feat_dim} per proposal" if preset.task == "pem" else f"{preset.feat_dim}x{preset.temporal_scale}",
        "soft_nms": f"{preset.soft_nms_alpha}/{preset.soft_nms_low_threshold}/{preset.soft_nms_high_threshold}",
        "dataset": preset.dataset,
        "mmaction_config": preset.mmaction_config,
    }
    if params:
        with torch.device("meta"):
            model = get_model(preset.name)
        info["params"] = sum(p.numel() for p in model.parameters())
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
    cols = ["name", "task", "input", "soft_nms", "dataset"] + ([] if args.no_params else ["params"])
    table = [[f"{r[c] / 1e6:.2f}M" if c == "params" else str(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
    return 0
