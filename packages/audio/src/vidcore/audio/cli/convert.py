"""``vidcore-audio convert mmaction SRC DST --preset NAME``: an MMAction2 audio checkpoint to vidcore."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

EXAMPLES = """examples:
  vidcore-audio convert mmaction tsn_r18_8xb320-64x1x1-100e_kinetics400-audio-feature_20201012.pth \\
      tsn_r18_audio.pth --preset tsn_r18_64x1x1_kinetics400_audio_feature
  vidcore-audio convert mmaction my_finetuned.pth out.pth --preset audioonly_r50_64x1x1_kinetics400_audio_feature

The result is checked by a strict fit into the preset's model: every tensor consumed, every model
tensor provided (the class count is read from the classifier)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="convert an MMAction2 checkpoint",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_format", choices=["mmaction"], help="toolbox that wrote SRC")
    p.add_argument("src", type=Path, metavar="SRC", help="checkpoint file to convert")
    p.add_argument("dst", type=Path, metavar="DST", help="vidcore checkpoint to write")
    p.add_argument("--preset", required=True, help="preset giving the architecture (see `vidcore-audio models`)")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument(
        "--trust-pickle", action="store_true", help="allow arbitrary pickled objects (MMEngine training checkpoints)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    import torch

    from vidcore.core.registry import RegistryError

    from ..convert import ConversionError, checkpoint_num_classes, convert_mmaction_checkpoint

    try:
        sd = convert_mmaction_checkpoint(
            args.src, args.preset, num_classes=args.num_classes, trust_pickle=args.trust_pickle
        )
    except (ConversionError, FileNotFoundError, RegistryError) as exc:
        print(f"error: {exc}")
        return 2
    args.dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": sd, "meta": {"preset": args.preset, "source": str(args.src)}}, args.dst)
    k = checkpoint_num_classes(sd, args.preset)
    print(f"wrote {args.dst}: {len(sd)} tensors, preset {args.preset}, {k} classes")
    return 0
