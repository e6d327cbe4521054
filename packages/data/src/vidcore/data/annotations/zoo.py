"""Official annotation files of the other MMAction2 model-zoo datasets, read into our video records
(0-based labels) plus a label map. The layouts are those each dataset publishes (and MMAction2's
``tools/data/*`` read):

- Something-Something V1 and Jester: ``something-something-v1-labels.csv`` /
  ``jester-v1-labels.csv`` (one class name a line, line order = class id), ``*-train.csv`` and
  ``*-validation.csv`` (``id;class name``) and ``*-test.csv`` (``id`` alone). A clip is the frame
  folder ``{id}`` (frames ``00001.jpg ...``) or the video ``{id}{ext}``.
- Diving48: ``Diving48_V2_train.json`` / ``Diving48_V2_test.json``, a JSON list of
  ``{vid_name, label, start_frame, end_frame}`` with 0-based labels; ``Diving48_vocab.json`` is a
  list of the 48 ``[takeoff, somersault, twist, flight]`` tuples (class i = entry i), so a class is
  named by joining them with ``_``. Clips are ``{vid_name}{ext}``.
- Moments in Time: ``moments_categories.txt`` (``name,id``) and ``trainingSet.csv`` /
  ``validationSet.csv`` whose first column is ``class/video.mp4`` (further columns: the class and
  annotator agreement counts, not used); the class is the folder, as MMAction2 takes it.
- Multi-Moments in Time: the same categories file and ``trainingSet.csv`` / ``validationSet.csv``
  rows ``class/video.mp4,id,id,...`` (every id after the path is a label: a multi-label list).
- HVU: ``hvu_categories.csv`` (header, then ``tag,category`` with category one of action,
  attribute, concept, event, object, scene) and ``hvu_train.csv`` / ``hvu_val.csv`` (header, then
  ``tags,youtube_id,time_start,time_end`` with tags joined by ``|``). A category's classes are its
  tags in sorted order (MMAction2's ``parse_tag_list.py``); a clip is
  ``{youtube_id}_{int(start * 10):06d}_{int(end * 10):06d}{ext}`` (the names of MMAction2's HVU
  download tool). One list per category: the clip's tags of that category, clips without any left
  out.
- FineGYM: the element split files ``gym99_train_element_v1.0.txt`` / ``gym99_val_element.txt``
  (and the gym288 ones), ``{subaction name} {label}`` a line, labels 0-based; a clip is
  ``{subaction name}{ext}``. The categories file (``gym99_categories.txt``) has lines
  ``Clabel: 0; set: 1; Glabel: 1; (VT) round-off, ...``.
- THUMOS14: the temporal annotation folders (``TH14_Temporal_annotations_validation`` / ``_test``)
  hold one file per class, ``<Class>_val.txt`` / ``<Class>_test.txt``, lines ``video_validation_0000051
  67.5 75.9`` (video, start and end in seconds), plus ``Ambiguous_*.txt`` (not a class). Read into a
  multi-label list of untrimmed videos: a video's labels are the classes of its segments (sorted
  class order, the 20 detection classes when all files are there).
- ActivityNet: ``activity_net.v1-3.min.json`` (``{"database": {id: {"subset", "annotations":
  [{"segment", "label"}], ...}}}``) read into multi-label lists of the videos ``v_{id}{ext}`` of one
  subset; classes are the sorted labels found in the file.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from vidcore.data.annotations._common import LineErrors, PathArg, iter_lines, load_json, parse_int
from vidcore.data.annotations.labelmap import LabelMap
from vidcore.data.annotations.lists import VideoRecord
from vidcore.data.errors import AnnotationError


def read_class_lines(path: PathArg) -> LabelMap:
    """A labels csv of SthV1 / Jester: one class name a line; the line order gives ids 0, 1, ..."""
    p = Path(path)
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, text in iter_lines(p):
        if text in seen:
            raise AnnotationError(p, number, f"class {text!r} repeats line {seen[text]}")
        seen[text] = number
        names.append(text)
    if not names:
        raise AnnotationError(p, None, "empty file: expected one class name a line")
    return LabelMap.from_names(names)


def read_semicolon_csv(
    path: PathArg, label_map: LabelMap, *, ext: str = "", labelled: bool = True
) -> list[VideoRecord]:
    """A SthV1 / Jester split csv: ``id;class name`` a line (``labelled``) or ``id`` alone (test).

    Records are ``{id}{ext}`` (``ext=""`` names the frame folder)."""
    p = Path(path)
    ids = {name: i for i, name in label_map.items()}
    out = []
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            parts = [t.strip() for t in text.split(";")]
            if not parts[0] or any(c.isspace() for c in parts[0]):
                want = "'id;class name'" if labelled else "'id'"
                raise AnnotationError(p, number, f"expected {want} (an id without spaces), got {text!r}")
            if not labelled:
                if len(parts) != 1:
                    raise AnnotationError(p, number, f"expected a test line 'id' alone, got {text!r}")
                out.append(VideoRecord(f"{parts[0]}{ext}", (), (str(p), number)))
                continue
            if len(parts) != 2:
                raise AnnotationError(p, number, f"expected 'id;class name', got {text!r}")
            if parts[1] not in ids:
                raise AnnotationError(p, number, f"class {parts[1]!r} is not in the labels file")
            out.append(VideoRecord(f"{parts[0]}{ext}", (ids[parts[1]],), (str(p), number)))
    errors.raise_if_any()
    return out


def diving48_labels(path: PathArg) -> LabelMap:
    """``Diving48_vocab.json``: a list of ``[takeoff, somersault, twist, flight]``; class i is entry
    i, named by its four parts joined with ``_`` (e.g. ``Back_15som_05Twis_FREE``)."""
    p = Path(path)
    data = load_json(p)
    if not isinstance(data, list) or not data:
        raise AnnotationError(
            p, None, "expected a JSON list of [takeoff, somersault, twist, flight] lists"
        )
    names = []
    for index, item in enumerate(data):
        if not isinstance(item, list) or not item or not all(isinstance(s, str) for s in item):
            raise AnnotationError(p, None, f"item {index}: expected a list of strings, got {item!r}")
        names.append("_".join(s.replace(" ", "") for s in item))
    return LabelMap({i: n for i, n in enumerate(names)}, str(p))


def read_diving48_json(
    path: PathArg, *, num_classes: int | None = None, ext: str = ".mp4"
) -> list[VideoRecord]:
    """A Diving48 split json: ``[{vid_name, label, start_frame, end_frame}, ...]``, labels 0-based.

    Records are ``{vid_name}{ext}``; ``source`` holds the item's index. A label outside
    ``0 .. num_classes - 1`` (when given) is an error."""
    p = Path(path)
    data = load_json(p)
    if not isinstance(data, list):
        raise AnnotationError(
            p,
            None,
            "expected a JSON list of {vid_name, label, start_frame, end_frame}, "
            f"got {type(data).__name__}",
        )
    out = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("vid_name"), str):
            raise AnnotationError(p, None, f"item {index}: expected an object with a string 'vid_name'")
        label = item.get("label")
        if not isinstance(label, int) or isinstance(label, bool) or label < 0:
            raise AnnotationError(
                p, None, f"item {index} ({item['vid_name']}): expected an integer label >= 0"
            )
        if num_classes is not None and label >= num_classes:
            raise AnnotationError(
                p,
                None,
                f"item {index} ({item['vid_name']}): label {label} >= {num_classes} classes in the vocab",
            )
        out.append(VideoRecord(f"{item['vid_name']}{ext}", (label,), (str(p), index)))
    return out


def read_mit_categories(path: PathArg) -> LabelMap:
    """``moments_categories.txt`` (MiT, also used for M-MiT): ``name,id`` a line, ids 0..N-1."""
    p = Path(path)
    names: dict[int, str] = {}
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            name, sep, digit = text.rpartition(",")
            if not sep or not name:
                raise AnnotationError(p, number, f"expected 'name,id', got {text!r}")
            class_id = parse_int(digit.strip(), p, number, "class id", minimum=0)
            if class_id in names:
                raise AnnotationError(
                    p, number, f"duplicate class id {class_id} (first named {names[class_id]!r})"
                )
            names[class_id] = name.strip()
    errors.raise_if_any()
    if sorted(names) != list(range(len(names))):
        raise AnnotationError(p, None, f"expected class ids 0..{len(names) - 1} without gaps")
    return LabelMap(names, str(p))


def _mit_rows(p: Path) -> list[tuple[int, list[str]]]:
    import csv

    rows = []
    for number, text in iter_lines(p):
        fields = next(csv.reader([text]))
        rows.append((number, [f.strip() for f in fields]))
    return rows


def _strip_ext(path: str, ext: str | None) -> str:
    if ext is None:
        return path
    return str(PurePosixPath(path).with_suffix("")) + ext


def read_mit_csv(path: PathArg, label_map: LabelMap, *, ext: str | None = None) -> list[VideoRecord]:
    """A Moments in Time split csv (``class/video.mp4,...``); the label is the folder's class.

    The record's path is the first column as listed, or with its extension replaced by ``ext``
    (``ext=""``: the frame folder)."""
    p = Path(path)
    ids = {name: i for i, name in label_map.items()}
    out = []
    errors = LineErrors(p)
    for number, fields in _mit_rows(p):
        with errors.on_line():
            video = fields[0]
            cls = str(PurePosixPath(video).parent)
            if cls in ("", ".") or not PurePosixPath(video).suffix:
                raise AnnotationError(p, number, f"expected 'class/video.mp4' first, got {video!r}")
            if cls not in ids:
                raise AnnotationError(p, number, f"class folder {cls!r} is not in the categories file")
            out.append(VideoRecord(_strip_ext(video, ext), (ids[cls],), (str(p), number)))
    errors.raise_if_any()
    return out


def read_mmit_csv(path: PathArg, num_classes: int, *, ext: str | None = None) -> list[VideoRecord]:
    """A Multi-Moments in Time split csv: ``class/video.mp4,id,id,...``; every id is a label
    (0-based, < ``num_classes``), kept in file order, repeats refused."""
    p = Path(path)
    out = []
    errors = LineErrors(p)
    for number, fields in _mit_rows(p):
        with errors.on_line():
            video = fields[0]
            if not PurePosixPath(video).suffix or len(fields) < 2:
                raise AnnotationError(
                    p, number, f"expected 'class/video.mp4,id[,id...]', got {','.join(fields)!r}"
                )
            labels = tuple(parse_int(f, p, number, "class id", minimum=0) for f in fields[1:])
            bad = [x for x in labels if x >= num_classes]
            if bad:
                raise AnnotationError(
                    p, number, f"class id {bad[0]} >= {num_classes} classes in the categories file"
                )
            if len(set(labels)) != len(labels):
                raise AnnotationError(p, number, f"a class id repeats in {fields[1:]}")
            out.append(VideoRecord(_strip_ext(video, ext), labels, (str(p), number)))
    errors.raise_if_any()
    return out


HVU_CATEGORIES = ("action", "attribute", "concept", "event", "object", "scene")


def _csv_rows(p: Path, *, header: bool) -> list[tuple[int, list[str]]]:
    """Non-blank csv rows with their line numbers (fields stripped), the header row dropped."""
    rows = _mit_rows(p)
    if header:
        if not rows:
            raise AnnotationError(p, None, "empty file: expected a header line")
        rows = rows[1:]
    return rows


def read_hvu_categories(path: PathArg) -> dict[str, list[str]]:
    """``hvu_categories.csv``: ``tag,category`` rows after a header; returns category -> sorted tags."""
    p = Path(path)
    out: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    errors = LineErrors(p)
    for number, fields in _csv_rows(p, header=True):
        with errors.on_line():
            if len(fields) != 2 or fields[1] not in HVU_CATEGORIES:
                raise AnnotationError(
                    p, number, f"expected 'tag,category' with a category in {HVU_CATEGORIES}, got {fields}"
                )
            if fields[0] in seen:
                raise AnnotationError(p, number, f"tag {fields[0]!r} repeats line {seen[fields[0]]}")
            seen[fields[0]] = number
            out.setdefault(fields[1], []).append(fields[0])
    errors.raise_if_any()
    return {k: sorted(v) for k, v in out.items()}


def hvu_clip_name(youtube_id: str, start: float, end: float, ext: str = ".mp4") -> str:
    """``{youtube_id}_{int(start * 10):06d}_{int(end * 10):06d}{ext}`` (times in tenths of a second)."""
    return f"{youtube_id}_{int(start * 10):06d}_{int(end * 10):06d}{ext}"


def read_hvu_csv(
    path: PathArg, categories: dict[str, list[str]], category: str, *, ext: str = ".mp4"
) -> list[VideoRecord]:
    """An HVU split csv read for one tag ``category``: each clip's tags of that category as labels
    (indices into the category's sorted tags, in the order the tags are listed); clips with no tag
    of the category are left out. A tag that is in no category is an error naming the line."""
    from vidcore.data.annotations._common import parse_float

    p = Path(path)
    if category not in categories:
        raise AnnotationError(p, None, f"category {category!r} has no tags in the categories file")
    index = {tag: i for i, tag in enumerate(categories[category])}
    known = {tag for tags in categories.values() for tag in tags}
    out = []
    errors = LineErrors(p)
    for number, fields in _csv_rows(p, header=True):
        with errors.on_line():
            if len(fields) != 4:
                raise AnnotationError(
                    p, number, f"expected 'tags,youtube_id,time_start,time_end', got {len(fields)} columns"
                )
            tags = [t for t in fields[0].split("|") if t]
            unknown = [t for t in tags if t not in known]
            if unknown:
                raise AnnotationError(p, number, f"tag {unknown[0]!r} is not in the categories file")
            start = parse_float(fields[2], p, number, "time_start (seconds)")
            end = parse_float(fields[3], p, number, "time_end (seconds)")
            labels = tuple(index[t] for t in tags if t in index)
            if labels:
                out.append(VideoRecord(hvu_clip_name(fields[1], start, end, ext), labels, (str(p), number)))
    errors.raise_if_any()
    return out


_GYM_CATEGORY = re.compile(r"^Clabel:\s*(\d+);\s*set:\s*\d+;\s*Glabel:\s*\d+;\s*(.+)$")


def read_gym_categories(path: PathArg) -> LabelMap:
    """FineGYM ``gym99_categories.txt`` / ``gym288_categories.txt``:
    ``Clabel: N; set: S; Glabel: G; name`` a line; class N is ``name``."""
    p = Path(path)
    names: dict[int, str] = {}
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            m = _GYM_CATEGORY.match(text)
            if m is None:
                raise AnnotationError(
                    p, number, f"expected 'Clabel: N; set: S; Glabel: G; name', got {text!r}"
                )
            class_id = int(m.group(1))
            if class_id in names:
                raise AnnotationError(p, number, f"duplicate Clabel {class_id}")
            names[class_id] = m.group(2).strip()
    errors.raise_if_any()
    if sorted(names) != list(range(len(names))):
        raise AnnotationError(p, None, f"expected Clabel 0..{len(names) - 1} without gaps")
    return LabelMap(names, str(p))


def read_gym_elements(
    path: PathArg, *, num_classes: int | None = None, ext: str = ".mp4"
) -> list[VideoRecord]:
    """A FineGYM element split file: ``{subaction name} {label}`` a line (label 0-based)."""
    p = Path(path)
    out = []
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            parts = text.split()
            if len(parts) != 2:
                raise AnnotationError(p, number, f"expected '<subaction name> <label>', got {text!r}")
            label = parse_int(parts[1], p, number, "label", minimum=0)
            if num_classes is not None and label >= num_classes:
                raise AnnotationError(
                    p, number, f"label {label} >= {num_classes} classes in the categories file"
                )
            out.append(VideoRecord(f"{parts[0]}{ext}", (label,), (str(p), number)))
    errors.raise_if_any()
    return out


def read_thumos14_folder(folder: PathArg, *, ext: str = ".mp4") -> tuple[list[VideoRecord], list[str]]:
    """Every ``<Class>_{val,test}.txt`` of a THUMOS14 temporal annotation folder (``Ambiguous``
    skipped): one multi-label record per video, ``{video}{ext}``, videos in sorted order; returns the
    records and the sorted class names. A line that is not ``video start end`` (seconds, start <=
    end) is an error naming the file and line (the parser of :mod:`vidcore.data.annotations.thumos14`)."""
    from vidcore.data.annotations.thumos14 import read_thumos14_segments

    segments, classes, _ = read_thumos14_segments(folder)
    ids = {c: i for i, c in enumerate(classes)}
    videos: dict[str, set[int]] = {}
    for s in segments:
        videos.setdefault(s.video, set()).add(ids[s.label])
    records = [VideoRecord(f"{v}{ext}", tuple(sorted(videos[v]))) for v in sorted(videos)]
    return records, classes


def read_activitynet_lists(
    path: PathArg, *, ext: str = ".mp4"
) -> tuple[dict[str, list[VideoRecord]], list[str]]:
    """The official ActivityNet json as multi-label video lists by subset (``training``,
    ``validation``, ``testing``): video ``v_{id}{ext}`` with the sorted ids of its segments' labels
    (the ``v_`` prefix is kept when the id has it already). Returns the lists and the classes."""
    from vidcore.data.annotations.activitynet import read_activitynet_json

    records = read_activitynet_json(path)
    classes = sorted({s.label for r in records for s in r.segments})
    ids = {c: i for i, c in enumerate(classes)}
    out: dict[str, list[VideoRecord]] = {}
    for r in records:
        name = r.video_name if r.video_name.startswith("v_") else f"v_{r.video_name}"
        labels = tuple(sorted({ids[s.label] for s in r.segments}))
        out.setdefault(r.subset or "", []).append(VideoRecord(f"{name}{ext}", labels, r.source))
    return out, classes


# ----------------------------------------------------------------- AVA, AVA-Kinetics, OmniSource


def ava_class_names(label_map: LabelMap | None, action_ids: set[int]) -> list[str]:
    """Label-map lines for AVA action ids (class ``id - 1``): the pbtxt's names, ``action_{id}`` for
    an id the pbtxt lacks (the 60-class maps leave gaps in 1..80) or when there is no pbtxt."""
    top = max(set(label_map.names_by_id if label_map else ()) | action_ids, default=0)
    names = label_map.names_by_id if label_map else {}
    return [names.get(i, f"action_{i}") for i in range(1, top + 1)]


def read_ava_video_list(path: PathArg, label_map: LabelMap | None = None, *, ext: str = "") -> list[VideoRecord]:
    """An AVA box csv (``ava_train_v2.2.csv`` / ``ava_val_v2.2.csv``: ``video_id,timestamp,x1,y1,x2,
    y2,action_id,person_id``) as one multi-label record per video, in first-appearance order:
    ``{video_id}{ext}`` (``ext=""``: the frame folder MMAction2 extracts) with the 0-based classes
    ``action_id - 1`` of every box in it, sorted. With ``label_map`` (the pbtxt) an action id
    missing from it is an error naming the line. The per-box data stays in the csv, which
    ``AVADataset`` reads."""
    from vidcore.data.annotations.ava import read_ava_csv

    p = Path(path)
    actions: dict[str, set[int]] = {}
    sources: dict[str, tuple[str, int]] = {}
    errors = LineErrors(p)
    for r in read_ava_csv(p, kind="gt"):
        with errors.on_line():
            if r.action_id < 1 or (label_map is not None and r.action_id not in label_map.names_by_id):
                where = f"in the label map {label_map.source or ''}".rstrip() if label_map is not None else ">= 1"
                raise AnnotationError(p, r.source[1] if r.source else None, f"action_id {r.action_id} not {where}")
            actions.setdefault(r.video_id, set()).add(r.action_id - 1)
            sources.setdefault(r.video_id, r.source or (str(p), 0))
    errors.raise_if_any()
    return [VideoRecord(f"{v}{ext}", tuple(sorted(a)), sources[v]) for v, a in actions.items()]


def _ava_kinetics_keyframes(p: Path, label_map: LabelMap | None) -> dict[str, dict[int, set[int]]]:
    """youtube id -> {timestamp (whole seconds): action ids} from an AVA-Kinetics csv (7 or 8 columns)."""
    from vidcore.data.annotations._common import parse_float

    out: dict[str, dict[int, set[int]]] = {}
    errors = LineErrors(p)
    for number, text in iter_lines(p):
        with errors.on_line():
            cols = [c.strip() for c in text.split(",")]
            if len(cols) not in (7, 8):
                raise AnnotationError(
                    p, number, f"expected 'youtube_id,timestamp,x1,y1,x2,y2,action_id[,person_id]', got {len(cols)} columns"
                )
            ts = int(parse_float(cols[1], p, number, "timestamp (seconds)"))
            action = parse_int(cols[6], p, number, "action_id", minimum=1)
            if label_map is not None and action not in label_map.names_by_id:
                raise AnnotationError(p, number, f"action_id {action} is not in the label map")
            out.setdefault(cols[0], {}).setdefault(ts, set()).add(action)
    errors.raise_if_any()
    return out


_KINETICS_CLIP = re.compile(r"^(.+)_(\d+)_(\d+)$")


def read_ava_kinetics_list(
    path: PathArg, kinetics_list: PathArg, label_map: LabelMap | None = None, *, ext: str = ".mp4"
) -> list[VideoRecord]:
    """The AVA-Kinetics clips as MMAction2's ``tools/data/ava_kinetics/cut_kinetics.py`` cuts them,
    as a multi-label list.

    ``path``: the AVA-Kinetics box csv of the Kinetics part (``kinetics_train_v1.0.csv`` /
    ``kinetics_val_v1.0.csv``: youtube id, timestamp in seconds of the YouTube video, box, action
    id[, person id]). ``kinetics_list``: the Kinetics-700 video list whose file names are
    ``{youtube_id}_{start:06d}_{end:06d}.ext`` (first column; ``build-list --official kinetics700``
    writes one). Each Kinetics clip with annotated timestamps strictly inside ``(start, end)`` gives
    the clip ``max(start, first - 2)`` .. ``min(end, last + 2)``, named
    ``{youtube_id}_{start:06d}_{end:06d}{ext}``; of two clips of one video where one lies inside the
    other, the inner one is dropped. Labels: ``action_id - 1`` of the boxes at its timestamps.
    """
    p, klist = Path(path), Path(kinetics_list)
    frames = _ava_kinetics_keyframes(p, label_map)
    clips: dict[str, dict[tuple[int, int], tuple[str, int]]] = {}
    errors = LineErrors(klist)
    for number, text in iter_lines(klist):
        with errors.on_line():
            stem = PurePosixPath(text.split()[0]).name.split(".")[0]
            m = _KINETICS_CLIP.match(stem)
            if m is None:
                raise AnnotationError(klist, number, f"expected a file named {{youtube_id}}_{{start:06d}}_{{end:06d}}.ext, got {stem!r}")
            vid, start, end = m.group(1), int(m.group(2)), int(m.group(3))
            inside = [t for t in frames.get(vid, {}) if start < t < end]
            if inside:
                span = (max(start, min(inside) - 2), min(end, max(inside) + 2))
                clips.setdefault(vid, {}).setdefault(span, (str(klist), number))
    errors.raise_if_any()
    out = []
    for vid, spans in clips.items():
        for (s, e), source in sorted(spans.items()):
            if any((s2, e2) != (s, e) and s2 <= s and e <= e2 for s2, e2 in spans):
                continue  # inside another clip of this video
            acts = sorted({a - 1 for t, ids in frames[vid].items() if s < t < e for a in ids})
            out.append(VideoRecord(f"{vid}_{s:06d}_{e:06d}{ext}", tuple(acts), source))
    return out


OMNISOURCE_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
OMNISOURCE_VIDEO_EXTS = (".mp4", ".webm", ".mkv", ".avi", ".mov", ".m4v", ".flv")


def read_omnisource_tree(root: PathArg, label_map: LabelMap, *, kind: str = "image") -> list[VideoRecord]:
    """OmniSource web data as crawled: ``root/<class>/...`` holding the images (``kind="image"``:
    Google / Instagram images) or videos (``kind="video"``: Instagram videos, or the 10 s
    ``<video>/part_N.mp4`` pieces of MMAction2's ``tools/data/omnisource/trim_raw_video.py``) of one
    class of the target dataset. A class folder is named as in ``label_map`` (the target's classes,
    e.g. ``k200_actions.txt`` or ``label_map_k400.txt``; ``_`` may stand for a space), so the labels
    index the target dataset's classifier. Returns ``class/.../file label`` records sorted by path
    (MMAction2's image lists for ``ImageDataset`` and video lists have this form); a folder that
    names no class is an error naming it."""
    base = Path(root)
    if not base.is_dir():
        raise AnnotationError(base, None, "expected a folder of class folders (<class>/<file>)")
    by_name = {n: i for i, n in label_map.names_by_id.items()}
    by_name.update({n.replace(" ", "_"): i for i, n in label_map.names_by_id.items() if n.replace(" ", "_") not in by_name})
    exts = OMNISOURCE_IMAGE_EXTS if kind == "image" else OMNISOURCE_VIDEO_EXTS
    out = []
    for folder in sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")):
        if folder.name not in by_name:
            raise AnnotationError(folder, None, f"class folder {folder.name!r} is not a class of {label_map.source or 'the label map'}")
        label = by_name[folder.name]
        files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in exts and not f.name.startswith("."))
        out += [VideoRecord(f.relative_to(base).as_posix(), (label,), (str(folder), 0)) for f in files]
    return out
