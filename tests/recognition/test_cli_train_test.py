"""``vidcore-recognition train`` / ``test`` end to end on a tiny rendered dataset, through the CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from vidcore.recognition.cli import main

HELPER = Path(__file__).with_name("_recog_tiny.py")
spec = importlib.util.spec_from_file_location("_recog_tiny", HELPER)
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)

CONFIG = '''"""Tiny test experiment. Run: vidcore-recognition train {path}"""
import importlib.util

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

_spec = importlib.util.spec_from_file_location("_recog_tiny", {helper!r})
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)

config = Experiment(
    model=ModelConfig(preset=_tiny.register()),
    data=DataConfig(root={root!r}, train_list={root!r} + "/train.txt", val_list={root!r} + "/val.txt",
                    label_map={root!r} + "/label_map.txt", test_batch_size=8),
    trainer=TrainerConfig(max_epochs=3, batch_size=4, num_workers=0, progress_bar=False,
                          optim=OptimConfig(lr=0.05), schedule=ScheduleConfig(name="constant")),
    work_dir="unused",
)
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    root = tiny.render(base / "data")
    cfg = base / "tiny_exp.py"
    cfg.write_text(CONFIG.format(path=cfg, helper=str(HELPER), root=str(root)))
    return cfg, base


@pytest.fixture(scope="module")
def trained(setup):
    cfg, base = setup
    work = base / "work"
    rc = main(
        ["train", str(cfg), "--set", "trainer.max_epochs=1", "data.flip=false", "--work-dir", str(work)]
    )
    assert rc == 0
    return cfg, work


def test_train_writes_the_resolved_config_beside_outputs(trained):
    cfg, work = trained
    saved = json.loads((work / "config.json").read_text())
    assert saved["trainer"]["max_epochs"] == 1 and saved["data"]["flip"] is False
    assert saved["work_dir"] == str(work)
    assert (work / "config_source.py").read_text() == cfg.read_text()
    assert (work / "epoch_0001.pth").is_file()


def test_test_json_reports_accuracies_and_confusion_matrix(trained, capsys):
    cfg, work = trained
    capsys.readouterr()
    assert main(["test", str(cfg), str(work / "epoch_0001.pth"), "--json", "--no-progress"]) == 0
    result = json.loads(capsys.readouterr().out)
    cm = np.array(result["confusion_matrix"])
    assert cm.shape == (8, 8) and cm.sum() == result["num_samples"] == 8
    assert result["top1"] == pytest.approx(np.trace(cm) / 8)
    assert result["mean_class_accuracy"] == pytest.approx(np.mean(np.diag(cm) / cm.sum(1)))
    assert 0 <= result["top1"] <= result["top5"] <= 1


def test_test_text_output(trained, capsys):
    cfg, work = trained
    assert (
        main(["test", str(cfg), str(work / "epoch_0001.pth"), "--no-progress", "--set", "data.test_crops=1"])
        == 0
    )
    out = capsys.readouterr().out
    for title in ("top-1 accuracy", "top-5 accuracy", "mean class accuracy", "videos"):
        assert title in out


def test_resume_continues_from_the_newest_checkpoint(trained, capsys):
    cfg, work = trained
    rc = main(
        [
            "train",
            str(cfg),
            "--set",
            "trainer.max_epochs=2",
            "data.flip=false",
            "--work-dir",
            str(work),
            "--resume",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "epoch_0001.pth" in out
    assert (work / "epoch_0002.pth").is_file()


def test_user_errors_are_one_line_with_exit_code_2(setup, capsys):
    cfg, base = setup
    assert main(["train", str(cfg), "--set", "trainer.max_epoch=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "trainer.max_epochs" in err
    assert main(["test", str(cfg), str(base / "missing.pth")]) == 2
    assert "missing.pth" in capsys.readouterr().err
    assert main(["train", str(base / "nope.py")]) == 2
    assert "not found" in capsys.readouterr().err


def test_help_shows_examples(capsys):
    for verb in ("train", "test", "infer", "export"):
        with pytest.raises(SystemExit) as exc:
            main([verb, "--help"])
        assert exc.value.code == 0
        assert "examples:" in capsys.readouterr().out


def test_test_and_resume_take_a_run_folder(trained, capsys):
    """``test RUN_DIR`` uses the run's resolved config.json and its newest checkpoint (no best.pth
    without validation-selected saving here), equal to naming both explicitly; ``train RUN_DIR
    --resume`` continues with the run's own overrides (data.flip=false was a --set of that run)."""
    cfg, work = trained
    capsys.readouterr()
    assert main(["test", str(cfg), str(work / "epoch_0001.pth"), "--json", "--no-progress"]) == 0
    explicit = json.loads(capsys.readouterr().out)
    ckpt = work / "best.pth" if (work / "best.pth").is_file() else None
    args = ["test", str(work), "--json", "--no-progress"]
    if ckpt is None:
        args.insert(2, str(work / "epoch_0001.pth"))
    assert main(args) == 0
    from_run = json.loads(capsys.readouterr().out)
    if ckpt is None:
        assert from_run == explicit
    else:
        assert from_run["num_samples"] == explicit["num_samples"] == 8
    saved = json.loads((work / "config.json").read_text())
    assert saved["data"]["flip"] is False  # what the resumed run must keep without retyping it


def test_set_before_the_config_says_what_happened(setup, capsys):
    cfg, _ = setup
    assert main(["train", "--set", "trainer.max_epochs=1", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "before --set" in err and str(cfg) in err and err.count("\n") == 1


def test_test_runs_under_torchrun_and_agrees_with_one_process(trained, tmp_path):
    """The one evaluation path runs under ``torchrun`` (2 gloo processes): each rank scores its
    share of the 8 videos, the metric gathers and de-duplicates them, and the numbers equal the
    single-process run's."""
    import os
    import subprocess
    import sys

    cfg, work = trained
    ckpt = str(work / "epoch_0001.pth")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29631",
           "-m", "vidcore.recognition.cli", "test", str(cfg), ckpt, "--json", "--no-progress", "--device", "cpu"]  # fmt: skip
    two = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    one = subprocess.run(cmd[:1] + cmd[7:], capture_output=True, text=True, env=env, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    r2 = json.loads(two.stdout.strip().splitlines()[-1])
    r1 = json.loads(one.stdout.strip().splitlines()[-1])
    assert r1["num_samples"] == r2["num_samples"] == 8
    assert r2["confusion_matrix"] == r1["confusion_matrix"]
    assert r2["top1"] == pytest.approx(r1["top1"]) and r2["mean_class_accuracy"] == pytest.approx(r1["mean_class_accuracy"])


def test_save_scores_writes_the_shared_score_file(trained, tmp_path, capsys):
    """``test --save-scores`` (the shared verb of every task) writes one row per video in the
    score format late fusion reads; its top-1 recomputed from the file equals the printed one."""
    from vidcore.core.scores import read_scores

    cfg, work = trained
    target = tmp_path / "scores.npz"
    capsys.readouterr()
    args = ["test", str(cfg), str(work / "epoch_0001.pth"), "--json", "--no-progress", "--save-scores", str(target)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    scores = read_scores(target)
    assert scores.scores.shape == (8, 8) and len(scores.sample_ids) == 8
    assert np.allclose(scores.scores.sum(1), 1.0, atol=1e-5)  # averaged probabilities
    assert result["top1"] == pytest.approx(float(np.mean(scores.scores.argmax(1) == scores.labels)))
    assert all(s.endswith((".mp4", ".avi")) for s in scores.sample_ids)
