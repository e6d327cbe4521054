"""``vidcore-data build-list``: make MMAction2 list files from a class-per-folder tree or from a
dataset's official annotation files (readers in ``annotations/official.py`` and ``annotations/zoo.py``)."""

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
  # --val-source: the official validation file, converted with the same classes
  vidcore-data build-list kinetics_train.csv --official kinetics400 --val-source kinetics_val.csv \\
      --out k400_train.txt
  vidcore-data build-list something-something-v1-train.csv --official sthv1 \\
      --val-source something-something-v1-validation.csv --classes something-something-v1-labels.csv \\
      --format rawframes --media-root data/sthv1/rawframes --out sthv1_train_rawframes.txt
  vidcore-data build-list jester-v1-train.csv --official jester --val-source jester-v1-validation.csv \\
      --classes jester-v1-labels.csv --out jester_train.txt
  vidcore-data build-list Diving48_V2_train.json --official diving48 --val-source Diving48_V2_test.json \\
      --classes Diving48_vocab.json --out diving48_train.txt
  vidcore-data build-list trainingSet.csv --official mit --val-source validationSet.csv \\
      --classes moments_categories.txt --out mit_train.txt
  vidcore-data build-list trainingSet.csv --official mmit --val-source validationSet.csv \\
      --classes moments_categories.txt --out mmit_train.txt

Official files each --official reads (SOURCE / --val-source / --classes):
  ucf101     SOURCE = ucfTrainTestlist/ (classInd.txt, trainlist0N.txt, testlist0N.txt)
  hmdb51     SOURCE = testTrainMulti_7030_splits/ (<class>_test_splitN.txt)
  kinetics, kinetics400/600/700
             kinetics_train.csv / kinetics_val.csv (label,youtube_id,time_start,time_end,split);
             --classes label_map_k400.txt (optional; default: sorted labels of SOURCE);
             clips label/{youtube_id}_{start:06d}_{end:06d}.mp4, spaces in label folders as "_"
  sthv1      something-something-v1-{train,validation}.csv (id;class) / --classes
             something-something-v1-labels.csv; clips {id} (frame folder) or {id}.mp4
  sthv2      something-something-v2-{train,validation}.json / --classes something-something-v2-labels.json
  jester     jester-v1-{train,validation}.csv (id;class) / --classes jester-v1-labels.csv
  diving48   Diving48_V2_train.json / Diving48_V2_test.json ({vid_name, label, ...}) /
             --classes Diving48_vocab.json (optional, names the label map); clips {vid_name}.mp4
  mit        Moments in Time trainingSet.csv / validationSet.csv (class/video.mp4,...) /
             --classes moments_categories.txt (name,id)
  mmit       Multi-Moments in Time trainingSet.csv / validationSet.csv (class/video.mp4,id,id,...) /
             --classes with name,id lines (multi-label list: path label label ...)
  hvu        hvu_train.csv / hvu_val.csv (tags,youtube_id,time_start,time_end; tags joined by |) /
             --classes hvu_categories.csv (tag,category); --category picks one tag category: a
             multi-label list of that category's tags (sorted tag order), clips without one left
             out; clips {youtube_id}_{start*10:06d}_{end*10:06d}.mp4
  gym        gym99_train_element_v1.0.txt / gym99_val_element.txt ({subaction} {label}; also gym288) /
             --classes gym99_categories.txt (optional, names the label map); clips {subaction}.mp4;
             frame counts skip flow_* images (MMAction2 divides a folder's files by 3)
  thumos14   SOURCE = TH14_Temporal_annotations_validation/ (<Class>_val.txt: video start end),
             --val-source = TH14_Temporal_annotations_test/ (<Class>_test.txt); a multi-label list of
             the untrimmed videos {video}.mp4 (labels: classes of its segments, sorted class order)
  activitynet
             SOURCE = activity_net.v1-3.min.json; OUT gets the training subset, the val list the
             validation subset: multi-label lists of v_{id}.mp4 (classes: sorted labels in the file)
  ava        ava_train_v2.2.csv / ava_val_v2.2.csv (video_id,timestamp,x1,y1,x2,y2,action_id,person_id) /
             --classes ava_action_list_v2.2_for_activitynet_2019.pbtxt (optional); one multi-label line per video:
             {video_id} (its frame folder; --ext .mkv etc. for videos) and the classes action_id - 1
             of its boxes. Training reads the csv itself (AVADataset); the list drives the prep
             verbs and `check`. Label map line i = action id i + 1 (action_N where the pbtxt has none)
  ava-kinetics
             kinetics_train_v1.0.csv / kinetics_val_v1.0.csv (the Kinetics part of AVA-Kinetics, AVA's
             columns, timestamps in seconds of the YouTube video) with --kinetics-list = the
             Kinetics-700 video list ({youtube_id}_{start:06d}_{end:06d}.mp4 names); lists the clips
             MMAction2's tools/data/ava_kinetics/cut_kinetics.py cuts (annotated seconds +- 2 s inside
             each Kinetics clip, clips inside another dropped) with their classes action_id - 1;
             --classes ava_action_list_v2.2_for_activitynet_2019.pbtxt (optional)
  omnisource-images, omnisource-videos
             SOURCE = the crawled web data, one folder per class of the target dataset
             (googleimage/<class>/*.jpg, insvideo/<class>/*.mp4 or trim_raw_video.py's
             <class>/<video>/part_N.mp4), --classes = the target's classes (k200_actions.txt,
             label_map_k400.txt; folder names may use _ for spaces): lists `class/file label`
             (MMAction2's ImageDataset / VideoDataset lists) whose labels index the target's classes
--ext sets the clip extension of video lists; with --format rawframes the clip's folder under
--media-root is counted (*.jpg/*.png, flow_* images not counted) and a clip without a folder
there is left out (counted); with video lists --media-root leaves out videos not found there.

Outputs: OUT (train), the validation/test list at --val-out (default: OUT with "train" replaced
by "val", or OUT_val), and the label map at --label-map (default: OUT's folder/label_map.txt),
one class name a line, line number = class index."""

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".flv", ".mpg", ".mpeg", ".wmv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
OFFICIAL = (
    "ucf101",
    "hmdb51",
    "kinetics",
    "kinetics400",
    "kinetics600",
    "kinetics700",
    "sthv1",
    "sthv2",
    "jester",
    "diving48",
    "mit",
    "mmit",
    "hvu",
    "gym",
    "thumos14",
    "activitynet",
    "ava",
    "ava-kinetics",
    "omnisource-images",
    "omnisource-videos",
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "build-list",
        help="build video/rawframe lists and a label map from a folder tree or official split files",
        description="Build video or rawframe lists (and a label map) from a class-per-folder tree, "
        "with a seeded per-class train/val split, or convert a dataset's official annotation files "
        "(UCF101, HMDB51, Kinetics-400/600/700, Something-Something V1/V2, Jester, Diving48, Moments "
        "in Time, Multi-Moments in Time, HVU, FineGYM, THUMOS14, ActivityNet, AVA, AVA-Kinetics, OmniSource "
        "web images/videos; files listed below).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", type=Path, help="class-per-folder tree, or the official split folder/file")
    p.add_argument("--out", type=Path, required=True, help="train list to write")
    p.add_argument("--val-out", type=Path, default=None, help="validation/test list to write")
    p.add_argument("--label-map", type=Path, default=None, help="label map to write (names, one a line)")
    p.add_argument(
        "--official", choices=OFFICIAL, default=None, help="official annotation format (see below)"
    )
    p.add_argument(
        "--val-source", type=Path, default=None, help="official validation/test file (same format as source)"
    )
    p.add_argument(
        "--media-root",
        type=Path,
        default=None,
        help="official lists: folder of the videos / frame folders; clips missing there are left out",
    )
    p.add_argument(
        "--category",
        choices=("action", "attribute", "concept", "event", "object", "scene"),
        default=None,
        help="HVU: the tag category to list",
    )
    p.add_argument("--ext", default=None, help="official lists: video extension (default per dataset)")
    p.add_argument("--kinetics-list", type=Path, default=None,
                   help="ava-kinetics: the Kinetics-700 video list the AVA-Kinetics clips are cut from")
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


def _need_classes(args: argparse.Namespace, what: str) -> Path:
    if args.classes is None:
        raise SystemExit(f"build-list: --official {args.official} needs --classes {what}")
    return args.classes


def _official(args: argparse.Namespace) -> tuple[list, list, list[str]]:
    """Read SOURCE (and --val-source) in the official format ``args.official``."""
    from vidcore.data.annotations import (
        read_hmdb51_split,
        read_kinetics_csv,
        read_label_map,
        read_sthv2_json,
        read_ucf101_split,
        sthv2_labels,
        zoo,
    )

    name = args.official
    frames = args.format == "rawframes"
    if name in ("ucf101", "hmdb51"):
        reader = read_ucf101_split if name == "ucf101" else read_hmdb51_split
        split = reader(args.source, args.split)
        return split.train, split.val, split.label_map.names
    val: list = []
    if name.startswith("kinetics"):
        ext = "" if frames else (args.ext or ".mp4")
        given = read_label_map(args.classes) if args.classes else None
        train, lm = read_kinetics_csv(args.source, label_map=given, ext=ext, folder_space="_")
        if args.val_source:
            val, _ = read_kinetics_csv(args.val_source, label_map=lm, ext=ext, folder_space="_")
        return train, val, lm.names
    if name == "sthv2":
        lm = sthv2_labels(_need_classes(args, "something-something-v2-labels.json"))
        ext = "" if frames else (args.ext or ".webm")
        train = read_sthv2_json(args.source, lm, ext=ext)
        if args.val_source:
            val = read_sthv2_json(args.val_source, lm, ext=ext)
        return train, val, lm.names
    if name in ("sthv1", "jester"):
        labels_csv = "something-something-v1-labels.csv" if name == "sthv1" else "jester-v1-labels.csv"
        lm = zoo.read_class_lines(_need_classes(args, labels_csv))
        ext = "" if frames else (args.ext or ".mp4")
        train = zoo.read_semicolon_csv(args.source, lm, ext=ext)
        if args.val_source:
            val = zoo.read_semicolon_csv(args.val_source, lm, ext=ext)
        return train, val, lm.names
    if name == "diving48":
        ext = "" if frames else (args.ext or ".mp4")
        vocab = zoo.diving48_labels(args.classes) if args.classes else None
        n = vocab.num_classes if vocab is not None else None
        train = zoo.read_diving48_json(args.source, num_classes=n, ext=ext)
        if args.val_source:
            val = zoo.read_diving48_json(args.val_source, num_classes=n, ext=ext)
        if vocab is None:
            top = max((max(r.labels) for r in train + val), default=-1)
            return train, val, [str(i) for i in range(top + 1)]
        return train, val, vocab.names
    if name == "hvu":
        if args.category is None:
            raise SystemExit("build-list: --official hvu needs --category (action, attribute, concept, ...)")
        cats = zoo.read_hvu_categories(_need_classes(args, "hvu_categories.csv"))
        ext = "" if frames else (args.ext or ".mp4")
        train = zoo.read_hvu_csv(args.source, cats, args.category, ext=ext)
        if args.val_source:
            val = zoo.read_hvu_csv(args.val_source, cats, args.category, ext=ext)
        return train, val, cats[args.category]
    if name == "gym":
        ext = "" if frames else (args.ext or ".mp4")
        cats = zoo.read_gym_categories(args.classes) if args.classes else None
        n = cats.num_classes if cats is not None else None
        train = zoo.read_gym_elements(args.source, num_classes=n, ext=ext)
        if args.val_source:
            val = zoo.read_gym_elements(args.val_source, num_classes=n, ext=ext)
        if cats is None:
            top = max((max(r.labels) for r in train + val), default=-1)
            return train, val, [str(i) for i in range(top + 1)]
        return train, val, cats.names
    if name == "thumos14":
        ext = "" if frames else (args.ext or ".mp4")
        train, classes = zoo.read_thumos14_folder(args.source, ext=ext)
        if args.val_source:
            val, val_classes = zoo.read_thumos14_folder(args.val_source, ext=ext)
            if val_classes != classes:
                raise SystemExit(
                    f"build-list: {args.val_source} has classes {val_classes}, {args.source} has {classes}"
                )
        return train, val, classes
    if name == "activitynet":
        if args.val_source is not None:
            raise SystemExit("build-list: --official activitynet reads both subsets from SOURCE")
        ext = "" if frames else (args.ext or ".mp4")
        subsets, classes = zoo.read_activitynet_lists(args.source, ext=ext)
        return subsets.get("training", []), subsets.get("validation", []), classes
    if name in ("ava", "ava-kinetics"):
        pbtxt = read_label_map(args.classes) if args.classes else None
        ext = "" if frames else (args.ext if args.ext is not None else ("" if name == "ava" else ".mp4"))
        if name == "ava":
            train = zoo.read_ava_video_list(args.source, pbtxt, ext=ext)
            val = zoo.read_ava_video_list(args.val_source, pbtxt, ext=ext) if args.val_source else []
        else:
            if args.kinetics_list is None:
                raise SystemExit("build-list: --official ava-kinetics needs --kinetics-list (the Kinetics-700 video list)")
            train = zoo.read_ava_kinetics_list(args.source, args.kinetics_list, pbtxt, ext=ext)
            if args.val_source:
                val = zoo.read_ava_kinetics_list(args.val_source, args.kinetics_list, pbtxt, ext=ext)
        ids = {a + 1 for r in train + val for a in r.labels}
        return train, val, zoo.ava_class_names(pbtxt, ids)
    if name.startswith("omnisource"):
        if args.val_source is not None:
            raise SystemExit("build-list: OmniSource web data has no validation split (validate on the target dataset)")
        target = read_label_map(_need_classes(args, "the target dataset's classes (k200_actions.txt, label_map_k400.txt)"))
        kind = "image" if name == "omnisource-images" else "video"
        return zoo.read_omnisource_tree(args.source, target, kind=kind), [], target.names
    # mit, mmit
    lm = zoo.read_mit_categories(_need_classes(args, "moments_categories.txt"))
    ext = "" if frames else args.ext
    if name == "mit":
        train = zoo.read_mit_csv(args.source, lm, ext=ext)
        val = zoo.read_mit_csv(args.val_source, lm, ext=ext) if args.val_source else []
    else:
        train = zoo.read_mmit_csv(args.source, lm.num_classes, ext=ext)
        val = zoo.read_mmit_csv(args.val_source, lm.num_classes, ext=ext) if args.val_source else []
    return train, val, lm.names


def _on_disk(records: list, args: argparse.Namespace) -> tuple[list, int]:
    """Official records checked against --media-root: rawframe records with counted frames (a
    folder ``root/<clip>``), or the videos found; returns the kept records and how many were missing."""
    from vidcore.data.annotations import RawframeRecord

    root: Path = args.media_root
    kept: list = []
    missing = 0
    for r in records:
        if args.format == "rawframes":
            frame_dir = r.path
            if Path(frame_dir).suffix.lower() in VIDEO_EXTENSIONS:  # UCF101 / HMDB51 lists name videos
                frame_dir = frame_dir[: -len(Path(frame_dir).suffix)]
            folder = root / frame_dir
            if not folder.is_dir():
                missing += 1
                continue
            n = sum(
                1
                for f in folder.iterdir()
                if f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith((".", "flow_"))
            )
            kept.append(RawframeRecord(frame_dir, n, r.labels, source=r.source))
        elif (root / r.path).is_file():
            kept.append(r)
        else:
            missing += 1
    return kept, missing


def run(args: argparse.Namespace) -> int:
    from vidcore.data.annotations import write_label_map, write_rawframe_list, write_video_list
    from vidcore.data.errors import AnnotationError

    missing = 0
    try:
        if args.official is None:
            train, val, classes = _from_tree(args)
        else:
            if args.format == "rawframes" and args.media_root is None:
                raise SystemExit(
                    "build-list: --official with --format rawframes needs --media-root (frame folders)"
                )
            if args.val_source is not None and args.official in ("ucf101", "hmdb51"):
                raise SystemExit(f"build-list: --official {args.official} reads both splits from SOURCE")
            train, val, classes = _official(args)
            if args.media_root is not None:
                train, missing_train = _on_disk(train, args)
                val, missing_val = _on_disk(val, args)
                missing = missing_train + missing_val
    except AnnotationError as exc:
        print(f"build-list: {exc}")
        return 1
    write = write_rawframe_list if args.format == "rawframes" else write_video_list
    write(train, args.out)
    written = [f"{args.out} ({len(train)} records)"]
    if val or args.val_fraction > 0 or args.val_source is not None or args.official == "activitynet":
        val_out = args.val_out or _val_path(args.out)
        write(val, val_out)
        written.append(f"{val_out} ({len(val)} records)")
    label_map = args.label_map or args.out.parent / "label_map.txt"
    write_label_map(list(classes), label_map)
    written.append(f"{label_map} ({len(classes)} classes)")
    print("wrote " + ", ".join(written))
    if missing:
        print(f"left out {missing} clips not found under {args.media_root}")
    return 0
