"""``vidcore-detection eval GT RESULTS LABEL_MAP``: frame-mAP of an AVA results csv."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from vidcore.data.errors import AnnotationError

from ..evaluation import ava_frame_map


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="frame-mAP of a results csv",
        description="AVA frame-mAP@0.5 of a results csv (video_id,timestamp,x1,y1,x2,y2,action_id,score) against "
        "a ground-truth csv, over the classes of a label map. --mode official: ActivityNet's protocol (excluded "
        "keyframes, 50 rows per keyframe, detections on keyframes without ground truth count as false positives); "
        "--mode mmaction: MMAction2's ava_eval.",
        epilog="examples:\n"
        "  vidcore-detection eval ava_val_v2.1.csv results.csv ava_action_list_v2.1_for_activitynet_2018.pbtxt "
        "--exclude ava_val_excluded_timestamps_v2.1.csv\n"
        "  vidcore-detection eval gt.csv results.csv label_map.txt --mode mmaction --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("gt", type=Path, help="ground-truth csv")
    p.add_argument("results", type=Path, help="results csv")
    p.add_argument("label_map", type=Path, help="evaluated classes (pbtxt or 'id: name' lines)")
    p.add_argument("--exclude", type=Path, default=None, help="excluded-timestamps csv")
    p.add_argument("--mode", choices=["official", "mmaction"], default="official")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold (0.5)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    for path in (args.gt, args.results, args.label_map, args.exclude):
        if path is not None and not path.is_file():
            print(f"error: no such file {path}", file=sys.stderr)
            return 2
    try:
        res = ava_frame_map(args.gt, args.results, args.label_map, args.exclude, mode=args.mode, iou_threshold=args.iou)
    except (AnnotationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = res.as_dict()

        def plain(v: Any) -> Any:
            if isinstance(v, float) and math.isnan(v):
                return None
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, list):
                return [plain(x) for x in v]
            return v

        print(json.dumps(plain(data)))
    else:
        print(res.table())
    return 0
