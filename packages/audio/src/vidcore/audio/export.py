"""Export an audio model to TorchScript or ONNX, and check the export against eager PyTorch.

The exported graph takes log-mel clips ``(N, T, F)`` float32 (one clip per row; ``T =
fixed_length``, ``F = n_mels``) and returns logits ``(N, K)``; feature extraction and the averaging
of test clips stay outside (see :mod:`vidcore.audio.inference`). ONNX needs ``onnx`` and
``onnxruntime`` installed.
"""

from __future__ import annotations

from os import PathLike

import torch
from torch import Tensor, nn

from vidcore.core.export import ExportError, ExportFormat, ExportResult, export_traced

from .recognizer import AudioRecognizer
from .registry import Preset

__all__ = ["ExportError", "ExportResult", "LogMelClassifier", "export_model"]


class LogMelClassifier(nn.Module):
    """``(N, T, F)`` log-mel clips -> logits ``(N, K)`` (what gets exported)."""

    def __init__(self, model: AudioRecognizer) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: Tensor) -> Tensor:
        return self.model(clips.unsqueeze(1))  # (N, T, F) -> (N, 1, T, F)


def _clips(preset: Preset, seed: int) -> Tensor:
    return torch.rand(2, preset.fixed_length, preset.n_mels, generator=torch.Generator().manual_seed(seed))


def export_model(
    model: AudioRecognizer, preset: Preset, out: str | PathLike[str], *, format: ExportFormat, check: bool = True
) -> ExportResult:
    """Write ``model`` (eval mode, CPU) to ``out``, traced on two random clips; with ``check`` the
    file's logits on two other clips must equal eager PyTorch's within 1e-4 (relative to their
    scale), else :class:`ExportError` and the file is removed. ONNX graphs keep the batch free."""
    return export_traced(
        LogMelClassifier(model.cpu().eval()), _clips(preset, 0), _clips(preset, 1) if check else None, out,
        format=format, name=preset.name, input_name="clips", output_name="logits", dynamic_batch=True,
        onnx_extra="pip install 'vidcore-audio[export]' (or pip install onnx onnxruntime)",
    )  # fmt: skip
