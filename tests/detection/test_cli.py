"""The ``vidcore-detection`` verbs on a tiny synthetic AVA-format set: models, convert, eval,
train + test (the core experiment layer), infer; and the batch/collate path from vidcore-data's
AVADataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from vidcore.data.synth_detection import SynthDetectionConfig, render_detection_set
from vidcore.detection.cli import main


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = SynthDetectionConfig(train_videos=2, val_videos=2, seconds=3, fps=8, height=64, width=96, seed=1)
    return render_detection_set(tmp_path_factory.mktemp("synth_det"), cfg)


def _experiment(synth: Path, work: Path) -> Path:
    path = work / "exp.py"
    path.write_text(f'''
from vidcore.core.trainer import TrainerConfig
from vidcore.detection.experiment import DataConfig, Experiment, ModelConfig

D = {str(synth)!r}
config = Experiment(
    model=ModelConfig("slowonly_r18_synth"),
    data=DataConfig(root=D + "/videos", video_ext=".mp4", train_ann=D + "/train.csv", val_ann=D + "/val.csv",
                    train_proposals=D + "/proposals_train.pkl", val_proposals=D + "/proposals_val.pkl",
                    label_map=D + "/label_map.pbtxt", fps=8, timestamp_start=0, timestamp_range=(1, 2),
                    short_side=64, crop_size=64),
    trainer=TrainerConfig(max_epochs=1, batch_size=2, num_workers=0, progress_bar=False, device="cpu",
                          precision="fp32"),
    work_dir={str(work / "run")!r},
)
''')
    return path


def test_models_lists_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--no-params"]) == 0
    out = capsys.readouterr().out
    assert "slowonly_r50_4x16x1_ava21" in out and "slowfast_acrn_r50_8x8x1_ava21" in out
    assert main(["models", "--filter", "r18_synth", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    with torch.device("meta"):
        from vidcore.detection.registry import get_model

        assert row["params"] == sum(p.numel() for p in get_model("slowonly_r18_synth").parameters())
    assert main(["models", "--filter", "nothing-like-this"]) == 1


def test_eval_verb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "gt.csv").write_text("v,0902,0.0,0.0,0.5,0.5,1,0\nv,0902,0.5,0.5,1,1,2,1\n")
    (tmp_path / "det.csv").write_text("v,0902,0.0,0.0,0.5,0.5,1,0.9\nv,0903,0.5,0.5,1,1,2,0.8\nv,0902,0.5,0.5,1,1,2,0.7\n")
    (tmp_path / "lm.txt").write_text("1: walk\n2: talk\n")
    assert main(["eval", str(tmp_path / "gt.csv"), str(tmp_path / "det.csv"), str(tmp_path / "lm.txt"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    # class 2: a false positive on 0903 (no ground truth there) outranks the true positive
    assert res["mAP"] == pytest.approx(0.75) and [r["ap"] for r in res["per_class"]] == [1.0, 0.5]
    assert main(["eval", str(tmp_path / "gt.csv"), str(tmp_path / "det.csv"), str(tmp_path / "lm.txt"),
                 "--mode", "mmaction"]) == 0  # fmt: skip
    assert "1.0000" in capsys.readouterr().out
    assert main(["eval", str(tmp_path / "gt.csv"), str(tmp_path / "nope.csv"), str(tmp_path / "lm.txt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_eval_verb_conformance(conformance_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = conformance_root / "data" / "eval_detection"
    if not d.is_dir():
        pytest.skip(f"no eval_detection fixture under {d}")
    assert main(["eval", str(d / "gt.csv"), str(d / "pred.csv"), str(d / "action_list.txt"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mAP"] == pytest.approx(0.09385522, abs=5e-9)


def test_convert_verb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vidcore.core.checkpoint import extract_state_dict, load_checkpoint
    from vidcore.detection.registry import get_model

    model = get_model("slowonly_r18_synth")
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    mm = {"meta": {"mmaction_version": "1.2.0"},
          "state_dict": {**sd, "data_preprocessor.mean": torch.zeros(3, 1, 1, 1)}}  # fmt: skip
    torch.save(mm, tmp_path / "mm.pth")
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(tmp_path / "ours.pth"),
                 "--preset", "slowonly_r18_synth"]) == 0  # fmt: skip
    got = extract_state_dict(load_checkpoint(tmp_path / "ours.pth"))
    assert set(got) == set(sd) and all(torch.equal(got[k], sd[k]) for k in sd)
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(tmp_path / "x.pth"),
                 "--preset", "slowonly_r50_4x16x1_ava21"]) == 1  # fmt: skip
    assert "does not fit" in capsys.readouterr().err


def test_dataset_batch_train_test_infer(synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vidcore.core.experiment import load_experiment
    from vidcore.detection.experiment import TASK

    exp_file = _experiment(synth, tmp_path)
    exp = load_experiment(TASK, exp_file)
    # the typed batch from vidcore-data's AVADataset
    ds = TASK.build_dataset(exp, "val")
    batch = TASK.collate_fn(exp)([ds[0], ds[1]])
    assert batch.video.shape[:3] == (2, 8, 3) and min(batch.image_size) == 64
    assert batch.img_keys == [ds.keyframes[0].img_key, ds.keyframes[1].img_key]
    assert all(p.shape[1] == 4 for p in batch.proposals) and batch.gt_labels[0].shape[1] == 5

    assert main(["train", str(exp_file)]) == 0
    run = tmp_path / "run"
    assert (run / "config.json").is_file() and any(run.glob("*.pth"))
    capsys.readouterr()
    assert main(["test", str(run), "--out", str(tmp_path / "test")]) == 0
    out = capsys.readouterr().out
    assert "frame-mAP@0.5" in out and "bob" in out
    res = json.loads((tmp_path / "test" / "test_results.json").read_text())
    assert 0.0 <= res["mAP"] <= 1.0 and len(res["per_class"]) == 4

    ckpt = next(p for p in sorted(run.glob("*.pth")))
    video = synth / "videos" / "val000.mp4"
    assert main(["infer", str(video), "--preset", "slowonly_r18_synth", "--checkpoint", str(ckpt),
                 "--proposals", str(synth / "proposals_val.pkl"), "--label-map", str(synth / "label_map.pbtxt"),
                 "--top-k", "2", "--out", str(tmp_path / "infer.json"),
                 "--video-out", str(tmp_path / "annotated.mp4")]) == 0  # fmt: skip
    result = json.loads((tmp_path / "infer.json").read_text())
    assert [k["timestamp"] for k in result["keyframes"]] == [1.0, 2.0]
    person = result["keyframes"][0]["people"][0]
    assert len(person["actions"]) == 2 and person["actions"][0]["name"] in {"bob", "sway", "pulse", "flash"}
    assert person["actions"][0]["score"] >= person["actions"][1]["score"]
    from vidcore.data.decoders import open_video

    with open_video(str(video)) as a, open_video(str(tmp_path / "annotated.mp4")) as b:
        assert a.num_frames == b.num_frames == 24
        x1 = round(person["box"][0] * 96)
        y = round((person["box"][1] + person["box"][3]) / 2 * 64)
        drawn, plain = b.get_frames([8]).float(), a.get_frames([8]).float()  # the first keyframe (1 s at 8 fps)
        # the box's left edge is drawn in yellow: red and green high, blue low
        edge = drawn[0, y, x1]
        assert edge[0] > 150 and edge[1] > 150 and edge[2] < 120, edge
        assert float((drawn - plain).abs().mean()) > 0.5
    capsys.readouterr()
    assert main(["infer", str(video), "--preset", "slowonly_r18_synth", "--checkpoint", str(ckpt)]) == 2
    assert "--proposals PKL or --detector" in capsys.readouterr().err

    # person boxes from a torchvision detector with a local weights file (random weights here:
    # the path runs without downloading; its boxes, if any, come out normalised in [0, 1])
    import torchvision

    frcnn = torchvision.models.get_model("fasterrcnn_mobilenet_v3_large_320_fpn", weights=None, weights_backbone=None)
    torch.save(frcnn.state_dict(), tmp_path / "frcnn.pth")
    assert main(["infer", str(video), "--preset", "slowonly_r18_synth", "--checkpoint", str(ckpt),
                 "--detector", "torchvision:fasterrcnn_mobilenet_v3_large_320_fpn",
                 "--detector-weights", str(tmp_path / "frcnn.pth"), "--person-thr", "0.0",
                 "--out", str(tmp_path / "det.json")]) == 0  # fmt: skip
    frames = json.loads((tmp_path / "det.json").read_text())["keyframes"]
    assert [k["timestamp"] for k in frames] == [1.0, 2.0]
    assert all(0.0 <= v <= 1.0 for k in frames for p in k["people"] for v in p["box"])

    # TorchScript export, checked against eager inside the verb; and again here on our own input
    assert main(["export", str(ckpt), "--preset", "slowonly_r18_synth", "--out", str(tmp_path / "det.pt")]) == 0
    scripted = torch.jit.load(str(tmp_path / "det.pt"))
    video_t, rois = batch.video[:1], torch.tensor([[0.0, 5.0, 6.0, 40.0, 60.0]])
    model = TASK.build_model(exp, pretrained=False)
    TASK.load_weights(exp, model, ckpt)
    expected = model.eval()(model.preprocess(video_t), rois).sigmoid()
    torch.testing.assert_close(scripted(video_t, rois), expected, atol=1e-5, rtol=1e-5)
