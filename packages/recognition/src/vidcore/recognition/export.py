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

import contextlib
import io
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

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

ExportFormat = Literal["torchscript", "onnx"]


class ExportError(RuntimeError):
    """The model could not be exported, or the exported model disagrees with eager PyTorch."""


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


@dataclass(frozen=True)
class ExportResult:
    """The written file, its input shape, and the largest difference from eager on a fresh input."""

    path: Path
    format: ExportFormat
    input_shape: tuple[int, ...]
    max_abs_diff: float | None


def _require_onnx() -> None:
    missing = []
    for name in ("onnx", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(
            f"ONNX export needs {' and '.join(missing)}: pip install 'vidcore-recognition[export]' "
            "(or pip install onnx onnxruntime onnxscript)"
        )


def _export_onnx(module: nn.Module, x: Tensor, out: Path) -> None:
    _require_onnx()
    errors = []
    # The TorchScript-based exporter first: ~10x faster here and needs no onnxscript; the
    # torch.export-based one when it fails. Either way the result is checked against eager.
    for dynamo in (False, True):
        try:
            kwargs = {
                "dynamo": dynamo,
                "input_names": ["video"],
                "output_names": ["logits"],
                "verbose": False,
            }
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecation notes and the dynamo exporter's narration
                torch.onnx.export(module, (x,), str(out), **kwargs)
            return
        except Exception as exc:  # try the other exporter before giving up
            errors.append(
                f"{'dynamo' if dynamo else 'torchscript-based'} exporter: {type(exc).__name__}: {exc}"
            )
    raise ExportError("ONNX export failed:\n  " + "\n  ".join(e.splitlines()[0] for e in errors))


def _run_exported(path: Path, fmt: ExportFormat, x: Tensor) -> Tensor:
    if fmt == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            loaded = torch.jit.load(str(path), map_location="cpu")
        with torch.inference_mode():
            return loaded(x).float()
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return torch.from_numpy(session.run(None, {name: x.numpy()})[0]).float()


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
    file is removed.
    """
    if format not in ("torchscript", "onnx"):
        raise ValueError(f"format must be 'torchscript' or 'onnx', got {format!r}")
    if format == "onnx":
        _require_onnx()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = RawVideoClassifier(model.cpu().eval()).eval()
    x = example_input(preset, batch_size, seed=0)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # TorchScript's deprecation notice and the tracer's notes on shape checks that become
            # constants (the batch layout is fixed by design) are not actionable here.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            if format == "torchscript":
                traced = torch.jit.trace(module, (x,), check_trace=False)
                traced.save(str(path))
            else:
                _export_onnx(module, x, path)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"{format} export of {preset.name} failed: {type(exc).__name__}: {exc}") from exc
    diff = None
    if check:
        probe = example_input(preset, batch_size, seed=1)
        with torch.inference_mode():
            ref = module(probe).float()
        got = _run_exported(path, format, probe)
        if got.shape != ref.shape:
            path.unlink(missing_ok=True)
            raise ExportError(f"exported model returns shape {tuple(got.shape)}, eager {tuple(ref.shape)}")
        diff = float((got - ref).abs().max())
        bound = atol + rtol * float(ref.abs().max())
        if not diff <= bound:
            path.unlink(missing_ok=True)
            raise ExportError(
                f"exported {format} model differs from eager PyTorch by {diff:.3g} (allowed {bound:.3g}); "
                "the file was removed"
            )
    return ExportResult(path, format, tuple(x.shape), diff)
