"""``vidcore-recognition infer VIDEO...``: top-k labels per video, or a label per second of a long video."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .train import add_set_argument, load_experiment, user_errors

EPILOG = """examples:
  vidcore-recognition infer clip.mp4 --preset tsm_r50_1x1x8_kinetics400 --checkpoint tsm.pth \\
      --label-map kinetics400_labels.txt --top-k 5
  vidcore-recognition infer held_out/*.mp4 --config my_exp.py --checkpoint work_dirs/my_exp/best.pth --top-k 3
  vidcore-recognition infer match.mp4 --config my_exp.py --checkpoint best.pth --long --window-seconds 2
  vidcore-recognition infer a.mp4 b.mp4 --preset x3d_s_13x6x1_kinetics400 --checkpoint x3d.pth --json

--config takes the preset, class count, label map and size overrides from an experiment file
(what `train` used); --preset takes them from the preset alone. Checkpoints may be vidcore's
or MMAction2's. A video that cannot be read is reported on one line and the others still run;
the exit code is 1 if any failed."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "infer",
        help="predict labels for video files",
        description="Print the top-k labels with scores for each VIDEO (or a label per second with --long).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="model preset name (see `vidcore-recognition models`)")
    src.add_argument("--config", help="experiment file whose model/data settings to use")
    add_set_argument(p)
    p.add_argument("--checkpoint", required=True, help="weights (vidcore or MMAction2 checkpoint)")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument("--label-map", help="class names, one per line (or 'id name')")
    p.add_argument("--top-k", type=int, default=5, help="labels to print per video (default 5)")
    p.add_argument("--views", choices=("test", "single"), default="test",
                   help="'test': the preset's test views (clips x crops, default); 'single': one centre view")  # fmt: skip
    p.add_argument("--long", action="store_true", help="slide a window over the video: one label per second")
    p.add_argument(
        "--window-seconds", type=float, help="--long window length in seconds (default: per preset)"
    )
    p.add_argument("--json", action="store_true", help="print JSON lines, one object per video")
    p.add_argument("--device", default="cpu", help="'cpu', 'cuda', 'cuda:1' ...")
    p.add_argument("--backend", default="auto", help="video decoder backend (default auto)")
    return p


def _clock(second: int) -> str:
    return (
        f"{second // 3600}:{second // 60 % 60:02d}:{second % 60:02d}"
        if second >= 3600
        else f"{second // 60}:{second % 60:02d}"
    )


def run(args: argparse.Namespace) -> int:
    from vidcore.data.annotations import read_label_map
    from vidcore.data.errors import DataError
    from vidcore.recognition.inference import load_recognizer, predict_long_video, predict_video
    from vidcore.recognition.pipelines import test_pipeline, val_pipeline

    if args.top_k < 1:
        print("error: --top-k must be >= 1", file=sys.stderr)
        return 2
    try:
        label_map = read_label_map(args.label_map) if args.label_map else None
        num_classes = args.num_classes
        if args.config:
            from vidcore.recognition.experiment import resolve_num_classes, resolved_preset

            exp = load_experiment(args.config, args.overrides)
            preset: Any = resolved_preset(exp)
            if num_classes is None:
                num_classes = resolve_num_classes(exp)
            if label_map is None and exp.data.label_map:
                label_map = read_label_map(exp.data.label_map)
        else:
            if args.overrides:
                print("error: --set needs --config", file=sys.stderr)
                return 2
            preset = args.preset
        model, preset = load_recognizer(preset, args.checkpoint, num_classes, device=args.device)
    except user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pipeline = test_pipeline(preset) if args.views == "test" else val_pipeline(preset)

    def name(label: int) -> str:
        if label_map is None:
            return str(label)
        return label_map.get(label, f"class_{label}")

    failed = 0
    for path in args.videos:
        try:
            if args.long:
                seconds = predict_long_video(
                    model, preset, path, window_seconds=args.window_seconds, backend=args.backend,
                    progress=not args.json and sys.stderr.isatty(),
                )  # fmt: skip
            else:
                pred = predict_video(
                    model, preset, path, top_k=args.top_k, pipeline=pipeline, backend=args.backend
                )
        except (DataError, OSError, ValueError) as exc:
            failed += 1
            reason = str(exc).replace("\n", " ")
            if args.json:
                print(json.dumps({"path": path, "error": reason}))
            else:
                print(f"{path}: cannot read this video: {reason}", file=sys.stderr)
            continue
        if args.long:
            rows = [
                {"second": s, "label": lab, "name": name(lab), "score": round(sc, 6)}
                for s, lab, sc in seconds
            ]
            if args.json:
                print(json.dumps({"path": path, "seconds": rows}))
            else:
                print(path)
                for r in rows:
                    print(f"  {_clock(r['second']):>7}  {r['score']:.3f}  {r['name']}")
            continue
        if args.json:
            print(json.dumps({"path": path, "labels": pred.labels, "names": [name(i) for i in pred.labels],
                              "scores": [round(s, 6) for s in pred.scores]}))  # fmt: skip
        else:
            print(path)
            for label, score in zip(pred.labels, pred.scores, strict=True):
                print(f"  {score:.3f}  {name(label)}")
    if failed:
        print(f"{failed} of {len(args.videos)} video(s) could not be read", file=sys.stderr)
        return 1
    return 0
