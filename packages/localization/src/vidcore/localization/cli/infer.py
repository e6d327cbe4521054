"""``vidcore-localization infer FEATURES...``: proposals for feature files, printed and written as
ActivityNet results JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError
from vidcore.core.registry import RegistryError
from vidcore.data.errors import DataError

from ..convert import ConversionError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "infer",
        help="proposals for feature files",
        description="Run a BMN (or BSN TEM) preset on per-video feature files (csv with a header line or "
        ".npy, (T, C), rescaled to the preset's temporal scale) and print the scored segments. "
        "Features of raw videos must be extracted beforehand (one file per video, MMAction2's layout).",
        epilog="examples:\n"
        "  vidcore-localization infer feats/v_abc.csv --preset bmn_400x100_9e_activitynet_feature "
        "--checkpoint best.pth --duration 120.5\n"
        "  vidcore-localization infer feats/*.csv --preset bmn_400x100_9e_activitynet_feature "
        "--checkpoint best.pth --annotations anno.json --out results.json --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("features", nargs="+", type=Path, metavar="FEATURES", help="feature files, one per video")
    p.add_argument("--preset", required=True, help="model preset (see `models`)")
    weights = p.add_mutually_exclusive_group()
    weights.add_argument("--checkpoint", help="vidcore or MMAction2 checkpoint")
    weights.add_argument(
        "--random-weights", action="store_true", help="no checkpoint: an untrained model (smoke tests, timing)"
    )
    p.add_argument("--duration", type=float, default=None, help="video length in seconds (default: fractions)")
    p.add_argument("--annotations", type=Path, help="ActivityNet JSON giving each video's duration by file stem")
    p.add_argument("--top-k", type=int, default=10, help="segments printed per video (all are written)")
    p.add_argument("--out", type=Path, help="write an ActivityNet results JSON here")
    p.add_argument("--json", action="store_true", help="print one JSON object per video instead of a table")
    p.add_argument("--device", default="cpu")
    return p


def run(args: argparse.Namespace) -> int:
    from ..inference import load_localizer, propose
    from ..postprocess import write_results_json

    if args.checkpoint is None and not args.random_weights:
        print("error: give --checkpoint CKPT (or --random-weights for an untrained model)", file=sys.stderr)
        return 2
    try:
        model = load_localizer(args.preset, args.checkpoint, device=args.device, random_weights=args.random_weights)
        durations: dict[str, tuple[float, int | None]] = {}
        if args.annotations:
            from vidcore.data.annotations.activitynet import read_activitynet_json

            durations = {r.video_name: (r.duration_second, r.duration_frame) for r in read_activitynet_json(args.annotations)}
        results = {}
        for path in args.features:
            vid = path.stem
            dur, frames = durations.get(vid, (args.duration if args.duration is not None else 1.0, None))
            results[vid] = propose(model, path, duration=dur, duration_frame=frames)
    except (ConversionError, CheckpointError, RegistryError, DataError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    unit = "s" if args.duration is not None or durations else "(fraction)"
    if args.random_weights:
        warning = "warning: --random-weights: an untrained model, its segments and scores mean nothing"
        print(warning, file=sys.stderr if args.json else sys.stdout)
    for vid, props in results.items():
        if args.json:
            print(json.dumps({"video": vid, "segments": [{"segment": [float(a), float(b)], "score": float(c)}
                                                         for a, b, c in props], "random_weights": args.random_weights}))  # fmt: skip
            continue
        print(f"{vid}: {len(props)} segments")
        for a, b, c in props[: args.top_k]:
            print(f"  {a:9.2f} - {b:9.2f} {unit}  score {c:.4f}")
    if args.out:
        write_results_json(results, args.out)
        print(f"wrote {args.out}", file=sys.stderr if args.json else sys.stdout)
    return 0
