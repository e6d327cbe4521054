"""Test helper (not a test module): a tiny registered 2D preset and a tiny rendered dataset.

Load it from a test file with ``importlib`` (tests run with ``--import-mode=importlib``)::

    tiny = _load_helper()   # see the test files
    tiny.register()         # idempotent
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from vidcore.recognition.models.tsm import TSMHead, temporal_shift
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import PRESETS, Preset, register_preset

PRESET = "tiny_tsm_test_1x1x4_synth"
SEGMENTS = 4


class TinyShiftNet(nn.Module):
    """Two stride-2 convolutions with a temporal shift between them: ``(B*T, 3, H, W)`` ->
    ``(B*T, 16, H/4, W/4)``. Small enough to train in a second, temporal enough to see motion."""

    def __init__(self, num_segments: int = SEGMENTS) -> None:
        super().__init__()
        self.num_segments = num_segments
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.feat_dim = 16

    def forward(self, x: Tensor) -> Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = temporal_shift(x, self.num_segments, shift_div=4)
        return torch.relu(self.bn2(self.conv2(x)))


def tiny_tsm_test_1x1x4_synth(num_classes: int = 8) -> Recognizer:
    backbone = TinyShiftNet()
    head = TSMHead(backbone.feat_dim, num_classes, dropout=0.0, init_std=0.01)
    return Recognizer(backbone, head, input_layout="NCHW", num_segments=SEGMENTS, average_clips="prob")


def register() -> str:
    """Register the tiny preset once per process; returns its name."""
    if PRESET not in PRESETS:
        register_preset(
            Preset(
                num_clips=SEGMENTS, num_classes=8, dataset="synth", input_layout="NCHW",
                test_num_clips=SEGMENTS, test_crops=3, short_side=32, crop_size=28, test_crop_size=32,
                classifier=("head.fc_cls",),
            )
        )(tiny_tsm_test_1x1x4_synth)  # fmt: skip
    return PRESET


def render(out: Path) -> Path:
    """Render the synthetic 8-class dataset with 3 videos per class (2 train, 1 val), 32x32."""
    from vidcore.data.synth import SynthConfig, render_dataset

    return render_dataset(
        out, SynthConfig(videos_per_class=3, size=32, min_frames=8, max_frames=10), progress=False
    )
