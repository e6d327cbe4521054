"""``vidcore-data synth OUT_DIR``: render the built-in motion dataset (see ``vidcore.data.synth``)."""

from __future__ import annotations

import argparse
import json
import os

from vidcore.data.synth import CLASSES, SynthConfig, render_dataset

EXAMPLES = """examples:
  vidcore-data synth demo_data/                         # 8 classes x 40 videos, 96x96
  vidcore-data synth small/ --videos-per-class 6 --size 64 --workers 2
  vidcore-data synth big/ --videos-per-class 200 --seed 1  # another draw of the same classes
  vidcore-data synth skel/ --skeleton                    # COCO-17 skeleton pickle, 10 motions x 60
  vidcore-data synth det/ --detection                    # AVA-format actors + actions, 24 + 8 clips
  vidcore-data synth loc/ --untrimmed --videos 100       # 20-40 s videos, ActivityNet JSON ground truth

output: OUT_DIR/videos/<class>/*.mp4, label_map.txt, train.txt, val.txt (MMAction2 video lists,
paths relative to OUT_DIR), flip_label_map.json. Re-running resumes: finished videos are kept."""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "synth",
        help="render the built-in motion dataset as H.264 videos",
        description=f"Render a reproducible action dataset of {len(CLASSES)} motion classes "
        f"({', '.join(CLASSES)}) as real H.264 mp4 files with video lists and a label map.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d = SynthConfig()
    p.add_argument("out_dir", help="output directory (created if missing)")
    p.add_argument("--videos-per-class", type=int, default=d.videos_per_class)
    p.add_argument("--size", type=int, default=d.size, help="frame height and width in pixels")
    p.add_argument("--min-frames", type=int, default=d.min_frames)
    p.add_argument("--max-frames", type=int, default=d.max_frames)
    p.add_argument("--fps", type=int, default=d.fps)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--audio",
        action="store_true",
        help="render the audio-visual set instead: H.264 + AAC clips whose classes are motion x sound "
        "(see vidcore.data.synth_audio), e.g. `synth av_data/ --audio`",
    )
    p.add_argument("--motions", default=None, help="with --audio: comma-separated motions (default: the 4 moves)")
    p.add_argument("--sounds", default=None, help="with --audio: comma-separated sounds (default: rising/falling chirp)")
    p.add_argument(
        "--skeleton",
        action="store_true",
        help="write the skeleton set instead: COCO-17 stick figures performing 10 motions as an MMAction2 "
        "skeleton pickle with train/val splits (see vidcore.data.synth_skeleton), e.g. `synth skel/ --skeleton`",
    )
    p.add_argument("--samples-per-class", type=int, default=60, help="with --skeleton: sequences per motion")
    p.add_argument(
        "--detection",
        action="store_true",
        help="render the spatio-temporal detection set instead: 6 s clips with 1-3 actors doing 1-2 of 4 motion "
        "actions in their own boxes, AVA-format ground truth, proposals and label map (see "
        "vidcore.data.synth_detection), e.g. `synth det/ --detection`",
    )
    p.add_argument("--train-videos", type=int, default=24, help="with --detection: training clips")
    p.add_argument("--val-videos", type=int, default=8, help="with --detection: held-out clips")
    p.add_argument(
        "--untrimmed",
        action="store_true",
        help="render the untrimmed set instead: 20-40 s videos (48 px) with 1-4 motion segments among background, "
        "ground truth in OUT_DIR/annotations.json (ActivityNet layout; see vidcore.data.synth_untrimmed), "
        "e.g. `synth loc/ --untrimmed --videos 100`",
    )
    p.add_argument("--videos", type=int, default=100, help="with --untrimmed: videos (the last quarter: validation)")
    return p


def run(args: argparse.Namespace) -> int:
    try:
        cfg = SynthConfig(
            videos_per_class=args.videos_per_class,
            size=args.size,
            min_frames=args.min_frames,
            max_frames=args.max_frames,
            fps=args.fps,
            val_fraction=args.val_fraction,
            seed=args.seed,
        )
    except ValueError as e:
        print(f"vidcore-data synth: {e}")
        return 2
    if args.skeleton:
        return _run_skeleton(args)
    if args.detection:
        return _run_detection(args)
    if args.untrimmed:
        return _run_untrimmed(args)
    if args.audio:
        return _run_audio(args, cfg)
    out = render_dataset(args.out_dir, cfg, workers=args.workers, progress=not args.no_progress)
    n_train = len((out / "train.txt").read_text().splitlines())
    n_val = len((out / "val.txt").read_text().splitlines())
    print(f"wrote {n_train + n_val} videos to {out} ({n_train} train, {n_val} val, {len(CLASSES)} classes)")
    return 0


def _run_audio(args: argparse.Namespace, cfg: SynthConfig) -> int:
    from vidcore.data.synth_audio import SOUNDS, AVSynthConfig, parse_names, render_av_dataset

    try:
        kw = {}
        if args.motions:
            kw["motions"] = parse_names(args.motions, CLASSES, "motion")
        if args.sounds:
            kw["sounds"] = parse_names(args.sounds, SOUNDS, "sound")
        audio = AVSynthConfig(**kw)
    except ValueError as e:
        print(f"vidcore-data synth: {e}")
        return 2
    out = render_av_dataset(args.out_dir, cfg, audio, workers=args.workers, progress=not args.no_progress)
    n_train = len((out / "train.txt").read_text().splitlines())
    n_val = len((out / "val.txt").read_text().splitlines())
    k = len(audio.motions) * len(audio.sounds)
    print(f"wrote {n_train + n_val} audio-visual videos to {out} ({n_train} train, {n_val} val, {k} classes = "
          f"{len(audio.motions)} motions x {len(audio.sounds)} sounds)")
    return 0


def _run_skeleton(args: argparse.Namespace) -> int:
    from vidcore.data.synth_skeleton import SkeletonSynthConfig, render_skeleton_dataset

    try:
        cfg = SkeletonSynthConfig(
            samples_per_class=args.samples_per_class, val_fraction=args.val_fraction, seed=args.seed
        )
    except ValueError as e:
        print(f"vidcore-data synth: {e}")
        return 2
    path = render_skeleton_dataset(args.out_dir, cfg)
    n_val = max(1, round(cfg.samples_per_class * cfg.val_fraction)) * len(cfg.motions)
    n = cfg.samples_per_class * len(cfg.motions)
    print(f"wrote {n} skeleton sequences to {path} ({n - n_val} train, {n_val} val, {len(cfg.motions)} motions)")
    return 0


def _run_untrimmed(args: argparse.Namespace) -> int:
    from vidcore.data.synth_untrimmed import UntrimmedConfig, render_untrimmed_dataset

    kw = {"size": args.size} if args.size != SynthConfig().size else {}  # default: the untrimmed set's 48 px
    try:
        cfg = UntrimmedConfig(num_videos=args.videos, val_fraction=args.val_fraction, fps=args.fps, seed=args.seed, **kw)
    except ValueError as e:
        print(f"vidcore-data synth: {e}")
        return 2
    path = render_untrimmed_dataset(args.out_dir, cfg, workers=args.workers, progress=not args.no_progress)
    info = json.loads(path.read_text())
    n_val = sum(v["subset"] == "validation" for v in info.values())
    n_seg = sum(len(v["annotations"]) for v in info.values())
    print(f"wrote {len(info)} untrimmed videos ({n_seg} action segments) to {path.parent / 'videos'} "
          f"({len(info) - n_val} training, {n_val} validation); ground truth: {path}")
    return 0


def _run_detection(args: argparse.Namespace) -> int:
    from vidcore.data.synth_detection import SynthDetectionConfig, render_detection_set

    try:
        cfg = SynthDetectionConfig(train_videos=args.train_videos, val_videos=args.val_videos, seed=args.seed)
    except ValueError as e:
        print(f"vidcore-data synth: {e}")
        return 2
    out = render_detection_set(args.out_dir, cfg)
    rows = {split: (out / f"{split}.csv").read_text().splitlines() for split in ("train", "val")}
    keys = {split: len({",".join(r.split(",")[:2]) for r in lines}) for split, lines in rows.items()}
    print(f"wrote {cfg.train_videos + cfg.val_videos} detection clips to {out / 'videos'} ({cfg.train_videos} train, "
          f"{cfg.val_videos} val; {keys['train']} + {keys['val']} keyframes, {len(rows['train'])} + "
          f"{len(rows['val'])} ground-truth rows); AVA csv, proposals_*.pkl and label_map.pbtxt in {out}")
    return 0
