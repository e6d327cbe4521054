"""``vidcore-recognition export CHECKPOINT``: TorchScript / ONNX with an equality check against eager."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .train import add_set_argument

EPILOG = """examples:
  vidcore-recognition export tsm.pth --preset tsm_r50_1x1x8_kinetics400 --format onnx --out tsm.onnx
  vidcore-recognition export best.pth --preset tsm_r18_1x1x8_kinetics400 --num-classes 8 \\
      --format torchscript --out tsm_r18.pt
  vidcore-recognition export --run work_dirs/my_exp --format torchscript --out my_exp.pt

The exported model takes uint8 frames (N, T, C, H, W) (one view per row, H = W = the preset's
crop size, T its segments or clip length) and returns logits (N, K); normalization is inside.
--run RUN_DIR takes the preset, class count and sizes (a model trained at crop 48 is exported
at 48) from the run's config.json and CHECKPOINT from its best.pth (else its newest checkpoint).
The file is checked against eager PyTorch on a fresh random input before the command succeeds.
ONNX needs: pip install 'vidcore-recognition[export]'."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export a checkpoint to TorchScript or ONNX",
        description="Export CHECKPOINT of a preset to TorchScript or ONNX and verify it against eager PyTorch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "checkpoint", nargs="?", help="weights (vidcore or MMAction2 checkpoint; default with --run: its best.pth)"
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="model preset name")
    src.add_argument("--run", metavar="RUN_DIR", help="a training run's folder: its config.json and best checkpoint")
    add_set_argument(p)
    p.add_argument("--format", choices=("torchscript", "onnx"), required=True)
    p.add_argument("--out", required=True, help="output file (.pt for TorchScript, .onnx for ONNX)")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument(
        "--batch-size", type=int, default=1, help="fixed batch size of the exported graph (default 1)"
    )
    p.add_argument("--crop-size", type=int, help="input side in pixels (default: the preset's crop size)")
    p.add_argument(
        "--atol", type=float, default=1e-4, help="allowed absolute difference from eager (default 1e-4)"
    )
    p.add_argument("--no-check", action="store_true", help="skip the comparison with eager PyTorch")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse a checkpoint whose saved preset or class count differ (default: warn)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from vidcore.core.checkpoint import warnings_as_lines
    from vidcore.core.experiment import run_checkpoint
    from vidcore.recognition.export import ExportError, export_model
    from vidcore.recognition.inference import load_recognizer
    from vidcore.recognition.pipelines import resolve_preset

    from .train import load_experiment, user_errors

    try:
        preset: Any = args.preset
        num_classes = args.num_classes
        checkpoint = args.checkpoint
        if args.run:
            from vidcore.recognition.experiment import resolve_num_classes, resolved_preset

            exp = load_experiment(args.run, args.overrides)
            preset = resolved_preset(exp)
            num_classes = num_classes if num_classes is not None else resolve_num_classes(exp)
            checkpoint = checkpoint or str(run_checkpoint(args.run))
        elif args.overrides:
            print("error: --set needs --run (a preset has no config to override)", file=sys.stderr)
            return 2
        if checkpoint is None:
            print("error: give CHECKPOINT (or --run RUN_DIR for a run's best checkpoint)", file=sys.stderr)
            return 2
        with warnings_as_lines():
            model, preset = load_recognizer(preset, checkpoint, num_classes, strict=args.strict)
        if args.crop_size:
            preset = resolve_preset(
                preset, crop_size=args.crop_size, short_side=max(args.crop_size, preset.short_side)
            )
        result = export_model(
            model, preset, args.out, format=args.format, batch_size=args.batch_size, check=not args.no_check,
            atol=args.atol,
        )  # fmt: skip
    except (*user_errors(), ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    check = (
        "not checked"
        if result.max_abs_diff is None
        else f"max |exported - eager| = {result.max_abs_diff:.3g}"
    )
    print(f"wrote {result.path} ({result.format}, input uint8 {result.input_shape}); {check}")
    return 0
