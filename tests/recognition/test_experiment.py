"""Pipelines, pretrained loading, and a real train -> test -> resume run of the Python API on a tiny
rendered dataset (real H.264 files) with a tiny registered preset."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.checkpoint import CheckpointError, load_checkpoint
from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.data.samplers import sample_frames
from vidcore.recognition import experiment as E
from vidcore.recognition.inference import predict_video
from vidcore.recognition.pipelines import resolve_preset, test_pipeline, train_pipeline, val_pipeline
from vidcore.recognition.registry import get_model, get_preset


def _helper():
    spec = importlib.util.spec_from_file_location("_recog_tiny", Path(__file__).with_name("_recog_tiny.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


tiny = _helper()
PRESET = tiny.register()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return tiny.render(tmp_path_factory.mktemp("synth"))


def _experiment(data: Path, work: Path, *, epochs: int, **model_kw) -> E.Experiment:
    return E.Experiment(
        model=E.ModelConfig(PRESET, **model_kw),
        data=E.DataConfig(
            root=str(data),
            train_list=str(data / "train.txt"),
            val_list=str(data / "val.txt"),
            label_map=str(data / "label_map.txt"),
            test_batch_size=4,
        ),
        trainer=TrainerConfig(
            max_epochs=epochs,
            batch_size=4,
            num_workers=0,
            progress_bar=False,
            seed=3,
            optim=OptimConfig(lr=0.05),
            schedule=ScheduleConfig(name="constant"),
        ),
        work_dir=str(work),
    )


# ----------------------------------------------------------------------------- pipelines


def test_pipelines_follow_mmaction2_recipes():
    # TSM K400: train 8 segments, 224 crops; test 8 segments x TenCrop(224) after short side 256
    p = get_preset("tsm_r50_1x1x8_kinetics400")
    assert (train_pipeline(p).frames_per_view, train_pipeline(p).crop_size) == (8, 224)
    t = test_pipeline(p)
    assert (t.num_views, t.views, t.frames_per_view) == (1, 10, 8)
    # SlowOnly 8x8: 10 clips x ThreeCrop(256) = 30 views of 8 frames
    s = test_pipeline(get_preset("slowonly_r50_8x8x1_kinetics400"))
    assert (s.num_views, s.views, s.frames_per_view, s.crop_size) == (10, 30, 8, 256)
    assert val_pipeline(get_preset("slowonly_r50_8x8x1_kinetics400")).views == 1


def test_test_sampler_is_mmaction2_test_mode_sampling():
    p = get_preset("slowonly_r50_8x8x1_kinetics400")
    got = test_pipeline(p).sampler(300, rng=np.random.default_rng(0))
    want = sample_frames(300, clip_len=8, frame_interval=8, num_clips=10, test_mode=True)
    np.testing.assert_array_equal(got, want)
    # 2D val: segment centres of 8 equal segments of 80 frames: 5, 15, ..., 75
    v = val_pipeline(get_preset("tsm_r50_1x1x8_kinetics400")).sampler(80, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(v, np.arange(5, 80, 10))


def test_train_pipeline_output_shape_and_flip_map(data):
    from torchvision import tv_tensors

    from vidcore.data.types import VideoSample

    p = resolve_preset(get_preset(PRESET), short_side=32, crop_size=24)
    pipe = train_pipeline(p, flip_label_map={0: 1, 1: 0})
    video = tv_tensors.Video(torch.randint(0, 255, (4, 3, 32, 48), dtype=torch.uint8))
    labels = set()
    for seed in range(12):
        out = pipe.transform(VideoSample(video=video, label=0), rng=seed)
        assert tuple(out.video.shape) == (4, 3, 24, 24)
        labels.add(out.label)
    assert labels == {0, 1}  # flipped clips of class 0 become class 1
    assert len(pipe.sampler(50)) == 4
    with pytest.raises(ValueError, match="larger than short_side"):
        resolve_preset(get_preset(PRESET), short_side=20, crop_size=24)


def test_flip_label_map_from_the_json_file_synth_writes(data, tmp_path):
    exp = _experiment(data, tmp_path, epochs=1)
    exp.data.flip_label_map = str(data / "flip_label_map.json")
    # move_left <-> move_right, rotate_clockwise <-> rotate_counterclockwise (class order of synth)
    assert E.flip_label_map(exp) == {0: 1, 1: 0, 4: 5, 5: 4}
    flip = E.build_datasets(exp, splits=("train",)).train.transform.transforms[-1]
    assert flip.flip_label_map == {0: 1, 1: 0, 4: 5, 5: 4}
    exp.data.flip_label_map = str(tmp_path / "missing.json")
    with pytest.raises(E.ConfigError, match=r"missing\.json"):
        E.flip_label_map(exp)


# ----------------------------------------------------------------------------- pretrained weights


def test_finetune_from_other_class_count_drops_only_the_classifier(tmp_path, capsys):
    src = get_model(PRESET, num_classes=8)
    torch.save({"model": src.state_dict()}, tmp_path / "src.pth")
    exp = _experiment(tmp_path, tmp_path / "w", epochs=1, num_classes=5, pretrained=str(tmp_path / "src.pth"))
    exp.data.label_map = None
    model = E.build_model(exp)
    assert "left at random init" in capsys.readouterr().out
    got, want = model.state_dict(), src.state_dict()
    assert model.num_classes == 5 and got["head.fc_cls.weight"].shape == (5, 16)
    for k in want:
        if not k.startswith("head."):
            assert torch.equal(got[k], want[k]), k
    # same class count + reset_head: classifier re-initialised, the rest loaded
    m2 = get_model(PRESET, num_classes=8)
    rep = E.load_pretrained(m2, tmp_path / "src.pth", preset=PRESET, reset_head=True)
    assert rep.dropped_classifier == ["head.fc_cls.bias", "head.fc_cls.weight"]
    assert not torch.equal(m2.state_dict()["head.fc_cls.weight"], want["head.fc_cls.weight"])
    assert torch.equal(m2.state_dict()["backbone.conv1.weight"], want["backbone.conv1.weight"])


def test_pretrained_from_another_architecture_is_refused(tmp_path):
    other = {"model": {"backbone.conv1.weight": torch.zeros(3, 3, 3, 3)}}
    with pytest.raises(CheckpointError, match=r"backbone\.conv1\.weight"):
        E.load_pretrained(get_model(PRESET, num_classes=8), other, preset=PRESET)


def test_mmaction2_kinetics_checkpoint_finetunes_on_8_classes(tmp_path):
    # an MMAction2-layout TSM-R18 state dict (TemporalShift wraps conv1.conv as .net; cls_head)
    src = get_model("tsm_r18_1x1x8_kinetics400", num_classes=400).state_dict()
    mm = {}
    for k, v in src.items():
        k = re.sub(r"^head\.", "cls_head.", k)
        mm[re.sub(r"^(backbone\.layer\d\.\d+\.conv1)\.conv\.", r"\1.conv.net.", k)] = v
    # as the model zoo saves them: numpy objects in "meta", which plain weights_only loading refuses
    torch.save({"state_dict": mm, "meta": {"epoch": np.int64(50), "hist": np.zeros(3)}}, tmp_path / "mm.pth")
    dst = get_model("tsm_r18_1x1x8_kinetics400", num_classes=8)
    rep = E.load_pretrained(dst, tmp_path / "mm.pth", preset="tsm_r18_1x1x8_kinetics400")
    assert rep.dropped_classifier and "(400, 512)" in rep.reason
    got = dst.state_dict()
    assert all(torch.equal(got[k], src[k]) for k in src if not k.startswith("head."))


def test_torchvision_imagenet_resnet_initialises_the_backbone(tmp_path):
    import torchvision

    tv = torchvision.models.resnet18(weights=None).state_dict()  # the layout of the ImageNet file
    torch.save(tv, tmp_path / "resnet18.pth")
    dst = get_model("tsm_r18_1x1x8_kinetics400", num_classes=8)
    head_before = dst.state_dict()["head.fc_cls.weight"].clone()
    rep = E.load_pretrained(dst, tmp_path / "resnet18.pth", preset="tsm_r18_1x1x8_kinetics400")
    got = dst.state_dict()
    assert torch.equal(got["backbone.conv1.conv.weight"], tv["conv1.weight"])
    assert torch.equal(got["backbone.layer4.1.conv2.bn.running_var"], tv["layer4.1.bn2.running_var"])
    assert torch.equal(got["head.fc_cls.weight"], head_before)  # ImageNet's fc is not ours
    assert rep.loaded == len(tv) - 2  # everything but fc.weight / fc.bias


def test_inconsistent_class_counts_are_reported(data, tmp_path):
    exp = _experiment(data, tmp_path, epochs=1, num_classes=5)
    with pytest.raises(E.ConfigError, match=r"model\.num_classes=5.*label map"):
        E.resolve_num_classes(exp)


# ----------------------------------------------------------------------------- train / test / resume


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    work = tmp_path_factory.mktemp("run")
    exp = _experiment(data, work, epochs=2)
    metrics = E.train(exp)
    return exp, work, metrics


def test_train_writes_checkpoints_logs_and_resolved_config(trained):
    _, work, metrics = trained
    assert {"top1", "top5", "mean_class_accuracy"} <= set(metrics)
    assert (work / "epoch_0002.pth").is_file() and (work / "best.pth").is_file()
    saved = json.loads((work / "config.json").read_text())
    assert saved["model"]["preset"] == PRESET and saved["trainer"]["max_epochs"] == 2
    logs = [json.loads(line) for line in (work / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in logs if r["mode"] == "val"] == [1, 2]
    assert all(np.isfinite(r["loss"]) for r in logs if r["mode"] == "train")


def test_test_metrics_agree_with_per_video_predictions(trained, data):
    exp, work, _ = trained
    result = E.test(exp, work / "epoch_0002.pth", progress=False, out_dir=work / "test")
    cm = result["confusion_matrix"]
    assert cm.shape == (8, 8) and cm.sum() == result["num_samples"] == 8
    assert result["top1"] == pytest.approx(np.trace(cm) / cm.sum())
    per_class = np.diag(cm) / cm.sum(axis=1)
    assert result["mean_class_accuracy"] == pytest.approx(per_class.mean())
    assert result["top5"] >= result["top1"]
    # the same accuracy from predict_video, one file at a time
    from vidcore.recognition.inference import load_recognizer

    model, preset = load_recognizer(E.resolved_preset(exp), work / "epoch_0002.pth")
    rows = [line.split() for line in (data / "val.txt").read_text().splitlines()]
    hits = [predict_video(model, preset, data / p, top_k=1).labels[0] == int(y) for p, y in rows]
    assert result["top1"] == pytest.approx(np.mean(hits))
    saved = json.loads((work / "test" / "test_results.json").read_text())
    assert saved["top1"] == pytest.approx(result["top1"])


def test_resume_continues_exactly(trained, data, tmp_path):
    _, work, _ = trained
    first = _experiment(data, tmp_path, epochs=1)
    E.train(first)
    stamp = (tmp_path / "epoch_0001.pth").stat().st_mtime_ns
    E.train(_experiment(data, tmp_path, epochs=2), resume="auto")
    # epoch 1 was not trained again (its checkpoint is untouched) ...
    assert (tmp_path / "epoch_0001.pth").stat().st_mtime_ns == stamp
    # ... and epoch 2 ends where the uninterrupted run's did
    a = load_checkpoint(work / "epoch_0002.pth")["model"]
    b = load_checkpoint(tmp_path / "epoch_0002.pth")["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
