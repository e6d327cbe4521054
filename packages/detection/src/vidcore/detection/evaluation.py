"""AVA frame-mAP: per-class VOC average precision of person-box / action pairs on keyframes.

Numpy only. Two protocols, chosen with ``mode``:

``"official"`` (ActivityNet's ``get_ava_performance.py``, the AVA challenge number)
    * classes: the ids of the label map (60 for AVA v2.1/v2.2); rows of other classes are dropped
      from both files;
    * excluded keyframes (``ava_val_excluded_timestamps``) are dropped from both files;
    * at most 50 (box, action, score) rows per keyframe are kept, the highest scores, exactly as
      its ``heapq``-based reader keeps them;
    * detection boxes with ``y1 >= y2`` or ``x1 >= x2`` are dropped before matching;
    * detections on keyframes without ground truth are false positives;
    * per class, detections are matched greedily in descending score order: a detection is a true
      positive when its highest-IoU ground-truth box of the class on the same keyframe has
      IoU >= 0.5 and was not matched before (no fallback to the second-best box);
    * AP is the VOC area under the monotone precision envelope; a class with ground truth but no
      detection scores 0; classes without ground truth are left out of the mean (nan).

``"mmaction"`` (MMAction2 1.2.0's ``ava_eval``, what its ``AVAMetric`` reports)
    * no 50-rows cap, no removal of degenerate boxes (an inverted one, ``x1 > x2`` or ``y1 > y2``,
      raises as it does in MMAction2);
    * only keyframes with ground truth are evaluated (detections elsewhere are dropped, not
      false positives), in ground-truth file order;
    * the ground-truth count of a class includes boxes on excluded keyframes;
    * boxes and scores are matched in float32;
    * only classes with at least one detection on an evaluated keyframe enter the mean (a class
      with ground truth but no detection is left out instead of scoring 0).

Both follow their reference operation by operation (the same row order, the same
``np.argsort`` of the same array for the precision curve), so ties between scores resolve the
same way as in the reference run under the same numpy. The greedy matching is vectorised: a
detection never falls back to another box, so the true positives are the first detection (in
score order) whose best box is a given ground-truth box.

Boxes everywhere are normalised ``x1, y1, x2, y2`` in [0, 1] (the csv layout); class ids are the
label map's (1-based for AVA).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidcore.data.annotations.ava import img_key, read_excluded_timestamps
from vidcore.data.annotations.labelmap import LabelMap, read_label_map
from vidcore.data.errors import AnnotationError

__all__ = [
    "AVAEvalResult",
    "AVAFrameMAP",
    "AVARows",
    "EvalMode",
    "ava_frame_map",
    "evaluate_rows",
    "read_rows",
    "voc_average_precision",
]

EvalMode = Literal["official", "mmaction"]

#: Rows kept per keyframe by the official reader (``read_csv(..., capacity=50)``).
OFFICIAL_MAX_ROWS_PER_KEYFRAME = 50

# AVA's action groups as MMAction2 reports them (ids <= 14, 15..63, >= 64).
_GROUPS = (("person_movement", 0, 14), ("object_manipulation", 15, 63), ("person_interaction", 64, 10**9))


@dataclass
class AVARows:
    """Box-action rows of an AVA csv, in file order.

    Attributes:
        keys: ``"video_id,TTTT"`` per row.
        boxes: float64 ``(N, 4)`` normalised ``x1, y1, x2, y2``.
        labels: int64 ``(N,)`` action ids.
        scores: float64 ``(N,)``: the 8th column (detection score; person id in ground truth,
            which the reference readers also sort by), 1.0 where a line has 7 columns.
    """

    keys: list[str]
    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_lists(
        cls, keys: Sequence[str], boxes: Iterable[Sequence[float]], labels: Iterable[int], scores: Iterable[float]
    ) -> AVARows:
        return cls(
            list(keys),
            np.asarray(list(boxes), dtype=np.float64).reshape(-1, 4),
            np.asarray(list(labels), dtype=np.int64).reshape(-1),
            np.asarray(list(scores), dtype=np.float64).reshape(-1),
        )


def read_rows(path: str | Path) -> AVARows:
    """Read an AVA ground-truth or detection csv (7 or 8 columns a line; see :class:`AVARows`).

    A malformed line raises ``AnnotationError`` naming the file and line. Files whose lines all
    have the same number of columns are parsed in bulk by numpy (the same float values as
    Python's ``float``); others, and any file that fails there, line by line.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        n = lines[0].count(",") + 1
        if n in (7, 8) and all(line.count(",") == n - 1 for line in lines):
            try:
                table = np.array(",".join(lines).split(","), dtype=object).reshape(-1, n)
                stamps = table[:, 1].astype(np.int64)
                numbers = table[:, 2:6].astype(np.float64)
                labels = table[:, 6].astype(np.int64)
                scores = table[:, 7].astype(np.float64) if n == 8 else np.ones(len(lines))
                vids = table[:, 0].tolist()
                keys = [f"{v},{t:04d}" for v, t in zip(vids, stamps.tolist())]
                return AVARows(keys, numbers, labels, scores)
            except (ValueError, TypeError):
                pass  # the line-by-line reader names the offending line
    return _read_rows_by_line(p, lines)


def _read_rows_by_line(p: Path, lines: list[str]) -> AVARows:
    keys: list[str] = []
    coords: list[float] = []
    labels: list[int] = []
    scores: list[float] = []
    with open(p, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            cols = line.rstrip("\r\n").split(",")
            if len(cols) not in (7, 8):
                if len(cols) == 1 and not cols[0].strip():
                    continue
                raise AnnotationError(
                    p, number, f"expected 'video_id,timestamp,x1,y1,x2,y2,action_id[,score]', got {len(cols)} columns"
                )
            try:
                keys.append(img_key(cols[0], int(cols[1])))
                coords.extend((float(cols[2]), float(cols[3]), float(cols[4]), float(cols[5])))
                labels.append(int(cols[6]))
                scores.append(float(cols[7]) if len(cols) == 8 else 1.0)
            except ValueError as exc:
                del keys[len(labels) :]
                raise AnnotationError(p, number, f"expected numbers in columns 2-8 ({exc})") from None
    return AVARows(
        keys,
        np.asarray(coords, dtype=np.float64).reshape(-1, 4),
        np.asarray(labels, dtype=np.int64),
        np.asarray(scores, dtype=np.float64),
    )


def voc_average_precision(scores: np.ndarray, tp: np.ndarray, num_gt: int) -> float:
    """VOC AP of one class: detections ranked by ``np.argsort(scores)[::-1]`` (the reference's
    ranking, ties included), precision made monotone from the right, summed over the recall steps.

    ``nan`` when ``num_gt == 0``; 0 when there are ground truths but no detection.
    """
    if num_gt == 0:
        return math.nan
    if int(tp.sum()) > num_gt:
        raise ValueError(f"{int(tp.sum())} true positives for {num_gt} ground-truth boxes")
    if scores.size == 0:
        return 0.0
    order = np.argsort(scores)[::-1]
    hits = tp.astype(int)[order]
    cum_tp = np.cumsum(hits)
    cum_fp = np.cumsum(1 - hits)
    precision = np.concatenate([[0.0], cum_tp / (cum_tp + cum_fp), [0.0]])
    recall = np.concatenate([[0.0], cum_tp / num_gt, [1.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # monotone envelope from the right
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


@dataclass
class AVAEvalResult:
    """Frame-mAP and its per-class parts.

    Attributes:
        mean_ap: nan-mean of ``ap`` (the reported frame-mAP@IoU).
        ap: class id -> AP for every label-map class (nan: not evaluated, see the modes).
        num_gt: class id -> ground-truth boxes counted for that class.
        names: class id -> name.
        mode, iou_threshold: how it was computed.
        groups: MMAction2's group means (person movement <= 14, object manipulation 15-63,
            person interaction >= 64), nan for an empty group.
    """

    mean_ap: float
    ap: dict[int, float]
    num_gt: dict[int, int]
    names: dict[int, str]
    mode: EvalMode
    iou_threshold: float
    groups: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        """A plain-text table: one line per class (id, name, ground truths, AP) and the mean."""
        width = max([len(n) for n in self.names.values()] + [6])
        lines = [f"{'id':>4}  {'action':<{width}}  {'gt':>7}  {'AP':>7}"]
        for cid in sorted(self.ap):
            ap = self.ap[cid]
            text = "    nan" if math.isnan(ap) else f"{ap:7.4f}"
            lines.append(f"{cid:>4}  {self.names.get(cid, str(cid)):<{width}}  {self.num_gt.get(cid, 0):>7}  {text}")
        lines.append(f"{'':>4}  {'frame-mAP@' + format(self.iou_threshold, 'g'):<{width}}  {'':>7}  {self.mean_ap:7.4f}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "iou_threshold": self.iou_threshold,
            "mAP": self.mean_ap,
            "groups": dict(self.groups),
            "per_class": [
                {"id": c, "name": self.names.get(c, str(c)), "num_gt": self.num_gt.get(c, 0), "ap": self.ap[c]}
                for c in sorted(self.ap)
            ],
        }


# ----------------------------------------------------------------------------------------------
# ordering rows per keyframe as the reference readers do


@dataclass
class _Groups:
    """Rows grouped by keyframe in the reference reader's order: ``keys`` in first-appearance
    order, group ``i`` is ``data[start[i] : start[i] + count[i]]`` with columns ``score, action
    id, y1, x1, y2, x2`` (float64), each group sorted as the reference sorts it."""

    keys: list[str]
    data: np.ndarray
    start: np.ndarray
    count: np.ndarray

    def index(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}


def _group_official(rows: AVARows, keep: np.ndarray, capacity: int) -> _Groups:
    """The official reader: rows pushed on a per-keyframe heap of (score, id, y1, x1, y2, x2)
    (replacing the smallest when ``capacity`` is reached and a higher score arrives), then sorted
    by descending score (stable over the heap's list order). Keyframes in first-appearance order."""
    entries: dict[str, list[tuple]] = {}
    boxes, labels, scores = rows.boxes.tolist(), rows.labels.tolist(), rows.scores.tolist()
    for i in np.flatnonzero(keep).tolist():
        x1, y1, x2, y2 = boxes[i]
        item = (scores[i], labels[i], y1, x1, y2, x2)
        heap = entries.setdefault(rows.keys[i], [])
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, item)
        elif item[0] > heap[0][0]:
            heapq.heapreplace(heap, item)
    keys = list(entries)
    groups = [sorted(entries[k], key=lambda t: -t[0]) for k in keys]
    count = np.asarray([len(g) for g in groups], dtype=np.int64)
    data = np.asarray([t for g in groups for t in g], dtype=np.float64).reshape(-1, 6)
    return _Groups(keys, data, np.cumsum(count) - count, count)


def _group_stable(rows: AVARows, keep: np.ndarray) -> _Groups:
    """MMAction2's reader: rows of a keyframe in file order, stably sorted by descending score."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return _Groups([], np.zeros((0, 6)), np.zeros(0, np.int64), np.zeros(0, np.int64))
    keys = np.asarray(rows.keys, dtype=object)[idx].astype(str)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    appearance = np.argsort(first, kind="stable")  # group ids in first-appearance order
    rank = np.empty_like(appearance)
    rank[appearance] = np.arange(appearance.size)
    group = rank[inverse.reshape(-1)]
    score = rows.scores[idx]
    order = np.lexsort((np.arange(idx.size), -score, group))  # by group, score descending, file order
    sel = idx[order]
    b = rows.boxes[sel]
    data = np.stack([rows.scores[sel], rows.labels[sel].astype(np.float64), b[:, 1], b[:, 0], b[:, 3], b[:, 2]], 1)
    count = np.bincount(group, minlength=appearance.size).astype(np.int64)
    return _Groups(uniq[appearance].tolist(), data, np.cumsum(count) - count, count)


@dataclass
class _Flat:
    """Rows of the evaluated keyframes, concatenated in evaluation order: ``frame`` index,
    ``label``, ``score``, ``box`` as ``y1, x1, y2, x2``."""

    frame: np.ndarray
    label: np.ndarray
    score: np.ndarray
    box: np.ndarray


def _flatten(frames: Sequence[int], groups: _Groups, which: Sequence[int], dtype: type, cap: int | None = None) -> _Flat:
    """Groups ``which`` (in that order) as frames ``frames``; at most ``cap`` rows each."""
    count = groups.count[np.asarray(which, dtype=np.int64)] if len(which) else np.zeros(0, np.int64)
    if cap is not None:
        count = np.minimum(count, cap)
    start = groups.start[np.asarray(which, dtype=np.int64)] if len(which) else np.zeros(0, np.int64)
    total = int(count.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    rows = np.repeat(start, count) + offsets
    arr = groups.data[rows]
    return _Flat(
        np.repeat(np.asarray(frames, dtype=np.int64), count),
        arr[:, 1].astype(np.int64),
        arr[:, 0].astype(dtype),
        arr[:, 2:6].astype(dtype),
    )


# ----------------------------------------------------------------------------------------------
# matching


def _pair_iou(det: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """IoU of paired ``y1, x1, y2, x2`` boxes with the reference's arithmetic: side differences
    in the boxes' dtype, clipped against a float64 zero, areas in the boxes' dtype."""
    zero = np.zeros(1, dtype=np.float64)
    h = np.maximum(zero, np.minimum(det[:, 2], gt[:, 2]) - np.maximum(det[:, 0], gt[:, 0]))
    w = np.maximum(zero, np.minimum(det[:, 3], gt[:, 3]) - np.maximum(det[:, 1], gt[:, 1]))
    inter = h * w
    area_d = (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])
    area_g = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / ((area_d + area_g) - inter)


def _true_positives(det: _Flat, gt: _Flat, iou_threshold: float) -> np.ndarray:
    """Bool ``(D,)``: detection ``i`` matches, in row order within its (keyframe, class), the
    not-yet-matched ground-truth box of highest IoU (first of equals), IoU >= threshold."""
    num_det = det.frame.size
    tp = np.zeros(num_det, dtype=bool)
    if num_det == 0 or gt.frame.size == 0:
        return tp
    span = int(max(det.label.max(initial=0), gt.label.max(initial=0))) + 1
    gkey = gt.frame * span + gt.label
    dkey = det.frame * span + det.label
    gorder = np.argsort(gkey, kind="stable")  # gt rows grouped by (frame, class), row order kept
    uniq, start, count = np.unique(gkey[gorder], return_index=True, return_counts=True)
    pos = np.searchsorted(uniq, dkey).clip(max=max(uniq.size - 1, 0))
    found = uniq[pos] == dkey
    n_pairs = np.where(found, count[pos], 0)
    first = np.where(found, start[pos], 0)
    total = int(n_pairs.sum())
    if total == 0:
        return tp
    d_idx = np.repeat(np.arange(num_det), n_pairs)  # (P,) detection of each pair
    local = np.arange(total) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)  # (P,) rank of the gt in its group
    g_idx = gorder[first[d_idx] + local]  # (P,) gt row of each pair
    iou = _pair_iou(det.box[d_idx], gt.box[g_idx])
    rank_key = np.where(np.isnan(iou), np.inf, iou)  # np.argmax takes the first nan as the maximum
    order = np.lexsort((local, -rank_key, d_idx))  # per detection: best IoU first, first of equals
    best = order[np.r_[0, np.flatnonzero(np.diff(d_idx[order])) + 1]]  # one pair per detection with pairs
    hit = iou[best] >= iou_threshold
    cand_det = d_idx[best][hit]  # ascending: detections in row order
    cand_gt = g_idx[best][hit]
    _, first_of_gt = np.unique(cand_gt, return_index=True)
    tp[cand_det[first_of_gt]] = True
    return tp


# ----------------------------------------------------------------------------------------------
# the protocols


def evaluate_rows(
    gt: AVARows,
    det: AVARows,
    label_map: Mapping[int, str],
    *,
    excluded: Iterable[str] = (),
    mode: EvalMode = "official",
    iou_threshold: float = 0.5,
    max_rows_per_keyframe: int | None = None,
) -> AVAEvalResult:
    """Frame-mAP of detection rows against ground-truth rows (see the module docs for ``mode``).

    Args:
        gt, det: rows as :func:`read_rows` gives them.
        label_map: the evaluated classes, id -> name.
        excluded: ``"video_id,TTTT"`` keys of excluded keyframes.
        max_rows_per_keyframe: the official cap (default 50); ``None`` in ``"mmaction"`` mode
            (setting it there applies the same cap).
    """
    if mode not in ("official", "mmaction"):
        raise ValueError(f"mode must be 'official' or 'mmaction', got {mode!r}")
    classes = sorted(int(c) for c in label_map)
    names = {c: str(label_map[c]) for c in classes}
    whitelist = np.asarray(classes, dtype=np.int64)
    gt_keep = np.isin(gt.labels, whitelist) if classes else np.ones(len(gt), bool)
    det_keep = np.isin(det.labels, whitelist) if classes else np.ones(len(det), bool)
    excluded = set(excluded)
    cap = max_rows_per_keyframe
    if mode == "official":
        cap = OFFICIAL_MAX_ROWS_PER_KEYFRAME if cap is None else cap
        gts = _group_official(gt, gt_keep, 0)
        dets = _group_official(det, det_keep, cap)
        cap = None  # applied by the reader
    else:
        gts = _group_stable(gt, gt_keep)
        dets = _group_stable(det, det_keep)
    dtype = np.float64 if mode == "official" else np.float32

    # ground truth counted per class
    if mode == "official":
        counted = [i for i, k in enumerate(gts.keys) if k not in excluded]
    else:
        counted = list(range(len(gts.keys)))  # MMAction2 counts boxes on excluded keyframes too
    gt_labels = _flatten(counted, gts, counted, np.float64).label
    num_gt = {c: int(np.count_nonzero(gt_labels == c)) for c in classes}

    # the evaluated keyframes, in the reference's order
    det_index, gt_index = dets.index(), gts.index()
    if mode == "official":
        frame_keys = [k for k in dets.keys if k not in excluded]
    else:
        frame_keys = [k for k in gts.keys if k not in excluded]
    with_det = [(i, det_index[k]) for i, k in enumerate(frame_keys) if k in det_index]
    d = _flatten([i for i, _ in with_det], dets, [j for _, j in with_det], dtype, cap)
    with_gt = [(i, gt_index[k]) for i, k in enumerate(frame_keys) if k in gt_index]
    g = _flatten([i for i, _ in with_gt], gts, [j for _, j in with_gt], dtype)
    if mode == "official" and d.frame.size:
        valid = (d.box[:, 0] < d.box[:, 2]) & (d.box[:, 1] < d.box[:, 3])
        d = _Flat(d.frame[valid], d.label[valid], d.score[valid], d.box[valid])
    elif d.frame.size:
        inverted = np.flatnonzero((d.box[:, 0] > d.box[:, 2]) | (d.box[:, 1] > d.box[:, 3]))
        if inverted.size:
            i = int(inverted[0])
            y1, x1, y2, x2 = d.box[i].tolist()
            raise ValueError(
                f"detection box x1,y1,x2,y2=({x1}, {y1}, {x2}, {y2}) at {frame_keys[d.frame[i]]} is inverted: "
                "MMAction2's ava_eval rejects it (mode='official' drops such boxes)"
            )
    tp = _true_positives(d, g, iou_threshold)

    ap = {c: math.nan for c in classes}
    detected = set(np.unique(d.label).tolist())
    for c in classes:
        if mode == "mmaction" and c not in detected:
            continue  # MMAction2 scores only the classes that were detected
        sel = d.label == c
        ap[c] = voc_average_precision(d.score[sel], tp[sel], num_gt[c])
    values = np.asarray([ap[c] for c in classes], dtype=np.float64)
    groups = {}
    for gname, lo, hi in _GROUPS:
        part = values[(whitelist >= lo) & (whitelist <= hi)] if classes else values
        groups[gname] = _nanmean(part)
    return AVAEvalResult(_nanmean(values), ap, num_gt, names, mode, iou_threshold, groups)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def ava_frame_map(
    gt_file: str | Path,
    det_file: str | Path,
    label_map_file: str | Path,
    exclude_file: str | Path | None = None,
    *,
    mode: EvalMode = "official",
    iou_threshold: float = 0.5,
) -> AVAEvalResult:
    """Frame-mAP from files: ground-truth csv, detections csv (``...,action_id,score``), the
    label map of evaluated classes (pbtxt ``item { name: id: }`` or ``id: name`` lines) and the
    optional excluded-timestamps csv."""
    label_map = read_label_map(label_map_file)
    excluded = [] if exclude_file is None else [img_key(e.video_id, e.timestamp) for e in read_excluded_timestamps(exclude_file)]
    return evaluate_rows(
        read_rows(gt_file), read_rows(det_file), label_map, excluded=excluded, mode=mode, iou_threshold=iou_threshold
    )


# ----------------------------------------------------------------------------------------------
# the trainer's evaluator


def _numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x)


def _round_as_text(values: np.ndarray, decimals: int) -> np.ndarray:
    """``float(f"{v:.{decimals}f}")`` element-wise: the exact rounding of a csv round trip."""
    flat = [float(f"{v:.{decimals}f}") for v in values.ravel().tolist()]
    return np.asarray(flat, dtype=np.float64).reshape(values.shape)


class AVAFrameMAP:
    """Accumulates per-keyframe detections from a model and computes frame-mAP at the end
    (``reset`` / ``update`` / ``compute``, the trainer's evaluator protocol).

    Args:
        gt: ground-truth rows (:func:`read_rows` of the annotation csv).
        label_map: evaluated classes id -> name.
        excluded: excluded keyframe keys.
        mode: ``"official"`` or ``"mmaction"``.
        action_thr: class scores at or below this are not written (MMAction2's ``action_thr``,
            0.002 in its AVA configs).
        class_ids: the action id of each score column (default: column ``j`` is id ``j``). Column
            0 is the unused background column of MMAction2's AVA heads and is never written;
            with ``custom_classes`` pass ``[0, *custom_classes]`` (MMAction2's layout).
        decimals: round boxes and scores as MMAction2's ``results2csv`` does (4) before
            evaluating; ``None`` keeps full precision.
        detailed: ``compute`` also returns ``per_class`` (the whole :class:`AVAEvalResult`).
    """

    def __init__(
        self,
        gt: AVARows,
        label_map: Mapping[int, str] | LabelMap,
        *,
        excluded: Iterable[str] = (),
        mode: EvalMode = "official",
        action_thr: float = 0.002,
        class_ids: Sequence[int] | None = None,
        decimals: int | None = None,
        detailed: bool = False,
    ) -> None:
        self.gt = gt
        self.detailed = detailed
        self.label_map = dict(label_map.items())
        self.excluded = list(excluded)
        self.mode: EvalMode = mode
        self.action_thr = action_thr
        self.class_ids = None if class_ids is None else np.asarray(class_ids, dtype=np.int64)
        self.decimals = decimals
        self.reset()

    def reset(self) -> None:
        self._keys: list[str] = []
        self._boxes: list[np.ndarray] = []
        self._labels: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []

    def update(
        self,
        *,
        img_keys: Sequence[str],
        boxes: Sequence[Any],
        scores: Sequence[Any],
        indices: Any = None,
    ) -> None:
        """One batch (the keywords of ``AVADetector.forward_eval``): per keyframe its key
        ``"video,TTTT"``, normalised ``(P, 4)`` x1y1x2y2 boxes and ``(P, K)`` class scores."""
        for key, b, s in zip(img_keys, boxes, scores):
            b = _numpy(b).astype(np.float64).reshape(-1, 4)
            s = _numpy(s).astype(np.float64).reshape(b.shape[0], -1)
            ids = np.arange(s.shape[1]) if self.class_ids is None else self.class_ids
            box_i, col = np.nonzero(s[:, 1:] > self.action_thr)
            col = col + 1  # column 0 is never written (MMAction2's bbox2result)
            order = np.lexsort((box_i, col))  # class-major, box order within a class (MMAction2's det2csv)
            box_i, col = box_i[order], col[order]
            bb, sc = b[box_i], s[box_i, col]
            if self.decimals is not None:  # as written to and read back from MMAction2's csv
                bb, sc = _round_as_text(bb, self.decimals), _round_as_text(sc, self.decimals)
            self._keys.extend([key] * box_i.size)
            self._boxes.append(bb)
            self._labels.append(ids[col])
            self._scores.append(sc)

    def rows(self) -> AVARows:
        if not self._keys:
            return AVARows([], np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0))
        return AVARows(
            list(self._keys), np.concatenate(self._boxes), np.concatenate(self._labels), np.concatenate(self._scores)
        )

    def compute(self) -> dict[str, Any]:
        """``mAP`` and the group means; with ``detailed``, ``per_class`` (the
        :class:`AVAEvalResult`). Under ``torch.distributed`` the rows of every rank are gathered
        first."""
        result = self.result()
        out = {"mAP": result.mean_ap}
        out.update({f"mAP_{k}": v for k, v in result.groups.items()})
        if self.detailed:
            out["per_class"] = result
        return out

    def result(self) -> AVAEvalResult:
        """The full evaluation of the rows gathered so far (all ranks)."""
        rows = self.rows()
        try:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
                parts: list[Any] = [None] * dist.get_world_size()
                dist.all_gather_object(parts, rows)
                rows = AVARows(
                    [k for p in parts for k in p.keys],
                    np.concatenate([p.boxes for p in parts]),
                    np.concatenate([p.labels for p in parts]),
                    np.concatenate([p.scores for p in parts]),
                )
        except ImportError:  # pragma: no cover - torch is optional for the numpy evaluation
            pass
        return evaluate_rows(self.gt, rows, self.label_map, excluded=self.excluded, mode=self.mode)

    def write_csv(self, path: str | Path) -> None:
        """The gathered rows as an AVA results csv (``video_id,TTTT,x1,y1,x2,y2,action_id,score``)."""
        rows = self.rows()
        with open(path, "w", encoding="utf-8") as f:
            for key, box, label, score in zip(rows.keys, rows.boxes.tolist(), rows.labels.tolist(), rows.scores.tolist()):
                f.write(f"{key},{box[0]:.4f},{box[1]:.4f},{box[2]:.4f},{box[3]:.4f},{label},{score:.6f}\n")
