"""Official split files of UCF101, HMDB51, Kinetics and Something-Something V2, read into our
video lists (0-based labels) plus a label map.

- UCF101: ``classInd.txt`` (``1 ApplyEyeMakeup``, 1-based), ``trainlist0N.txt``
  (``Class/v_Class_g08_c01.avi 1``, 1-based label) and ``testlist0N.txt`` (``Class/v_...avi``, the
  class taken from the folder).
- HMDB51: one file per class and split, ``<class>_test_splitN.txt``, lines ``video.avi F`` with
  F = 1 train, 2 test, 0 unused; classes are numbered in sorted order (MMAction2's label map).
- Kinetics: csv with header ``label,youtube_id,time_start,time_end,split[,is_cc]`` (the test csv
  of some releases has no ``label``); clips are named ``{youtube_id}_{start:06d}_{end:06d}.mp4``.
- Something-Something V2: ``something-something-v2-labels.json`` (template -> id string) and
  ``*-train.json`` / ``*-validation.json`` lists of ``{id, label, template, placeholders}``; the
  class is the template with its brackets removed; videos are ``{id}.webm``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from vidcore.data.annotations._common import (
    LineErrors,
    PathArg,
    iter_lines,
    load_json,
    parse_float,
    parse_int,
)
from vidcore.data.annotations.labelmap import LabelMap, read_label_map
from vidcore.data.annotations.lists import VideoRecord
from vidcore.data.errors import AnnotationError


@dataclass
class OfficialSplit:
    """Records of one split (labels 0-based) and the label map they index."""

    train: list[VideoRecord]
    val: list[VideoRecord]
    label_map: LabelMap


def read_ucf101_split(split_dir: PathArg, split: int = 1) -> OfficialSplit:
    """Read ``classInd.txt``, ``trainlist0{split}.txt`` and ``testlist0{split}.txt`` from ``split_dir``."""
    d = Path(split_dir)
    ind = read_label_map(d / "classInd.txt", format="ids")
    if sorted(ind) != list(range(1, len(ind) + 1)):
        raise AnnotationError(d / "classInd.txt", None, "expected class ids 1..N without gaps")
    label_map = LabelMap({i - 1: ind[i] for i in ind}, str(d / "classInd.txt"))
    by_name = {name: i for i, name in label_map.items()}

    def read(name: str, labelled: bool) -> list[VideoRecord]:
        path = d / name
        out = []
        errors = LineErrors(path)
        for number, text in iter_lines(path):
            with errors.on_line():
                parts = text.split()
                cls = parts[0].split("/")[0]
                if cls not in by_name:
                    raise AnnotationError(
                        path,
                        number,
                        f"expected 'Class/video.avi' with a class from classInd.txt, got {parts[0]!r}",
                    )
                label = by_name[cls]
                if labelled and len(parts) > 1:
                    given = parse_int(parts[1], path, number, "1-based label", minimum=1) - 1
                    if given != label:
                        raise AnnotationError(
                            path,
                            number,
                            f"label {given + 1} disagrees with the folder {cls!r} (class {label + 1})",
                        )
                out.append(VideoRecord(parts[0], (label,), (str(path), number)))
        errors.raise_if_any()
        return out

    return OfficialSplit(
        read(f"trainlist0{split}.txt", True), read(f"testlist0{split}.txt", False), label_map
    )


_HMDB_FILE = re.compile(r"^(.+)_test_split(\d)\.txt$")


def read_hmdb51_split(split_dir: PathArg, split: int = 1) -> OfficialSplit:
    """Read every ``<class>_test_split{split}.txt`` in ``split_dir``; paths become ``class/video``."""
    d = Path(split_dir)
    files = sorted(p for p in d.iterdir() if (m := _HMDB_FILE.match(p.name)) and int(m.group(2)) == split)
    if not files:
        raise AnnotationError(d, None, f"expected files named <class>_test_split{split}.txt")
    classes = sorted(_HMDB_FILE.match(p.name).group(1) for p in files)  # type: ignore[union-attr]
    label_map = LabelMap.from_names(classes)
    train, val = [], []
    for path in files:
        cls = _HMDB_FILE.match(path.name).group(1)  # type: ignore[union-attr]
        label = classes.index(cls)
        errors = LineErrors(path)
        for number, text in iter_lines(path):
            with errors.on_line():
                parts = text.split()
                if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                    raise AnnotationError(
                        path,
                        number,
                        f"expected 'video.avi F' with F in 0 (unused), 1 (train), 2 (test), got {text!r}",
                    )
                rec = VideoRecord(f"{cls}/{parts[0]}", (label,), (str(path), number))
                if parts[1] == "1":
                    train.append(rec)
                elif parts[1] == "2":
                    val.append(rec)
        errors.raise_if_any()
    return OfficialSplit(train, val, label_map)


def kinetics_clip_name(youtube_id: str, start: float, end: float, ext: str = ".mp4") -> str:
    """``{youtube_id}_{start:06d}_{end:06d}{ext}``: the names of the Kinetics download tools."""
    return f"{youtube_id}_{int(start):06d}_{int(end):06d}{ext}"


def read_kinetics_csv(
    path: PathArg,
    *,
    label_map: LabelMap | None = None,
    class_folders: bool = True,
    ext: str = ".mp4",
    folder_space: str = " ",
) -> tuple[list[VideoRecord], LabelMap]:
    """Read a Kinetics csv into video records. Classes come from ``label_map`` (e.g. MMAction2's
    ``label_map_k400.txt``) or, if absent, the sorted labels found in the file. With
    ``class_folders`` a clip's path is ``label/clip``, the label's spaces replaced by
    ``folder_space`` (``"_"``: the folders of MMAction2's ``rename_classnames.sh``). A time that is
    not a number is an error naming the line."""
    p = Path(path)
    lines = list(iter_lines(p))
    if not lines:
        raise AnnotationError(
            p, None, "empty file: expected a header 'label,youtube_id,time_start,time_end,split'"
        )
    rows = list(csv.reader(io.StringIO("\n".join(t for _, t in lines))))
    header = [h.strip() for h in rows[0]]
    for needed in ("youtube_id", "time_start", "time_end"):
        if needed not in header:
            raise AnnotationError(p, lines[0][0], f"expected a header with {needed!r}, got {header}")
    col = {h: i for i, h in enumerate(header)}
    has_label = "label" in col
    if label_map is None:
        names = sorted(
            {r[col["label"]].strip() for r in rows[1:] if has_label and len(r) == len(header)} - {""}
        )
        label_map = LabelMap.from_names(names)
    ids = {name: i for i, name in label_map.items()}
    out = []
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(header):
            raise AnnotationError(
                p, number, f"expected {len(header)} columns ({','.join(header)}), got {len(row)}"
            )
        start = parse_float(row[col["time_start"]], p, number, "time_start (seconds)")
        end = parse_float(row[col["time_end"]], p, number, "time_end (seconds)")
        name = kinetics_clip_name(row[col["youtube_id"]].strip(), start, end, ext)
        labels: tuple[int, ...] = ()
        cls = row[col["label"]].strip() if has_label else ""
        if cls:  # an empty label (the test csv of some releases) is an unlabeled clip
            if cls not in ids:
                raise AnnotationError(p, number, f"label {cls!r} is not in the label map")
            labels = (ids[cls],)
            if class_folders:
                name = f"{cls.replace(' ', folder_space)}/{name}"
        out.append(VideoRecord(name, labels, (str(p), number)))
    return out, label_map


def sthv2_labels(path: PathArg) -> LabelMap:
    """Read ``something-something-v2-labels.json`` (template -> id string) as a label map."""
    p = Path(path)
    data = load_json(p)
    if not isinstance(data, dict):
        raise AnnotationError(p, None, "expected a JSON object template -> id")
    try:
        return LabelMap({int(v): str(k) for k, v in data.items()}, str(p))
    except (TypeError, ValueError):
        raise AnnotationError(p, None, "expected integer ids (as strings) for every template") from None


def read_sthv2_json(path: PathArg, label_map: LabelMap, *, ext: str = ".webm") -> list[VideoRecord]:
    """Read a Something-Something V2 list; items without ``template`` (the test set) are unlabeled."""
    p = Path(path)
    data = load_json(p)
    if not isinstance(data, list):
        raise AnnotationError(
            p,
            None,
            f"expected a JSON list of {{id, label, template, placeholders}}, got {type(data).__name__}",
        )
    ids = {name: i for i, name in label_map.items()}
    out = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or "id" not in item:
            raise AnnotationError(p, None, f"item {index}: expected an object with an 'id'")
        labels: tuple[int, ...] = ()
        if "template" in item:
            template = str(item["template"]).replace("[", "").replace("]", "")
            if template not in ids:
                raise AnnotationError(
                    p, None, f"item {index} (id {item['id']}): template {template!r} not in the labels file"
                )
            labels = (ids[template],)
        out.append(VideoRecord(f"{item['id']}{ext}", labels, (str(p), index)))
    return out
