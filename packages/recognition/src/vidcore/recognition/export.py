"""Export a recognizer to TorchScript or ONNX, and prove the export computes what eager PyTorch does.

The exported graph takes raw frames and returns logits, normalization included, so a deployment
needs nothing but the graph and the preset's sampling/cropping:

- input: ``uint8`` ``(N, T, C, H, W)``, one view per row (``T`` segments for 2D presets, ``T``
  frames of one clip for 3D presets; ``H = W = crop_size``);
- output: float32 logits ``(N, K)`` (apply a softmax for probabilities; average views yourself).

    from vidcore.recognition.export import export_model
    model, preset = load_recognizer("tsm_r50_1x1x8_kinetics400", "tsm.pth")
    result = export_model(model, preset, "tsm.onnx", format="onnx")
    print(result.max_abs_diff)

ONNX export and its check need the optional extra: ``pip install "vidcore-recognition[export]"``
(``onnx``, ``onnxruntime``, ``onnxscript``).
"""

from __future__ import annotations

from os import PathLike

import torch
from torch import Tensor, nn

from vidcore.core.export import ExportError, ExportFormat, ExportResult, export_traced

from .recognizer import Recognizer
from .registry import Preset

__all__ = [
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "RawVideoClassifier",
    "example_input",
    "export_model",
]

_ONNX_EXTRA = "pip install 'vidcore-recognition[export]' (or pip install onnx onnxruntime onnxscript)"


class RawVideoClassifier(nn.Module):
    """``uint8 (N, T, C, H, W)`` -> logits ``(N, K)``: the recognizer's normalization, layout and
    forward in one module (what gets exported)."""

    def __init__(self, model: Recognizer) -> None:
        super().__init__()
        self.model = model

    def forward(self, video: Tensor) -> Tensor:
        t = video.shape[1]
        x = self.model.preprocess(video)  # (N, T, C, H, W) -> model layout, float, normalized
        return self.model.forward(x, t)


def example_input(preset: Preset, batch_size: int = 1, *, seed: int = 0) -> Tensor:
    """Random ``uint8`` frames of the exported input shape ``(N, T, C, crop, crop)``."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (batch_size, *preset.input_shape), dtype=torch.uint8, generator=g)


def export_model(
    model: Recognizer,
    preset: Preset,
    out: str | PathLike[str],
    *,
    format: ExportFormat = "torchscript",
    batch_size: int = 1,
    check: bool = True,
    atol: float = 1e-4,
    rtol: float = 1e-4,
) -> ExportResult:
    """Export ``model`` (eval mode, CPU) for inputs of ``batch_size`` views of ``preset``'s clip shape.

    The batch size is fixed in the exported graph. With ``check``, the exported model is run on a
    *different* random input than the one used for tracing, and its logits must match eager
    PyTorch within ``atol + rtol * |eager|``; otherwise :class:`ExportError` is raised and the
    file is removed (:func:`vidcore.core.export.export_traced` does the tracing and the check).
    """
    module = RawVideoClassifier(model.cpu().eval()).eval()
    probe = example_input(preset, batch_size, seed=1) if check else None
    return export_traced(
        module, example_input(preset, batch_size, seed=0), probe, out, format=format, name=preset.name,
        input_name="video", output_name="logits", atol=atol, rtol=rtol, onnx_extra=_ONNX_EXTRA,
    )  # fmt: skip
