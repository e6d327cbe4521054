"""``AccuracyMetric(keep_rows=True)`` (what ``test --save-scores`` uses): per-sample rows come back
in dataset-index order, de-duplicated, next to the same accuracy the plain metric gives."""

from __future__ import annotations

import numpy as np
import torch

from vidcore.core.metrics import AccuracyMetric


def test_rows_in_index_order_and_accuracy_unchanged() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    labels = torch.tensor([1, 1, 0, 0])
    indices = torch.tensor([3, 0, 2, 1])
    keep, plain = AccuracyMetric((1,), detailed=True, keep_rows=True), AccuracyMetric((1,), detailed=True)
    for m in (keep, plain):
        m.update(scores[:2], labels[:2], indices[:2])
        m.update(scores[2:], labels[2:], indices[2:])
        m.update(scores[:1], labels[:1], indices[:1])  # a padded repeat (DistributedSampler)
    out = keep.compute()
    assert out["top1"] == plain.compute()["top1"] == 0.5  # index 3 right, 0 wrong, 2 wrong, 1 right
    np.testing.assert_array_equal(out["indices"], [0, 1, 2, 3])
    np.testing.assert_allclose(out["scores"], scores[[1, 3, 2, 0]].double().numpy())
    np.testing.assert_array_equal(out["labels"], [1, 0, 0, 1])


def test_classification_lines_print_percentages_and_the_skipped_count() -> None:
    from vidcore.core.experiment import classification_lines

    lines = classification_lines({"top1": 0.5, "mean_class_accuracy": 0.125, "num_samples": 8, "num_skipped": 2},
                                 unit="videos")  # fmt: skip
    assert [line.strip() for line in lines] == [
        "top-1 accuracy:  50.00 %",
        "mean class accuracy:  12.50 %",
        "videos: 8 (2 unreadable, skipped)",
    ]
    assert classification_lines({"top5": 1.0})[-1].strip() == "samples: ?"
