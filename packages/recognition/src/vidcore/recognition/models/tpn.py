"""Temporal Pyramid Network (Yang et al., "Temporal Pyramid Network for Action Recognition", CVPR 2020).

A neck over two backbone stages (res4 and res5 of a ResNet-50): spatial modulation brings both to
res5's width and resolution, temporal modulation (grouped 3x1x1 conv + temporal max-pool) to a
common frame rate, then a top-down and a bottom-up information flow are each fused (grouped 1x1x1
convs + concatenation + 1x1x1 conv) and the two results fused again into 2048 channels. An
auxiliary classifier on res4 adds a training loss (weight 0.5).

Works on a 3D backbone (SlowOnly: features ``(N, C, T, H, W)``) and on a 2D one (TSM: features
that :class:`~vidcore.recognition.recognizer.Recognizer` regroups to ``(N, T, C, H, W)``; build
the neck with ``segment_input=True``). Submodule names follow MMAction2's ``TPN`` neck.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..meta import K400_3D, STHV1_2D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import TPNAuxHead, TPNHead
from .resnet3d import ConvBnAct3d, convert_mmaction_recognizer, slowonly_backbone
from .tsm import ResNetTSM, convert_mmaction_tsm

__all__ = ["TPN", "LevelFusion", "SpatialModulation", "TPNDownSample", "TemporalModulation"]

Triple = tuple[int, int, int]


class TPNDownSample(nn.Module):
    """Conv (optional BN/ReLU) and a ceil-mode max-pool by ``scale``, pool ``before`` or ``after`` the conv."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel_size: Triple = (3, 1, 1),
        padding: Triple = (1, 0, 0),
        groups: int = 1,
        norm_act: bool = False,
        position: Literal["before", "after"] = "after",
        scale: Triple = (1, 2, 2),
    ) -> None:
        super().__init__()
        if position not in ("before", "after"):
            raise ValueError(f"position must be 'before' or 'after', got {position!r}")
        self.conv = ConvBnAct3d(
            in_channels, out_channels, kernel_size, 1, padding, groups=groups, norm=norm_act, act=norm_act
        )
        self.position = position
        self.pool = nn.MaxPool3d(scale, scale, 0, ceil_mode=True)

    def forward(self, x: Tensor) -> Tensor:
        if self.position == "before":
            return self.conv(self.pool(x))
        return self.pool(self.conv(x))


class LevelFusion(nn.Module):
    """Per level: pool by its scale then grouped (32) 1x1x1 conv + BN + ReLU to ``mid_channels[i]``;
    concatenate the levels and fuse with a 1x1x1 conv + BN + ReLU to ``out_channels``."""

    def __init__(
        self,
        in_channels: Sequence[int],
        mid_channels: Sequence[int],
        out_channels: int,
        downsample_scales: Sequence[Triple],
    ) -> None:
        super().__init__()
        self.downsamples = nn.ModuleList(
            TPNDownSample(
                c_in,
                c_mid,
                kernel_size=(1, 1, 1),
                padding=(0, 0, 0),
                groups=32,
                norm_act=True,
                position="before",
                scale=tuple(scale),  # type: ignore[arg-type]
            )
            for c_in, c_mid, scale in zip(in_channels, mid_channels, downsample_scales, strict=True)
        )
        self.fusion_conv = ConvBnAct3d(sum(mid_channels), out_channels, 1)

    def forward(self, x: Sequence[Tensor]) -> Tensor:
        return self.fusion_conv(torch.cat([d(f) for d, f in zip(self.downsamples, x)], dim=1))


class SpatialModulation(nn.Module):
    """Brings every level to ``out_channels`` channels with log2(out/in) stride-2 1x3x3 conv + BN + ReLU
    steps, each doubling the channels (identity for a level already that wide)."""

    def __init__(self, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__()
        ops: list[nn.Module] = []
        for c in in_channels:
            steps = int(math.log2(out_channels // c))
            if steps < 1:
                ops.append(nn.Identity())
                continue
            ops.append(
                nn.ModuleList(
                    ConvBnAct3d(c * 2**k, c * 2 ** (k + 1), (1, 3, 3), (1, 2, 2), (0, 1, 1))
                    for k in range(steps)
                )
            )
        self.spatial_modulation = nn.ModuleList(ops)

    def forward(self, x: Sequence[Tensor]) -> list[Tensor]:
        out = []
        for op, f in zip(self.spatial_modulation, x):
            if isinstance(op, nn.ModuleList):
                for step in op:
                    f = step(f)
            else:
                f = op(f)
            out.append(f)
        return out


class TemporalModulation(nn.Module):
    """Grouped (32) 3x1x1 conv without norm, then a ceil-mode temporal max-pool by ``downsample_scale``."""

    def __init__(self, in_channels: int, out_channels: int, downsample_scale: int = 8) -> None:
        super().__init__()
        self.conv = ConvBnAct3d(
            in_channels, out_channels, (3, 1, 1), 1, (1, 0, 0), groups=32, norm=False, act=False
        )
        self.pool = nn.MaxPool3d((downsample_scale, 1, 1), (downsample_scale, 1, 1), 0, ceil_mode=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.conv(x))


class TPN(nn.Module):
    """The TPN neck (defaults: MMAction2's ``tpn_slowonly_r50`` / ``tpn_tsm_r50`` configs).

    Args:
        in_channels: channels of the backbone levels fed in (res4, res5).
        out_channels: channels after temporal modulation.
        spatial_out_channels: channels every level is brought to by spatial modulation.
        temporal_downsample_scales: per level, temporal max-pool factor of the temporal modulation.
        upsample_scale: top-down flow resampling factor (None: no top-down sums).
        downsample_scale: bottom-up flow pooling factor (None: no bottom-up sums).
        fusion_mid_channels / fusion_out_channels / fusion_downsample_scales: the two
            :class:`LevelFusion` modules.
        aux_num_classes: classes of the auxiliary head on ``in_channels[-2]`` (None: no aux head).
        aux_loss_weight: weight of the auxiliary cross-entropy in :meth:`forward_train`.
        flow_type: "cascade" (bottom-up starts from the top-down sums) or "parallel".
        segment_input: features arrive as ``(N, T, C, H, W)`` (2D backbone through the recognizer)
            rather than ``(N, C, T, H, W)``.

    Input: a tuple of level features; output ``(N, 2048, T', H5, W5)`` (``T'`` is 1 for the
    stock 8-frame configs).
    """

    def __init__(
        self,
        in_channels: Sequence[int] = (1024, 2048),
        out_channels: int = 1024,
        *,
        spatial_out_channels: int = 2048,
        temporal_downsample_scales: Sequence[int] = (8, 8),
        upsample_scale: Triple | None = (1, 1, 1),
        downsample_scale: Triple | None = (1, 1, 1),
        fusion_mid_channels: Sequence[int] = (1024, 1024),
        fusion_out_channels: int = 2048,
        fusion_downsample_scales: Sequence[Triple] = ((1, 1, 1), (1, 1, 1)),
        aux_num_classes: int | None = 400,
        aux_loss_weight: float = 0.5,
        flow_type: Literal["cascade", "parallel"] = "cascade",
        segment_input: bool = False,
    ) -> None:
        super().__init__()
        if flow_type not in ("cascade", "parallel"):
            raise ValueError(f"flow_type must be 'cascade' or 'parallel', got {flow_type!r}")
        n = len(in_channels)
        if len(temporal_downsample_scales) != n:
            raise ValueError(
                f"need one temporal downsample scale per level ({n}), got {temporal_downsample_scales}"
            )
        self.in_channels = tuple(in_channels)
        self.flow_type = flow_type
        self.segment_input = segment_input
        self.upsample_scale = tuple(upsample_scale) if upsample_scale is not None else None
        self.level_fusion_1 = LevelFusion(
            [out_channels] * n, fusion_mid_channels, fusion_out_channels, fusion_downsample_scales
        )
        self.spatial_modulation = SpatialModulation(in_channels, spatial_out_channels)
        self.temporal_modulation_ops = nn.ModuleList(
            TemporalModulation(in_channels[-1], out_channels, s) for s in temporal_downsample_scales
        )
        self.downsample_ops = nn.ModuleList()
        if downsample_scale is not None:
            for _ in range(n - 1):
                self.downsample_ops.append(
                    TPNDownSample(out_channels, out_channels, scale=tuple(downsample_scale))
                )
        self.level_fusion_2 = LevelFusion(
            [out_channels] * n, fusion_mid_channels, fusion_out_channels, fusion_downsample_scales
        )
        self.pyramid_fusion = ConvBnAct3d(fusion_out_channels * 2, 2048, 1)
        self.aux_head = (
            TPNAuxHead(in_channels[-2], aux_num_classes, loss_weight=aux_loss_weight)
            if aux_num_classes is not None
            else None
        )
        self.aux_loss_weight = aux_loss_weight
        self.out_channels = 2048
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _levels(self, feats: Sequence[Tensor]) -> list[Tensor]:
        if isinstance(feats, Tensor) or len(feats) != len(self.in_channels):
            raise ValueError(f"TPN expects {len(self.in_channels)} feature levels (backbone out_indices)")
        if self.segment_input:
            # (N, T, C, H, W) -> (N, C, T, H, W)
            return [f.transpose(1, 2).contiguous() for f in feats]
        return list(feats)

    def _upsample(self, x: Tensor) -> Tensor:
        if self.upsample_scale == (1, 1, 1):
            return x
        return F.interpolate(x, scale_factor=self.upsample_scale, mode="nearest")

    def _pyramid(self, levels: list[Tensor]) -> Tensor:
        spatial = self.spatial_modulation(levels)
        temporal = [op(f) for op, f in zip(self.temporal_modulation_ops, spatial)]
        outs = list(temporal)
        if self.upsample_scale is not None:
            for i in range(len(outs) - 1, 0, -1):  # top-down
                outs[i - 1] = outs[i - 1] + self._upsample(outs[i])
        top_down = self.level_fusion_1(outs)
        if self.flow_type == "parallel":
            outs = list(temporal)
        for i, op in enumerate(self.downsample_ops):  # bottom-up
            outs[i + 1] = outs[i + 1] + op(outs[i])
        bottom_up = self.level_fusion_2(outs)
        return self.pyramid_fusion(torch.cat([top_down, bottom_up], dim=1))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Level features -> fused features ``(N, 2048, T', H, W)``."""
        return self._pyramid(self._levels(feats))

    def forward_train(self, feats: Sequence[Tensor], labels: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Fused features and ``{"loss_aux": weight * CE(aux_head(res4), labels)}`` (hard or soft labels)."""
        levels = self._levels(feats)
        losses: dict[str, Tensor] = {}
        if self.aux_head is not None:
            logits = self.aux_head(levels[-2])
            losses["loss_aux"] = self.aux_loss_weight * F.cross_entropy(logits, labels)
        return self._pyramid(levels), losses

    def reset_classifier(self, num_classes: int) -> None:
        """Give the auxiliary head ``num_classes`` outputs too (fine-tuning on a new label set)."""
        if self.aux_head is not None:
            self.aux_head.reset_classifier(num_classes)


# -- presets ---------------------------------------------------------------------------------------



@register_preset(
    replace(
        K400_3D,
        clip_len=8,
        frame_interval=8,
        classifier=('head.fc_cls', 'neck.aux_head.fc'),
        mmaction_config="recognition/tpn/tpn-slowonly_r50_8xb8-8x8x1-150e_kinetics400-rgb.py",
        convert_mmaction=convert_mmaction_recognizer,
        notes="TPN on SlowOnly-R50 (res4 + res5), auxiliary loss on res4; 91.50M parameters with 400 classes.",
    )
)
def tpn_slowonly_r50_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """TPN-SlowOnly-R50, 8 frames 8 apart."""
    return Recognizer(
        slowonly_backbone(out_indices=(2, 3)),
        TPNHead(num_classes, 2048),
        TPN(aux_num_classes=num_classes),
        input_layout="NCTHW",
    )


def convert_mmaction_tpn_tsm(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 TPN-TSM -> ours: the TSM backbone renames of :func:`convert_mmaction_tsm`
    (``neck.`` keys are ours already)."""
    return convert_mmaction_tsm(state_dict)


@register_preset(
    replace(
        STHV1_2D,
        num_clips=8,
        test_num_clips=8,
        test_crops=3,
        test_twice_sample=True,
        test_crop_size=256,
        filename_tmpl='{:05}.jpg',
        classifier=('head.fc_cls', 'neck.aux_head.fc'),
        mmaction_config="recognition/tpn/tpn-tsm_imagenet-pretrained-r50_8xb8-1x1x8-150e_sthv1-rgb.py",
        convert_mmaction=convert_mmaction_tpn_tsm,
        notes="TPN on TSM-R50 (8 segments, res4 + res5) for Something-Something V1 rawframes; 82.45M parameters.",
    )
)
def tpn_tsm_r50_1x1x8_sthv1(num_classes: int = 174) -> Recognizer:
    """TPN-TSM-R50 with 8 segments."""
    backbone = ResNetTSM(50, 8, shift_div=8)
    backbone.out_indices = (2, 3)  # res4 and res5 feed the pyramid
    return Recognizer(
        backbone,
        TPNHead(num_classes, 2048),
        TPN(aux_num_classes=num_classes, segment_input=True),
        input_layout="NCHW",
        num_segments=8,
    )
