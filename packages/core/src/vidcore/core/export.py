"""Export a module to TorchScript or ONNX by tracing, then prove the file computes what eager
PyTorch does on a fresh input: the task-independent half of every task's ``export`` verb.

A task builds the module to export (its model plus whatever preprocessing belongs inside) and two
inputs of the exported shape, one to trace and one to check with, and calls :func:`export_traced`:

    result = export_traced(module, example, probe, "model.pt", format="torchscript", name=preset.name)
    print(result.max_abs_diff)

ONNX needs ``onnx`` and ``onnxruntime`` installed (each task's ``[export]`` extra).
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

__all__ = ["ExportError", "ExportFormat", "ExportResult", "export_traced", "run_exported"]

ExportFormat = Literal["torchscript", "onnx"]


class ExportError(RuntimeError):
    """The module could not be exported, or the exported file disagrees with eager PyTorch."""


@dataclass(frozen=True)
class ExportResult:
    """The written file, its (fixed) input shape, and the largest absolute difference from eager
    PyTorch on the check input (``None`` when unchecked)."""

    path: Path
    format: ExportFormat
    input_shape: tuple[int, ...]
    max_abs_diff: float | None


def _require_onnx(extra: str) -> None:
    missing = []
    for name in ("onnx", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(f"ONNX export needs {' and '.join(missing)}: {extra}")


def _export_onnx(
    module: nn.Module, x: Tensor, out: Path, input_name: str, output_name: str, dynamic_batch: bool = False
) -> None:
    errors = []
    axes = {input_name: {0: "batch"}, output_name: {0: "batch"}} if dynamic_batch else None
    # the TorchScript-based exporter first (faster, no onnxscript), then the torch.export-based one
    for dynamo in (False, True):
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecation notes and the dynamo exporter's narration
                torch.onnx.export(
                    module, (x,), str(out), dynamo=dynamo, input_names=[input_name], output_names=[output_name],
                    verbose=False, dynamic_axes=axes,
                )  # fmt: skip
            return
        except Exception as exc:  # try the other exporter before giving up
            errors.append(f"{'dynamo' if dynamo else 'torchscript-based'} exporter: {type(exc).__name__}: {exc}")
    raise ExportError("ONNX export failed:\n  " + "\n  ".join(e.splitlines()[0] for e in errors))


def run_exported(path: str | PathLike[str], format: ExportFormat, x: Tensor) -> Tensor:
    """Run an exported file on ``x`` (CPU) and return its float output."""
    if format == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            loaded = torch.jit.load(str(path), map_location="cpu")
        with torch.inference_mode():
            return loaded(x).float()
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return torch.from_numpy(session.run(None, {name: x.numpy()})[0]).float()


def export_traced(
    module: nn.Module,
    example: Tensor,
    probe: Tensor | None,
    out: str | PathLike[str],
    *,
    format: ExportFormat = "torchscript",
    name: str = "model",
    input_name: str = "input",
    output_name: str = "logits",
    atol: float = 1e-4,
    rtol: float = 1e-4,
    onnx_extra: str = "pip install onnx onnxruntime onnxscript",
    dynamic_batch: bool = False,
) -> ExportResult:
    """Trace ``module`` (put in eval mode, on CPU) on ``example`` and write it to ``out``.

    The input shape (batch size included) is fixed by ``example``. With a ``probe`` (another input
    of the same shape; ``None``: no check) the exported file is run on it and must match eager
    PyTorch within ``atol + rtol * max|eager|``; otherwise :class:`ExportError` and the file is
    removed. ``name`` names the model in errors; ``onnx_extra`` is the install hint for ONNX;
    ``dynamic_batch`` leaves the first dimension of an ONNX graph's input and output free.
    """
    if format not in ("torchscript", "onnx"):
        raise ValueError(f"format must be 'torchscript' or 'onnx', got {format!r}")
    if format == "onnx":
        _require_onnx(onnx_extra)
    if probe is not None and probe.shape != example.shape:
        raise ValueError(f"probe shape {tuple(probe.shape)} differs from the example's {tuple(example.shape)}")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.cpu().eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # TorchScript's deprecation notice and the tracer's notes on shapes that become constants
            # (the input shape is fixed by design) are not actionable here
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            if format == "torchscript":
                torch.jit.trace(module, (example,), check_trace=False).save(str(path))
            else:
                _export_onnx(module, example, path, input_name, output_name, dynamic_batch)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"{format} export of {name} failed: {type(exc).__name__}: {exc}") from exc
    diff = None
    if probe is not None:
        with torch.inference_mode():
            ref = module(probe).float()
        got = run_exported(path, format, probe)
        if got.shape != ref.shape:
            path.unlink(missing_ok=True)
            raise ExportError(f"exported {name} returns shape {tuple(got.shape)}, eager {tuple(ref.shape)}")
        diff = float((got - ref).abs().max())
        bound = atol + rtol * float(ref.abs().max())
        if not diff <= bound:
            path.unlink(missing_ok=True)
            raise ExportError(
                f"exported {format} {name} differs from eager PyTorch by {diff:.3g} (allowed {bound:.3g}); "
                "the file was removed"
            )
    return ExportResult(path, format, tuple(example.shape), diff)
