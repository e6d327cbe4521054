"""Export BMN to TorchScript (or ONNX) for inference outside Python, checked against eager PyTorch.

The exported module takes float features ``(N, feat_dim, temporal_scale)`` (the layout of
:func:`~vidcore.localization.datasets.load_features`, batch size fixed at export) and returns one
tensor ``(N, 2 * D * T + 2 * T)``: the confidence map ``(N, 2, D, T)`` (0: regression, 1:
classification; ``D = T = temporal_scale``) flattened, then the start and end probabilities
``(N, T)`` each; :func:`unpack_outputs` splits it back. One output tensor keeps the exported
interface plain for both formats; proposal generation and Soft-NMS stay in Python
(:mod:`vidcore.localization.postprocess`).

Tracing and the check are vidcore-core's :func:`vidcore.core.export.export_traced` (as
vidcore-recognition's export): the file is run on a second random input and must match eager
PyTorch within ``atol + rtol * max|eager|``, else it is removed and ``ExportError`` raised.
"""

from __future__ import annotations

from os import PathLike

import torch
from torch import Tensor, nn

from vidcore.core.export import ExportError, ExportFormat, ExportResult, export_traced

from .models.bmn import BMN, BMNOutput

__all__ = ["BMNExport", "ExportError", "ExportResult", "example_features", "export_bmn", "unpack_outputs"]

_ONNX_EXTRA = "pip install onnx onnxruntime onnxscript"


class BMNExport(nn.Module):
    """``(N, C, T)`` features -> ``(N, 2 * D * T + 2 * T)`` (see the module docstring)."""

    def __init__(self, model: BMN) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor) -> Tensor:
        out = self.model(features)
        return torch.cat([out.confidence.flatten(1), out.start, out.end], dim=1)  # (N, 2DT), (N, T), (N, T)


def unpack_outputs(packed: Tensor, temporal_scale: int) -> BMNOutput:
    """Split :class:`BMNExport`'s output back into a :class:`BMNOutput`."""
    t = temporal_scale
    n = packed.shape[0]
    if packed.shape[1] != 2 * t * t + 2 * t:
        raise ValueError(f"expected (N, {2 * t * t + 2 * t}) for temporal scale {t}, got {tuple(packed.shape)}")
    conf = packed[:, : 2 * t * t].reshape(n, 2, t, t)  # (N, 2DT) -> (N, 2, D, T)
    return BMNOutput(conf, packed[:, 2 * t * t : 2 * t * t + t], packed[:, 2 * t * t + t :])


def example_features(model: BMN, batch_size: int = 1, *, seed: int = 0) -> Tensor:
    """Random features ``(N, feat_dim, temporal_scale)`` of the exported shape."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, model.feat_dim, model.temporal_scale, generator=g)


def export_bmn(
    model: BMN,
    out: str | PathLike[str],
    *,
    format: ExportFormat = "torchscript",
    batch_size: int = 1,
    check: bool = True,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    name: str = "BMN",
) -> ExportResult:
    """Export ``model`` (eval mode, CPU) for ``batch_size`` videos; with ``check``, compare the file
    with eager PyTorch on another random input (see the module docstring)."""
    if not isinstance(model, BMN):
        raise ExportError(f"export supports BMN presets, got {type(model).__name__}")
    module = BMNExport(model.cpu().eval()).eval()
    probe = example_features(model, batch_size, seed=1) if check else None
    return export_traced(
        module, example_features(model, batch_size, seed=0), probe, out, format=format, name=name,
        input_name="features", output_name="bmn_outputs", atol=atol, rtol=rtol, onnx_extra=_ONNX_EXTRA,
    )  # fmt: skip
