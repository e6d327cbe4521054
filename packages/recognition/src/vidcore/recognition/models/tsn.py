"""TSN: Temporal Segment Networks (Wang et al., ECCV 2016).

A 2D ResNet runs on ``T`` frames sampled one per segment; the head averages (segmental consensus)
the pooled frame features and classifies. Frames never interact, so a TSN model accepts any number
of segments (3 in training, 25 at test time in MMAction2's recipe).

Published (MMAction2 model zoo, Kinetics-400, 25 clips x 10 crops): TSN-R50 1x1x3 top-1 72.83%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import normal_init

from ..meta import K400_2D, STHV2_2D
from ..recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .resnet import ResNet

__all__ = ["TSNHead", "convert_mmaction_tsn", "segment_consensus", "tsn_resnet"]

Consensus = Literal["avg", "max"]


def segment_consensus(x: Tensor, mode: Consensus, dim: int = 1) -> Tensor:
    """Segmental consensus: mean or max over the segment axis ``dim``."""
    if mode == "avg":
        return x.mean(dim=dim)
    if mode == "max":
        return x.amax(dim=dim)
    raise ValueError(f"consensus must be 'avg' or 'max', got {mode!r}")


def pool_frames(x: Tensor) -> Tensor:
    """Global average over space: ``(B, T, C, h, w)`` -> ``(B, T, C)``; ``(B, T, C)`` passes through."""
    if x.dim() == 5:
        return x.mean(dim=(3, 4))
    if x.dim() == 3:
        return x
    raise ValueError(f"2D heads expect features (B, T, C, h, w) or (B, T, C), got {tuple(x.shape)}")


class TSNHead(nn.Module):
    """TSN head: spatial average pool -> consensus over segments -> dropout -> linear.

    Args:
        in_channels: feature channels ``C``.
        num_classes: classes ``K``.
        dropout: dropout probability before the classifier.
        consensus: ``"avg"`` (TSN, MMAction2's ``AvgConsensus``) or ``"max"``.
        init_std: std of the normal initialisation of the classifier weight.

    Input ``(B, T, C, h, w)`` frame features; output logits ``(B, K)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        *,
        dropout: float = 0.4,
        consensus: Consensus = "avg",
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        if consensus not in ("avg", "max"):
            raise ValueError(f"consensus must be 'avg' or 'max', got {consensus!r}")
        self.in_channels = in_channels
        self.consensus = consensus
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        normal_init(self.fc_cls, std=init_std)

    @property
    def num_classes(self) -> int:
        return self.fc_cls.out_features

    def reset_classifier(self, num_classes: int) -> None:
        self.fc_cls = nn.Linear(self.in_channels, num_classes).to(self.fc_cls.weight.device)
        normal_init(self.fc_cls, std=self.init_std)

    def forward(self, x: Tensor) -> Tensor:
        x = segment_consensus(pool_frames(x), self.consensus)  # (B, T, C) -> (B, C)
        return self.fc_cls(self.dropout(x))


def convert_mmaction_tsn(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 TSN (``Recognizer2D`` + ``ResNet`` + ``TSNHead``) state dict -> ours.

    The ResNet keys are identical; only ``cls_head.`` becomes ``head.``.
    """
    return remap_keys(state_dict, [(r"^cls_head\.", "head.")])


def tsn_resnet(
    depth: int,
    *,
    num_classes: int,
    num_segments: int,
    in_channels: int = 3,
    dropout: float = 0.4,
    consensus: Consensus = "avg",
    mean: Sequence[float] = IMAGENET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
    partial_bn: bool = False,
    norm_eval: bool = False,
    frozen_stages: int = -1,
) -> Recognizer:
    """TSN on a ResNet-``depth`` backbone. ``num_segments`` is the training default (any works)."""
    backbone = ResNet(
        depth, in_channels=in_channels, partial_bn=partial_bn, norm_eval=norm_eval, frozen_stages=frozen_stages
    )
    head = TSNHead(backbone.feat_dim, num_classes, dropout=dropout, consensus=consensus)
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


# ---------------------------------------------------------------------------------------- presets


_TSN_K400 = replace(K400_2D, test_num_clips=25, test_crops=10, convert_mmaction=convert_mmaction_tsn)
_TSN_STHV2 = replace(STHV2_2D, num_clips=8, test_num_clips=25, test_crops=10, convert_mmaction=convert_mmaction_tsn)


@register_preset(
    replace(
        _TSN_K400,
        num_clips=3,
        mmaction_config="recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_kinetics400-rgb.py",
        notes="MMAction2 zoo top-1 72.83% (25 clips x 10 crops). MMAction2 averages the features of all "
    "250 test frames before the classifier; predict() averages per-view probabilities instead.",
    )
)
def tsn_r50_1x1x3_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsn_resnet(50, num_classes=num_classes, num_segments=3, dropout=0.4)


@register_preset(
    replace(
        _TSN_K400,
        num_clips=5,
        mmaction_config="recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x5-100e_kinetics400-rgb.py",
    )
)
def tsn_r50_1x1x5_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsn_resnet(50, num_classes=num_classes, num_segments=5, dropout=0.4)


@register_preset(
    replace(
        _TSN_K400,
        num_clips=8,
        mmaction_config="recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb.py",
    )
)
def tsn_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsn_resnet(50, num_classes=num_classes, num_segments=8, dropout=0.4)


@register_preset(
    replace(
        _TSN_K400,
        num_clips=8,
        mmaction_config="recognition/tsn/tsn_imagenet-pretrained-r101_8xb32-1x1x8-100e_kinetics400-rgb.py",
    )
)
def tsn_r101_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsn_resnet(101, num_classes=num_classes, num_segments=8, dropout=0.4)


@register_preset(
    replace(
        _TSN_STHV2,
        mmaction_config="recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x8-50e_sthv2-rgb.py",
    )
)
def tsn_r50_1x1x8_sthv2(num_classes: int = 174) -> Recognizer:
    return tsn_resnet(50, num_classes=num_classes, num_segments=8, dropout=0.5)
