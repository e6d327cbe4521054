"""Per-sample class scores on disk, and their weighted fusion: the one score-file format every task
writes (skeleton streams, RGB and audio models) and the one fusion function they share.

The format (``.npz``, written by :func:`write_scores`, read by :func:`read_scores`)::

    scores      float32 (N, K)   one row per sample: probabilities (or logits, see ``kind``)
    labels      int64   (N,)     ground-truth class, -1 when unknown
    sample_ids  str     (N,)     the sample identifiers (a skeleton's frame_dir, a video's path)
    kind        str     ()       "prob" (e.g. mean softmax over test clips) or "logit"
    class_names str     (K,)     optional

Files are matched by ``sample_ids`` when fused, so two streams may list their samples in different
orders. :func:`read_scores` also reads the result pickles MMAction2's ``tools/test.py --dump``
writes (a list of dicts with ``pred_score`` (K,) and ``gt_label`` tensors; the samples are then
identified by their position), without running code from the file: only tensors, arrays and plain
containers are admitted.

Fusion is MMAction2's ``tools/analysis_tools/report_accuracy.py``: the fused scores are
``sum_i w_i * scores_i`` (default weights 1:1:...), optionally after a softmax of each input; each
input and the fusion are scored with top-1 accuracy and MMAction2's mean class accuracy::

    result = fuse(["joint.npz", "bone.npz"], weights=[1, 1])
    print(result.fused.top1, [r.top1 for r in result.inputs])

``combine="product"`` (not in MMAction2) sums ``w_i * log(p_i)`` instead: a weighted product of the
probabilities, for inputs that each know a different factor of the label (a video model that
cannot hear a sound splits the probability between the sounds; in a sum that split can outvote an
audio model, in a product the audio's near-zero decides)::

    fuse(["video.npz", "audio.npz"], combine="product")
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .metrics import mean_class_accuracy, top_k_accuracy

__all__ = [
    "FusionResult",
    "ScoreFileError",
    "ScoreSet",
    "StreamReport",
    "fuse",
    "fuse_scores",
    "read_scores",
    "write_scores",
]

PathArg = str | os.PathLike[str]
Kind = Literal["prob", "logit"]
Combine = Literal["sum", "product"]
PRODUCT_FLOOR = 1e-6  # probabilities are clipped here before their log in a product fusion


class ScoreFileError(ValueError):
    """A score file is missing, malformed, or does not match the others it is fused with."""


@dataclass
class ScoreSet:
    """The scores of one model (stream) on one set of samples.

    Attributes:
        scores: float32 ``(N, K)``.
        labels: int64 ``(N,)``, ``-1`` where unknown.
        sample_ids: ``N`` identifiers.
        kind: ``"prob"`` or ``"logit"``.
        class_names: ``K`` names, or empty.
        source: the file it was read from (for messages).
    """

    scores: np.ndarray
    labels: np.ndarray
    sample_ids: list[str]
    kind: Kind = "prob"
    class_names: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.sample_ids = [str(s) for s in self.sample_ids]
        where = self.source or "scores"
        if self.scores.ndim != 2:
            raise ScoreFileError(f"{where}: expected scores of shape (N, K), got {self.scores.shape}")
        n = self.scores.shape[0]
        if self.labels.shape != (n,) or len(self.sample_ids) != n:
            raise ScoreFileError(
                f"{where}: {n} score rows but {self.labels.shape[0]} labels and {len(self.sample_ids)} sample ids"
            )
        if len(set(self.sample_ids)) != n:
            raise ScoreFileError(f"{where}: sample ids are not unique")
        if self.kind not in ("prob", "logit"):
            raise ScoreFileError(f"{where}: kind must be 'prob' or 'logit', got {self.kind!r}")
        if self.class_names and len(self.class_names) != self.scores.shape[1]:
            raise ScoreFileError(
                f"{where}: {len(self.class_names)} class names for {self.scores.shape[1]} score columns"
            )
        if not np.isfinite(self.scores).all():
            raise ScoreFileError(f"{where}: scores contain NaN or infinite values")

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def num_classes(self) -> int:
        return int(self.scores.shape[1])


def write_scores(
    path: PathArg,
    scores: Any,
    labels: Any,
    sample_ids: Sequence[str] | None = None,
    *,
    kind: Kind = "prob",
    class_names: Sequence[str] = (),
) -> Path:
    """Write a score file (``.npz``, layout in the module docstring); ``sample_ids`` default to the
    row numbers. Returns the path written (``.npz`` appended when missing)."""
    scores = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores)
    labels = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    ids = [str(i) for i in range(len(scores))] if sample_ids is None else list(sample_ids)
    s = ScoreSet(scores, labels, ids, kind, list(class_names), source=str(path))
    p = Path(path)
    if p.suffix != ".npz":
        p = p.with_name(p.name + ".npz")
    p.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "scores": s.scores,
        "labels": s.labels,
        "sample_ids": np.array(s.sample_ids, dtype=str),
        "kind": np.array(s.kind),
    }
    if s.class_names:
        arrays["class_names"] = np.array(s.class_names, dtype=str)
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    return p


# -- reading ---------------------------------------------------------------------------------------


def _storage_from_bytes(data: bytes) -> Any:
    """A tensor storage pickled by ``torch.save`` inside a plain pickle, loaded with
    ``weights_only=True`` (no code from the file runs)."""
    import torch

    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


class _ScoreUnpickler(pickle.Unpickler):
    """Admits tensors (rebuilt from their storages), numpy arrays and plain containers only."""

    _NUMPY = {
        (m, n)
        for m in ("numpy.core.multiarray", "numpy._core.multiarray")
        for n in ("_reconstruct", "scalar")
    } | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), ("collections", "OrderedDict")}

    def __init__(self, file: io.BufferedIOBase, path: str) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _storage_from_bytes
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            import torch._utils

            return torch._utils._rebuild_tensor_v2
        if (module, name) in self._NUMPY or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise ScoreFileError(
            f"{self._path}: the pickle refers to {module}.{name}; only tensors, arrays and plain "
            "containers are allowed in a score pickle (refusing to run code from it)"
        )


def _as_array(x: Any) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)


def _from_mmaction_pickle(data: Any, path: str) -> ScoreSet:
    if not isinstance(data, list) or not data:
        raise ScoreFileError(f"{path}: expected a non-empty list of per-sample results, got {type(data).__name__}")
    rows, labels = [], []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or "pred_score" not in item:
            got = sorted(item) if isinstance(item, dict) else type(item).__name__
            raise ScoreFileError(f"{path}: result {i}: expected a dict with 'pred_score', got {got}")
        rows.append(_as_array(item["pred_score"]).reshape(-1))
        label = item.get("gt_label", item.get("gt_labels", -1))
        label = _as_array(label).reshape(-1)
        if label.size != 1:
            raise ScoreFileError(f"{path}: result {i}: expected one gt_label, got {label.size}")
        labels.append(int(label[0]))
    if len({r.shape for r in rows}) != 1:
        raise ScoreFileError(f"{path}: results have different numbers of classes")
    ids = [str(i) for i in range(len(rows))]
    return ScoreSet(np.stack(rows), np.array(labels), ids, "prob", source=path)


def read_scores(path: PathArg) -> ScoreSet:
    """Read a score file: vidcore's ``.npz`` or an MMAction2 result pickle (``.pkl``)."""
    p = Path(path)
    if not p.is_file():
        raise ScoreFileError(f"{p}: no such score file")
    if p.suffix == ".npz":
        try:
            with np.load(p, allow_pickle=False) as z:
                missing = {"scores", "labels", "sample_ids"} - set(z.files)
                if missing:
                    raise ScoreFileError(f"{p}: not a score file, missing {sorted(missing)} (has {sorted(z.files)})")
                names = [str(x) for x in z["class_names"]] if "class_names" in z.files else []
                kind = str(z["kind"]) if "kind" in z.files else "prob"
                return ScoreSet(z["scores"], z["labels"], list(z["sample_ids"]), kind, names, str(p))  # type: ignore[arg-type]
        except (OSError, ValueError) as exc:
            if isinstance(exc, ScoreFileError):
                raise
            raise ScoreFileError(f"{p}: cannot read as .npz ({exc})") from None
    try:
        with open(p, "rb") as fh:
            data = _ScoreUnpickler(fh, str(p)).load()  # type: ignore[arg-type]
    except ScoreFileError:
        raise
    except Exception as exc:  # truncated or not a pickle
        raise ScoreFileError(f"{p}: cannot read as a score pickle ({type(exc).__name__}: {exc})") from None
    return _from_mmaction_pickle(data, str(p))


# -- fusion ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamReport:
    """Accuracy of one input (or of the fusion): top-1 and MMAction2's mean class accuracy, in [0, 1]."""

    name: str
    weight: float
    top1: float
    mean_class_accuracy: float


@dataclass
class FusionResult:
    """Per-input and fused accuracy, the fused ``(N, K)`` scores and the sample order they follow."""

    inputs: list[StreamReport]
    fused: StreamReport
    scores: np.ndarray
    labels: np.ndarray
    sample_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        def one(r: StreamReport) -> dict[str, Any]:
            return {"name": r.name, "weight": r.weight, "top1": r.top1, "mean_class_accuracy": r.mean_class_accuracy}

        return {"inputs": [one(r) for r in self.inputs], "fused": one(self.fused), "num_samples": len(self.labels)}


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _aligned(sets: Sequence[ScoreSet]) -> list[ScoreSet]:
    """The sets in the first one's sample order; ScoreFileError when samples, classes or labels differ."""
    first = sets[0]
    out = [first]
    for s in sets[1:]:
        if s.num_classes != first.num_classes:
            raise ScoreFileError(
                f"{s.source}: {s.num_classes} classes, but {first.source} has {first.num_classes}"
            )
        if set(s.sample_ids) != set(first.sample_ids):
            only = sorted(set(s.sample_ids) ^ set(first.sample_ids))
            raise ScoreFileError(
                f"{s.source} and {first.source} score different samples "
                f"({len(only)} in only one of them, e.g. {only[:3]})"
            )
        index = {sid: i for i, sid in enumerate(s.sample_ids)}
        order = np.array([index[sid] for sid in first.sample_ids])
        moved = ScoreSet(s.scores[order], s.labels[order], first.sample_ids, s.kind, s.class_names, s.source)
        known = (moved.labels >= 0) & (first.labels >= 0)
        if (moved.labels[known] != first.labels[known]).any():
            bad = first.sample_ids[int(np.flatnonzero(known & (moved.labels != first.labels))[0])]
            raise ScoreFileError(f"{s.source} and {first.source} disagree on the label of sample {bad}")
        out.append(moved)
    return out


def fuse_scores(
    sets: Sequence[ScoreSet],
    weights: Sequence[float] | None = None,
    *,
    apply_softmax: bool = False,
    combine: Combine = "sum",
) -> FusionResult:
    """Fuse :class:`ScoreSet` s (see :func:`fuse`)."""
    if combine not in ("sum", "product"):
        raise ScoreFileError(f"combine must be 'sum' or 'product', got {combine!r}")
    if not sets:
        raise ScoreFileError("fuse needs at least one score set")
    w = [1.0] * len(sets) if weights is None else [float(x) for x in weights]
    if len(w) != len(sets):
        raise ScoreFileError(f"{len(sets)} score sets but {len(w)} weights")
    aligned = _aligned(sets)
    labels = aligned[0].labels
    for s in aligned[1:]:
        labels = np.where(labels >= 0, labels, s.labels)
    if (labels < 0).any():
        raise ScoreFileError(f"{(labels < 0).sum()} samples have no label in any input: accuracy is undefined")
    arrays = [_softmax(s.scores.astype(np.float64)) if apply_softmax else s.scores.astype(np.float64) for s in aligned]
    if combine == "product":
        for s, a in zip(aligned, arrays, strict=True):
            if a.min() < 0 or a.max() > 1 + 1e-4:
                raise ScoreFileError(
                    f"{s.source or 'scores'}: a product fusion needs probabilities, but the scores span "
                    f"[{a.min():.3g}, {a.max():.3g}] (softmax logits first: apply_softmax / --apply-softmax)"
                )
        terms = [np.log(np.clip(a, PRODUCT_FLOOR, None)) for a in arrays]
    else:
        terms = arrays
    fused = sum(wi * a for wi, a in zip(w, terms, strict=True))

    def report(name: str, weight: float, scores: np.ndarray) -> StreamReport:
        return StreamReport(name, weight, top_k_accuracy(scores, labels, (1,))[0], mean_class_accuracy(scores, labels))

    inputs = [report(s.source or f"input {i}", wi, a) for i, (s, wi, a) in enumerate(zip(aligned, w, arrays, strict=True))]
    return FusionResult(inputs, report("fused", float(sum(w)), fused), fused, labels, aligned[0].sample_ids)  # type: ignore[arg-type]


def fuse(
    files: Sequence[PathArg | ScoreSet],
    weights: Sequence[float] | None = None,
    *,
    apply_softmax: bool = False,
    combine: Combine = "sum",
) -> FusionResult:
    """Fuse score files (or loaded :class:`ScoreSet` s) with ``weights`` (default 1 each, MMAction2's
    1:1:1:1 for joint, bone, joint-motion, bone-motion).

    The fused scores are ``sum_i w_i * s_i`` over the inputs in the first file's sample order (files
    are matched by sample id), each ``s_i`` first softmaxed when ``apply_softmax`` (for logit files).
    With ``combine="product"`` the fused scores are ``sum_i w_i * log(max(s_i, 1e-6))`` (a weighted
    product of probabilities, as log-probabilities; the inputs must be probabilities).
    Returns top-1 and mean class accuracy of every input and of the fusion. ``ScoreFileError`` when
    the files differ in samples, classes or labels, or have no labels.
    """
    sets = [f if isinstance(f, ScoreSet) else read_scores(f) for f in files]
    return fuse_scores(sets, weights, apply_softmax=apply_softmax, combine=combine)
