"""Proposals labelled with video-level class scores (a recognition score file) and scored by the
detection mAP: a hand-computed case through the function and the `eval` command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from vidcore.core.scores import write_scores
from vidcore.data.annotations.activitynet import Segment
from vidcore.localization.classify import classify_proposals, read_video_scores, video_id_of
from vidcore.localization.cli import main

GT = {
    "v_a": {"duration_second": 60.0, "subset": "validation", "annotations": [{"segment": [10.0, 20.0], "label": "jump"}]},
    "v_b": {"duration_second": 60.0, "subset": "validation", "annotations": [{"segment": [5.0, 15.0], "label": "wave"}]},
}
PROPOSALS = {
    "v_a": [{"segment": [10.0, 20.0], "score": 0.9}, {"segment": [30.0, 35.0], "score": 0.5}],
    "v_b": [{"segment": [5.0, 15.0], "score": 0.4}, {"segment": [0.0, 2.0], "score": 0.8}],
}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "gt.json").write_text(json.dumps(GT))
    (tmp_path / "proposals.json").write_text(json.dumps({"results": PROPOSALS}))
    # v_a as probabilities; v_b as logits [0, ln 3] -> softmax [0.25, 0.75]; ids are video paths
    # without the v_ prefix for v_a (ids with and without it match)
    write_scores(tmp_path / "probs.npz", [[0.8, 0.2]], [0], ["videos/a.mp4"], class_names=["jump", "wave"])
    write_scores(tmp_path / "logits.npz", [[0.0, math.log(3.0)]], [1], ["videos/v_b.mp4"], kind="logit",
                 class_names=["jump", "wave"])  # fmt: skip
    return tmp_path


def test_classify_by_hand(files: Path) -> None:
    scores = {**read_video_scores(files / "probs.npz"), **read_video_scores(files / "logits.npz")}
    np.testing.assert_allclose(scores["v_b"][0], [0.25, 0.75], rtol=1e-6)
    props = {v: [Segment(*p["segment"], "", p["score"]) for p in ps] for v, ps in PROPOSALS.items()}
    dets = classify_proposals(props, scores)
    got = {v: [(d.start, d.end, d.label, round(d.score, 6)) for d in ds] for v, ds in dets.items()}
    assert got == {
        "v_a": [(10.0, 20.0, "jump", 0.72), (30.0, 35.0, "jump", 0.4)],  # 0.9 x 0.8, 0.5 x 0.8
        "v_b": [(0.0, 2.0, "wave", 0.6), (5.0, 15.0, "wave", 0.3)],  # 0.8 x 0.75, 0.4 x 0.75
    }
    two = classify_proposals({"v_b": np.array([[5.0, 15.0, 0.4]])}, scores, top_k=2)["v_b"]
    assert [(d.label, round(d.score, 6)) for d in two] == [("wave", 0.3), ("jump", 0.1)]
    with pytest.raises(KeyError, match="v_c"):
        classify_proposals({"v_c": np.zeros((0, 3))}, scores)
    assert video_id_of("a/b/v_x.mp4") == "v_x" and video_id_of("C:\\data\\v_y.avi") == "v_y"


def test_eval_with_video_scores(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # jump: 0.72 TP, 0.4 FP -> AP 1; wave: 0.6 FP, then 0.3 TP -> precision 1/2 at recall 1 -> AP 0.5;
    # the matches are exact, so every tIoU threshold gives mAP 0.75
    probs = np.array([[0.8, 0.2], [0.25, 0.75]])
    write_scores(files / "both.npz", probs, [0, 1], ["videos/a.mp4", "videos/v_b.mp4"], class_names=["jump", "wave"])
    out = files / "dets.json"
    argv = ["eval", str(files / "gt.json"), str(files / "proposals.json"), "--video-scores", str(files / "both.npz"),
            "--save-detections", str(out), "--json"]  # fmt: skip
    assert main(argv) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["average_mAP"] == pytest.approx(0.75) and numbers["mAP@0.95"] == pytest.approx(0.75)
    assert numbers["AR@100"] == pytest.approx(1.0)  # the proposals themselves are still scored
    saved = json.loads(out.read_text())["results"]
    assert saved["v_a"][0] == {"segment": [10.0, 20.0], "label": "jump", "score": pytest.approx(0.72)}
    # the saved detections, evaluated as labelled results, give the same mAP
    assert main(["eval", str(files / "gt.json"), str(out), "--task", "detection", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["average_mAP"] == pytest.approx(0.75)
    # a ground-truth video missing from the score file is an error naming it
    assert main(["eval", str(files / "gt.json"), str(files / "proposals.json"),
                 "--video-scores", str(files / "probs.npz")]) == 1  # fmt: skip
    assert "'v_b'" in capsys.readouterr().err
