"""THUMOS14 temporal annotations (per-class txt files) read into ActivityNet records, on a
hand-written folder; malformed lines named with file and line; the evaluation takes the records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidcore.data.annotations.activitynet import Segment
from vidcore.data.annotations.thumos14 import (
    read_thumos14_annotations,
    read_thumos14_file,
    read_thumos14_segments,
)
from vidcore.data.annotations.zoo import read_thumos14_folder
from vidcore.data.errors import AnnotationError


def _folder(root: Path) -> Path:
    d = root / "annotations_val"
    d.mkdir()
    (d / "BaseballPitch_val.txt").write_text(
        "video_validation_0000051 67.5 75.9\nvideo_validation_0000051 85.9 90.6\n\nvideo_validation_0000052 2.2 3.0\n"
    )
    (d / "CliffDiving_val.txt").write_text("video_validation_0000051  10.0\t12.5\n")
    (d / "Ambiguous_val.txt").write_text("video_validation_0000052 7.0 9.5\n")
    (d / "README.txt").write_text("not an annotation file\n")
    return d


def test_records_by_hand(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    segments, classes, ambiguous = read_thumos14_segments(d)
    assert classes == ["BaseballPitch", "CliffDiving"]
    assert [(s.video, s.start, s.end, s.label, s.source[1]) for s in segments] == [
        ("video_validation_0000051", 67.5, 75.9, "BaseballPitch", 1),
        ("video_validation_0000051", 85.9, 90.6, "BaseballPitch", 2),
        ("video_validation_0000052", 2.2, 3.0, "BaseballPitch", 4),
        ("video_validation_0000051", 10.0, 12.5, "CliffDiving", 1),
    ]
    assert [(a.video, a.start, a.end) for a in ambiguous] == [("video_validation_0000052", 7.0, 9.5)]
    recs = read_thumos14_annotations(d, {"video_validation_0000051": 120.0}, fps=30.0)
    assert [r.video_name for r in recs] == ["video_validation_0000051", "video_validation_0000052"]
    a, b = recs
    assert a.segments == (Segment(10.0, 12.5, "CliffDiving"), Segment(67.5, 75.9, "BaseballPitch"),
                          Segment(85.9, 90.6, "BaseballPitch"))  # fmt: skip
    assert a.duration_second == 120.0 and a.duration_frame == 3600 and a.subset == "validation"
    assert b.duration_second == 3.0  # no duration given: the latest segment end
    assert a.source == (str(d / "BaseballPitch_val.txt"), 1)
    np.testing.assert_allclose(a.normalized_segments()[0], [10.0 / 120, 12.5 / 120], rtol=1e-6)
    # the list builder of vidcore-data reads the same files through the same parser
    lists, list_classes = read_thumos14_folder(d)
    assert list_classes == classes
    assert [(r.path, r.labels) for r in lists] == [("video_validation_0000051.mp4", (0, 1)),
                                                   ("video_validation_0000052.mp4", (0,))]  # fmt: skip


def test_test_subset_and_evaluation(tmp_path: Path) -> None:
    from vidcore.localization.evaluation import mean_average_precision

    d = tmp_path / "test"
    d.mkdir()
    (d / "HighJump_test.txt").write_text("video_test_0000004 10 20\n")
    recs = read_thumos14_annotations(d, {"video_test_0000004": 40.0})
    assert recs[0].subset == "testing"
    gt = {r.video_name: r.segments for r in recs}
    # one prediction around [10, 20] at tIoU 10/12 = 0.833: AP 1 at tIoU 0.5..0.8, 0 from 0.85
    preds = {"video_test_0000004": [Segment(9.0, 21.0, "HighJump", 0.9)]}
    res = mean_average_precision(gt, preds)
    np.testing.assert_array_equal(res.mAP, [1.0] * 7 + [0.0] * 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("video_validation_0000051 67.5\n", "expected 'video start end'"),
        ("video_validation_0000051 6x 7\n", "start (seconds)"),
        ("video_validation_0000051 8 7\n", "0 <= start <= end"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    d = tmp_path / "a"
    d.mkdir()
    f = d / "Diving_val.txt"
    f.write_text("video_validation_0000001 1 2\n" + text)
    with pytest.raises(AnnotationError) as err:
        read_thumos14_file(f)
    assert "Diving_val.txt" in str(err.value) and ":2" in str(err.value) and message in str(err.value)
    with pytest.raises(AnnotationError, match=r"Diving_val\.txt"):
        read_thumos14_annotations(d)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="expected a folder"):
        read_thumos14_annotations(tmp_path / "missing")
    with pytest.raises(AnnotationError, match=r"no <Class>_val\.txt"):
        read_thumos14_annotations(tmp_path)
    with pytest.raises(AnnotationError, match=r"<Class>_val\.txt or <Class>_test\.txt"):
        read_thumos14_file(tmp_path / "notes.txt")
    (tmp_path / "A_val.txt").write_text("v 1 2\n")
    (tmp_path / "A_test.txt").write_text("v 3 4\n")
    with pytest.raises(AnnotationError, match="both the val and test files"):
        read_thumos14_annotations(tmp_path)
