"""``vidcore-localization eval GT RESULTS``: ActivityNet proposal (AR@AN) and detection (mAP)
metrics of a results JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vidcore.data.errors import DataError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="evaluate an ActivityNet results file",
        description="Evaluate RESULTS ({'results': {video: [{'segment', 'score', 'label'}]}}) against the "
        "ground truth GT (MMAction2's or the official ActivityNet JSON) by the official protocol: AR@1/5/10/100 "
        "and the AUC of the AR@AN curve; detection mAP at tIoU 0.5:0.05:0.95 when the results carry labels.",
        epilog="examples:\n  vidcore-localization eval anet_anno_val.json results.json\n"
        "  vidcore-localization eval activity_net.v1-3.min.json results.json --subset validation --json\n"
        "  vidcore-localization eval anet_anno_val.json proposals.json --video-scores video_scores.npz   # detection",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("gt", type=Path, metavar="GT")
    p.add_argument("results", type=Path, metavar="RESULTS")
    p.add_argument("--subset", default=None, help="keep ground-truth videos of this subset (e.g. validation)")
    p.add_argument("--task", choices=["proposal", "detection", "both"], default="both")
    p.add_argument("--max-avg-proposals", type=float, default=100)
    p.add_argument(
        "--video-scores", type=Path, metavar="SCORES",
        help="video-level class scores (.npz of `vidcore-recognition test --save-scores`): label each proposal "
        "with its video's top class, score = proposal score x class probability, then detection mAP",
    )  # fmt: skip
    p.add_argument("--classes-per-video", type=int, default=1, help="with --video-scores: best classes per video")
    p.add_argument("--save-detections", type=Path, metavar="JSON", help="with --video-scores: write the detections")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    from ..evaluation import evaluate_files

    try:
        task = args.task
        if task == "both" and not _has_labels(args.results) and args.video_scores is None:
            task = "proposal"
        out = evaluate_files(args.gt, args.results, task=task, subset=args.subset,
                             max_avg_proposals=args.max_avg_proposals, video_scores=args.video_scores,
                             classes_per_video=args.classes_per_video)  # fmt: skip
        if args.save_detections and "detections" in out:
            rows = {v: [{"segment": [d.start, d.end], "label": d.label, "score": d.score} for d in dets]
                    for v, dets in out["detections"].items()}  # fmt: skip
            args.save_detections.write_text(json.dumps({"results": rows}) + "\n")
    except (DataError, ValueError, OSError, KeyError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 1
    numbers: dict[str, float] = {}
    if "proposal" in out:
        numbers.update(out["proposal"].summary())
    if "detection" in out:
        numbers.update(out["detection"].summary())
    if args.json:
        print(json.dumps(numbers))
        return 0
    if "proposal" in out:
        s = out["proposal"].summary()
        for k in ("AR@1", "AR@5", "AR@10", "AR@100"):
            print(f"{k:>8}: {100 * s[k]:6.2f} %")
        print(f"{'AUC':>8}: {s['AUC']:6.2f}")
    if "detection" in out:
        d = out["detection"]
        print(f"detection mAP (%), {len(d.classes)} classes:")
        print("  tIoU " + " ".join(f"{t:5.2f}" for t in d.tiou_thresholds) + "   avg")
        print("   mAP " + " ".join(f"{100 * m:5.1f}" for m in d.mAP) + f" {100 * d.average_mAP:5.1f}")
    return 0


def _has_labels(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
        return any("label" in item for items in data.get("results", {}).values() for item in items)
    except (OSError, ValueError, AttributeError, TypeError):
        return False
