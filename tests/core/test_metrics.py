"""Metrics against hand-computed values and brute-force definitions, plus a real 2-process gloo gather."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.metrics import (
    AccuracyMetric,
    MeanAPMetric,
    average_precision,
    balanced_accuracy,
    confusion_matrix,
    mean_average_precision,
    mean_class_accuracy,
    mmit_mean_average_precision,
    top_k_accuracy,
)

# ---------------------------------------------------------------- independent references


def brute_top_k(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    hits = 0
    for row, label in zip(scores.tolist(), labels.tolist()):
        order = sorted(range(len(row)), key=lambda c: (-row[c], c))  # score desc, then lower index
        hits += label in order[:k]
    return hits / len(labels)


def brute_ap(score: list[float], positive: list[int]) -> float:
    """AP = mean over positives i of precision at threshold score_i (ties enter together)."""
    pos = [s for s, p in zip(score, positive) if p]
    if not pos:
        return float("nan")
    total = 0.0
    for t in pos:
        selected = [p for s, p in zip(score, positive) if s >= t]
        total += sum(selected) / len(selected)
    return total / len(pos)


# ---------------------------------------------------------------- top-k


def test_top_k_by_hand() -> None:
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    labels = np.array([1, 1, 0, 2])
    # ranks of the labels: 0, 1, 2, 2 -> top1 1/4, top2 2/4, top3 4/4
    assert top_k_accuracy(scores, labels, (1, 2, 3)) == [0.25, 0.5, 1.0]
    assert top_k_accuracy(scores, labels, 5) == [1.0]  # k beyond K


def test_top_k_ties_lower_index_first() -> None:
    scores = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.2, 0.2, 0.2]])
    # row 0 label 0 ranks first; row 1 label 1 ranks second (class 0 ties and has a lower index);
    # row 2 label 2 ranks third among three tied classes
    labels = np.array([0, 1, 2])
    assert top_k_accuracy(scores, labels, (1, 2, 3)) == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_top_k_agrees_with_brute_force_on_tied_integers() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(60, 7)).astype(float)  # many ties
    labels = rng.integers(0, 7, size=60)
    got = top_k_accuracy(torch.from_numpy(scores), torch.from_numpy(labels), (1, 2, 3, 5))
    assert got == pytest.approx([brute_top_k(scores, labels, k) for k in (1, 2, 3, 5)])


def test_top_k_nan_ranks_last_and_single_class() -> None:
    scores = np.array([[np.nan, 0.1], [np.nan, 0.1]])
    assert top_k_accuracy(scores, [0, 1], (1,)) == [0.5]
    assert top_k_accuracy(np.array([[0.3], [-2.0]]), [0, 0], (1, 5)) == [1.0, 1.0]


def test_top_k_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="out of range"):
        top_k_accuracy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        top_k_accuracy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="non-empty"):
        top_k_accuracy(np.zeros((0, 3)), [])
    with pytest.raises(ValueError, match="integer"):
        top_k_accuracy(np.zeros((2, 3)), [0.5, 1.0])


# ---------------------------------------------------------------- class-averaged accuracies


def test_mean_class_accuracy_counts_only_predicted_class_as_zero() -> None:
    # labels 0,0,1,1 ; predictions 0,2,1,1 ; class 2 is only predicted; classes 3, 4 never occur
    scores = np.eye(5)[[0, 2, 1, 1]]
    labels = np.array([0, 0, 1, 1])
    # recalls: class 0 1/2, class 1 2/2, class 2 (predicted only) 0 -> mean over 3 classes
    assert mean_class_accuracy(scores, labels) == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    # balanced accuracy leaves class 2 out
    assert balanced_accuracy(scores, labels) == pytest.approx((0.5 + 1.0) / 2)


def test_class_accuracies_with_ties_use_argmax_and_single_class() -> None:
    scores = np.array([[0.5, 0.5], [0.5, 0.5]])  # argmax -> class 0 for both
    assert mean_class_accuracy(scores, [0, 1]) == pytest.approx(0.5)  # class 0: 1/1, class 1: 0/1
    assert mean_class_accuracy(np.ones((3, 1)), [0, 0, 0]) == 1.0
    assert balanced_accuracy(np.ones((3, 1)), [0, 0, 0]) == 1.0


def test_confusion_matrix() -> None:
    cm = confusion_matrix([0, 2, 1, 1], [0, 0, 1, 2], num_classes=4)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[0, 0] = expected[0, 2] = expected[1, 1] = expected[2, 1] = 1
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(confusion_matrix([0, 2, 1, 1], [0, 0, 1, 2]), expected[:3, :3])
    rows = confusion_matrix([0, 2, 1, 1], [0, 0, 1, 2], num_classes=4, normalize="true")
    np.testing.assert_allclose(rows[0], [0.5, 0, 0.5, 0])
    np.testing.assert_allclose(rows[3], 0)  # 0/0 -> 0
    cols = confusion_matrix([0, 2, 1, 1], [0, 0, 1, 2], normalize="pred")
    np.testing.assert_allclose(cols[:, 1], [0, 0.5, 0.5])
    np.testing.assert_allclose(confusion_matrix([0, 1], [0, 0], normalize="all"), [[0.5, 0.5], [0, 0]])
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix([0, 5], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="normalize"):
        confusion_matrix([0], [0], normalize="rows")  # type: ignore[arg-type]


# ---------------------------------------------------------------- average precision


def test_average_precision_by_hand() -> None:
    # ranking 1 0 1 0: precision at the positives 1/1 and 2/3 -> AP = (1 + 2/3) / 2
    assert average_precision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == pytest.approx(5 / 6)
    # ties: the 0.5 group (one positive, one negative) enters at once after a negative at 0.9
    assert average_precision([0.9, 0.5, 0.5], [0, 1, 0]) == pytest.approx(1 / 3)
    assert math.isnan(average_precision([0.1, 0.2], [0, 0]))


def test_average_precision_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        s = rng.integers(0, 5, size=12).astype(float)
        p = rng.integers(0, 2, size=12)
        p[0] = 1
        assert average_precision(s, p) == pytest.approx(brute_ap(s.tolist(), p.tolist()))


def test_mean_average_precision_skips_classes_without_positives() -> None:
    scores = np.array([[0.9, 0.1, 0.3], [0.8, 0.7, 0.2], [0.7, 0.2, 0.1], [0.6, 0.9, 0.4]])
    labels = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 0]])
    # class 0 column: ranking 1 0 1 0 -> 5/6; class 1: scores .1 .7 .2 .9 -> order (3, 1, 2, 0),
    # positive (sample 1) at rank 2 -> 1/2; class 2 has no positive and is left out
    assert mean_average_precision(scores, labels) == pytest.approx((5 / 6 + 1 / 2) / 2)
    assert math.isnan(mean_average_precision(scores, np.zeros_like(labels)))
    with pytest.raises(ValueError, match="only 0 and 1"):
        mean_average_precision(scores, labels * 2)


def test_mmit_map_per_sample_and_nan() -> None:
    scores = np.array([[0.9, 0.1, 0.3], [0.8, 0.7, 0.2]])
    labels = np.array([[0, 0, 1], [1, 0, 1]])
    # sample 0: class 2 ranks 2nd -> 1/2; sample 1: ranking (0, 1, 2) = 1 0 1 -> (1 + 2/3) / 2
    assert mmit_mean_average_precision(scores, labels) == pytest.approx((0.5 + 5 / 6) / 2)
    labels[0] = 0
    assert math.isnan(mmit_mean_average_precision(scores, labels))


# ---------------------------------------------------------------- accumulators (one process)


def test_accuracy_metric_accumulates_and_deduplicates() -> None:
    # 10 samples, 6 classes; each row ranks the classes in the order given (score 6, 5, ..., 1)
    orders = [
        [0, 1, 2, 3, 4, 5],  # label 0: top-1 hit
        [2, 1, 0, 3, 4, 5],  # label 1: top-1 miss (2), top-3 hit
        [2, 0, 1, 3, 4, 5],  # label 2: hit
        [0, 1, 2, 3, 4, 5],  # label 3: miss (0), top-3 miss
        [4, 0, 1, 2, 3, 5],  # label 4: hit
        [1, 5, 0, 2, 3, 4],  # label 5: miss (1), top-3 hit
        [1, 0, 2, 3, 4, 5],  # label 0: miss (1), top-3 hit
        [1, 0, 2, 3, 4, 5],  # label 1: hit
        [3, 4, 5, 2, 0, 1],  # label 2: miss (3), top-3 miss
        [0, 1, 2, 3, 4, 5],  # label 0: hit
    ]
    scores = np.zeros((10, 6))
    for i, order in enumerate(orders):
        scores[i, order] = np.arange(6, 0, -1)
    labels = np.array([0, 1, 2, 3, 4, 5, 0, 1, 2, 0])
    m = AccuracyMetric(topk=(1, 3))
    m.update(torch.from_numpy(scores[:6]), torch.from_numpy(labels[:6]), indices=torch.arange(6))
    m.update(scores[6:], labels[6:], indices=np.arange(6, 10))
    m.update(scores[[0, 1]], labels[[0, 1]], indices=[0, 1])  # padding repeats samples 0 and 1
    out = m.compute()
    # top-1 hits: samples 0, 2, 4, 7, 9; top-3 misses: samples 3 and 8. Recall per class:
    # 0: 2/3 (samples 0, 9 of 0, 6, 9), 1: 1/2, 2: 1/2, 3: 0/1, 4: 1/1, 5: 0/1 -> mean 8/3 / 6 = 4/9
    assert out == pytest.approx({"top1": 5 / 10, "top3": 8 / 10, "mean_class_accuracy": 4 / 9})
    m.reset()
    with pytest.raises(ValueError, match="before any update"):
        m.compute()


def test_accuracy_metric_errors() -> None:
    m = AccuracyMetric()
    m.update(np.zeros((2, 3)), [0, 1], indices=[0, 1])
    with pytest.raises(ValueError, match="every batch or for none"):
        m.update(np.zeros((1, 3)), [2])
    with pytest.raises(ValueError, match="classes"):
        m.update(np.zeros((1, 4)), [2], indices=[2])
    m.update(np.zeros((1, 3)), [2], indices=[0])  # index 0 again, but with another label
    with pytest.raises(ValueError, match="different labels"):
        m.compute()


def test_mean_ap_metric() -> None:
    scores = np.array([[0.9, 0.1, 0.3], [0.8, 0.7, 0.2], [0.7, 0.2, 0.1], [0.6, 0.9, 0.4]])
    labels = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    m = MeanAPMetric(mmit=True)
    m.update(scores[:3], labels[:3], indices=[0, 1, 2])
    m.update(scores[2:], labels[2:], indices=[2, 3])
    out = m.compute()
    assert out["mean_average_precision"] == pytest.approx(mean_average_precision(scores, labels))
    assert out["mmit_mean_average_precision"] == pytest.approx(mmit_mean_average_precision(scores, labels))


# ---------------------------------------------------------------- two processes over gloo


def test_two_process_gloo_gather_drops_sampler_padding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch.multiprocessing as mp

    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # spawned children inherit sys.path
    worker = importlib.import_module("_vidcore_core_ddp_worker")
    mp.start_processes(
        worker.run,
        args=(2, str(tmp_path / "store"), str(tmp_path)),
        nprocs=2,
        join=True,
        start_method="spawn",
    )
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    scores, labels, multi_hot = worker.dataset()
    seen = results[0]["indices"] + results[1]["indices"]
    assert len(seen) == 8 and sorted(set(seen)) == list(range(7))  # the sampler padded one sample
    expected = {
        "top1": brute_top_k(scores, labels, 1),
        "top2": brute_top_k(scores, labels, 2),
        # labels 1, 3, 0, 2, 2, 3, 2 and argmax 2, 0, 2, 0, 0, 2, 2 (the worker's seed-123 data):
        # recall per class 0: 0/1, 1: 0/1, 2: 1/3 (sample 6), 3: 0/2 -> mean (1/3) / 4
        "mean_class_accuracy": 1 / 12,
    }
    padded = np.array(seen)
    with_dup = {
        "top1": brute_top_k(scores[padded], labels[padded], 1),
        "top2": brute_top_k(scores[padded], labels[padded], 2),
    }
    for r in results:
        assert r["acc"] == pytest.approx(expected)
        assert r["map"]["mean_average_precision"] == pytest.approx(mean_average_precision(scores, multi_hot))
        assert r["map"]["mmit_mean_average_precision"] == pytest.approx(
            mmit_mean_average_precision(scores, multi_hot)
        )
        # without indices the padded sample is counted twice, and the metric warns about it
        assert r["warned"]
        assert {k: r["no_index"][k] for k in with_dup} == pytest.approx(with_dup)
        assert r["lonely_acc"] == pytest.approx({"top1": expected["top1"]})
        assert r["lonely_map"]["mean_average_precision"] == pytest.approx(
            mean_average_precision(scores, multi_hot)
        )
        # gather=False: this rank's own (de-duplicated) samples only
        own = np.unique(r["indices"])
        assert r["local"] == pytest.approx(
            {
                "top1": brute_top_k(scores[own], labels[own], 1),
                "top2": brute_top_k(scores[own], labels[own], 2),
            }
        )


def test_half_precision_tensors_are_accepted() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2]], dtype=torch.bfloat16)
    assert top_k_accuracy(scores, torch.tensor([1, 1]), (1,)) == [0.5]
    m = AccuracyMetric(topk=(1,))
    m.update(scores.half(), torch.tensor([1, 0]), indices=torch.tensor([0, 1]))
    assert m.compute()["top1"] == 1.0
