"""The ``vidcore-audio`` verbs end to end on tiny inputs: models, convert, infer (a video with and
one without an audio track), export, and train + test with a score file that fuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.audio.cli import main
from vidcore.audio.registry import get_model
from vidcore.core.scores import fuse, read_scores
from vidcore.data.synth import SynthConfig
from vidcore.data.synth_audio import AVSynthConfig, render_av_dataset, write_av

PRESET = "tsn_r18_synth_av"


@pytest.fixture(scope="module")
def av_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    video = SynthConfig(videos_per_class=2, size=32, min_frames=24, max_frames=26, val_fraction=0.5)
    audio = AVSynthConfig(motions=("move_left", "move_right"))
    return render_av_dataset(tmp_path_factory.mktemp("av") / "data", video, audio, progress=False)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "audio.pth"
    torch.save({"model": get_model(PRESET, num_classes=4).state_dict()}, path)
    return path


def test_models_lists_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json", "--filter", "tsn_r18_64x1x1"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["params"] == 11_375_440 and row["clip"] == "128x80" and row["sampling"] == "64x1x1"


def test_convert_writes_a_strictly_fitting_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sd = get_model(PRESET, num_classes=4).state_dict()
    mm = {("cls_head." + k[5:] if k.startswith("head.") else k): v for k, v in sd.items()}
    torch.save({"state_dict": mm, "meta": {}}, tmp_path / "mm.pth")
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(tmp_path / "out.pth"), "--preset", PRESET]) == 0
    assert "4 classes" in capsys.readouterr().out
    out = torch.load(tmp_path / "out.pth", weights_only=True)["model"]
    assert all(torch.equal(out[k], sd[k]) for k in sd)


def test_infer_reports_a_video_without_audio(av_data: Path, checkpoint: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    clip = next((av_data / "videos").rglob("*.mp4"))
    write_av(tmp_path / "silent.mp4", np.zeros((12, 32, 32, 3), np.uint8), 12, None, 16000)
    code = main(["infer", str(clip), str(tmp_path / "silent.mp4"), "--preset", PRESET, "--checkpoint",
                 str(checkpoint), "--label-map", str(av_data / "label_map.txt"), "--top-k", "4", "--json"])  # fmt: skip
    assert code == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows[0]["top_k"]] != [] and len(rows[0]["top_k"]) == 4
    assert sum(r["score"] for r in rows[0]["top_k"]) == pytest.approx(1.0, abs=1e-5)
    assert "silent.mp4" in rows[1]["error"] and "no audio stream" in rows[1]["error"]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit is deprecated in favour of torch.export
def test_export_torchscript_matches_eager(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(checkpoint), "--preset", PRESET, "--format", "torchscript",
                 "--out", str(tmp_path / "a.pt")]) == 0  # fmt: skip
    assert "max abs diff vs eager" in capsys.readouterr().out
    scripted = torch.jit.load(str(tmp_path / "a.pt"))
    assert scripted(torch.rand(3, 64, 40)).shape == (3, 4)


def test_train_then_test_with_a_score_file(av_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = [f"data.root={av_data}", f"data.train_list={av_data / 'train.txt'}", f"data.val_list={av_data / 'val.txt'}",
            f"data.label_map={av_data / 'label_map.txt'}", "model.num_classes=4", "trainer.max_epochs=1",
            "trainer.batch_size=2", "trainer.num_workers=0", "trainer.progress_bar=false", "trainer.device=cpu"]  # fmt: skip
    run = tmp_path / "run"
    assert main(["train", "tsn_r18_synth_av_demo", "--set", *sets, "--work-dir", str(run)]) == 0
    assert (run / "best.pth").is_file()
    scores = tmp_path / "audio.npz"
    assert main(["test", str(run), "--save-scores", str(scores), "--no-progress", "--device", "cpu"]) == 0
    assert "top-1 accuracy" in capsys.readouterr().out
    s = read_scores(scores)
    val = [line.split() for line in (av_data / "val.txt").read_text().splitlines()]
    assert s.sample_ids == [v[0] for v in val] and s.labels.tolist() == [int(v[1]) for v in val]
    assert s.scores.shape == (4, 4) and np.allclose(s.scores.sum(1), 1.0, atol=1e-5)
    assert s.class_names == (av_data / "label_map.txt").read_text().split()
    fused = fuse([scores, scores])  # fusing a file with itself changes no ranking
    assert fused.fused.top1 == fused.inputs[0].top1
