"""``vidcore-detection export CKPT --preset NAME --out det.pt``: TorchScript of a detector given boxes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export a detector to TorchScript",
        description="Trace the detector (uint8 clips (N, T, C, H, W) + RoIs (R, 5) -> action probabilities "
        "(R, K)), save it, reload it and check it against eager PyTorch on another input.",
        epilog="example:\n  vidcore-detection export slowonly.pth --preset slowonly_r50_4x16x1_ava21 --out slowonly_ava.pt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("checkpoint", type=Path, help="vidcore checkpoint")
    p.add_argument("--preset", required=True)
    p.add_argument("--out", required=True, type=Path, help="TorchScript file to write")
    return p


def run(args: argparse.Namespace) -> int:
    from vidcore.core.checkpoint import extract_state_dict, load_checkpoint

    from ..export import ExportError, export_torchscript
    from ..registry import get_model, get_preset

    if not args.checkpoint.is_file():
        print(f"error: no such file {args.checkpoint}", file=sys.stderr)
        return 2
    preset = get_preset(args.preset)
    sd = extract_state_dict(load_checkpoint(args.checkpoint))
    model = get_model(args.preset, num_classes=preset.num_classes_in(sd) or preset.num_classes)
    model.load_state_dict(sd)
    try:
        result = export_torchscript(model, preset, args.out)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {result.path} (max abs difference to eager on a check input: {result.max_abs_diff:.2g})")
    return 0
