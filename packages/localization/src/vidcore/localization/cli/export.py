"""``vidcore-localization export CHECKPOINT --preset P --out F``: TorchScript / ONNX of a BMN preset,
checked against eager PyTorch."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vidcore.core.checkpoint import CheckpointError
from vidcore.core.registry import RegistryError

from ..convert import ConversionError

EPILOG = """examples:
  vidcore-localization export bmn.pth --preset bmn_400x100_9e_activitynet_feature --out bmn.pt
  vidcore-localization export work_dir/best.pth --preset bmn_synthetic_tsm_r18_demo --out bmn_demo.pt --batch-size 4

The exported module takes float features (N, feat_dim, temporal_scale) and returns one tensor
(N, 2*T*T + 2*T): the confidence map (N, 2, T, T) flattened, then the start and end probabilities
(vidcore.localization.export.unpack_outputs splits it). The file is compared with eager PyTorch on
a fresh random input before the command succeeds. ONNX needs: pip install onnx onnxruntime onnxscript."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export a BMN checkpoint to TorchScript or ONNX",
        description="Export CHECKPOINT (vidcore or MMAction2) of a BMN preset and verify it against eager PyTorch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("checkpoint", nargs="?", help="weights (vidcore or MMAction2 checkpoint)")
    p.add_argument("--preset", required=True, help="a BMN preset (see `models`)")
    p.add_argument("--random-weights", action="store_true", help="no checkpoint: an untrained model (smoke tests)")
    p.add_argument("--out", required=True, help="output file (.pt for TorchScript, .onnx for ONNX)")
    p.add_argument("--format", choices=("torchscript", "onnx"), default="torchscript")
    p.add_argument("--batch-size", type=int, default=1, help="fixed batch size of the exported graph (default 1)")
    p.add_argument("--atol", type=float, default=1e-4, help="allowed absolute difference from eager (default 1e-4)")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with eager PyTorch")
    return p


def run(args: argparse.Namespace) -> int:
    from ..export import ExportError, export_bmn
    from ..inference import load_localizer

    if (args.checkpoint is None) == (not args.random_weights):
        print("error: give CHECKPOINT or --random-weights (one of them)", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print(f"error: --batch-size must be >= 1, got {args.batch_size}", file=sys.stderr)
        return 2
    try:
        model = load_localizer(args.preset, args.checkpoint, random_weights=args.random_weights)
        result = export_bmn(model, args.out, format=args.format, batch_size=args.batch_size,
                            check=not args.no_check, atol=args.atol, name=args.preset)  # fmt: skip
    except (ConversionError, CheckpointError, RegistryError, ExportError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.random_weights:
        print("warning: --random-weights: an untrained model was exported")
    shape = "x".join(map(str, result.input_shape))
    check = "unchecked" if result.max_abs_diff is None else f"max abs diff vs eager {result.max_abs_diff:.2e}"
    print(f"wrote {result.path} ({result.format}, input {shape}; {check})")
    return 0
