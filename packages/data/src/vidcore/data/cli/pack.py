"""``vidcore-data pack LIST OUT``: write a video list's files into WebDataset tar shards."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EPILOG = """examples:
  vidcore-data pack data/k400/train.txt shards/k400-train --root data/k400/videos
  vidcore-data pack demo_data/train.txt shards/train --root demo_data --maxcount 200

Writes OUT-000000.tar, OUT-000001.tar, ...: per video its bytes unchanged (<key>.mp4 / .avi / ...),
<key>.cls (its labels) and <key>.json (path and list line). Read them with
vidcore.data.datasets.ShardVideoDataset("OUT-{000000..000009}.tar", ...). Needs the webdataset
package (pip install 'vidcore-data[shards]')."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "pack",
        help="write a video list into WebDataset tar shards",
        description="Pack the videos of an MMAction2 video list (path label ...) into tar shards for "
        "streaming from object stores or network file systems.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("list", type=Path, help="video list (path label [label ...])")
    p.add_argument("out", help="shard name prefix, e.g. shards/train (gives shards/train-000000.tar ...)")
    p.add_argument("--root", type=Path, default=None, help="folder the list's paths are relative to (default: the list's folder)")
    p.add_argument("--maxcount", type=int, default=1000, help="videos per shard (default 1000)")
    p.add_argument("--maxsize", type=float, default=3e9, help="bytes per shard before a new one starts (default 3e9)")
    p.add_argument("--multi-label", action="store_true", help="the list has several labels per line")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from vidcore.data.annotations.lists import read_video_list
    from vidcore.data.datasets.shards import VIDEO_EXTS, _import_webdataset

    try:
        wds = _import_webdataset()
    except ImportError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    root = args.root if args.root is not None else args.list.parent
    records = read_video_list(args.list, multi_label=args.multi_label)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    missing = 0
    with wds.ShardWriter(f"{args.out}-%06d.tar", maxcount=args.maxcount, maxsize=args.maxsize, verbose=0) as sink:
        for i, r in enumerate(tqdm(records, desc="pack", unit="video", disable=args.no_progress)):
            path = root / r.path
            ext = path.suffix.lower().lstrip(".")
            if not path.is_file():
                print(f"{path}: not found ({args.list}:{r.source[1] if r.source else '?'}), left out")
                missing += 1
                continue
            sink.write({
                "__key__": f"{i:09d}",
                ext if ext in VIDEO_EXTS else "mp4": path.read_bytes(),
                "cls": " ".join(str(c) for c in r.labels),
                "json": json.dumps({"path": str(r.path), "record": list(r.source) if r.source else None}),
            })  # fmt: skip
    print(f"pack: {len(records) - missing} videos into {args.out}-*.tar ({missing} missing)")
    return 1 if missing else 0
