"""Score files and their fusion (vidcore.core.scores): round trip, hand-computed fusion, alignment by
sample id, refusals, and MMAction2's real per-stream result pickles (joint.pkl / bone.pkl) with the
fused accuracy recomputed independently with plain numpy."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.scores import ScoreFileError, ScoreSet, fuse, read_scores, write_scores


def test_round_trip(tmp_path: Path) -> None:
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.4, 0.6]], dtype=np.float32)
    p = write_scores(tmp_path / "a", torch.from_numpy(scores), [1, 0, 0], ["x", "y", "z"], class_names=["c0", "c1"])
    assert p.name == "a.npz"
    s = read_scores(p)
    np.testing.assert_array_equal(s.scores, scores)
    assert s.labels.tolist() == [1, 0, 0] and s.sample_ids == ["x", "y", "z"]
    assert s.class_names == ["c0", "c1"] and s.kind == "prob"


def test_fusion_by_hand(tmp_path: Path) -> None:
    # sample:      0           1           2          3
    a = [[0.6, 0.4], [0.6, 0.4], [0.1, 0.9], [0.3, 0.7]]  # argmax 0 0 1 1
    b = [[0.0, 1.0], [0.9, 0.1], [0.7, 0.3], [0.2, 0.8]]  # argmax 1 0 0 1 (every one a hit)
    labels = [1, 0, 0, 1]
    fa = write_scores(tmp_path / "a.npz", a, labels, ["s0", "s1", "s2", "s3"])
    # b lists its samples in another order: fusion matches them by id
    order = [2, 0, 3, 1]
    fb = write_scores(tmp_path / "b.npz", [b[i] for i in order], [labels[i] for i in order], [f"s{i}" for i in order])
    r = fuse([fa, fb])
    # a: hits on s1, s3 -> 2/4; b: hits on all four -> 4/4
    assert [x.top1 for x in r.inputs] == [0.5, 1.0]
    # a + b: [0.6, 1.4] [1.5, 0.5] [0.8, 1.2] [0.5, 1.5] -> 1 0 1 1 -> hits s0, s1, s3
    assert r.fused.top1 == 0.75
    # mean class accuracy of the fusion: class 0: s1 hit, s2 miss -> 1/2; class 1: 2/2 -> (0.5 + 1) / 2
    assert r.fused.mean_class_accuracy == 0.75
    np.testing.assert_allclose(r.scores[2], [0.8, 1.2], atol=1e-6)
    # weights 3:1 favour a: [1.8, 2.2] [2.7, 1.3] [1.0, 3.0] [1.1, 2.9] -> 1 0 1 1, the same hits
    assert fuse([fa, fb], [3, 1]).fused.top1 == 0.75
    # weights 1:0 reproduce a alone
    assert fuse([fa, fb], [1, 0]).fused.top1 == 0.5
    assert fuse([fa, fb], [0, 1]).fused.top1 == 1.0


def test_refusals(tmp_path: Path) -> None:
    fa = write_scores(tmp_path / "a.npz", [[0.5, 0.5], [0.2, 0.8]], [0, 1], ["s0", "s1"])
    fb = write_scores(tmp_path / "b.npz", [[0.5, 0.5], [0.2, 0.8]], [0, 1], ["s0", "s9"])
    with pytest.raises(ScoreFileError, match="score different samples"):
        fuse([fa, fb])
    fc = write_scores(tmp_path / "c.npz", [[0.5, 0.5], [0.2, 0.8]], [1, 1], ["s0", "s1"])
    with pytest.raises(ScoreFileError, match="disagree on the label of sample s0"):
        fuse([fa, fc])
    with pytest.raises(ScoreFileError, match="2 score sets but 3 weights"):
        fuse([fa, fa], [1, 1, 1])
    with pytest.raises(ScoreFileError, match="expected scores of shape"):
        ScoreSet(np.zeros(3), np.zeros(3), ["a", "b", "c"])
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")
    with pytest.raises(ScoreFileError, match=r"refers to os\.system"):
        read_scores(evil)
    with pytest.raises(ScoreFileError, match="no such score file"):
        read_scores(tmp_path / "none.npz")


def test_mmaction_stream_pickles_fuse_as_numpy_says(conformance_root: Path) -> None:
    """MMAction2's joint/bone result pickles (60 samples, 120 classes): per-stream and 1:1 fused
    top-1 equal an independent numpy computation on the same numbers."""
    folder = conformance_root / "demo" / "fuse"
    joint, bone = folder / "joint.pkl", folder / "bone.pkl"
    if not joint.is_file():
        pytest.skip(f"no {joint}")

    def plain(path: Path) -> tuple[np.ndarray, np.ndarray]:
        with open(path, "rb") as fh:  # the fixture is trusted here: plain pickle, independent of ours
            items = pickle.load(fh)
        return (
            np.stack([it["pred_score"].numpy() for it in items]).astype(np.float64),
            np.array([int(it["gt_label"].item()) for it in items]),
        )

    sj, labels = plain(joint)
    sb, labels_b = plain(bone)
    assert (labels == labels_b).all() and sj.shape == (60, 120)
    expected_j = float((sj.argmax(1) == labels).mean())
    expected_b = float((sb.argmax(1) == labels).mean())
    expected_fused = float(((sj + sb).argmax(1) == labels).mean())
    expected_weighted = float(((2 * sj + sb).argmax(1) == labels).mean())

    r = fuse([joint, bone])
    assert [x.top1 for x in r.inputs] == pytest.approx([expected_j, expected_b], abs=1e-12)
    assert r.fused.top1 == pytest.approx(expected_fused, abs=1e-12)
    assert fuse([joint, bone], [2, 1]).fused.top1 == pytest.approx(expected_weighted, abs=1e-12)
    assert 0 < r.fused.top1 <= 1 and r.sample_ids[:2] == ["0", "1"]
    # the pickle converts to our format and fuses the same
    s = read_scores(joint)
    np.testing.assert_allclose(s.scores, sj, rtol=0, atol=1e-7)
