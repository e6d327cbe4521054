"""Export an audio model to TorchScript or ONNX, and check the export against eager PyTorch.

The exported graph takes log-mel clips ``(N, T, F)`` float32 (one clip per row; ``T =
fixed_length``, ``F = n_mels``) and returns logits ``(N, K)``; feature extraction and the averaging
of test clips stay outside (see :mod:`vidcore.audio.inference`). ONNX needs ``onnx`` and
``onnxruntime`` installed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from .recognizer import AudioRecognizer
from .registry import Preset

__all__ = ["ExportError", "ExportResult", "LogMelClassifier", "export_model"]

ExportFormat = Literal["torchscript", "onnx"]


class ExportError(RuntimeError):
    """The export failed, or the exported model disagrees with eager PyTorch."""


class LogMelClassifier(nn.Module):
    """``(N, T, F)`` log-mel clips -> logits ``(N, K)`` (what gets exported)."""

    def __init__(self, model: AudioRecognizer) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: Tensor) -> Tensor:
        return self.model(clips.unsqueeze(1))  # (N, T, F) -> (N, 1, T, F)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    max_abs_diff: float | None  # exported vs eager logits on a random batch of two; None if unchecked


def export_model(
    model: AudioRecognizer, preset: Preset, out: str | PathLike[str], *, format: ExportFormat, check: bool = True
) -> ExportResult:
    """Write ``model`` (eval mode, CPU) to ``out`` and compare its logits with eager PyTorch."""
    net = LogMelClassifier(model.cpu().eval()).eval()
    gen = torch.Generator().manual_seed(0)
    example = torch.rand(2, preset.fixed_length, preset.n_mels, generator=gen)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        expected = net(example)
        if format == "torchscript":
            traced = torch.jit.trace(net, example)
            traced.save(str(out))
            got = torch.jit.load(str(out))(example) if check else None
        elif format == "onnx":
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise ExportError("ONNX export needs onnx and onnxruntime (pip install onnx onnxruntime)") from exc
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    net, (example,), str(out), input_names=["clips"], output_names=["logits"],
                    dynamic_axes={"clips": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
                )  # fmt: skip
            got = None
            if check:
                session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
                got = torch.from_numpy(session.run(None, {"clips": example.numpy()})[0])
        else:
            raise ExportError(f"format must be 'torchscript' or 'onnx', got {format!r}")
    diff = None if got is None else float((got - expected).abs().max())
    if diff is not None and diff > 1e-4:
        raise ExportError(f"the exported model differs from eager PyTorch by {diff:.3g} (> 1e-4)")
    return ExportResult(out, format, diff)
