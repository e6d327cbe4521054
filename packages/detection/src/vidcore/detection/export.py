"""TorchScript export of a detector given its person boxes, checked against eager PyTorch.

The exported module takes raw frames and RoIs and returns action probabilities, normalization
included:

- inputs: ``uint8`` clips ``(N, T, C, H, W)`` and RoIs ``float32 (R, 5)`` (clip index, x1, y1,
  x2, y2 in pixels of the clip);
- output: ``float32 (R, K)`` sigmoid scores (column ``j`` is action id ``j``; 0 unused).

Feature-bank (LFB) presets read a Python bank per keyframe and are not exportable.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import torch
from torch import Tensor, nn

from .detector import AVADetector
from .registry import Preset

__all__ = ["ExportError", "RawVideoDetector", "export_torchscript"]


class ExportError(RuntimeError):
    """The detector could not be exported, or the export disagrees with eager PyTorch."""


class RawVideoDetector(nn.Module):
    """``uint8 (N, T, C, H, W)`` clips + RoIs ``(R, 5)`` -> probabilities ``(R, K)``."""

    def __init__(self, model: AVADetector) -> None:
        super().__init__()
        self.model = model

    def forward(self, video: Tensor, rois: Tensor) -> Tensor:
        return self.model(self.model.preprocess(video), rois).sigmoid()


@dataclass
class ExportResult:
    path: Path
    max_abs_diff: float


def _example(preset: Preset, num_rois: int = 3) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(0)
    side = preset.short_side
    video = torch.randint(0, 256, (1, preset.clip_len, 3, side, side + side // 4), generator=g, dtype=torch.uint8)
    xy = torch.rand(num_rois, 2, generator=g) * side * 0.5
    rois = torch.cat([torch.zeros(num_rois, 1), xy, xy + side * 0.4], 1)
    return video, rois


@torch.no_grad()
def export_torchscript(model: AVADetector, preset: Preset, path: str | PathLike[str], *, atol: float = 1e-4) -> ExportResult:
    """Trace :class:`RawVideoDetector` on an example clip of the preset's size, save it to
    ``path``, reload it and compare its output on a second input (other size, other RoI count)
    with eager PyTorch; ``ExportError`` beyond ``atol``."""
    if model.roi_head.shared_head is not None and hasattr(model.roi_head.shared_head, "bank"):
        raise ExportError(f"preset {preset.name} reads a feature bank per keyframe: not exportable")
    wrapper = RawVideoDetector(model.eval()).eval()
    video, rois = _example(preset)
    traced = torch.jit.trace(wrapper, (video, rois), check_trace=False)
    out = Path(path)
    traced.save(str(out))
    loaded = torch.jit.load(str(out))
    video2, rois2 = _example(preset, num_rois=5)
    video2 = torch.cat([video2, video2.flip(-1)])  # two clips
    rois2[-2:, 0] = 1.0
    diff = float((loaded(video2, rois2) - wrapper(video2, rois2)).abs().max())
    if not diff <= atol:
        raise ExportError(f"the TorchScript export differs from eager PyTorch by {diff:.3g} (> {atol})")
    return ExportResult(out, diff)
