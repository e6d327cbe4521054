"""BMN export: the TorchScript file computes what eager BMN does (on inputs it was not traced on),
the packed output unpacks to BMN's outputs, and the command line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from vidcore.core.export import run_exported
from vidcore.localization.cli import main
from vidcore.localization.export import export_bmn, unpack_outputs
from vidcore.localization.meta import ACTIVITYNET_TSN
from vidcore.localization.models.bmn import BMN, convert_mmaction_bmn
from vidcore.localization.registry import PRESETS, register_preset

TINY = "bmn_tiny_export_test"
if TINY not in PRESETS:

    @register_preset(replace(ACTIVITYNET_TSN, dataset="synthetic", temporal_scale=12, feat_dim=8,
                             convert_mmaction=convert_mmaction_bmn))  # fmt: skip
    def bmn_tiny_export_test() -> BMN:
        return BMN(temporal_scale=12, feat_dim=8, num_samples=4, num_samples_per_bin=2, hidden_dim_1d=8,
                   hidden_dim_2d=4, hidden_dim_3d=8)  # fmt: skip


def test_torchscript_matches_eager(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = BMN(temporal_scale=12, feat_dim=8, num_samples=4, num_samples_per_bin=2, hidden_dim_1d=8,
                hidden_dim_2d=4, hidden_dim_3d=8).eval()  # fmt: skip
    res = export_bmn(model, tmp_path / "bmn.pt", batch_size=2)
    assert res.input_shape == (2, 8, 12) and res.max_abs_diff is not None and res.max_abs_diff <= 1e-5
    x = torch.randn(2, 8, 12, generator=torch.Generator().manual_seed(5)) * 3
    with torch.no_grad():
        ref = model(x)
        packed = run_exported(tmp_path / "bmn.pt", "torchscript", x)
        got = unpack_outputs(packed, 12)
    assert got.confidence.shape == (2, 2, 12, 12) and got.start.shape == got.end.shape == (2, 12)
    for a, b in ((got.confidence, ref.confidence), (got.start, ref.start), (got.end, ref.end)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="temporal scale 10"):
        unpack_outputs(packed, 10)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    torch.save({"state_dict": bmn_tiny_export_test().state_dict()}, tmp_path / "w.pth")
    assert main(["export", str(tmp_path / "w.pth"), "--preset", TINY, "--out", str(tmp_path / "a.pt")]) == 0
    out = capsys.readouterr().out
    assert "input 1x8x12" in out and "max abs diff vs eager" in out and (tmp_path / "a.pt").is_file()
    assert main(["export", "--preset", TINY, "--out", str(tmp_path / "b.pt")]) == 2  # no silent random weights
    assert "--random-weights" in capsys.readouterr().err
    assert main(["export", "--preset", TINY, "--random-weights", "--out", str(tmp_path / "b.pt")]) == 0
    assert "untrained" in capsys.readouterr().out
    assert main(["export", "--preset", "bmn_nope", "--random-weights", "--out", str(tmp_path / "c.pt")]) == 1
