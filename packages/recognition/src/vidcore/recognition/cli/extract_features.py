"""``vidcore-recognition extract-features VIDEO... --out DIR``: snippet features for temporal localization."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .train import user_errors

EPILOG = """examples:
  vidcore-recognition extract-features videos/v_abc.mp4 videos/v_def.mp4 \\
      --preset tsn_r50_1x1x3_kinetics400 --checkpoint tsn.pth --out feats/
  vidcore-recognition extract-features videos/*.mp4 --preset slowonly_r50_8x8x1_kinetics400 \\
      --checkpoint slowonly.pth --out feats/ --stride 16 --batch-size 16 --format npy
  vidcore-recognition extract-features long.mp4 --preset tsm_r50_1x1x8_kinetics400 --random-weights \\
      --out smoke_feats/ --device cpu
  vidcore-recognition extract-features loc/videos/*.mp4 --run work_dir/ --out feats/ --stride 4 --format npy
  vidcore-recognition extract-features loc/videos/*.mp4 --preset tsm_r18_1x1x8_kinetics400 --random-weights \\
      --short-side 48 --crop-size 48 --stride 8 --out feats/   # 48-pixel synthetic videos
  vidcore-localization infer feats/v_abc.csv --preset bmn_400x100_9e_activitynet_feature --checkpoint bmn.pth

Each video gives one file DIR/<video stem>.csv (a header line f0,f1,... then one row per snippet,
MMAction2's layout) or .npy (float32 (snippets, channels)): what vidcore-localization reads.
A snippet is the preset's clip (3D: clip_len frames frame_interval apart; 2D: its segments as
consecutive frames) centred every --stride frames (16: MMAction2's ActivityNet recipe); its
feature is the classifier's input, the backbone output averaged over time and space. Videos whose
file exists are skipped (rerun to resume; --overwrite to redo); files appear atomically. A video
that cannot be read is reported on one line and the others still run; the exit code is 1 if any
failed. --random-weights runs an untrained backbone (smoke tests, timing: the features mean nothing)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "extract-features",
        help="snippet features of untrimmed videos (for vidcore-localization)",
        description="Run a preset's backbone over sliding snippets of each VIDEO and write one feature file per video.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="model preset name (see `vidcore-recognition models`)")
    src.add_argument(
        "--run", metavar="RUN_DIR", help="a training run's folder: its preset with the run's frame sizes, its best.pth"
    )
    weights = p.add_mutually_exclusive_group()
    weights.add_argument("--checkpoint", help="weights (vidcore or MMAction2 checkpoint; default with --run: best.pth)")
    weights.add_argument(
        "--random-weights", action="store_true", help="no checkpoint: an untrained backbone (smoke tests, timing)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the feature files")
    p.add_argument("--format", choices=("csv", "npy"), default="csv", help="file format (default csv)")
    p.add_argument("--stride", type=int, default=16, help="frames between snippet centres (default 16)")
    p.add_argument("--snippet-len", type=int, help="frames per snippet (default: the preset's clip)")
    p.add_argument(
        "--frame-interval", type=int, help="frames between sampled frames of a snippet (default: the preset's)"
    )
    p.add_argument("--short-side", type=int, help="resize frames to this short side (default: the preset's or run's)")
    p.add_argument("--crop-size", type=int, help="centre crop side (default: the preset's or run's test crop)")
    p.add_argument("--batch-size", type=int, default=8, help="snippets per forward pass (default 8)")
    p.add_argument("--overwrite", action="store_true", help="recompute videos whose feature file exists")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument("--device", default="auto", help="'auto' (CUDA if available, default), 'cpu', 'cuda:1', ...")
    p.add_argument("--backend", default="auto", help="video decoder backend (default auto)")
    return p


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from vidcore.core.checkpoint import warnings_as_lines
    from vidcore.recognition.features import SnippetConfig, default_snippet, extract_features
    from vidcore.recognition.inference import load_recognizer

    from .infer import _device

    for flag, value in (("--stride", args.stride), ("--snippet-len", args.snippet_len),
                        ("--short-side", args.short_side), ("--crop-size", args.crop_size),
                        ("--frame-interval", args.frame_interval), ("--batch-size", args.batch_size)):  # fmt: skip
        if value is not None and value < 1:
            print(f"error: {flag} must be >= 1, got {value}", file=sys.stderr)
            return 2
    preset_arg: Any = args.preset
    checkpoint, num_classes = args.checkpoint, args.num_classes
    if args.run:
        from vidcore.core.experiment import run_checkpoint
        from vidcore.recognition.experiment import resolve_num_classes, resolved_preset

        from .train import load_experiment

        try:
            exp = load_experiment(args.run, [])
            preset_arg = resolved_preset(exp)  # the run's short side and test crop, not the preset's 224 px
            num_classes = num_classes if num_classes is not None else resolve_num_classes(exp)
            if checkpoint is None and not args.random_weights:
                checkpoint = str(run_checkpoint(args.run))
        except user_errors() as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if checkpoint is None and not args.random_weights:
        print("error: give --checkpoint CKPT (or --random-weights for an untrained backbone)", file=sys.stderr)
        return 2
    try:
        with warnings_as_lines():
            model, preset = load_recognizer(
                preset_arg, checkpoint, num_classes, device=_device(args.device),
                random_weights=args.random_weights,
            )  # fmt: skip
    except user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.short_side is not None or args.crop_size is not None:
        from vidcore.recognition.pipelines import resolve_preset

        short = args.short_side or preset.short_side
        crop = args.crop_size or min(short, preset.test_crop_size)
        if crop > short:
            print(f"error: --crop-size {crop} is larger than the short side {short}", file=sys.stderr)
            return 2
        preset = resolve_preset(preset, short_side=short, crop_size=min(crop, preset.crop_size), test_crop_size=crop)
    if args.random_weights:
        print("warning: --random-weights: an untrained backbone, its features mean nothing", file=sys.stderr)
    snippet: SnippetConfig = default_snippet(preset, args.stride)
    if args.snippet_len is not None:
        snippet = replace(snippet, snippet_len=args.snippet_len)
    if args.frame_interval is not None:
        snippet = replace(snippet, frame_interval=args.frame_interval)
    try:
        results = extract_features(
            model, preset, args.videos, args.out, snippet, format=args.format, batch_size=args.batch_size,
            overwrite=args.overwrite, backend=args.backend, progress=sys.stderr.isatty(),
        )  # fmt: skip
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for r in results:
        if r.status == "written":
            assert r.shape is not None
            print(f"{r.video}: {r.shape[0]} snippets x {r.shape[1]} -> {r.path}")
        elif r.status == "skipped":
            print(f"{r.video}: {r.path} exists, skipped")
        else:
            failed += 1
            print(f"{r.video}: cannot read this video: {r.error}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(results)} video(s) could not be read", file=sys.stderr)
        return 1
    return 0
