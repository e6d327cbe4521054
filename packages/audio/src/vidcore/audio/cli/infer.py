"""``vidcore-audio infer FILE...``: top-k classes of audio files or of the audio track of videos."""

from __future__ import annotations

import argparse
import json
from typing import Any

EXAMPLES = """examples:
  vidcore-audio infer clip.mp4 --preset tsn_r18_synth_av --checkpoint av_out/audio_work_dir/best.pth \\
      --label-map av_data/label_map.txt
  vidcore-audio infer a.wav b.m4a --preset tsn_r18_64x1x1_kinetics400_audio_feature --checkpoint tsn.pth --json

Each file's audio becomes the preset's log-mel test clips; their softmax scores are averaged. A file
without an audio track is reported (exit status 1) and the others still run."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "infer",
        help="classify audio or video files",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="audio or video files")
    p.add_argument("--preset", required=True, help="model preset (see `vidcore-audio models`)")
    p.add_argument("--checkpoint", required=True, help="weights (vidcore or MMAction2 checkpoint)")
    p.add_argument("--num-classes", type=int, help="classifier size (default: read from the checkpoint)")
    p.add_argument("--label-map", help="class names, one per line")
    p.add_argument("--top-k", type=int, default=5, help="labels per file (default 5)")
    p.add_argument("--video-fps", type=float, default=30.0, help="frame rate assumed for audio-only files")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.add_argument("--device", default="cpu", help="'cpu', 'cuda', ...")
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vidcore.core.checkpoint import CheckpointError
    from vidcore.core.registry import RegistryError
    from vidcore.data.errors import DataError

    from ..convert import ConversionError
    from ..inference import load_audio_recognizer, predict_file, top_k

    try:
        model, preset = load_audio_recognizer(
            args.preset, args.checkpoint, num_classes=args.num_classes, device=args.device
        )
    except (CheckpointError, ConversionError, RegistryError, FileNotFoundError) as exc:
        print(f"error: {exc}")
        return 2
    names: list[str] | None = None
    if args.label_map:
        names = [ln.strip() for ln in Path(args.label_map).read_text().splitlines() if ln.strip()]
    status = 0
    for f in args.files:
        try:
            probs = predict_file(model, preset, f, video_fps=args.video_fps)
        except DataError as exc:
            print(json.dumps({"file": f, "error": str(exc)}) if args.json else f"{f}: error: {exc}")
            status = 1
            continue
        best = top_k(probs, args.top_k)
        rows = [{"label": i, "name": names[i] if names and i < len(names) else str(i), "score": s} for i, s in best]
        if args.json:
            print(json.dumps({"file": f, "top_k": rows}))
        else:
            print(f + ": " + ", ".join(f"{r['name']} {r['score']:.3f}" for r in rows))
    return status
