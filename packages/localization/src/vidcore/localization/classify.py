"""Detection results from class-agnostic proposals and a recognition model's video-level scores.

BMN and BSN propose segments without a class. For ActivityNet detection, MMAction2's BMN/BSN
recipe (and the BMN paper, after the CUHK 2017 challenge entry) labels every proposal of a video
with the video's top-scoring class from a separate video classifier and multiplies the scores::

    detection = (start, end, label = argmax_c p(c | video), score = proposal score * max_c p(c | video))

With ``top_k > 1`` each proposal gives one detection per class among the video's ``top_k`` best
(score ``proposal score * p(c | video)``), a common variant.

The video-level scores come from a score file (:mod:`vidcore.core.scores`: ``scores`` ``(N, K)``,
``sample_ids``, ``kind``, ``class_names``), e.g. ``vidcore-recognition test --save-scores``. A
sample id is matched to a video id by its file stem (``videos/v_abc.mp4`` -> ``v_abc``; ids with
and without ActivityNet's ``v_`` prefix match each other). ``logit`` scores are turned into
probabilities with a softmax; class names come from the file (else ``class_names``, else the
column index). This package reads the file; it never imports vidcore-recognition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import PurePath

import numpy as np

from vidcore.data.annotations.activitynet import Segment

__all__ = ["classify_proposals", "read_video_scores", "video_id_of"]


def video_id_of(sample_id: str) -> str:
    """The video id of a score file's sample id: its file stem (``a/v_x.mp4`` -> ``v_x``)."""
    return PurePath(sample_id.replace("\\", "/")).stem


def read_video_scores(
    path: str | PathLike[str], class_names: Sequence[str] | None = None
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """``{video id: (probabilities (K,) float64, class names)}`` from a score file."""
    from vidcore.core.scores import ScoreFileError, read_scores

    s = read_scores(path)
    probs = s.scores.astype(np.float64)
    if s.kind == "logit":
        probs = np.exp(probs - probs.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
    names = list(s.class_names) or (list(class_names) if class_names else [str(i) for i in range(s.num_classes)])
    if len(names) != s.num_classes:
        raise ScoreFileError(f"{path}: {len(names)} class names for {s.num_classes} score columns")
    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    for i, sid in enumerate(s.sample_ids):
        vid = video_id_of(sid)
        if vid in out:
            raise ScoreFileError(f"{path}: two samples ({sid!r} and another) have the video id {vid!r}")
        out[vid] = (probs[i], names)
    return out


def _lookup(scores: Mapping[str, tuple[np.ndarray, list[str]]], vid: str) -> tuple[np.ndarray, list[str]] | None:
    for key in (vid, vid[2:] if vid.startswith("v_") else f"v_{vid}"):
        if key in scores:
            return scores[key]
    return None


def classify_proposals(
    proposals: Mapping[str, Iterable[Segment] | np.ndarray],
    video_scores: Mapping[str, tuple[np.ndarray, list[str]]],
    *,
    top_k: int = 1,
) -> dict[str, list[Segment]]:
    """Labelled, scored detections per video (see the module docstring), by decreasing score.

    ``proposals``: per video, :class:`Segment` rows (their ``score`` used) or an ``(m, 3)`` array
    ``[start, end, score]``. A video without video-level scores raises ``KeyError`` naming it.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    out: dict[str, list[Segment]] = {}
    for vid, props in proposals.items():
        found = _lookup(video_scores, vid)
        if found is None:
            raise KeyError(f"video {vid!r}: no video-level scores for it in the score file")
        probs, names = found
        best = np.argsort(-probs, kind="stable")[:top_k]
        rows = np.asarray(props, dtype=np.float64).reshape(-1, 3) if isinstance(props, np.ndarray) else np.array(
            [[p.start, p.end, p.score if p.score is not None else np.nan] for p in props], dtype=np.float64
        ).reshape(-1, 3)  # fmt: skip
        if np.isnan(rows[:, 2]).any():
            raise ValueError(f"video {vid!r}: a proposal has no score")
        dets = [Segment(float(a), float(b), names[c], float(s * probs[c])) for a, b, s in rows for c in best]
        out[vid] = sorted(dets, key=lambda d: -float(d.score or 0.0))
    return out
