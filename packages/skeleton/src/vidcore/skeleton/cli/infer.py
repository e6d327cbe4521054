"""``vidcore-skeleton infer POSE.pkl --preset NAME --checkpoint CKPT``: top-k classes per sequence."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vidcore.core.checkpoint import CheckpointError
from vidcore.core.registry import RegistryError
from vidcore.data.errors import DataError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "infer",
        help="classify every sequence of a pose pickle",
        description="Score the skeleton sequences of an MMAction2 pose pickle with a preset's model and its "
        "test pipeline (multi-clip), printing the top-k classes per sequence. Pose estimation is not "
        "part of vidcore: run a pose estimator first and save its output in that layout.",
        epilog="examples:\n"
        "  vidcore-skeleton infer skel/skeleton.pkl --preset stgcn_joint_synth_coco_2d --checkpoint runs/a/best.pth "
        "--split val --label-map skel/label_map.txt\n"
        "  vidcore-skeleton infer poses.pkl --preset stgcn_joint_80e_ntu60_xsub_keypoint_2d "
        "--checkpoint stgcn_mmaction.pth --topk 5 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pickle", type=Path, help="MMAction2 skeleton pickle (split + annotations, or a list of records)")
    p.add_argument("--preset", required=True, help="preset of the model (see `models`)")
    p.add_argument("--checkpoint", default=None, help="vidcore or MMAction2 checkpoint (default: random weights)")
    p.add_argument("--split", default=None, help="only the sequences of this split")
    p.add_argument("--num-clips", type=int, default=None, help="test clips per sequence (default: the preset's)")
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--label-map", type=Path, default=None, help="class names, one per line")
    p.add_argument("--json", action="store_true", help="one JSON object per sequence")
    return p


def run(args: argparse.Namespace) -> int:
    from ..inference import load_skeleton_model, predict_pickle

    try:
        model, preset = load_skeleton_model(args.preset, args.checkpoint)
        names = args.label_map.read_text().splitlines() if args.label_map else None
        for frame_dir, scores in predict_pickle(model, preset, args.pickle, split=args.split, num_clips=args.num_clips):
            if isinstance(scores, str):
                print(json.dumps({"frame_dir": frame_dir, "skipped": scores}) if args.json else f"{frame_dir}: skipped ({scores})")
                continue
            top = scores.argsort()[::-1][: args.topk]
            rows = [{"class": int(c), "name": names[c] if names and c < len(names) else str(int(c)),
                     "score": float(scores[c])} for c in top]  # fmt: skip
            if args.json:
                print(json.dumps({"frame_dir": frame_dir, "topk": rows}))
            else:
                print(f"{frame_dir}: " + ", ".join(f"{r['name']} {r['score']:.3f}" for r in rows))
    except (CheckpointError, RegistryError, DataError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
