"""``vidcore-recognition convert mmaction SRC DST --preset NAME``: import an MMAction2 checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError, save_checkpoint, vidcore_versions

from ..convert import ConversionError, convert_mmaction_checkpoint
from ..registry import get_preset


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="import a checkpoint from another toolbox",
        description="Convert a checkpoint of another toolbox into a vidcore checkpoint for a preset. "
        "The result is checked by a strict load into the preset's model.",
        epilog="examples:\n"
        "  vidcore-recognition convert mmaction tsm_r50_k400.pth tsm_r50_k400_vidcore.pth "
        "--preset tsm_r50_1x1x8_kinetics400\n"
        "  vidcore-recognition convert mmaction epoch_50.pth out.pth --preset tsn_r50_1x1x3_kinetics400 "
        "--trust-pickle",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_format", choices=["mmaction"], help="toolbox that wrote SRC")
    p.add_argument("src", type=Path, metavar="SRC", help="checkpoint file to convert")
    p.add_argument("dst", type=Path, metavar="DST", help="vidcore checkpoint to write")
    p.add_argument("--preset", required=True, help="preset giving the architecture (see `models`)")
    p.add_argument(
        "--num-classes", type=int, default=None, help="classes of SRC's classifier (default: read from SRC)"
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow SRC to unpickle arbitrary objects (only for files from a source you trust; "
        "training checkpoints of MMEngine need it)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    try:
        get_preset(args.preset)
        state_dict = convert_mmaction_checkpoint(
            args.src, args.preset, num_classes=args.num_classes, trust_pickle=args.trust_pickle
        )
    except (ConversionError, CheckpointError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    num_classes = _num_classes(state_dict, args.preset)
    meta = {"preset": args.preset, "source": str(args.src), "source_format": args.source_format,
            "versions": vidcore_versions()}  # fmt: skip
    if num_classes is not None:
        meta["num_classes"] = num_classes
    save_checkpoint({"model": state_dict, "meta": meta}, args.dst)
    print(f"wrote {args.dst}: {len(state_dict)} tensors for preset {args.preset}"
          + (f" ({num_classes} classes)" if num_classes is not None else ""))
    return 0


def _num_classes(state_dict: dict[str, Any], preset: str) -> int | None:
    from ..convert import checkpoint_num_classes

    return checkpoint_num_classes(state_dict, preset)
