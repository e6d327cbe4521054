"""Classification metrics: plain functions and accumulators that gather across DDP ranks.

The functions follow MMAction2 (``mmaction/evaluation/functional/accuracy.py``) definitions, with
two deliberate differences, both documented where they apply:

- ``top_k_accuracy`` breaks ties in the score deterministically (the lower class index ranks
  first, as ``argmax`` does). MMAction2 ranks with ``np.argsort``, whose order among equal scores
  depends on the numpy build and CPU (it is not stable on AVX-512 machines), so a tied label may or
  may not count there.
- ``confusion_matrix`` is indexed by class id (``num_classes`` rows); MMAction2's compacts rows and
  columns to the classes that occur.

Inputs may be numpy arrays, torch tensors, or lists of per-sample arrays (as MMAction2 passes).

Accumulators (``AccuracyMetric``, ``MeanAPMetric``) collect batches with ``update(scores, labels,
indices=None)``. ``compute()`` all-gathers the batches of every rank when ``torch.distributed`` is
initialised (gloo or NCCL; every rank must call it), drops repeated dataset indices (the samples
``DistributedSampler`` pads so that each rank gets the same count), and evaluates once on the
whole set, so the numbers equal those of a single process over the dataset.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
import torch.distributed as dist

__all__ = [
    "AccuracyMetric",
    "MeanAPMetric",
    "average_precision",
    "balanced_accuracy",
    "confusion_matrix",
    "mean_average_precision",
    "mean_class_accuracy",
    "mmit_mean_average_precision",
    "top_k_accuracy",
]


# ----------------------------------------------------------------------------------------------
# conversions and checks


def _tensor_to_numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach()
    if t.dtype in (torch.bfloat16, torch.float16):  # numpy has no bfloat16; widen both half types
        t = t.float()
    return t.cpu().numpy()


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return _tensor_to_numpy(x)
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], torch.Tensor):
        return np.stack([_tensor_to_numpy(t) for t in x])
    return np.asarray(x)


def _scores_2d(scores: Any) -> np.ndarray:
    s = _to_numpy(scores)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty (N, K) array, got shape {s.shape}")
    if not np.issubdtype(s.dtype, np.number):
        raise ValueError(f"scores must be numeric, got dtype {s.dtype}")
    return s.astype(np.float64, copy=False)


def _labels_1d(labels: Any, n: int, num_classes: int | None = None) -> np.ndarray:
    y = _to_numpy(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels must have shape ({n},) to match the scores, got {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64, copy=False)
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be >= 0, got {y.min()}")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise ValueError(f"label {y.max()} is out of range for scores with {num_classes} classes")
    return y


def _multi_hot(labels: Any, shape: tuple[int, ...]) -> np.ndarray:
    y = _to_numpy(labels)
    if y.shape != shape:
        raise ValueError(f"multi-hot labels must have the scores' shape {shape}, got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("multi-hot labels must contain only 0 and 1")
    return y == 1


# ----------------------------------------------------------------------------------------------
# single-label metrics


def top_k_accuracy(scores: Any, labels: Any, topk: int | Sequence[int] = (1, 5)) -> list[float]:
    """Fraction of samples whose label is among the ``k`` highest scores, for each ``k`` in ``topk``.

    ``scores`` ``(N, K)``, ``labels`` ``(N,)`` class indices. Ranking among equal scores: the lower
    class index ranks first (so top-1 agrees with ``argmax``); NaN scores rank below every number.
    ``k >= K`` gives 1.0. Returns one float per ``k``, in ``topk`` order.
    """
    s = _scores_2d(scores)
    y = _labels_1d(labels, s.shape[0], s.shape[1])
    ks = (topk,) if isinstance(topk, int) else tuple(topk)
    if any(int(k) < 1 for k in ks):
        raise ValueError(f"every k in topk must be >= 1, got {ks}")
    s = np.where(np.isnan(s), -np.inf, s)
    rows = np.arange(s.shape[0])
    own = s[rows, y][:, None]
    cls = np.arange(s.shape[1])[None, :]
    # rank of the label = classes strictly better + tied classes with a lower index
    rank = (s > own).sum(1) + ((s == own) & (cls < y[:, None])).sum(1)
    return [float(np.mean(rank < int(k))) for k in ks]


def confusion_matrix(
    pred: Any,
    labels: Any,
    num_classes: int | None = None,
    normalize: Literal["true", "pred", "all"] | None = None,
) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``.

    ``pred`` and ``labels`` are ``(N,)`` class indices; ``num_classes`` defaults to
    ``max(pred, labels) + 1``. ``normalize``: divide by row sums (``"true"``: recall per class), by
    column sums (``"pred"``) or by ``N`` (``"all"``); 0/0 becomes 0 (as MMAction2). Integer counts
    (int64) without normalisation, float64 with. Unlike MMAction2's, rows and columns are all class
    ids ``0..num_classes-1``, including classes absent from both inputs.
    """
    p_raw = _to_numpy(pred)
    if p_raw.ndim != 1:
        raise ValueError(f"pred must be (N,) class indices, got shape {p_raw.shape}")
    p = _labels_1d(p_raw, p_raw.shape[0])
    y = _labels_1d(labels, p.shape[0])
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    top = int(max(p.max(initial=-1), y.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"class {top - 1} does not fit num_classes={num_classes}")
    cm = np.bincount(y * num_classes + p, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )
    if normalize is None:
        return cm.astype(np.int64)
    cm = cm.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        else:
            cm = cm / cm.sum()
    return np.nan_to_num(cm)


def _per_class_recall(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = _scores_2d(scores)
    y = _labels_1d(labels, s.shape[0], s.shape[1])
    pred = np.argmax(np.where(np.isnan(s), -np.inf, s), axis=1)
    cm = confusion_matrix(pred, y, num_classes=s.shape[1])
    return (
        np.diag(cm).astype(np.float64),
        cm.sum(axis=1).astype(np.float64),
        cm.sum(axis=0).astype(np.float64),
    )


def mean_class_accuracy(scores: Any, labels: Any) -> float:
    """MMAction2's mean class accuracy: mean over classes of ``hits / count`` (recall per class).

    The mean runs over every class that occurs in ``labels`` **or** in the ``argmax`` predictions; a
    class that is only predicted (never a label) counts as 0. See :func:`balanced_accuracy` for the
    variant that leaves those out.
    """
    hit, count, predicted = _per_class_recall(scores, labels)
    seen = (count > 0) | (predicted > 0)
    recall = np.divide(hit, count, out=np.zeros_like(hit), where=count > 0)
    return float(recall[seen].mean())


def balanced_accuracy(scores: Any, labels: Any) -> float:
    """Mean recall over the classes that occur in ``labels`` (scikit-learn's ``balanced_accuracy_score``).

    Classes that are predicted but never a label are left out (unlike :func:`mean_class_accuracy`).
    """
    hit, count, _ = _per_class_recall(scores, labels)
    present = count > 0
    return float((hit[present] / count[present]).mean())


# ----------------------------------------------------------------------------------------------
# multi-label metrics


def average_precision(score: Any, positive: Any) -> float:
    """Average precision of one ranking: ``Σ_t (R_t - R_{t-1}) P_t`` over distinct score thresholds.

    ``score`` ``(M,)``, ``positive`` ``(M,)`` 0/1. Samples with equal scores enter together (one
    threshold), as in MMAction2 and scikit-learn. NaN when there is no positive.
    """
    s = np.asarray(_to_numpy(score), dtype=np.float64).reshape(-1)
    t = np.asarray(_to_numpy(positive)).reshape(-1) == 1
    if s.shape != t.shape:
        raise ValueError(f"score {s.shape} and positive {t.shape} differ in length")
    total = int(t.sum())
    if total == 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    last_of_group = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]  # last position of each distinct score
    tp = np.cumsum(t)[last_of_group]
    precision = tp / (last_of_group + 1)
    recall_gain = np.diff(np.r_[0, tp]) / total
    return float(np.sum(recall_gain * precision))


def mean_average_precision(scores: Any, labels: Any) -> float:
    """Mean over classes of the :func:`average_precision` of each class's column (MMAction2's mAP).

    ``scores`` ``(N, K)``, ``labels`` ``(N, K)`` multi-hot. Classes without a positive sample are
    left out; NaN if no class has one.
    """
    s = _scores_2d(scores)
    y = _multi_hot(labels, s.shape)
    aps = [average_precision(s[:, c], y[:, c]) for c in range(s.shape[1]) if y[:, c].any()]
    return float(np.mean(aps)) if aps else float("nan")


def mmit_mean_average_precision(scores: Any, labels: Any) -> float:
    """Multi-Moments-in-Time mAP: the :func:`average_precision` of each sample's row, averaged over samples.

    As in MMAction2, a sample without any positive label makes the result NaN.
    """
    s = _scores_2d(scores)
    y = _multi_hot(labels, s.shape)
    return float(np.mean([average_precision(s[i], y[i]) for i in range(s.shape[0])]))


# ----------------------------------------------------------------------------------------------
# accumulators


def _dist_active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _all_gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` ``(n_r, ...)`` of every rank (sizes may differ) in rank order."""
    device = torch.device("cpu")
    if dist.get_backend() == "nccl":
        device = torch.device("cuda", torch.cuda.current_device())
    world = dist.get_world_size()
    n = torch.tensor([x.shape[0]], dtype=torch.int64, device=device)
    sizes = [torch.zeros_like(n) for _ in range(world)]
    dist.all_gather(sizes, n)
    counts = [int(c.item()) for c in sizes]
    biggest = max(counts)
    padded = torch.zeros((biggest, *x.shape[1:]), dtype=x.dtype, device=device)
    padded[: x.shape[0]] = x.to(device)
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded)
    return torch.cat([p[:c] for p, c in zip(parts, counts)]).cpu()


class _GatheringMetric:
    """Collects (scores, labels, indices) rows; gathers them over ranks and de-duplicates by index."""

    def __init__(self, gather: bool = True) -> None:
        self.gather = gather
        self.reset()

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self._scores: list[torch.Tensor] = []
        self._labels: list[torch.Tensor] = []
        self._indices: list[torch.Tensor] = []
        self._with_indices: bool | None = None

    def _check_labels(self, labels: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def update(self, scores: Any, labels: Any, indices: Any = None) -> None:
        """Add one batch: ``scores`` ``(B, K)``, labels for those rows, and their dataset ``indices`` ``(B,)``.

        Pass ``indices`` whenever a ``DistributedSampler`` may pad the dataset (it repeats samples
        so every rank has the same count); they must be given for every batch or for none.
        """
        s = torch.as_tensor(_to_numpy(scores)).detach().cpu()
        if s.ndim != 2:
            raise ValueError(f"scores must be (B, K), got shape {tuple(s.shape)}")
        if self._scores and s.shape[1] != self._scores[0].shape[1]:
            raise ValueError(
                f"scores have {s.shape[1]} classes but earlier batches had {self._scores[0].shape[1]}"
            )
        y = self._check_labels(torch.as_tensor(_to_numpy(labels)).detach().cpu(), s)
        has = indices is not None
        if self._with_indices is not None and has != self._with_indices:
            raise ValueError("indices must be given for every batch or for none")
        self._with_indices = has
        if has:
            idx = torch.as_tensor(_to_numpy(indices)).detach().cpu().reshape(-1).to(torch.int64)
            if idx.shape[0] != s.shape[0]:
                raise ValueError(f"{idx.shape[0]} indices for a batch of {s.shape[0]} scores")
            self._indices.append(idx)
        self._scores.append(s.to(torch.float64))
        self._labels.append(y)

    def _gathered(self) -> tuple[np.ndarray, np.ndarray]:
        if self._scores:
            scores = torch.cat(self._scores)
            labels = torch.cat(self._labels)
        else:
            scores = torch.zeros((0, 0), dtype=torch.float64)
            labels = torch.zeros((0,), dtype=torch.int64)
        idx = torch.cat(self._indices) if self._indices else None
        if self.gather and _dist_active():
            # ranks that saw nothing still take part; agree on the class count and on indices first
            flag = -1 if self._with_indices is None else int(self._with_indices)
            meta = _all_gather_rows(
                torch.tensor([[scores.shape[0], scores.shape[1], flag]], dtype=torch.int64)
            )
            class_counts = {int(c) for n, c, _ in meta.tolist() if n > 0}
            if len(class_counts) > 1:
                raise ValueError(
                    f"ranks saw scores with different numbers of classes: {sorted(class_counts)}"
                )
            num_k = class_counts.pop() if class_counts else 0
            if scores.shape[0] == 0:
                scores = torch.zeros((0, num_k), dtype=torch.float64)
                labels = labels.reshape(0, *([num_k] if self._multi_label else []))
            flags = {int(f) for f in meta[:, 2].tolist()} - {-1}
            if len(flags) > 1:
                raise ValueError("some ranks passed indices to update() and others did not")
            with_idx = flags == {1}
            scores = _all_gather_rows(scores)
            labels = _all_gather_rows(labels)
            if with_idx:
                idx = _all_gather_rows(idx if idx is not None else torch.zeros((0,), dtype=torch.int64))
            else:
                idx = None
                warnings.warn(
                    "metric gathered over ranks without dataset indices: samples that DistributedSampler "
                    "pads are counted twice; pass indices=batch['index'] to update()",
                    stacklevel=3,
                )
        s_np, y_np = scores.numpy(), labels.numpy()
        if s_np.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.compute() called before any update()")
        if idx is not None:
            i_np = idx.numpy()
            uniq, first = np.unique(i_np, return_index=True)  # sorted by index, first occurrence kept
            if len(uniq) != len(i_np):
                inverse = np.searchsorted(uniq, i_np)
                if not np.array_equal(y_np[first][inverse], y_np):
                    raise ValueError("the same dataset index was reported with different labels")
            s_np, y_np = s_np[first], y_np[first]
            self._row_indices: np.ndarray | None = uniq
        else:
            self._row_indices = None
        return s_np, y_np

    _multi_label = False
    keep_rows = False

    def _with_rows(self, out: dict[str, Any], scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
        """With ``keep_rows``: the per-sample ``scores`` ``(N, K)``, ``labels`` and their dataset
        ``indices`` (ascending, de-duplicated over ranks; ``None`` without indices), for a score file."""
        if self.keep_rows:
            out["scores"], out["labels"] = scores, labels
            out["indices"] = getattr(self, "_row_indices", None)
        return out

    @property
    def num_samples(self) -> int:
        """Rows seen by this rank (before gathering and de-duplication)."""
        return sum(int(s.shape[0]) for s in self._scores)


class AccuracyMetric(_GatheringMetric):
    """Single-label accuracy over a dataset: ``top{k}`` for each ``k`` and ``mean_class_accuracy``.

    ``update(scores (B, K), labels (B,) int, indices (B,) | None)``; ``compute()`` returns
    ``{"top1": ..., "top5": ..., "mean_class_accuracy": ...}`` (MMAction2 logs the last as
    ``acc/mean1``). When distributed, ``compute()`` must be called on every rank, unless
    ``gather=False``, which evaluates this rank's samples only. ``detailed=True`` adds
    ``num_samples`` (after de-duplication) and ``confusion_matrix`` (int64 ``(K, K)``, rows true
    class, columns the top-1 prediction), as a test report needs; ``keep_rows=True`` adds the
    per-sample ``scores``, ``labels`` and dataset ``indices`` (for ``test --save-scores``).
    """

    def __init__(
        self,
        topk: int | Sequence[int] = (1, 5),
        *,
        mean_class: bool = True,
        gather: bool = True,
        detailed: bool = False,
        keep_rows: bool = False,
    ) -> None:
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)
        self.mean_class = mean_class
        self.detailed = detailed
        self.keep_rows = keep_rows
        super().__init__(gather)

    def _check_labels(self, labels: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        y = labels.reshape(-1)
        if y.shape[0] != scores.shape[0]:
            raise ValueError(f"{y.shape[0]} labels for a batch of {scores.shape[0]} scores")
        if y.is_floating_point():
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}")
        return y.to(torch.int64)

    def compute(self) -> dict[str, Any]:
        scores, labels = self._gathered()
        out = {f"top{k}": v for k, v in zip(self.topk, top_k_accuracy(scores, labels, self.topk))}
        if self.mean_class:
            out["mean_class_accuracy"] = mean_class_accuracy(scores, labels)
        if self.detailed:
            out["num_samples"] = int(scores.shape[0])
            out["confusion_matrix"] = np.asarray(
                confusion_matrix(scores.argmax(1), labels, num_classes=scores.shape[1])
            )
        return self._with_rows(out, scores, labels)


class MeanAPMetric(_GatheringMetric):
    """Multi-label mean average precision over a dataset.

    ``update(scores (B, K), labels (B, K) multi-hot, indices (B,) | None)``. ``compute()`` returns
    ``{"mean_average_precision": ...}`` and, with ``mmit=True``, also
    ``"mmit_mean_average_precision"`` (per-sample AP; NaN if a sample has no positive).
    ``gather`` as in :class:`AccuracyMetric`.
    """

    _multi_label = True

    def __init__(
        self, *, mmit: bool = False, gather: bool = True, detailed: bool = False, keep_rows: bool = False
    ) -> None:
        self.mmit = mmit
        self.detailed = detailed
        self.keep_rows = keep_rows
        super().__init__(gather)

    def _check_labels(self, labels: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if labels.shape != scores.shape:
            raise ValueError(
                f"multi-hot labels must have the scores' shape {tuple(scores.shape)}, got {tuple(labels.shape)}"
            )
        return labels.to(torch.int64)

    def compute(self) -> dict[str, Any]:
        scores, labels = self._gathered()
        out = {"mean_average_precision": mean_average_precision(scores, labels)}
        if self.mmit:
            out["mmit_mean_average_precision"] = mmit_mean_average_precision(scores, labels)
        if self.detailed:
            out["num_samples"] = int(scores.shape[0])
        return self._with_rows(out, scores, labels)
