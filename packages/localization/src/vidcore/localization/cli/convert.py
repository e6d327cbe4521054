"""``vidcore-localization convert mmaction SRC DST --preset NAME``: import an MMAction2 checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError, save_checkpoint
from vidcore.core.registry import RegistryError

from ..convert import ConversionError, convert_mmaction_checkpoint


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="import an MMAction2 checkpoint",
        description="Convert an MMAction2 BMN / BSN TEM / BSN PEM checkpoint into a vidcore checkpoint, "
        "checked by a strict load into the preset's model (BMN's saved sampling mask is compared with "
        "the rebuilt one and dropped).",
        epilog="examples:\n"
        "  vidcore-localization convert mmaction bmn_400x100_2x8_9e_activitynet_feature.pth bmn.pth "
        "--preset bmn_400x100_9e_activitynet_feature\n"
        "  vidcore-localization convert mmaction tem.pth tem_vidcore.pth --preset bsn_tem_400x100_20e_activitynet_feature",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_format", choices=["mmaction"], help="toolbox that wrote SRC")
    p.add_argument("src", type=Path, metavar="SRC", help="checkpoint file to convert")
    p.add_argument("dst", type=Path, metavar="DST", help="vidcore checkpoint to write")
    p.add_argument("--preset", required=True, help="preset giving the architecture (see `models`)")
    p.add_argument("--trust-pickle", action="store_true", help="allow SRC to unpickle arbitrary objects (trusted files only)")
    return p


def run(args: argparse.Namespace) -> int:
    try:
        sd = convert_mmaction_checkpoint(args.src, args.preset, trust_pickle=args.trust_pickle)
    except (ConversionError, CheckpointError, FileNotFoundError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    save_checkpoint({"model": sd, "meta": {"preset": args.preset, "source": str(args.src), "source_format": "mmaction"}}, args.dst)
    print(f"wrote {args.dst}: {len(sd)} tensors for preset {args.preset}")
    return 0
