"""``vidcore-audio export CHECKPOINT --preset NAME --format torchscript|onnx --out FILE``."""

from __future__ import annotations

import argparse
from typing import Any

EXAMPLES = """examples:
  vidcore-audio export best.pth --preset tsn_r18_synth_av --format torchscript --out audio.pt
  vidcore-audio export tsn.pth --preset tsn_r18_64x1x1_kinetics400_audio_feature --format onnx --out tsn.onnx

The exported graph takes log-mel clips (N, T, F) float32 and returns logits (N, K); it is checked
against eager PyTorch (max abs diff printed, <= 1e-4 required)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export to TorchScript or ONNX",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("checkpoint", help="weights (vidcore or MMAction2 checkpoint)")
    p.add_argument("--preset", required=True, help="model preset")
    p.add_argument("--format", choices=("torchscript", "onnx"), required=True)
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with eager PyTorch")
    return p


def run(args: argparse.Namespace) -> int:
    from vidcore.core.checkpoint import CheckpointError
    from vidcore.core.registry import RegistryError

    from ..convert import ConversionError
    from ..export import ExportError, export_model
    from ..inference import load_audio_recognizer

    try:
        model, preset = load_audio_recognizer(args.preset, args.checkpoint, num_classes=args.num_classes)
        result = export_model(model, preset, args.out, format=args.format, check=not args.no_check)
    except (CheckpointError, ConversionError, RegistryError, FileNotFoundError, ExportError) as exc:
        print(f"error: {exc}")
        return 2
    diff = "unchecked" if result.max_abs_diff is None else f"max abs diff vs eager {result.max_abs_diff:.2e}"
    print(f"wrote {result.path} ({result.format}; input (N, {preset.fixed_length}, {preset.n_mels}) log-mel; {diff})")
    return 0
