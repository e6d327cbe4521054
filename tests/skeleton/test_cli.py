"""The ``vidcore-skeleton`` verbs end to end on tiny inputs: models, convert (an MMAction2-keyed
checkpoint), train + test through the shared experiment layer (score file written), fuse, infer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.scores import read_scores, write_scores
from vidcore.data.synth_skeleton import SkeletonSynthConfig, render_skeleton_dataset
from vidcore.skeleton.cli import main
from vidcore.skeleton.registry import get_model


def test_models_lists_presets_with_parameter_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "stgcnpp_joint_80e_ntu60_xsub_keypoint_2d", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["params"] == 1_393_016 and row["layout"] == "coco/spatial" and row["num_classes"] == 60


def test_convert_an_mmaction_keyed_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = get_model("stgcn_joint_synth_coco_2d", num_classes=4)
    sd = {("cls_head." + k[5:] if k.startswith("head.") else k): v for k, v in model.state_dict().items()}
    torch.save({"state_dict": sd, "meta": {}}, tmp_path / "mm.pth")
    out = tmp_path / "vc.pth"
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(out), "--preset", "stgcn_joint_synth_coco_2d"]) == 0
    assert "(4 classes)" in capsys.readouterr().out
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(out), "--preset", "agcn_joint_80e_ntu60_xsub_keypoint_2d"]) == 1
    assert "does not fit" in capsys.readouterr().err


def test_fuse_prints_the_fused_top1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_scores(tmp_path / "j.npz", [[0.6, 0.4], [0.3, 0.7], [0.9, 0.1]], [1, 1, 0], ["x", "y", "z"])
    b = write_scores(tmp_path / "b.npz", [[0.1, 0.9], [0.4, 0.6], [0.2, 0.8]], [1, 1, 0], ["x", "y", "z"])
    # j: hits y, z (2/3); b: hits x, y (2/3); j + b = [0.7 1.3] [0.7 1.3] [1.1 0.9] -> all hit
    assert main(["fuse", str(a), str(b), "--json", "--out", str(tmp_path / "f.npz")]) == 0
    res = json.loads(capsys.readouterr().out)
    assert [r["top1"] for r in res["inputs"]] == pytest.approx([2 / 3, 2 / 3]) and res["fused"]["top1"] == 1.0
    np.testing.assert_allclose(read_scores(tmp_path / "f.npz").scores[2], [1.1, 0.9], atol=1e-6)
    assert main(["fuse", str(a), str(b), "--weights", "1"]) == 2
    assert "2 score sets but 1 weights" in capsys.readouterr().err


def test_train_test_infer_on_a_tiny_synthetic_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    render_skeleton_dataset(
        tmp_path / "data",
        SkeletonSynthConfig(samples_per_class=3, motions=("jump", "squat"), min_frames=16, max_frames=20),
    )
    pkl = tmp_path / "data" / "skeleton.pkl"
    cfg = tmp_path / "exp.py"
    cfg.write_text(
        "from vidcore.core.trainer import TrainerConfig\n"
        "from vidcore.skeleton.experiment import DataConfig, Experiment, ModelConfig\n"
        f"config = Experiment(model=ModelConfig('stgcn_joint_synth_coco_2d', num_classes=2),\n"
        f"    data=DataConfig(annotations={str(pkl)!r}, test_num_clips=2),\n"
        "    trainer=TrainerConfig(max_epochs=1, batch_size=2, num_workers=0, progress_bar=False))\n"
    )
    run = tmp_path / "run"
    assert main(["train", str(cfg), "--work-dir", str(run)]) == 0
    assert (run / "config.json").is_file() and (run / "best.pth").is_file()
    capsys.readouterr()
    assert main(["test", str(run), "--out", str(tmp_path / "test"), "--json", "--no-progress"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    scores = read_scores(tmp_path / "test" / "scores.npz")
    assert len(scores) == 2 and scores.num_classes == 2  # one val sequence per motion
    top1 = float((scores.scores.argmax(1) == scores.labels).mean())
    assert res["top1"] == pytest.approx(top1)
    np.testing.assert_allclose(scores.scores.sum(1), 1.0, atol=1e-5)  # mean of softmax over clips
    assert main(["infer", str(pkl), "--preset", "stgcn_joint_synth_coco_2d", "--checkpoint", str(run / "best.pth"),
                 "--split", "val", "--topk", "1", "--json"]) == 0  # fmt: skip
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["frame_dir"] for r in rows] == scores.sample_ids
    for r, s in zip(rows, scores.scores, strict=True):
        assert r["topk"][0]["class"] == int(s.argmax())  # infer agrees with test, sample by sample
