"""ActivityNet temporal localisation evaluation, numpy only.

Two tasks, by the official ActivityNet protocol (``ActivityNet/Evaluation``, ``eval_proposal.py``
and ``eval_detection.py``):

- **proposals** (:func:`average_recall_at_avg_proposals`): the AR@AN curve. Each video keeps its
  top-scoring proposals up to a share of ``max_avg_proposals`` (100) per video on average; recall
  is averaged over tIoU thresholds 0.5:0.05:0.95 at 100 points of the average number of proposals
  (AN = 1..100). AR@N and the area under the curve (AUC, in percent of the full box) are reported.
- **detection** (:func:`average_precision_at_temporal_iou`, :func:`mean_average_precision`):
  per class, predictions ranked by score are greedily matched to unmatched ground truths of their
  video (highest tIoU first); AP is the VOC-2011 interpolated area under precision/recall; mAP
  averages over the classes of the ground truth, and the average mAP over tIoU 0.5:0.05:0.95.

Where MMAction2 1.2.0 (``mmaction/evaluation/functional``) differs, this module follows the
official script and says so:

- A ground-truth video without proposals counts as zero recall (MMAction2's
  ``average_recall_at_avg_proposals`` raises on it; the official script scores it as here).
- tIoUs are computed in float64 as the official ``segment_iou``; MMAction2 stores them in float32
  (only a tIoU within ~1e-7 of a threshold can land on the other side).
- A prediction whose label is not a ground-truth class is left out (it enters no class's AP);
  both other implementations raise ``KeyError`` on it.
- ``np.trapz`` (gone in numpy 2.4) is not used: the AUC is an explicit trapezoid sum.

Ranking among equal scores is the official ``argsort()[::-1]`` order, made deterministic:
``np.argsort(scores, kind="stable")[::-1]`` (of equal scores, the later one ranks first).

Layouts: ground truth ``{video_id: float (n, 2) [start, end] seconds}``; proposals ``{video_id:
float (k, 3) [start, end, score]}``; detections are :class:`~vidcore.data.annotations.Segment`
values (``start``, ``end``, ``label``, ``score``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from vidcore.data.annotations.activitynet import Segment, read_activitynet_json
from vidcore.data.errors import AnnotationError

__all__ = [
    "DEFAULT_TIOU_THRESHOLDS",
    "ARANResult",
    "DetectionEvaluator",
    "DetectionResult",
    "ProposalEvaluator",
    "average_precision_at_temporal_iou",
    "average_recall_at_avg_proposals",
    "evaluate_files",
    "interpolated_average_precision",
    "mean_average_precision",
    "read_results",
    "temporal_iou",
    "trapezoid",
]

#: tIoU thresholds 0.5, 0.55, ..., 0.95 of both ActivityNet tasks.
DEFAULT_TIOU_THRESHOLDS: np.ndarray = np.linspace(0.5, 0.95, 10)


def temporal_iou(candidates: Any, targets: Any) -> np.ndarray:
    """tIoU of every candidate with every target: ``(m, 2)`` x ``(n, 2)`` -> float64 ``(m, n)``.

    Segments are ``[start, end]``; the intersection is clipped at 0. A pair whose union is zero
    (two identical points) gets ``nan``, as the official script.
    """
    a = np.asarray(candidates, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
    inter = (np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])).clip(0)
    union = (a[:, None, 1] - a[:, None, 0]) + (b[None, :, 1] - b[None, :, 0]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / union


def trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    """Area under ``y(x)`` by the trapezoid rule (``np.trapz`` without depending on it)."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def _descending(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score; ties as the official ``argsort()[::-1]`` (later first)."""
    return np.argsort(scores, kind="stable")[::-1]


# -- proposals: AR@AN ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ARANResult:
    """The AR@AN curve.

    Attributes:
        recall: float64 ``(num_thresholds, 100)``: recall per tIoU threshold at each of the 100
            points of the average number of proposals per video.
        average_recall: float64 ``(100,)``: ``recall.mean(0)``.
        proposals_per_video: float64 ``(100,)``: the average number of proposals per video at
            each point (1..100 when every video has at least ``max_avg_proposals``).
        auc: area under ``average_recall(proposals_per_video)``, in percent of
            ``proposals_per_video[-1]`` (ActivityNet's proposal-task metric).
    """

    recall: np.ndarray
    average_recall: np.ndarray
    proposals_per_video: np.ndarray
    auc: float

    def ar_at(self, n: int) -> float:
        """AR@n: the average recall at the n-th point (``n`` proposals per video, 1-based)."""
        if not 1 <= n <= self.average_recall.shape[0]:
            raise ValueError(f"AR@{n}: n must be in 1..{self.average_recall.shape[0]}")
        return float(self.average_recall[n - 1])

    def summary(self) -> dict[str, float]:
        """``{"AR@1", "AR@5", "AR@10", "AR@100", "AUC"}`` (recall in [0, 1], AUC in percent)."""
        return {**{f"AR@{n}": self.ar_at(n) for n in (1, 5, 10, 100)}, "AUC": self.auc}


def _as_proposals(value: Any, video_id: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 3))
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise ValueError(f"video {video_id}: proposals must be (k, 3) [start, end, score], got {arr.shape}")
    return arr


def _as_segments(value: Any, video_id: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"video {video_id}: ground truth must be (n, 2) [start, end], got {arr.shape}")
    return arr[:, :2]


def average_recall_at_avg_proposals(
    ground_truth: Mapping[str, Any],
    proposals: Mapping[str, Any],
    *,
    max_avg_proposals: float | None = 100,
    tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS,
    total_num_proposals: int | None = None,
) -> ARANResult:
    """AR@AN by the official protocol (``average_recall_vs_avg_nr_proposals``).

    Args:
        ground_truth: ``{video_id: (n, 2) [start, end]}``. Videos without instances are left out
            (the official ground truth is a table of instances).
        proposals: ``{video_id: (k, 3) [start, end, score]}``. A ground-truth video missing here
            or with no proposals counts as zero recall; videos not in the ground truth only count
            in the total number of proposals.
        max_avg_proposals: the average number of proposals per video at the end of the curve
            (100 in ActivityNet); ``None``: the average in ``proposals``.
        tiou_thresholds: thresholds to average over (0.5:0.05:0.95).
        total_num_proposals: number of proposals the per-video share is computed from; defaults
            to every proposal in ``proposals`` (as the official script and MMAction2's
            ``ANetMetric`` do).
    """
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64).reshape(-1)
    gts = {v: _as_segments(g, v) for v, g in ground_truth.items()}
    gts = {v: g for v, g in gts.items() if g.shape[0] > 0}
    if not gts:
        raise ValueError("the ground truth holds no instance")
    props = {v: _as_proposals(p, v) for v, p in proposals.items()}
    if total_num_proposals is None:
        total_num_proposals = sum(p.shape[0] for p in props.values())
    num_videos = len(gts)
    if not max_avg_proposals:
        max_avg_proposals = float(total_num_proposals) / num_videos
    ratio = max_avg_proposals * float(num_videos) / total_num_proposals if total_num_proposals else 0.0

    # per video: the rank of the first retrieved proposal reaching each threshold, per instance
    first_hit: list[np.ndarray] = []  # (num_thresholds, n) ranks; k_retrieved when none reaches it
    retrieved: list[int] = []
    total_retrieved = 0
    for vid, gt in gts.items():
        p = props.get(vid)
        if p is None or p.shape[0] == 0:
            first_hit.append(np.full((thresholds.shape[0], gt.shape[0]), 1))
            retrieved.append(1)  # the official script scores an all-zero (n, 1) tIoU matrix
            continue
        k = min(int(p.shape[0] * ratio), p.shape[0])
        total_retrieved += k
        kept = p[_descending(p[:, 2])][:k, :2]
        iou = temporal_iou(kept, gt)  # (k, n)
        hits = iou[None] >= thresholds[:, None, None]  # (T, k, n)
        if k == 0:
            first = np.zeros((thresholds.shape[0], gt.shape[0]), dtype=np.int64)  # nothing retrieved
        else:
            first = np.where(hits.any(1), hits.argmax(1), k)  # (T, n)
        first_hit.append(first)
        retrieved.append(max(k, 0))

    if total_retrieved == 0:
        pcn = np.arange(1, 101) / 100.0
        recall = np.zeros((thresholds.shape[0], 100))
        return ARANResult(recall, recall.mean(0), pcn * max_avg_proposals, 0.0)
    pcn = np.arange(1, 101) / 100.0 * (max_avg_proposals * float(num_videos) / total_retrieved)
    matches = np.zeros((thresholds.shape[0], 100))
    positives = 0
    for first, k in zip(first_hit, retrieved):
        positives += first.shape[1]
        cut = np.minimum((k * pcn).astype(np.int32), k)  # (100,) proposals kept at each point
        matches += (first[:, :, None] < cut[None, None, :]).sum(1)  # (T, n, 100) -> (T, 100)
    recall = matches / positives
    average_recall = recall.mean(0)
    per_video = pcn * (float(total_retrieved) / num_videos)
    auc = 100.0 * trapezoid(average_recall, per_video) / per_video[-1]
    return ARANResult(recall, average_recall, per_video, auc)


# -- detection: mAP at tIoU ----------------------------------------------------------------------


def interpolated_average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """VOC-2011 interpolated AP: precision made monotone from the right, summed over the recall
    steps (``interpolated_prec_rec`` of the official script)."""
    mprec = np.concatenate([[0.0], np.asarray(precision, dtype=np.float64), [0.0]])
    mrec = np.concatenate([[0.0], np.asarray(recall, dtype=np.float64), [1.0]])
    mprec = np.maximum.accumulate(mprec[::-1])[::-1]
    idx = np.nonzero(mrec[1:] != mrec[:-1])[0] + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def average_precision_at_temporal_iou(
    ground_truth: Mapping[str, Any],
    predictions: Sequence[tuple[str, float, float, float]],
    tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS,
) -> np.ndarray:
    """AP of one class at each tIoU threshold: float64 ``(num_thresholds,)``.

    Args:
        ground_truth: ``{video_id: (n, 2) [start, end]}``, the class's instances.
        predictions: ``(video_id, start, end, score)`` of the class's detections. A detection in
            a video without instances is a false positive.
    """
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64).reshape(-1)
    num_t = thresholds.shape[0]
    ap = np.zeros(num_t)
    if len(predictions) == 0:
        return ap
    gts = {v: _as_segments(g, v) for v, g in ground_truth.items()}
    gts = {v: g for v, g in gts.items() if g.shape[0] > 0}
    num_positive = sum(g.shape[0] for g in gts.values())
    scores = np.array([float(p[3]) for p in predictions])
    order = _descending(scores)
    num_p = len(predictions)
    tp = np.zeros((num_t, num_p))
    # Predictions only compete within their video, so the greedy matching runs for all videos at
    # once: step r takes every video's r-th prediction (in the global ranking).
    videos = list(gts)
    vindex = {v: i for i, v in enumerate(videos)}
    g_max = max((g.shape[0] for g in gts.values()), default=0)
    if videos:
        gt_arr = np.full((len(videos), g_max, 2), np.nan)
        for v, g in gts.items():
            gt_arr[vindex[v], : g.shape[0]] = g
        ranked = [(rank, vindex[predictions[i][0]], predictions[i][1], predictions[i][2])
                  for rank, i in enumerate(order) if predictions[i][0] in vindex]  # fmt: skip
        if ranked:
            rank_arr = np.array([r[0] for r in ranked])
            vid_arr = np.array([r[1] for r in ranked])
            seg = np.array([[r[2], r[3]] for r in ranked], dtype=np.float64)
            g = gt_arr[vid_arr]  # (K, G, 2)
            inter = (np.minimum(seg[:, None, 1], g[:, :, 1]) - np.maximum(seg[:, None, 0], g[:, :, 0])).clip(0)
            union = (seg[:, None, 1] - seg[:, None, 0]) + (g[:, :, 1] - g[:, :, 0]) - inter
            with np.errstate(invalid="ignore", divide="ignore"):
                iou = inter / union  # (K, G); nan for padding
            iou = np.where(np.isnan(g[:, :, 0]), -np.inf, iou)
            by_iou = np.argsort(iou, axis=1, kind="stable")[:, ::-1]  # official order, padding last
            sorted_iou = np.take_along_axis(iou, by_iou, axis=1)  # (K, G)
            within = np.zeros(len(ranked), dtype=np.int64)  # rank of each prediction inside its video
            seen: dict[int, int] = {}
            for k, v in enumerate(vid_arr):
                within[k] = seen.get(v, 0)
                seen[v] = within[k] + 1
            locked = np.zeros((len(videos), num_t, g_max), dtype=bool)
            t_idx = np.arange(num_t)
            for r in range(int(within.max()) + 1):
                ks = np.nonzero(within == r)[0]
                v = vid_arr[ks]
                cand = by_iou[ks]  # (k, G)
                lock = locked[v[:, None, None], t_idx[None, :, None], cand[:, None, :]]  # (k, T, G)
                ok = (sorted_iou[ks][:, None, :] >= thresholds[None, :, None]) & ~lock
                hit = ok.any(2)  # (k, T)
                j = np.take_along_axis(cand, ok.argmax(2), axis=1)  # (k, T)
                kk, tt = np.nonzero(hit)
                locked[v[kk], tt, j[kk, tt]] = True
                tp[:, rank_arr[ks]] = hit.T
    fp = 1.0 - tp
    tp_cum = np.cumsum(tp, axis=1)
    fp_cum = np.cumsum(fp, axis=1)
    recall = tp_cum / num_positive if num_positive else np.zeros_like(tp_cum)
    precision = tp_cum / (tp_cum + fp_cum)
    for t in range(num_t):
        ap[t] = interpolated_average_precision(precision[t], recall[t])
    return ap


@dataclass(frozen=True)
class DetectionResult:
    """mAP of the detection task.

    Attributes:
        classes: class names, in order of first appearance in the ground truth.
        tiou_thresholds: ``(T,)``.
        ap: float64 ``(T, K)``: AP per threshold and class.
        mAP: ``(T,)``: mean over classes.
        average_mAP: mean of ``mAP`` over the thresholds.
    """

    classes: tuple[str, ...]
    tiou_thresholds: np.ndarray
    ap: np.ndarray
    mAP: np.ndarray = field(init=False)
    average_mAP: float = field(init=False)

    def __post_init__(self) -> None:
        m = self.ap.mean(axis=1) if self.ap.shape[1] else np.zeros(self.ap.shape[0])
        object.__setattr__(self, "mAP", m)
        object.__setattr__(self, "average_mAP", float(m.mean()))

    def summary(self) -> dict[str, float]:
        """``{"mAP@0.50": ..., ..., "mAP@0.95": ..., "average_mAP": ...}`` (in [0, 1])."""
        out = {f"mAP@{t:.2f}": float(m) for t, m in zip(self.tiou_thresholds, self.mAP)}
        out["average_mAP"] = self.average_mAP
        return out


def mean_average_precision(
    ground_truth: Mapping[str, Iterable[Segment]],
    predictions: Mapping[str, Iterable[Segment]],
    tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS,
) -> DetectionResult:
    """Detection mAP over the ground-truth classes (``ANETdetection``).

    ``ground_truth`` and ``predictions`` map video ids to labelled segments (predictions carry
    ``score``). Predictions of labels absent from the ground truth are left out.
    """
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64).reshape(-1)
    classes: dict[str, int] = {}
    gt_by_class: list[dict[str, list[tuple[float, float]]]] = []
    for vid, segs in ground_truth.items():
        for s in segs:
            if s.label not in classes:
                classes[s.label] = len(classes)
                gt_by_class.append({})
            gt_by_class[classes[s.label]].setdefault(vid, []).append((s.start, s.end))
    preds_by_class: list[list[tuple[str, float, float, float]]] = [[] for _ in classes]
    for vid, segs in predictions.items():
        for s in segs:
            c = classes.get(s.label)
            if c is None:
                continue
            if s.score is None:
                raise ValueError(f"video {vid}: prediction {s} has no score")
            preds_by_class[c].append((vid, s.start, s.end, s.score))
    ap = np.zeros((thresholds.shape[0], len(classes)))
    for c in range(len(classes)):
        ap[:, c] = average_precision_at_temporal_iou(gt_by_class[c], preds_by_class[c], thresholds)
    return DetectionResult(tuple(classes), thresholds, ap)


# -- files and accumulators ---------------------------------------------------------------------


def _match_ids(gt_ids: Iterable[str], result_ids: Iterable[str]) -> dict[str, str]:
    """Ground-truth id -> results id. MMAction2's annotation files prefix YouTube ids with
    ``v_`` while result files do not: a ground-truth id absent from the results is matched
    without that prefix when the bare id is present."""
    results = set(result_ids)
    out = {}
    for g in gt_ids:
        if g not in results and g.startswith("v_") and g[2:] in results:
            out[g] = g[2:]
        else:
            out[g] = g
    return out


def read_results(path: str | PathLike[str]) -> dict[str, tuple[Segment, ...]]:
    """Read an ActivityNet results file ``{"results": {video_id: [{"segment": [start, end],
    "score", "label"?}]}}``. ``label`` may be absent (proposal results, as MMAction2's
    ``ANetMetric`` writes them): such segments get the label ``""``. A malformed entry raises
    ``AnnotationError`` naming the file, the video and the segment."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise AnnotationError(p, None, "file not found") from None
    except (OSError, ValueError) as exc:
        raise AnnotationError(p, None, f"not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise AnnotationError(p, None, "expected a JSON object with a 'results' object (video -> scored segments)")
    out = {}
    for vid, items in data["results"].items():
        if not isinstance(items, list):
            raise AnnotationError(p, None, f"video {vid!r}: expected a list of scored segments")
        segs = []
        for j, item in enumerate(items):
            try:
                start, end = (float(x) for x in item["segment"])
                segs.append(Segment(start, end, str(item.get("label", "")), float(item["score"])))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise AnnotationError(
                    p, None, f"video {vid!r}, segment {j}: expected 'segment' [start, end] and 'score', got {item!r}"
                ) from None
        out[str(vid)] = tuple(segs)
    return out


def evaluate_files(
    ground_truth_json: str | PathLike[str],
    results_json: str | PathLike[str],
    *,
    task: str = "both",
    subset: str | None = None,
    max_avg_proposals: float = 100,
    tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS,
    video_scores: str | PathLike[str] | None = None,
    classes_per_video: int = 1,
) -> dict[str, Any]:
    """Evaluate an ActivityNet results file (``{"results": {id: [{"segment", "score", "label"}]}}``)
    against a ground-truth JSON (MMAction2's or the official layout).

    ``task``: ``"proposal"`` (AR@AN), ``"detection"`` (mAP) or ``"both"``; ``subset``: keep only
    ground-truth videos of that subset (``"validation"``) when the file records subsets. Returns
    ``{"proposal": ARANResult, "detection": DetectionResult}`` (the tasks asked for).

    ``video_scores``: a score file of video-level class scores (:mod:`vidcore.core.scores`); the
    results are then taken as class-agnostic proposals and labelled by
    :func:`~vidcore.localization.classify.classify_proposals` (top class, score = proposal score x
    class probability; ``classes_per_video`` best classes) before the detection mAP; the result
    dict also holds those ``"detections"``.
    """
    if task not in ("proposal", "detection", "both"):
        raise ValueError(f"task must be 'proposal', 'detection' or 'both', got {task!r}")
    records = read_activitynet_json(ground_truth_json)
    if subset is not None:
        records = [r for r in records if r.subset is None or r.subset == subset]
    results = read_results(results_json)
    ids = _match_ids((r.video_name for r in records), results)
    out: dict[str, Any] = {}
    if task in ("proposal", "both"):
        gt = {ids[r.video_name]: [[s.start, s.end] for s in r.segments] for r in records}
        props = {v: [[s.start, s.end, s.score] for s in segs] for v, segs in results.items()}
        out["proposal"] = average_recall_at_avg_proposals(
            gt, props, max_avg_proposals=max_avg_proposals, tiou_thresholds=tiou_thresholds
        )
    if task in ("detection", "both"):
        gt_segs = {ids[r.video_name]: r.segments for r in records}
        detections: Mapping[str, Iterable[Segment]] = results
        if video_scores is not None:
            from .classify import classify_proposals, read_video_scores

            wanted = {v: results[v] for v in gt_segs if v in results}
            detections = out["detections"] = classify_proposals(
                wanted, read_video_scores(video_scores), top_k=classes_per_video
            )
        out["detection"] = mean_average_precision(gt_segs, detections, tiou_thresholds)
    return out


def _gather(items: list[Any]) -> list[Any]:
    """``items`` of every rank when ``torch.distributed`` is initialised, else ``items``."""
    try:
        import torch.distributed as dist
    except ImportError:  # numpy-only use
        return items
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return items
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, items)
    return [x for part in parts for x in part]


class ProposalEvaluator:
    """Accumulates proposals per video and computes AR@AN (the trainer's evaluator interface:
    ``reset``, ``update``, ``compute``).

    Args:
        ground_truth: ``{video_id: (n, 2) [start, end]}`` in the same unit as the proposals.
        max_avg_proposals, tiou_thresholds: see :func:`average_recall_at_avg_proposals`.
        detailed: also report the class-agnostic detection mAP (``compute``).

    ``update(video_ids, proposals)`` takes one ``(k, 3) [start, end, score]`` array per video;
    a video seen twice (a distributed sampler's padding) keeps its first proposals.
    ``compute()`` returns :meth:`ARANResult.summary`: AR@1/5/10/100 and AUC.
    """

    def __init__(
        self,
        ground_truth: Mapping[str, Any],
        *,
        max_avg_proposals: float = 100,
        tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS,
        detailed: bool = False,
    ) -> None:
        self.ground_truth = dict(ground_truth)
        self.detailed = detailed
        self.max_avg_proposals = max_avg_proposals
        self.tiou_thresholds = tiou_thresholds
        self._items: list[tuple[str, np.ndarray]] = []

    def reset(self) -> None:
        self._items = []

    def update(
        self, video_ids: Sequence[str], proposals: Sequence[Any], indices: Any = None, **outputs: Any
    ) -> None:
        """Add one ``(k, 3)`` array per video. ``indices`` (dataset indices, from the trainer) and
        further model outputs (BSN TEM's ``tem``) are accepted and not used."""
        if len(video_ids) != len(proposals):
            raise ValueError(f"{len(video_ids)} video ids for {len(proposals)} proposal arrays")
        for v, p in zip(video_ids, proposals):
            self._items.append((str(v), _as_proposals(p, str(v))))

    def _gathered(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        props: dict[str, np.ndarray] = {}
        for v, p in _gather(self._items):
            props.setdefault(v, p)
        gt = {v: g for v, g in self.ground_truth.items() if v in props} if props else self.ground_truth
        return props, gt

    def result(self) -> ARANResult:
        """AR@AN over the ground-truth videos that were passed to :meth:`update` (all of them
        when none was); a video passed with no proposals counts as zero recall."""
        props, gt = self._gathered()
        return average_recall_at_avg_proposals(
            gt, props, max_avg_proposals=self.max_avg_proposals, tiou_thresholds=self.tiou_thresholds
        )

    def compute(self) -> dict[str, float]:
        """AR@1/5/10/100 and AUC; with ``detailed=True`` also the class-agnostic detection mAP of
        the proposals (every ground-truth segment one class) at each tIoU and its average."""
        out = self.result().summary()
        if self.detailed:
            props, gt = self._gathered()
            det = mean_average_precision(
                {v: [Segment(float(a), float(b), "action") for a, b in _as_segments(g, v)] for v, g in gt.items()},
                {v: [Segment(float(r[0]), float(r[1]), "action", float(r[2])) for r in p] for v, p in props.items()},
                self.tiou_thresholds,
            )
            out.update({f"agnostic_{k}": v for k, v in det.summary().items()})
        return out


class DetectionEvaluator:
    """Accumulates labelled, scored segments per video and computes mAP at tIoU thresholds.

    ``update(video_ids, segments)`` takes one sequence of :class:`Segment` per video; ``compute``
    returns :meth:`DetectionResult.summary`.
    """

    def __init__(
        self, ground_truth: Mapping[str, Iterable[Segment]], *, tiou_thresholds: Any = DEFAULT_TIOU_THRESHOLDS
    ) -> None:
        self.ground_truth = {v: tuple(s) for v, s in ground_truth.items()}
        self.tiou_thresholds = tiou_thresholds
        self._items: list[tuple[str, tuple[Segment, ...]]] = []

    def reset(self) -> None:
        self._items = []

    def update(self, video_ids: Sequence[str], segments: Sequence[Iterable[Segment]], indices: Any = None) -> None:
        if len(video_ids) != len(segments):
            raise ValueError(f"{len(video_ids)} video ids for {len(segments)} segment lists")
        for v, s in zip(video_ids, segments):
            self._items.append((str(v), tuple(s)))

    def result(self) -> DetectionResult:
        preds: dict[str, tuple[Segment, ...]] = {}
        for v, s in _gather(self._items):
            preds.setdefault(v, s)
        return mean_average_precision(self.ground_truth, preds, self.tiou_thresholds)

    def compute(self) -> dict[str, float]:
        return self.result().summary()
