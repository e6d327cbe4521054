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
  vidcore-recognition infer held_out/*.mp4 --run work_dirs/my_exp --top-k 3
  vidcore-recognition infer held_out/*.mp4 --config my_exp.py --checkpoint work_dirs/my_exp/best.pth --top-k 3
  vidcore-recognition infer match.mp4 --config my_exp.py --checkpoint best.pth --long --window-seconds 2
  vidcore-recognition infer a.mp4 b.mp4 --preset x3d_s_13x6x1_kinetics400 --checkpoint x3d.pth --json
  vidcore-recognition infer clip.mp4 --preset tsm_r50_1x1x8_kinetics400 --random-weights --device cpu

--run takes a finished run's resolved config (its config.json: preset, class count, label map,
sizes, every --set of that run) and its best checkpoint (best.pth, else the newest); --config
takes them from an experiment file (what `train` used); --preset from the preset alone.
Checkpoints may be vidcore's or MMAction2's; one whose saved preset, class count or label names
differ from what is asked gives a warning (--strict: an error). Without a label map --json gives
class indices and null names. --random-weights runs an untrained model (a warning says so, and
the JSON has "random_weights": true). A video that cannot be read is reported on one line and
the others still run; the exit code is 1 if any failed."""


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
    src.add_argument(
        "--run", metavar="RUN_DIR", help="a training run's folder: its config.json and best checkpoint"
    )
    add_set_argument(p)
    weights = p.add_mutually_exclusive_group()
    weights.add_argument(
        "--checkpoint", help="weights (vidcore or MMAction2 checkpoint; default with --run: its best.pth)"
    )
    weights.add_argument(
        "--random-weights", action="store_true", help="no checkpoint: an untrained model (smoke tests, timing)"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse a checkpoint whose saved preset, class count or label names differ (default: warn)",
    )
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
    p.add_argument("--device", default="auto", help="'auto' (CUDA if available, default), 'cpu', 'cuda:1', ...")
    p.add_argument("--backend", default="auto", help="video decoder backend (default auto)")
    return p


def _clock(second: int) -> str:
    return (
        f"{second // 3600}:{second // 60 % 60:02d}:{second % 60:02d}"
        if second >= 3600
        else f"{second // 60}:{second % 60:02d}"
    )


def _device(spec: str) -> str:
    """``auto``: the first CUDA device when there is one, else the CPU (as ``test`` does)."""
    import torch

    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return spec


def run(args: argparse.Namespace) -> int:
    from vidcore.core.checkpoint import warnings_as_lines
    from vidcore.core.experiment import run_checkpoint
    from vidcore.data.annotations import read_label_map
    from vidcore.data.errors import DataError
    from vidcore.recognition.inference import load_recognizer, predict_long_video, predict_video
    from vidcore.recognition.pipelines import test_pipeline, val_pipeline

    if args.top_k < 1:
        print("error: --top-k must be >= 1", file=sys.stderr)
        return 2
    if args.window_seconds is not None and not args.window_seconds > 0:
        print(f"error: --window-seconds must be > 0, got {args.window_seconds}", file=sys.stderr)
        return 2
    try:
        label_map = read_label_map(args.label_map) if args.label_map else None
        num_classes = args.num_classes
        checkpoint = args.checkpoint
        if args.config or args.run:
            from vidcore.recognition.experiment import resolve_num_classes, resolved_preset

            exp = load_experiment(args.config or args.run, args.overrides)
            preset: Any = resolved_preset(exp)
            if num_classes is None:
                num_classes = resolve_num_classes(exp)
            if label_map is None and exp.data.label_map:
                label_map = read_label_map(exp.data.label_map)
            if args.run and checkpoint is None and not args.random_weights:
                checkpoint = str(run_checkpoint(args.run))
        else:
            if args.overrides:
                print("error: --set needs --config or --run (a preset has no config to override)", file=sys.stderr)
                return 2
            preset = args.preset
        if checkpoint is None and not args.random_weights:
            print(
                "error: give --checkpoint CKPT (or --run RUN_DIR for a run's best checkpoint; "
                "--random-weights for an untrained model)",
                file=sys.stderr,
            )
            return 2
        labels = [label_map.get(i) for i in range(label_map.num_classes)] if label_map is not None else None
        with warnings_as_lines():
            model, preset = load_recognizer(
                preset, checkpoint, num_classes, device=_device(args.device), random_weights=args.random_weights,
                labels=labels, strict=args.strict,
            )  # fmt: skip
    except user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pipeline = test_pipeline(preset) if args.views == "test" else val_pipeline(preset)
    if args.random_weights:
        warning = "warning: --random-weights: an untrained model, its labels and scores mean nothing"
        print(warning, file=sys.stderr if args.json else sys.stdout)
    extra = {"random_weights": bool(args.random_weights)}

    def name(label: int) -> str | None:
        """The class name (``None`` without a label map; the text output shows the index then)."""
        if label_map is None:
            return None
        return label_map.get(label, f"class_{label}")

    def shown(label: int) -> str:
        found = name(label)
        return str(label) if found is None else found

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
                print(json.dumps({"path": path, "error": reason, **extra}))
            else:
                print(f"{path}: cannot read this video: {reason}", file=sys.stderr)
            continue
        if args.long:
            rows = [
                {"second": s, "label": lab, "name": name(lab), "score": round(sc, 6)}
                for s, lab, sc in seconds
            ]
            if args.json:
                print(json.dumps({"path": path, "seconds": rows, **extra}))
            else:
                print(path)
                for r in rows:
                    print(f"  {_clock(r['second']):>7}  {r['score']:.3f}  {shown(r['label'])}")
            continue
        if args.json:
            print(json.dumps({"path": path, "labels": pred.labels, "names": [name(i) for i in pred.labels],
                              "scores": [round(s, 6) for s in pred.scores], **extra}))  # fmt: skip
        else:
            print(path)
            for label, score in zip(pred.labels, pred.scores, strict=True):
                print(f"  {score:.3f}  {shown(label)}")
    if failed:
        print(f"{failed} of {len(args.videos)} video(s) could not be read", file=sys.stderr)
        return 1
    return 0
