"""vidcore.core.export.export_traced: a traced TorchScript file that reproduces eager PyTorch is
written and measured; one that does not (Python state the trace froze) is refused and removed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from vidcore.core.export import ExportError, export_traced, run_exported

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")


def test_traced_file_equals_eager_and_is_measured(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    example, probe = torch.randn(2, 4), torch.randn(2, 4)
    result = export_traced(net, example, probe, tmp_path / "m.pt", name="toy")
    assert result.input_shape == (2, 4) and result.path.is_file()
    with torch.no_grad():
        expected = net(probe)
    got = run_exported(result.path, "torchscript", probe)
    assert result.max_abs_diff == pytest.approx(float((got - expected).abs().max()), abs=1e-12)
    assert result.max_abs_diff <= 1e-6


class _Counting(nn.Module):
    """Scales by how often it has been called: tracing freezes the count at 1."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return x * float(self.calls)


def test_a_file_that_differs_from_eager_is_refused_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "bad.pt"
    with pytest.raises(ExportError, match="differs from eager PyTorch"):
        export_traced(_Counting(), torch.ones(1, 3), torch.ones(1, 3), out, name="counting")
    assert not out.exists()
    with pytest.raises(ValueError, match="probe shape"):
        export_traced(_Counting(), torch.ones(1, 3), torch.ones(2, 3), out)
