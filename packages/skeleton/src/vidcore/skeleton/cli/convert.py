"""``vidcore-skeleton convert mmaction SRC DST --preset NAME``: import an MMAction2 checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError, save_checkpoint
from vidcore.core.registry import RegistryError

from ..convert import ConversionError, checkpoint_num_classes, convert_mmaction_checkpoint
from ..registry import get_preset


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="import an MMAction2 checkpoint",
        description="Convert an MMAction2 skeleton checkpoint (ST-GCN, ST-GCN++, 2s-AGCN, PoseC3D, "
        "RGBPoseConv3D) into a vidcore checkpoint for a preset, checked by a strict load.",
        epilog="examples:\n"
        "  vidcore-skeleton convert mmaction stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d.pth stgcn.pth "
        "--preset stgcn_joint_80e_ntu60_xsub_keypoint_2d\n"
        "  vidcore-skeleton convert mmaction posec3d_gym.pth out.pth --preset posec3d_slowonly_r50_gym_keypoint",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_format", choices=["mmaction"], help="toolbox that wrote SRC")
    p.add_argument("src", type=Path, metavar="SRC", help="checkpoint file to convert")
    p.add_argument("dst", type=Path, metavar="DST", help="vidcore checkpoint to write")
    p.add_argument("--preset", required=True, help="preset giving the architecture (see `models`)")
    p.add_argument("--num-classes", type=int, default=None, help="classes of SRC (default: read from SRC)")
    p.add_argument("--trust-pickle", action="store_true", help="allow SRC to unpickle arbitrary objects")
    return p


def run(args: argparse.Namespace) -> int:
    try:
        get_preset(args.preset)
        sd = convert_mmaction_checkpoint(args.src, args.preset, num_classes=args.num_classes, trust_pickle=args.trust_pickle)
        k = checkpoint_num_classes(sd, args.preset, args.num_classes)
    except (ConversionError, CheckpointError, FileNotFoundError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    meta = {"preset": args.preset, "source": str(args.src), "source_format": args.source_format, "num_classes": k}
    save_checkpoint({"model": sd, "meta": meta}, args.dst)
    print(f"wrote {args.dst}: {len(sd)} tensors for preset {args.preset} ({k} classes)")
    return 0
