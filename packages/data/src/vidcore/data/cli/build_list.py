"""``vidcore-data build-list``: make our list files from a class-per-folder tree or official splits."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

EXAMPLES = """examples:
  # class-per-folder videos -> train/val lists (20% val per class, seeded) + label map
  vidcore-data build-list data/ucf101/videos --out lists/ucf101_train.txt --val-fraction 0.2
  # class-per-folder rawframe folders (class/clip/img_00001.jpg ...) -> rawframe list
  vidcore-data build-list data/hmdb51/rawframes --format rawframes --out lists/hmdb51_train.txt
  # official split files
  vidcore-data build-list ucfTrainTestlist --official ucf101 --split 1 --out lists/ucf101_train_split_1.txt
  vidcore-data build-list testTrainMulti_7030_splits --official hmdb51 --split 1 --out lists/hmdb51_train.txt
  vidcore-data build-list kinetics400/train.csv --official kinetics --classes label_map_k400.txt --out k400_train.txt
  vidcore-data build-list something-something-v2-train.json --official sthv2 \\
      --classes something-something-v2-labels.json --out sthv2_train.txt

Outputs: OUT (train), the validation/test list at --val-out (default: OUT with "train" replaced
by "val", or OUT_val), and the label map at --label-map (default: OUT's folder/label_map.txt),
one class name a line, line number = class index."""

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".flv", ".mpg", ".mpeg", ".wmv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "build-list",
        help="build video/rawframe lists and a label map from a folder tree or official split files",
        description="Build video or rawframe lists (and a label map) from a class-per-folder tree, "
        "with a seeded per-class train/val split, or convert the official split files of UCF101, "
        "HMDB51, Kinetics and Something-Something V2.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", type=Path, help="class-per-folder tree, or the official split folder/file")
    p.add_argument("--out", type=Path, required=True, help="train list to write")
    p.add_argument("--val-out", type=Path, default=None, help="validation/test list to write")
    p.add_argument("--label-map", type=Path, default=None, help="label map to write (names, one a line)")
    p.add_argument("--official", choices=("ucf101", "hmdb51", "kinetics", "sthv2"), default=None)
    p.add_argument("--split", type=int, default=1, help="official split number (UCF101, HMDB51)")
    p.add_argument(
        "--classes", type=Path, default=None, help="input class list (Kinetics label map, SthV2 labels json)"
    )
    p.add_argument(
        "--format",
        choices=("video", "rawframes"),
        default="video",
        help="folder tree: list videos or frame folders",
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.0,
        help="folder tree: fraction of each class put in the val list",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the train/val split")
    p.add_argument(
        "--extensions",
        default=",".join(VIDEO_EXTENSIONS),
        help="video file extensions to list (comma-separated)",
    )
    return p


def _val_path(out: Path) -> Path:
    if "train" in out.name:
        return out.with_name(out.name.replace("train", "val"))
    return out.with_name(f"{out.stem}_val{out.suffix}")


def _count_frames(folder: Path) -> int:
    return sum(
        1 for f in folder.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith(".")
    )


def _from_tree(args: argparse.Namespace) -> tuple[list, list, list[str]]:
    from vidcore.data.annotations import RawframeRecord, VideoRecord

    root: Path = args.source
    if not root.is_dir():
        raise SystemExit(f"build-list: {root} is not a folder")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise SystemExit(f"build-list: {root} has no class folders (expected {root}/<class>/<video>)")
    exts = tuple(
        e.strip().lower() if e.strip().startswith(".") else "." + e.strip().lower()
        for e in args.extensions.split(",")
    )
    if not 0.0 <= args.val_fraction < 1.0:
        raise SystemExit(f"build-list: --val-fraction must be in [0, 1), got {args.val_fraction}")
    rng = random.Random(args.seed)
    train: list = []
    val: list = []
    for label, cls in enumerate(classes):
        if args.format == "video":
            files = sorted(p for p in (root / cls).rglob("*") if p.is_file() and p.suffix.lower() in exts)
            items = [VideoRecord(p.relative_to(root).as_posix(), (label,)) for p in files]
        else:
            dirs = sorted(p for p in (root / cls).iterdir() if p.is_dir())
            items = [RawframeRecord(p.relative_to(root).as_posix(), _count_frames(p), (label,)) for p in dirs]
        rng.shuffle(items)
        n_val = round(len(items) * args.val_fraction)
        val += sorted(items[:n_val], key=_key)
        train += sorted(items[n_val:], key=_key)
    return train, val, classes


def _key(r: object) -> str:
    return getattr(r, "path", None) or getattr(r, "frame_dir", "")


def run(args: argparse.Namespace) -> int:
    from vidcore.data.annotations import (
        read_hmdb51_split,
        read_kinetics_csv,
        read_label_map,
        read_sthv2_json,
        read_ucf101_split,
        sthv2_labels,
        write_label_map,
        write_rawframe_list,
        write_video_list,
    )
    from vidcore.data.errors import AnnotationError

    try:
        if args.official is None:
            train, val, classes = _from_tree(args)
        elif args.official in ("ucf101", "hmdb51"):
            reader = read_ucf101_split if args.official == "ucf101" else read_hmdb51_split
            split = reader(args.source, args.split)
            train, val, classes = split.train, split.val, split.label_map.names
        elif args.official == "kinetics":
            given = read_label_map(args.classes) if args.classes else None
            train, lm = read_kinetics_csv(args.source, label_map=given)
            val, classes = [], lm.names
        else:
            if args.classes is None:
                raise SystemExit(
                    "build-list: --official sthv2 needs --classes something-something-v2-labels.json"
                )
            lm = sthv2_labels(args.classes)
            train, val, classes = read_sthv2_json(args.source, lm), [], lm.names
    except AnnotationError as exc:
        print(f"build-list: {exc}")
        return 1
    write = write_rawframe_list if args.format == "rawframes" and args.official is None else write_video_list
    write(train, args.out)
    written = [f"{args.out} ({len(train)} records)"]
    if val or args.val_fraction > 0:
        val_out = args.val_out or _val_path(args.out)
        write(val, val_out)
        written.append(f"{val_out} ({len(val)} records)")
    label_map = args.label_map or args.out.parent / "label_map.txt"
    write_label_map(list(classes), label_map)
    written.append(f"{label_map} ({len(classes)} classes)")
    print("wrote " + ", ".join(written))
    return 0
