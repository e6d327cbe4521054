"""``vidcore-recognition infer`` and the inference functions the demo calls, on real H.264 files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.data.annotations import read_label_map
from vidcore.data.errors import VideoDecodeError
from vidcore.data.synth import SynthConfig, render_video, write_h264
from vidcore.recognition.cli import main
from vidcore.recognition.inference import (
    load_recognizer,
    predict_long_video,
    predict_video,
)
from vidcore.recognition.pipelines import val_pipeline
from vidcore.recognition.registry import get_model

spec = importlib.util.spec_from_file_location("_recog_tiny", Path(__file__).with_name("_recog_tiny.py"))
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)
PRESET = tiny.register()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("infer")
    data = tiny.render(base / "data")
    torch.manual_seed(0)
    model = get_model(PRESET, num_classes=8)
    with torch.no_grad():  # a classifier bias that makes the scores far from uniform
        model.head.fc_cls.bias.copy_(torch.linspace(-2, 2, 8))
    torch.save({"model": model.state_dict()}, base / "model.pth")
    cfg = SynthConfig(size=32, min_frames=36, max_frames=36, fps=12)
    write_h264(base / "long.mp4", render_video("move_left", 0, cfg), fps=12)  # 3 s
    write_h264(base / "one_second.mp4", render_video("move_up", 1, cfg)[:12], fps=12)
    (base / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    return base, data


def test_predict_video_returns_sorted_probabilities_with_names(files):
    base, data = files
    model, preset = load_recognizer(PRESET, base / "model.pth")
    assert model.num_classes == 8 and not model.training
    labels = read_label_map(data / "label_map.txt")
    video = data / "videos" / "move_left" / "move_left_0000.mp4"
    pred = predict_video(model, preset, video, top_k=8, label_map=labels)
    assert sorted(pred.labels) == list(range(8))
    assert pred.scores == sorted(pred.scores, reverse=True)
    assert sum(pred.scores) == pytest.approx(1.0, abs=1e-5)  # all 8 classes: probabilities sum to 1
    assert pred.names == [labels[i] for i in pred.labels]
    top3 = predict_video(model, preset, video, top_k=3)
    assert top3.labels == pred.labels[:3] and top3.scores == pytest.approx(pred.scores[:3])
    with pytest.raises(VideoDecodeError):
        predict_video(model, preset, base / "corrupt.mp4")


def test_long_video_gives_one_label_per_second(files):
    base, _ = files
    model, preset = load_recognizer(PRESET, base / "model.pth")
    seconds = predict_long_video(model, preset, base / "long.mp4", window_seconds=1.0)
    assert [s.second for s in seconds] == [0, 1, 2]
    assert all(0 <= s.label < 8 and 0 < s.score <= 1 for s in seconds)
    # a one-second video with a one-second window: the window is the whole video, so the answer is
    # the whole-video prediction with the single-view (validation) pipeline
    (only,) = predict_long_video(model, preset, base / "one_second.mp4", window_seconds=1.0)
    whole = predict_video(model, preset, base / "one_second.mp4", top_k=1, pipeline=val_pipeline(preset))
    assert (only.label, only.score) == (whole.labels[0], pytest.approx(whole.scores[0], abs=1e-6))


def test_cli_reports_every_readable_video_and_fails_at_the_end(files, capsys):
    base, data = files
    good = [str(data / "videos" / c / f"{c}_0000.mp4") for c in ("move_left", "zoom_in")]
    args = [
        "infer",
        good[0],
        str(base / "corrupt.mp4"),
        str(base / "missing.mp4"),
        good[1],
        "--preset",
        PRESET,
        "--checkpoint",
        str(base / "model.pth"),
        "--top-k",
        "3",
        "--label-map",
        str(data / "label_map.txt"),
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == good[0] and lines[4] == good[1] and len(lines) == 8
    names = set(read_label_map(data / "label_map.txt").names)
    for line in lines[1:4] + lines[5:8]:
        score, name = line.split()
        assert 0 < float(score) <= 1 and name in names
    err = captured.err.splitlines()
    assert any(e.startswith(str(base / "corrupt.mp4") + ": cannot read") for e in err)
    assert any(e.startswith(str(base / "missing.mp4") + ": cannot read") for e in err)
    assert "2 of 4 video(s) could not be read" in captured.err


def test_cli_json_and_long_mode(files, capsys):
    base, _ = files
    assert (
        main(
            [
                "infer",
                str(base / "long.mp4"),
                "--preset",
                PRESET,
                "--checkpoint",
                str(base / "model.pth"),
                "--long",
                "--window-seconds",
                "1",
                "--json",
            ]
        )
        == 0
    )
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["path"] == str(base / "long.mp4") and [s["second"] for s in row["seconds"]] == [0, 1, 2]
    assert (
        main(
            [
                "infer",
                str(base / "corrupt.mp4"),
                str(base / "long.mp4"),
                "--preset",
                PRESET,
                "--checkpoint",
                str(base / "model.pth"),
                "--json",
                "--top-k",
                "2",
            ]
        )
        == 1
    )
    bad, ok = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert bad["path"].endswith("corrupt.mp4") and bad["error"]
    assert len(ok["labels"]) == 2 and np.all(np.diff(ok["scores"]) <= 0)


def test_cli_user_errors(files, capsys):
    base, _ = files
    assert (
        main(["infer", "x.mp4", "--preset", "no_such_preset", "--checkpoint", str(base / "model.pth")]) == 2
    )
    assert "no_such_preset" in capsys.readouterr().err
    assert main(["infer", "x.mp4", "--preset", PRESET, "--checkpoint", str(base / "nope.pth")]) == 2
    assert "nope.pth" in capsys.readouterr().err
