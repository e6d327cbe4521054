"""Checkpoints that say what they are, explicit random weights, and the CLI reusing a run
(issue 16 items 2, 5 and 6), on a tiny run trained once through ``vidcore-recognition train``.

The "TSN" preset here is a second registered name for the tiny TSM architecture: its state dict
fits the TSM checkpoint exactly, which is the audit's case (a TSM-R50 checkpoint loads silently into
``tsn_r50_1x1x8_kinetics400``): only the checkpoint's metadata can tell them apart.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import json
import warnings
from pathlib import Path

import pytest
import torch

from vidcore.core.checkpoint import CheckpointError, CheckpointMismatchWarning, load_checkpoint
from vidcore.data.annotations import read_label_map
from vidcore.recognition.cli import build_parser, main
from vidcore.recognition.inference import load_recognizer
from vidcore.recognition.registry import PRESETS, get_preset, register_preset

HELPER = Path(__file__).with_name("_recog_tiny.py")
spec = importlib.util.spec_from_file_location("_recog_tiny", HELPER)
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)
PRESET = tiny.register()
TSN = "tiny_tsn_test_1x1x4_synth"

CONFIG = '''import importlib.util

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

_spec = importlib.util.spec_from_file_location("_recog_tiny", {helper!r})
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)

config = Experiment(
    model=ModelConfig(preset=_tiny.register()),
    data=DataConfig(root={root!r}, train_list={root!r} + "/train.txt", val_list={root!r} + "/val.txt",
                    label_map={root!r} + "/label_map.txt", test_batch_size=8),
    trainer=TrainerConfig(max_epochs=1, batch_size=4, num_workers=0, progress_bar=False,
                          optim=OptimConfig(lr=0.05), schedule=ScheduleConfig(name="constant")),
    work_dir="unused",
)
'''


def _register_tsn() -> None:
    if TSN not in PRESETS:

        def tiny_tsn_test_1x1x4_synth(num_classes: int = 8):
            return tiny.tiny_tsm_test_1x1x4_synth(num_classes)

        register_preset(dataclasses.replace(get_preset(PRESET)))(tiny_tsn_test_1x1x4_synth)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    _register_tsn()
    base = tmp_path_factory.mktemp("selfdesc")
    root = tiny.render(base / "data")
    cfg = base / "tiny_exp.py"
    cfg.write_text(CONFIG.format(helper=str(HELPER), root=str(root)))
    work = base / "run"
    # crop 24 instead of the preset's 28: export --run must take it from the run
    rc = main(["train", str(cfg), "--set", "data.flip=false", "data.crop_size=24", "--work-dir", str(work)])
    assert rc == 0
    video = str(root / "videos" / "move_left" / "move_left_0000.mp4")
    return cfg, work, root, video


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------------------- item 2


def test_every_trained_checkpoint_says_what_it_is(run):
    _cfg, work, root, _ = run
    names = read_label_map(root / "label_map.txt").names
    resolved = json.loads((work / "config.json").read_text())
    for name in ("epoch_0001.pth", "best.pth"):
        meta = load_checkpoint(work / name)["meta"]  # the safe loader reads it back
        assert meta["task"] == "recognition" and meta["preset"] == PRESET
        assert meta["num_classes"] == 8 and meta["labels"] == names
        assert meta["versions"]["vidcore-core"] == importlib.metadata.version("vidcore-core")
        assert meta["versions"]["vidcore-recognition"] == importlib.metadata.version("vidcore-recognition")
        assert meta["config"] == resolved  # the same resolved config as config.json
        assert meta["config"]["data"]["crop_size"] == 24
        json.dumps(meta)  # plain JSON-able


def test_load_recognizer_warns_on_another_preset_and_strict_refuses(run):
    _, work, root, _ = run
    ckpt = work / "best.pth"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CheckpointMismatchWarning)
        load_recognizer(PRESET, ckpt)  # what it was trained as: silent
    with pytest.warns(CheckpointMismatchWarning, match=f"trained as preset {PRESET}, loaded as {TSN}"):
        load_recognizer(TSN, ckpt)
    with pytest.raises(CheckpointError, match="refused"):
        load_recognizer(TSN, ckpt, strict=True)
    names = read_label_map(root / "label_map.txt").names
    with pytest.warns(CheckpointMismatchWarning, match="label names .*first at class 0"):
        load_recognizer(PRESET, ckpt, labels=names[::-1])


def test_infer_warns_on_another_preset_and_strict_exits_2_with_one_line(run, capsys):
    _, work, _, video = run
    args = ["infer", video, "--preset", TSN, "--checkpoint", str(work / "best.pth"), "--device", "cpu"]
    assert main(args) == 0
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and err[0].startswith("warning: checkpoint ")
    assert f"trained as preset {PRESET}, loaded as {TSN}" in err[0]
    assert main([*args, "--strict"]) == 2
    captured = capsys.readouterr()
    err = _lines(captured.err)
    assert len(err) == 1 and err[0].startswith("error: ") and "refused" in err[0] and "Traceback" not in err[0]
    assert captured.out == ""


def test_test_and_export_warn_and_refuse_too(run, capsys, tmp_path):
    _, work, _, _ = run
    assert main(["test", str(work), "--set", f"model.preset={TSN}", "--no-progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert f"trained as preset {PRESET}, loaded as {TSN}" in captured.err
    json.loads(captured.out)
    assert main(["test", str(work), "--set", f"model.preset={TSN}", "--no-progress", "--strict"]) == 2
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and err[0].startswith("error: ") and "refused" in err[0]
    out = tmp_path / "m.pt"
    export = ["export", str(work / "best.pth"), "--preset", TSN, "--format", "torchscript", "--out", str(out)]
    assert main([*export, "--strict"]) == 2 and not out.exists()
    assert "refused" in capsys.readouterr().err


# ------------------------------------------------------------------------------- item 5


def test_load_recognizer_needs_an_explicit_choice_of_random_weights():
    with pytest.raises(ValueError, match="random_weights=True"):
        load_recognizer(PRESET, None)
    model, _ = load_recognizer(PRESET, None, random_weights=True)
    assert model.num_classes == 8 and not model.training


def test_infer_random_weights_is_explicit_and_reported(run, capsys):
    _, _, _, video = run
    assert main(["infer", video, "--preset", PRESET]) == 2
    err = capsys.readouterr().err
    assert "--checkpoint" in err and "--random-weights" in err
    assert main(["infer", video, "--preset", PRESET, "--random-weights", "--top-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("warning: --random-weights") and out[1] == video and len(out) == 4
    assert main(["infer", video, "--preset", PRESET, "--random-weights", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["random_weights"] is True


# ------------------------------------------------------------------------------- item 6


def test_infer_json_without_label_map_gives_indices_and_null_names(run, capsys):
    _, work, _, video = run
    args = ["infer", video, "--preset", PRESET, "--checkpoint", str(work / "best.pth"), "--json", "--top-k", "8"]
    assert main(args) == 0
    row = json.loads(capsys.readouterr().out)
    assert sorted(row["labels"]) == list(range(8)) and row["names"] == [None] * 8
    assert row["random_weights"] is False


def test_infer_run_uses_the_runs_config_and_best_checkpoint(run, capsys):
    cfg, work, root, video = run
    assert main(["infer", video, "--run", str(work), "--json", "--top-k", "8"]) == 0
    by_run = json.loads(capsys.readouterr().out)
    explicit = ["infer", video, "--config", str(cfg), "--checkpoint", str(work / "best.pth"), "--json",
                "--top-k", "8", "--set", "data.crop_size=24"]  # fmt: skip
    assert main(explicit) == 0
    assert json.loads(capsys.readouterr().out) == by_run
    names = read_label_map(root / "label_map.txt")
    assert by_run["names"] == [names[i] for i in by_run["labels"]]  # the run's label map


def test_export_run_takes_the_runs_crop_size(run, capsys, tmp_path):
    _, work, _, _ = run
    out = tmp_path / "run.pt"
    assert main(["export", "--run", str(work), "--format", "torchscript", "--out", str(out)]) == 0
    assert "input uint8 (1, 4, 3, 24, 24)" in capsys.readouterr().out  # not the preset's 28
    exported = torch.jit.load(str(out))
    assert exported(torch.zeros(1, 4, 3, 24, 24, dtype=torch.uint8)).shape == (1, 8)


def test_infer_and_test_default_to_the_same_device():
    parser = build_parser()
    infer = parser.parse_args(["infer", "x.mp4", "--preset", PRESET])
    test = parser.parse_args(["test", "runs/a"])
    assert infer.device == test.device == "auto"


def test_infer_option_errors_name_the_flag(run, capsys):
    _, work, _, video = run
    args = ["infer", video, "--run", str(work), "--long", "--window-seconds", "0"]
    assert main(args) == 2
    err = _lines(capsys.readouterr().err)
    assert err == ["error: --window-seconds must be > 0, got 0.0"]  # not "window_seconds", not the video's fault
