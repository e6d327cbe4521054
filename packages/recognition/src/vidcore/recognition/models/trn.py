"""TRN: Temporal Relation Network (Zhou et al., "Temporal Relational Reasoning in Videos",
ECCV 2018).

A plain 2D ResNet embeds each of ``T`` segment frames; the head projects them to ``hidden_dim``
and reasons over ordered tuples of frames: for each scale ``k = T, T-1, ..., 2`` an MLP scores the
concatenated features of ``k`` frames, and the multi-scale head sums the scores of all scales (the
full-length relation plus up to 3 randomly drawn ``k``-frame relations per smaller scale).

Like MMAction2, the relations of the smaller scales are drawn with ``numpy.random.choice`` on every
forward, in training and in evaluation: seed numpy (``np.random.seed``) for repeatable scores.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import normal_init

from ..meta import STHV1_2D, STHV2_2D
from ..recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .resnet import ResNet
from .tsn import pool_frames

__all__ = ["RelationModule", "RelationModuleMultiScale", "TRNHead", "convert_mmaction_trn", "trn_resnet"]


def _relation_mlp(in_features: int, bottleneck: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Linear(in_features, bottleneck), nn.ReLU(), nn.Linear(bottleneck, num_classes))


class RelationModule(nn.Module):
    """Single-scale relation: an MLP on all ``T`` frame features concatenated in order.
    Input ``(B, T, D)``, output ``(B, K)``."""

    bottleneck_dim = 512

    def __init__(self, hidden_dim: int, num_segments: int, num_classes: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.num_segments = num_segments
        self.classifier = _relation_mlp(num_segments * hidden_dim, self.bottleneck_dim, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        last = self.classifier[3]
        self.classifier[3] = nn.Linear(last.in_features, num_classes).to(last.weight.device)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(x.reshape(x.shape[0], -1))


class RelationModuleMultiScale(nn.Module):
    """Multi-scale relations over ``k = T..2`` ordered frame tuples, scores summed.

    Scale ``T`` uses its single relation; every smaller scale draws ``min(3, C(T, k))`` distinct
    relations with ``numpy.random.choice`` per forward. Input ``(B, T, D)``, output ``(B, K)``.
    """

    bottleneck_dim = 256
    max_subsample = 3

    def __init__(self, hidden_dim: int, num_segments: int, num_classes: int) -> None:
        super().__init__()
        if num_segments < 2:
            raise ValueError(f"multi-scale relations need at least 2 segments, got {num_segments}")
        self.hidden_dim = hidden_dim
        self.num_segments = num_segments
        self.scales = list(range(num_segments, 1, -1))
        self.relations_scales = [list(itertools.combinations(range(num_segments), k)) for k in self.scales]
        self.subsample_scales = [min(self.max_subsample, len(r)) for r in self.relations_scales]
        self.fc_fusion_scales = nn.ModuleList(
            _relation_mlp(k * hidden_dim, self.bottleneck_dim, num_classes) for k in self.scales
        )

    def reset_classifier(self, num_classes: int) -> None:
        for mlp in self.fc_fusion_scales:
            last = mlp[3]
            mlp[3] = nn.Linear(last.in_features, num_classes).to(last.weight.device)

    def forward(self, x: Tensor) -> Tensor:
        b = x.shape[0]
        out = self.fc_fusion_scales[0](x[:, list(self.relations_scales[0][0])].reshape(b, -1))
        for i in range(1, len(self.scales)):
            relations = self.relations_scales[i]
            picked = np.random.choice(len(relations), self.subsample_scales[i], replace=False)
            for j in picked:
                frames = x[:, list(relations[j])].reshape(b, -1)  # (B, k*D)
                out = out + self.fc_fusion_scales[i](frames)
        return out


class TRNHead(nn.Module):
    """TRN head: spatial average pool -> dropout -> linear to ``hidden_dim`` per frame -> relation
    module.

    Args:
        in_channels: feature channels ``C``.
        num_classes: classes ``K``.
        num_segments: frames ``T`` per clip (fixed: the relation MLPs take ``k * hidden_dim`` inputs).
        relation: ``"multiscale"`` (TRN multi-scale, MMAction2's default) or ``"single"``.
        hidden_dim: per-frame embedding size ``D``.
        dropout: dropout before the frame projection.
        init_std: std of the normal initialisation of the frame projection.

    Input ``(B, T, C, h, w)``; output logits ``(B, K)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        num_segments: int = 8,
        *,
        relation: Literal["multiscale", "single"] = "multiscale",
        hidden_dim: int = 256,
        dropout: float = 0.8,
        init_std: float = 0.001,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_segments = num_segments
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, hidden_dim)
        normal_init(self.fc_cls, std=init_std)
        self.consensus: RelationModule | RelationModuleMultiScale
        if relation == "multiscale":
            self.consensus = RelationModuleMultiScale(hidden_dim, num_segments, num_classes)
        elif relation == "single":
            self.consensus = RelationModule(hidden_dim, num_segments, num_classes)
        else:
            raise ValueError(f"relation must be 'multiscale' or 'single', got {relation!r}")
        self._num_classes = num_classes

    @property
    def num_classes(self) -> int:
        return self._num_classes

    def reset_classifier(self, num_classes: int) -> None:
        self.consensus.reset_classifier(num_classes)
        self._num_classes = num_classes

    def forward(self, x: Tensor) -> Tensor:
        x = pool_frames(x)  # (B, T, C)
        if x.shape[1] != self.num_segments:
            raise ValueError(f"TRNHead is built for {self.num_segments} frames, got {x.shape[1]}")
        return self.consensus(self.fc_cls(self.dropout(x)))  # (B, T, D) -> (B, K)


def convert_mmaction_trn(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 TRN (``ResNet`` + ``TRNHead``) -> ours: only ``cls_head.`` becomes ``head.``."""
    return remap_keys(state_dict, [(r"^cls_head\.", "head.")])


def trn_resnet(
    depth: int,
    *,
    num_classes: int,
    num_segments: int = 8,
    relation: Literal["multiscale", "single"] = "multiscale",
    hidden_dim: int = 256,
    dropout: float = 0.8,
    partial_bn: bool = True,
    mean: Sequence[float] = IMAGENET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
) -> Recognizer:
    """TRN: a plain ResNet-``depth`` (partial BN in training, as MMAction2) + :class:`TRNHead`."""
    backbone = ResNet(depth, partial_bn=partial_bn)
    head = TRNHead(
        backbone.feat_dim, num_classes, num_segments, relation=relation, hidden_dim=hidden_dim, dropout=dropout
    )
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


# ---------------------------------------------------------------------------------------- presets
_CFG = "recognition/trn/trn_imagenet-pretrained-r50_8xb16-1x1x8-50e_"


_TRN_CLASSIFIER = tuple(f"head.consensus.fc_fusion_scales.{i}.3" for i in range(7))
_TRN_STHV1 = replace(STHV1_2D, num_clips=8, test_num_clips=8, test_crops=3, test_twice_sample=True, test_crop_size=256, classifier=_TRN_CLASSIFIER, convert_mmaction=convert_mmaction_trn, notes="Scores depend on numpy's global RNG (relations drawn per forward), as in MMAction2.")
_TRN_STHV2 = replace(STHV2_2D, num_clips=8, test_num_clips=8, test_crops=3, test_twice_sample=True, test_crop_size=256, classifier=_TRN_CLASSIFIER, convert_mmaction=convert_mmaction_trn, notes="Scores depend on numpy's global RNG (relations drawn per forward), as in MMAction2.")


@register_preset(
    replace(
        _TRN_STHV1,
        mmaction_config=_CFG + "sthv1-rgb.py",
    )
)
def trn_r50_1x1x8_sthv1(num_classes: int = 174) -> Recognizer:
    return trn_resnet(50, num_classes=num_classes, num_segments=8)


@register_preset(
    replace(
        _TRN_STHV2,
        mmaction_config=_CFG + "sthv2-rgb.py",
    )
)
def trn_r50_1x1x8_sthv2(num_classes: int = 174) -> Recognizer:
    return trn_resnet(50, num_classes=num_classes, num_segments=8)

