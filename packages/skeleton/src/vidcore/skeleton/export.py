"""Export a skeleton model to TorchScript (or ONNX) and check the file against eager PyTorch, on the
shared :func:`vidcore.core.export.export_traced`.

The exported graph takes one clip per row, exactly what the preset's test pipeline makes, and
returns logits ``(N, K)`` (averaging the test clips stays outside, as in
:meth:`~vidcore.skeleton.recognizer.SkeletonRecognizer.predict`):

- GCN presets: float32 ``(N, M, T, J, C)`` (people, ``clip_len`` frames, the layout's joints,
  3 channels per stream);
- PoseC3D presets: float32 heatmaps ``(N, K, T, H, W)`` in ``[0, 1]`` (``clip_len`` frames,
  ``test_heatmap_size`` square).

RGBPoseConv3D (two inputs, two score sets) is not exportable by this function.

    model, preset = load_skeleton_model("stgcn_joint_synth_coco_2d", "best.pth")
    result = export_model(model, preset, "stgcn.pt")
"""

from __future__ import annotations

from os import PathLike

import torch
from torch import Tensor

from vidcore.core.export import ExportError, ExportFormat, ExportResult, export_traced
from vidcore.data.skeleton_graphs import get_layout

from .recognizer import SkeletonRecognizer
from .registry import Preset

__all__ = ["ExportError", "ExportResult", "example_input", "export_model", "input_shape"]


def input_shape(preset: Preset) -> tuple[int, ...]:
    """The exported model's input shape per row (see the module docs)."""
    if preset.input_key == "keypoint":
        joints = get_layout(preset.graph).num_joints
        return (preset.num_person, preset.clip_len, joints, 3 * len(preset.feats))
    size = preset.test_heatmap_size
    return (preset.in_channels, preset.clip_len, size, size)


def example_input(preset: Preset, batch_size: int = 1, *, seed: int = 0) -> Tensor:
    """A random float32 input of the exported shape: keypoint channels in ``[-1, 1]`` (scores in
    ``[0, 1]``) for GCNs, heatmaps in ``[0, 1]`` for PoseC3D."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((batch_size, *input_shape(preset)), generator=gen)
    if preset.input_key == "keypoint":
        x[..., :2] = 2 * x[..., :2] - 1  # (.., C): x, y of the first stream in [-1, 1]
    return x


def export_model(
    model: SkeletonRecognizer,
    preset: Preset,
    out: str | PathLike[str],
    *,
    format: ExportFormat = "torchscript",
    batch_size: int = 1,
    check: bool = True,
    atol: float = 1e-4,
) -> ExportResult:
    """Trace ``model`` (eval, CPU) for ``batch_size`` clips of ``preset``'s shape and write ``out``;
    with ``check`` the file must reproduce eager logits on another random input within ``atol``
    (+ 1e-4 relative), else :class:`ExportError` (the file is removed)."""
    if not isinstance(model, SkeletonRecognizer):
        raise ExportError(
            f"{preset.name}: only single-input skeleton models export ({type(model).__name__} takes RGB and pose)"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    probe = example_input(preset, batch_size, seed=1) if check else None
    return export_traced(
        model, example_input(preset, batch_size, seed=0), probe, out, format=format, name=preset.name,
        input_name=preset.input_key, atol=atol, onnx_extra="pip install onnx onnxruntime onnxscript",
    )  # fmt: skip
