"""TorchScript / ONNX export: the exported file, loaded on its own, computes what eager PyTorch does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from vidcore.recognition.cli import main
from vidcore.recognition.export import ExportError, example_input, export_model
from vidcore.recognition.registry import get_model, get_preset

spec = importlib.util.spec_from_file_location("_recog_tiny", Path(__file__).with_name("_recog_tiny.py"))
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)
PRESET = tiny.register()


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = get_model(PRESET, num_classes=8)
    m.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so eval-mode export matters
        m(m.preprocess(example_input(get_preset(PRESET), 4, seed=5)))
    return m.eval()


def _eager(model, video):
    with torch.no_grad():
        return model(model.preprocess(video), video.shape[1])  # (N, T, C, H, W) uint8 -> (N, K)


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_torchscript_file_equals_eager(model, tmp_path):
    preset = get_preset(PRESET)
    result = export_model(model, preset, tmp_path / "m.pt", format="torchscript", batch_size=2)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    loaded = torch.jit.load(str(tmp_path / "m.pt"))
    video = example_input(preset, 2, seed=42)
    with torch.no_grad():
        got = loaded(video)
    assert got.shape == (2, 8)
    torch.testing.assert_close(got, _eager(model, video), rtol=1e-5, atol=1e-5)


def test_onnx_file_equals_eager(model, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="ONNX export needs the 'export' extra (onnxruntime)")
    pytest.importorskip("onnx", reason="ONNX export needs the 'export' extra (onnx)")
    preset = get_preset(PRESET)
    export_model(model, preset, tmp_path / "m.onnx", format="onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    video = example_input(preset, 1, seed=7)
    (got,) = session.run(None, {session.get_inputs()[0].name: video.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), _eager(model, video), rtol=1e-4, atol=1e-4)


def test_missing_onnx_gives_an_actionable_error(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    with pytest.raises(ExportError, match="pip install"):
        export_model(model, get_preset(PRESET), tmp_path / "m.onnx", format="onnx")


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_cli_export(model, tmp_path, capsys):
    torch.save({"model": model.state_dict()}, tmp_path / "ckpt.pth")
    out = tmp_path / "cli.pt"
    rc = main(
        [
            "export",
            str(tmp_path / "ckpt.pth"),
            "--preset",
            PRESET,
            "--format",
            "torchscript",
            "--out",
            str(out),
        ]
    )
    assert rc == 0 and out.is_file()
    assert "max |exported - eager|" in capsys.readouterr().out
    video = example_input(get_preset(PRESET), 1, seed=3)
    with torch.no_grad():
        torch.testing.assert_close(
            torch.jit.load(str(out))(video), _eager(model, video), rtol=1e-5, atol=1e-5
        )
    assert (
        main(["export", str(tmp_path / "none.pth"), "--preset", PRESET, "--format", "onnx", "--out", "x"])
        == 2
    )
