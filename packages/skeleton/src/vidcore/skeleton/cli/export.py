"""``vidcore-skeleton export CHECKPOINT --preset NAME --out FILE``: TorchScript (or ONNX), checked
against eager PyTorch."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vidcore.core.checkpoint import CheckpointError
from vidcore.core.registry import RegistryError

EPILOG = """examples:
  vidcore-skeleton export demo_skeleton/run/best.pth --preset stgcn_joint_synth_coco_2d --out stgcn_synth.pt
  vidcore-skeleton export stgcn_mmaction.pth --preset stgcn_joint_80e_ntu60_xsub_keypoint_2d --batch-size 10 --out stgcn.pt

The exported graph takes one clip per row as the preset's test pipeline makes it (GCNs: float32
(N, M, T, J, C); PoseC3D: heatmaps (N, K, T, H, W)) and returns logits (N, K); average the clips of
a sequence yourself. The batch size is fixed. The file is checked against eager PyTorch on a fresh
random input before the command succeeds. ONNX needs onnx and onnxruntime."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export a checkpoint to TorchScript or ONNX",
        description="Export CHECKPOINT of a preset and verify it against eager PyTorch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("checkpoint", help="weights (vidcore or MMAction2 checkpoint)")
    p.add_argument("--preset", required=True, help="model preset (see `models`)")
    p.add_argument("--out", required=True, help="output file (.pt for TorchScript, .onnx for ONNX)")
    p.add_argument("--format", choices=("torchscript", "onnx"), default="torchscript")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument("--batch-size", type=int, default=1, help="fixed clips per call of the exported graph (default 1)")
    p.add_argument("--atol", type=float, default=1e-4, help="allowed absolute difference from eager (default 1e-4)")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with eager PyTorch")
    return p


def run(args: argparse.Namespace) -> int:
    from ..convert import ConversionError
    from ..export import ExportError, export_model
    from ..inference import load_skeleton_model

    try:
        model, preset = load_skeleton_model(args.preset, args.checkpoint, num_classes=args.num_classes)
        result = export_model(
            model, preset, args.out, format=args.format, batch_size=args.batch_size, check=not args.no_check,
            atol=args.atol,
        )  # fmt: skip
    except (CheckpointError, ConversionError, RegistryError, FileNotFoundError, ExportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    check = "not checked" if result.max_abs_diff is None else f"max |exported - eager| = {result.max_abs_diff:.3g}"
    print(f"wrote {result.path} ({result.format}, input float32 {result.input_shape}); {check}")
    return 0
