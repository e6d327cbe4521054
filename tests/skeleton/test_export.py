"""``vidcore-skeleton export``: the TorchScript file reproduces eager logits (checked here on inputs of
our own, beside the export's own check), for ST-GCN and ST-GCN++ (learned adjacency); a two-input
model is refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vidcore.skeleton.cli import main
from vidcore.skeleton.export import ExportError, export_model, input_shape
from vidcore.skeleton.registry import get_model, get_preset

# loading the file back is the point of these tests; torch's deprecation notice of jit.load is not
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")


def test_export_verb_writes_torchscript_equal_to_eager(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    model = get_model("stgcn_joint_synth_coco_2d", num_classes=4).eval()
    torch.save({"model": model.state_dict()}, tmp_path / "w.pth")
    out = tmp_path / "stgcn.pt"
    argv = ["export", str(tmp_path / "w.pth"), "--preset", "stgcn_joint_synth_coco_2d", "--out", str(out), "--batch-size", "2"]
    assert main(argv) == 0
    assert "max |exported - eager|" in capsys.readouterr().out
    scripted = torch.jit.load(str(out))
    # the preset's clip: 1 person, 20 frames, 17 COCO joints, x/y/score
    assert input_shape(get_preset("stgcn_joint_synth_coco_2d")) == (1, 20, 17, 3)
    x = torch.randn(2, 1, 20, 17, 3, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        ref = model(x)
        got = scripted(x)
    assert got.shape == (2, 4)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_export_of_a_learned_adjacency_model(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = get_model("stgcnpp_joint_80e_ntu60_xsub_keypoint_3d", num_classes=3).eval()
    with torch.no_grad():
        for p in model.parameters():  # move the learned adjacency and norms away from their initial values
            p.add_(0.01 * torch.randn_like(p))
    preset = get_preset("stgcnpp_joint_80e_ntu60_xsub_keypoint_3d")
    result = export_model(model, preset, tmp_path / "pp.pt")
    assert result.input_shape == (1, 2, 100, 25, 3) and result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    x = torch.randn(1, 2, 100, 25, 3, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(result.path))(x), model(x), atol=1e-5, rtol=1e-5)


def test_two_input_model_is_refused(tmp_path: Path) -> None:
    with torch.device("meta"):
        model = get_model("rgbposeconv3d_ntu60_xsub")
    with pytest.raises(ExportError, match="only single-input skeleton models export"):
        export_model(model, get_preset("rgbposeconv3d_ntu60_xsub"), tmp_path / "x.pt")  # type: ignore[arg-type]
    assert not (tmp_path / "x.pt").exists()
