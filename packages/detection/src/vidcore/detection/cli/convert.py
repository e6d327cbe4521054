"""``vidcore-detection convert mmaction SRC DST --preset NAME``: import an MMAction2 AVA checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError, save_checkpoint
from vidcore.core.registry import RegistryError

from ..convert import ConversionError, convert_mmaction_checkpoint
from ..registry import get_preset


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="import an MMAction2 detector checkpoint",
        description="Convert an MMAction2 FastRCNN (AVA) checkpoint into a vidcore checkpoint for a preset. "
        "The result is checked by a strict load into the preset's model.",
        epilog="examples:\n"
        "  vidcore-detection convert mmaction slowonly_ava21.pth slowonly_vidcore.pth "
        "--preset slowonly_r50_4x16x1_ava21\n"
        "  vidcore-detection convert mmaction epoch_20.pth out.pth --preset slowfast_r50_4x16x1_ava21 --trust-pickle",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_format", choices=["mmaction"], help="toolbox that wrote SRC")
    p.add_argument("src", type=Path, metavar="SRC", help="checkpoint file to convert")
    p.add_argument("dst", type=Path, metavar="DST", help="vidcore checkpoint to write")
    p.add_argument("--preset", required=True, help="preset giving the architecture (see `models`)")
    p.add_argument("--num-classes", type=int, default=None, help="classes of SRC's classifier (default: read from SRC)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow SRC to unpickle arbitrary objects (only for files you trust; MMEngine training "
                   "checkpoints need it)")  # fmt: skip
    return p


def run(args: argparse.Namespace) -> int:
    try:
        preset = get_preset(args.preset)
        sd = convert_mmaction_checkpoint(args.src, args.preset, num_classes=args.num_classes,
                                         trust_pickle=args.trust_pickle)  # fmt: skip
    except (ConversionError, CheckpointError, FileNotFoundError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    k = preset.num_classes_in(sd)
    meta = {"preset": args.preset, "source": str(args.src), "source_format": args.source_format, "num_classes": k}
    save_checkpoint({"model": sd, "meta": meta}, args.dst)
    print(f"wrote {args.dst}: {len(sd)} tensors for preset {args.preset} ({k} classes)")
    return 0
