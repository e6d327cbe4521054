"""ACRN, the actor-centric relation network (Sun et al., "Actor-Centric Relation Network",
ECCV 2018; MMAction2's ``detection/acrn`` configs): each person's pooled RoI feature is tiled over
the whole keyframe feature map, concatenated with it, and mixed by a 1x1x1 then 1x3x3 convolution
(BN + ReLU each), so the classifier sees the person's relation to every place of the scene.

MMAction2 mapping: ``ACRNHead`` is :class:`ACRNHead` (keys ``roi_head.shared_head.conv1.conv``,
``.conv1.bn``, ``.conv2.conv``, ``.conv2.bn``, ``.convs.<i>.*``), run on a SlowFast-R50 8x8
backbone; the bbox head then averages over time and max-pools the whole map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from vidcore.recognition.models.resnet3d import ConvBnAct3d

from ..detector import AVADetector, convert_mmaction_detector
from ..meta import AVA21, AVA22
from ..registry import register_preset
from .roi_head import AVARoIHead, BBoxHeadAVA, RoIExtractor3D
from .slowfast import slowfast_ava_backbone

__all__ = ["ACRNHead", "acrn_slowfast_detector"]


class ACRNHead(nn.Module):
    """Tile + 1x1x1 conv + 1x3x3 conv(s), BN and ReLU after each.

    Args:
        in_channels: RoI channels + frame channels (4608 for SlowFast-R50: 2304 + 2304).
        out_channels: output channels (2304).
        stride: spatial stride of the 1x3x3 convolution.
        num_convs: 1x3x3 convolutions (the first is ``conv2``, the others ``convs``).

    ``forward(roi_feats (R, C, 1, S, S), feat (N, C, 1, H, W), rois, img_keys)`` ->
    ``(R, out_channels, 1, H / stride, W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, num_convs: int = 1) -> None:
        super().__init__()
        if num_convs < 1:
            raise ValueError(f"num_convs must be >= 1, got {num_convs}")
        self.conv1 = ConvBnAct3d(in_channels, out_channels, (1, 1, 1), (1, 1, 1), (0, 0, 0))
        self.conv2 = ConvBnAct3d(out_channels, out_channels, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        self.convs = nn.ModuleList(
            ConvBnAct3d(out_channels, out_channels, (1, 3, 3), (1, 1, 1), (0, 1, 1)) for _ in range(num_convs - 1)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, roi_feats: Tensor, feat: Tensor, rois: Tensor, img_keys: Sequence[str] = ()) -> Tensor:
        x = roi_feats.amax(dim=(2, 3, 4), keepdim=True)  # (R, C, T, S, S) -> (R, C, 1, 1, 1)
        h, w = feat.shape[-2:]
        tiled = x.expand(-1, -1, feat.shape[2], h, w)  # (R, C, T', H, W)
        frame = feat[rois[:, 0].long()]  # (R, C, T', H, W): each RoI's keyframe map
        out = self.conv2(self.conv1(torch.cat([tiled, frame], dim=1)))  # (R, 2C, T', H, W) -> (R, out, ...)
        for conv in self.convs:
            out = conv(out)
        return out


def acrn_slowfast_detector(num_classes: int = 81, *, dropout_ratio: float = 0.5) -> AVADetector:
    """SlowFast-R50 8x8 + ACRN (4608 -> 2304 channels) + bbox head on the whole map."""
    head = AVARoIHead(
        RoIExtractor3D(8, 16),
        BBoxHeadAVA(2304, num_classes, dropout_ratio=dropout_ratio),
        shared_head=ACRNHead(4608, 2304),
    )
    return AVADetector(slowfast_ava_backbone(50, resample_rate=4, speed_ratio=4, fusion_kernel=7), head)


_CFG = "detection/acrn/"


@register_preset(
    replace(
        AVA21,
        clip_len=32,
        frame_interval=2,
        convert_mmaction=convert_mmaction_detector,
        mmaction_config=_CFG + "slowfast-acrn_kinetics400-pretrained-r50_8xb8-8x8x1-cosine-10e_ava21-rgb.py",
        notes="SlowFast-R50 8x8 + ACRN, AVA v2.1; MMAction2 reports 27.58 frame-mAP.",
    )
)
def slowfast_acrn_r50_8x8x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8 with the ACRN head."""
    return acrn_slowfast_detector(num_classes)


@register_preset(
    replace(
        AVA22,
        clip_len=32,
        frame_interval=2,
        convert_mmaction=convert_mmaction_detector,
        mmaction_config=_CFG + "slowfast-acrn_kinetics400-pretrained-r50_8xb8-8x8x1-cosine-10e_ava22-rgb.py",
        notes="SlowFast-R50 8x8 + ACRN, AVA v2.2.",
    )
)
def slowfast_acrn_r50_8x8x1_ava22(num_classes: int = 81) -> AVADetector:
    """SlowFast-R50 8x8 with the ACRN head, AVA v2.2."""
    return acrn_slowfast_detector(num_classes)
