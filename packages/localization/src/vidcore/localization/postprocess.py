"""From network outputs to scored segments: candidate generation (BMN, BSN), Gaussian Soft-NMS and
plain NMS, scaling to seconds, and the ActivityNet results JSON.

Times inside the models are fractions of the feature span; :func:`video_span_seconds` converts
them: MMAction2's features cover ``duration_frame // interval * interval`` of the
``duration_frame`` frames, so a fraction ``x`` is ``x * span`` seconds with ``span =
duration_second * (duration_frame // interval * interval) / duration_frame``.

Everything is numpy; the rules are MMAction2's (``localizers/utils/proposal_utils.py``,
``BMN.predict``, ``bsn_utils.generate_candidate_proposals``). Ties in scores are ranked as in
:mod:`vidcore.localization.evaluation` (stable sort, reversed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "bmn_candidates",
    "bmn_proposals",
    "bsn_candidates",
    "nms",
    "proposals_to_seconds",
    "soft_nms",
    "video_span_seconds",
    "write_results_json",
]


def _descending(scores: np.ndarray) -> np.ndarray:
    return np.argsort(scores, kind="stable")[::-1]


def _iou_one(start: float, end: float, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    inter = np.maximum(np.minimum(ends, end) - np.maximum(starts, start), 0.0)
    union = (ends - starts) - inter + (end - start)
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / union


def soft_nms(
    proposals: np.ndarray, alpha: float, low_threshold: float, high_threshold: float, top_k: int
) -> np.ndarray:
    """Gaussian Soft-NMS (MMAction2's variant): ``(k, >=3)`` rows ``[start, end, ..., score]`` ->
    ``(m, 3)`` ``[start, end, score]`` in selection order, ``m <= top_k + 1`` (as MMAction2).

    Repeatedly takes the highest-scoring proposal and multiplies the score of every other
    proposal whose tIoU with it exceeds ``low + (high - low) * width`` (``width`` of the taken one,
    as a fraction of the video) by ``exp(-tIoU^2 / alpha)``. MMAction2's configs: BMN alpha 0.4,
    thresholds 0.5/0.9; BSN PEM 0.75, 0.65/0.9; top_k 100.
    """
    p = np.asarray(proposals, dtype=np.float64)
    p = p[_descending(p[:, -1])]
    start, end, score = p[:, 0].copy(), p[:, 1].copy(), p[:, -1].copy()
    alive = np.ones(len(score), dtype=bool)
    out = []
    while alive.any() and len(out) <= top_k:
        cand = np.nonzero(alive)[0]
        i = cand[np.argmax(score[cand])]
        width = end[i] - start[i]
        iou = _iou_one(start[i], end[i], start[cand], end[cand])
        decay = (iou > low_threshold + (high_threshold - low_threshold) * width) & (cand != i)
        score[cand[decay]] = score[cand[decay]] * np.exp(-np.square(iou[decay]) / alpha)
        out.append((start[i], end[i], score[i]))
        alive[i] = False
    return np.array(out, dtype=np.float64).reshape(-1, 3)


def nms(proposals: np.ndarray, iou_threshold: float, top_k: int | None = None) -> np.ndarray:
    """Plain NMS: ``(k, >=3)`` ``[start, end, ..., score]`` -> ``(m, 3)`` by decreasing score,
    dropping every proposal whose tIoU with a kept one exceeds ``iou_threshold``."""
    p = np.asarray(proposals, dtype=np.float64)
    p = p[_descending(p[:, -1])]
    keep: list[int] = []
    suppressed = np.zeros(len(p), dtype=bool)
    for i in range(len(p)):
        if suppressed[i]:
            continue
        keep.append(i)
        if top_k is not None and len(keep) >= top_k:
            break
        suppressed |= _iou_one(p[i, 0], p[i, 1], p[:, 0], p[:, 1]) > iou_threshold
    return p[keep][:, [0, 1, -1]] if keep else np.zeros((0, 3))


def _boundary_bins(scores: np.ndarray, threshold: float, first: bool, last: bool) -> np.ndarray:
    """Local maxima or scores above ``threshold * max`` (interior positions), plus the ends."""
    s = np.asarray(scores, dtype=np.float64)
    bins = np.zeros(len(s), dtype=bool)
    inner = (s[1:-1] > s[2:]) & (s[1:-1] > s[:-2]) | (s[1:-1] > threshold * s.max())
    bins[1:-1] = inner
    bins[0] |= first
    bins[-1] |= last
    return bins


def bmn_candidates(start: np.ndarray, end: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """BMN's candidates from one video's outputs: ``start``/``end`` ``(T,)``, ``confidence``
    ``(2, D, S)`` -> ``(k, 7)`` rows ``[tmin, tmax, start_score, end_score, cls, reg, score]``
    (times as fractions), ``score = start * end * cls * reg``, in MMAction2's order (by duration,
    then start). Boundaries are the first position (starts), the last (ends), local maxima and
    scores above half the maximum; a proposal ends strictly before ``T``."""
    t = len(start)
    s_bins = _boundary_bins(start, 0.5, first=True, last=False)
    e_bins = _boundary_bins(end, 0.5, first=False, last=True)
    d, s = np.meshgrid(np.arange(t), np.arange(t), indexing="ij")  # (D, S)
    e = s + d + 1
    ok = (e < t) & s_bins[s] & e_bins[np.minimum(e, t - 1)]
    d, s, e = d[ok], s[ok], e[ok]
    tmin_score = np.asarray(start, dtype=np.float64)[s]
    tmax_score = np.asarray(end, dtype=np.float64)[e]
    cls = np.asarray(confidence[1], dtype=np.float64)[d, s]
    reg = np.asarray(confidence[0], dtype=np.float64)[d, s]
    score = tmin_score * tmax_score * cls * reg
    return np.stack([s / t, e / t, tmin_score, tmax_score, cls, reg, score], axis=1)


def video_span_seconds(duration_second: float, duration_frame: int | None = None, interval: int = 16) -> float:
    """Seconds covered by the features (see the module docstring); ``duration_second`` when the
    frame count is unknown."""
    if not duration_frame:
        return float(duration_second)
    return float(duration_frame // interval * interval) / duration_frame * duration_second


def proposals_to_seconds(
    result: np.ndarray,
    duration: float,
    *,
    soft_nms_alpha: float,
    soft_nms_low_threshold: float,
    soft_nms_high_threshold: float,
    top_k: int,
) -> np.ndarray:
    """MMAction2's ``post_processing``: Soft-NMS over ``(k, >=3)`` candidates (rows ``[tmin,
    tmax, ..., score]``, fractions), the ``top_k`` best, clipped to [0, 1] and scaled by
    ``duration`` seconds -> ``(m, 3)`` ``[start_s, end_s, score]`` by decreasing score."""
    r = np.asarray(result, dtype=np.float64)
    if len(r) == 0:
        return np.zeros((0, 3))
    if len(r) > 1:
        r = soft_nms(r, soft_nms_alpha, soft_nms_low_threshold, soft_nms_high_threshold, top_k)
    r = r[_descending(r[:, -1])][:top_k]
    return np.stack([np.maximum(0, r[:, 0]) * duration, np.minimum(1, r[:, 1]) * duration, r[:, -1]], axis=1)


def bmn_proposals(
    start: np.ndarray,
    end: np.ndarray,
    confidence: np.ndarray,
    *,
    duration: float,
    soft_nms_alpha: float = 0.4,
    soft_nms_low_threshold: float = 0.5,
    soft_nms_high_threshold: float = 0.9,
    top_k: int = 100,
) -> np.ndarray:
    """One video's BMN outputs -> ``(m, 3)`` ``[start_s, end_s, score]`` (``BMN.predict``)."""
    cand = bmn_candidates(start, end, confidence)
    return proposals_to_seconds(
        cand,
        duration,
        soft_nms_alpha=soft_nms_alpha,
        soft_nms_low_threshold=soft_nms_low_threshold,
        soft_nms_high_threshold=soft_nms_high_threshold,
        top_k=top_k,
    )


def bsn_candidates(start: np.ndarray, end: np.ndarray, peak_threshold: float = 0.5) -> np.ndarray:
    """BSN's PGM candidates from TEM start/end probabilities ``(T,)`` -> ``(k, 5)`` rows
    ``[tmin, tmax, start_score, end_score, score]`` (fractions, snippet centres), by decreasing
    ``score = start * end``. Boundaries: both ends, local maxima and scores above
    ``peak_threshold * max``; every start before every end is paired."""
    t = len(start)
    gap = 1.0 / t
    s_bins = _boundary_bins(start, peak_threshold, first=True, last=True)
    e_bins = _boundary_bins(end, peak_threshold, first=True, last=True)
    centres = gap / 2 + gap * np.arange(t)
    si, ei = np.nonzero(s_bins)[0], np.nonzero(e_bins)[0]
    ee, ss = np.meshgrid(ei, si, indexing="ij")  # MMAction2's loop order: end outer, start inner
    ok = centres[ss] < centres[ee]
    ss, ee = ss[ok], ee[ok]
    rows = np.stack(
        [centres[ss], centres[ee], np.asarray(start, np.float64)[ss], np.asarray(end, np.float64)[ee]], axis=1
    )
    rows = np.concatenate([rows, (rows[:, 2] * rows[:, 3])[:, None]], axis=1)
    return rows[_descending(rows[:, -1])]


def write_results_json(
    results: Mapping[str, Sequence[Any]] | Mapping[str, np.ndarray],
    path: str | PathLike[str],
    *,
    label: str | None = None,
    version: str = "VERSION 1.3",
) -> None:
    """Write the ActivityNet results file ``{"version", "results": {video_id: [{"segment",
    "score"[, "label"]}]}, "external_data": {}}``. ``results`` maps video ids to ``(m, 3)``
    ``[start_s, end_s, score]`` arrays, or to lists of such rows with a fourth label entry."""
    out: dict[str, list[dict[str, Any]]] = {}
    for vid, rows in results.items():
        items = []
        for row in rows:
            item: dict[str, Any] = {"segment": [float(row[0]), float(row[1])], "score": float(row[2])}
            lab = row[3] if len(row) > 3 else label
            if lab is not None:
                item["label"] = str(lab)
            items.append(item)
        out[str(vid)] = items
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps({"version": version, "results": out, "external_data": {}}))
    tmp.replace(p)
