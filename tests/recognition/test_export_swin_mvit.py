"""``export`` (TorchScript, ONNX) and ``infer`` on tiny Video Swin and MViTv2 configurations.

Two tiny presets are registered here with the real model classes (Swin-T's and MViTv2-S's code
paths: shifted, padded windows with relative position bias; pooling attention with
interpolated relative positions, residual pooling, the class-token head), so the exported graph
and the CLI are exercised end to end in seconds. The exported files are loaded on their own and
compared with eager PyTorch on an input other than the one used for tracing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from vidcore.data.synth import SynthConfig, render_video, write_h264
from vidcore.recognition.cli import main
from vidcore.recognition.export import example_input, export_model
from vidcore.recognition.models.heads3d import I3DHead
from vidcore.recognition.models.mvit import MViT, MViTHead
from vidcore.recognition.models.swin import SwinTransformer3D, convert_mmaction_swin
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import PRESETS, Preset, get_model, get_preset, register_preset

SWIN = "tiny_swin_test_8x1x1_synth"
MVIT = "tiny_mvit_test_8x1x1_synth"
NUM_CLASSES = 4


def tiny_swin_test_8x1x1_synth(num_classes: int = NUM_CLASSES) -> Recognizer:
    # 32 pixels -> 8x8 tokens, 3x3 windows padded to 9x9 and shifted; 8 frames -> 4 tokens, windows of 2
    backbone = SwinTransformer3D(16, (2, 2), (1, 2), window_size=(2, 3, 3))
    return Recognizer(backbone, I3DHead(num_classes, backbone.feat_dim, dropout=0.5))


def tiny_mvit_test_8x1x1_synth(num_classes: int = NUM_CLASSES) -> Recognizer:
    # tables sized for 48 pixels, run at 32: the relative positions are interpolated
    backbone = MViT(16, 3, 1, (1,), spatial_size=48, temporal_size=8, adaptive_kv_stride=(1, 2, 2))
    return Recognizer(backbone, MViTHead(num_classes, backbone.feat_dim))


def _register() -> None:
    for name, builder, convert in (
        (SWIN, tiny_swin_test_8x1x1_synth, convert_mmaction_swin),
        (MVIT, tiny_mvit_test_8x1x1_synth, None),
    ):
        if name not in PRESETS:
            register_preset(
                Preset(
                    dataset="synth", num_classes=NUM_CLASSES, input_layout="NCTHW", clip_len=8, test_num_clips=2,
                    test_crops=1, short_side=32, crop_size=32, test_crop_size=32, classifier=("head.fc_cls",),
                    convert_mmaction=convert,
                )
            )(builder)  # fmt: skip


_register()


def _trained_model(name: str) -> Recognizer:
    torch.manual_seed(0)
    model = get_model(name)
    with torch.no_grad():  # far from the initialisation: larger logits, so a wrong export shows
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


def _eager(model: Recognizer, video: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(model.preprocess(video), video.shape[1])


@pytest.mark.parametrize("name", [SWIN, MVIT])
@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_torchscript_export_equals_eager(name: str, tmp_path: Path) -> None:
    model, preset = _trained_model(name), get_preset(name)
    result = export_model(model, preset, tmp_path / "m.pt", format="torchscript", batch_size=2)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    video = example_input(preset, 2, seed=11)
    with torch.no_grad():
        got = torch.jit.load(str(tmp_path / "m.pt"))(video)
    want = _eager(model, video)
    assert got.shape == (2, NUM_CLASSES) and not torch.allclose(want[0], want[1])
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [SWIN, MVIT])
def test_onnx_export_equals_eager(name: str, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime", reason="ONNX export needs the 'export' extra (onnxruntime)")
    pytest.importorskip("onnx", reason="ONNX export needs the 'export' extra (onnx)")
    model, preset = _trained_model(name), get_preset(name)
    export_model(model, preset, tmp_path / "m.onnx", format="onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    video = example_input(preset, 1, seed=12)
    (got,) = session.run(None, {session.get_inputs()[0].name: video.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), _eager(model, video), rtol=1e-4, atol=1e-4)


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("swin_mvit") / "clip.mp4"
    write_h264(path, render_video("move_left", 0, SynthConfig(size=32, min_frames=24, max_frames=24, fps=12)), fps=12)
    return path


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_cli_export_and_infer_swin_from_an_mmaction2_checkpoint(video_file: Path, tmp_path: Path, capsys) -> None:
    model = _trained_model(SWIN)
    # saved as MMAction2 saves it: cls_head. prefix and the relative-position index buffers
    state = {("cls_head." + k[5:] if k.startswith("head.") else k): v for k, v in model.state_dict().items()}
    for name, buf in model.named_buffers():
        if name.endswith("relative_position_index"):
            state[name] = buf
    torch.save({"meta": {"mmaction_version": "1.2.0"}, "state_dict": state}, tmp_path / "mm.pth")

    assert main(["infer", str(video_file), "--preset", SWIN, "--checkpoint", str(tmp_path / "mm.pth"), "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # the CLI's answer is the eager model's on the preset's test views
    from vidcore.recognition.inference import predict_video

    want = predict_video(model, get_preset(SWIN), video_file, top_k=NUM_CLASSES)
    assert row["labels"] == want.labels and row["scores"] == pytest.approx(want.scores, abs=1e-5)

    out = tmp_path / "swin.pt"
    rc = main(["export", str(tmp_path / "mm.pth"), "--preset", SWIN, "--format", "torchscript", "--out", str(out)])
    assert rc == 0 and out.is_file() and "max |exported - eager|" in capsys.readouterr().out
    video = example_input(get_preset(SWIN), 1, seed=13)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(out))(video), _eager(model, video), rtol=1e-5, atol=1e-5)


def test_cli_infer_mvit(video_file: Path, tmp_path: Path, capsys) -> None:
    model = _trained_model(MVIT)
    torch.save({"model": model.state_dict()}, tmp_path / "mvit.pth")
    assert main(["infer", str(video_file), "--preset", MVIT, "--checkpoint", str(tmp_path / "mvit.pth"), "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    from vidcore.recognition.inference import predict_video

    want = predict_video(model, get_preset(MVIT), video_file, top_k=NUM_CLASSES)
    assert row["labels"] == want.labels and row["scores"] == pytest.approx(want.scores, abs=1e-5)
