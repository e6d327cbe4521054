"""TSM: Temporal Shift Module (Lin et al., "TSM: Temporal Shift Module for Efficient Video
Understanding", ICCV 2019).

A 2D ResNet on ``T`` segment frames where, in every residual block, a fraction of the channels is
shifted one frame forward and another fraction one frame backward along time, at zero FLOPs.
``shift_place="blockres"`` shifts the input of the residual branch only (the paper's residual
shift, MMAction2's default), ``"block"`` the whole block input (in-place shift). Optional
non-local blocks (Wang et al., CVPR 2018) after chosen residual blocks, and optional temporal
max-pooling (halving ``T``) before ``layer2``.

Published (MMAction2 model zoo, Kinetics-400, 8 segments x 10 crops): TSM-R50 1x1x8 top-1 73.18%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import torch
from torch import Tensor, nn

from vidcore.core.checkpoint import remap_keys
from vidcore.core.layers import NonLocalBlock, NonLocalSpec

from ..meta import K400_2D, STHV2_2D
from ..recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer
from ..registry import register_preset
from .resnet import ResNet, block_out_channels
from .tsn import Consensus, TSNHead, pool_frames, segment_consensus

__all__ = [
    "ResNetTSM",
    "SegmentNonLocal",
    "TSMHead",
    "TemporalPool",
    "TemporalShift",
    "convert_mmaction_tsm",
    "temporal_shift",
    "tsm_resnet",
]



def temporal_shift(x: Tensor, num_segments: int, shift_div: int = 8) -> Tensor:
    """Shift channels along time: ``(B*T, C, H, W)`` -> same shape.

    With ``fold = C // shift_div``: channels ``[0, fold)`` take their value from the next frame
    (``out[t] = x[t+1]``, zero at the last frame), channels ``[fold, 2*fold)`` from the previous
    frame (``out[t] = x[t-1]``, zero at the first), the rest are unchanged.
    """
    nt, c, h, w = x.shape
    if nt % num_segments:
        raise ValueError(f"temporal_shift: batch {nt} is not a multiple of num_segments={num_segments}")
    v = x.view(nt // num_segments, num_segments, c, h, w)
    fold = c // shift_div
    out = torch.zeros_like(v)
    out[:, :-1, :fold] = v[:, 1:, :fold]
    out[:, 1:, fold : 2 * fold] = v[:, :-1, fold : 2 * fold]
    out[:, :, 2 * fold :] = v[:, :, 2 * fold :]
    return out.view(nt, c, h, w)


class TemporalShift(nn.Module):
    """:func:`temporal_shift` as a module (no parameters); input ``(B*T, C, H, W)``."""

    def __init__(self, num_segments: int, shift_div: int = 8) -> None:
        super().__init__()
        if num_segments < 1 or shift_div < 1:
            raise ValueError(f"num_segments and shift_div must be >= 1, got {num_segments}, {shift_div}")
        self.num_segments = num_segments
        self.shift_div = shift_div

    def forward(self, x: Tensor) -> Tensor:
        return temporal_shift(x, self.num_segments, self.shift_div)

    def extra_repr(self) -> str:
        return f"num_segments={self.num_segments}, shift_div={self.shift_div}"


class TemporalPool(nn.Module):
    """Max-pool over time with kernel 3, stride 2, padding 1: ``(B*T, C, H, W)`` -> ``(B*T/2, C, H, W)``."""

    def __init__(self, num_segments: int) -> None:
        super().__init__()
        if num_segments % 2:
            raise ValueError(f"temporal pooling needs an even number of segments, got {num_segments}")
        self.num_segments = num_segments
        self.pool = nn.MaxPool3d(kernel_size=(3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0))

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        t = self.num_segments
        # (B*T, C, H, W) -> (B, C, T, H, W) -> pool -> (B*T/2, C, H, W)
        y = self.pool(x.view(nt // t, t, c, h, w).transpose(1, 2))
        return y.transpose(1, 2).reshape(nt // 2, c, h, w)


class SegmentNonLocal(NonLocalBlock):
    """A 3D non-local block on frame features: ``(B*T, C, H, W)`` is regrouped to
    ``(B, C, T, H, W)``, passed through the block and flattened back."""

    def __init__(self, in_channels: int, num_segments: int, spec: NonLocalSpec | None = None) -> None:
        super().__init__(in_channels, dims=3, **(spec or NonLocalSpec()).block_kwargs())  # type: ignore[arg-type]
        self.num_segments = num_segments

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        t = self.num_segments
        # (B*T, C, H, W) -> (B, C, T, H, W); contiguous so the convolutions see the usual layout
        y = super().forward(x.view(nt // t, t, c, h, w).transpose(1, 2).contiguous())
        return y.transpose(1, 2).reshape(nt, c, h, w)


class ResNetTSM(ResNet):
    """ResNet with temporal shift (and optional non-local blocks / temporal pooling).

    Args:
        depth: 18, 34, 50, 101 or 152.
        num_segments: frames ``T`` per clip; the input is ``(B*T, C, H, W)``.
        shift_div: ``1/shift_div`` of the channels shift each way.
        shift_place: ``"blockres"`` (residual shift, default) or ``"block"`` (in-place shift).
        shift_every: shift in every ``shift_every``-th block of each stage; default as MMAction2:
            every second block when ``layer3`` has 23 blocks or more (ResNet-101/152), else every.
        is_shift: False builds the plain ResNet (no shift).
        temporal_pool: max-pool time by 2 before ``layer2`` (then stages 2-4 see ``T/2`` frames).
        non_local: per stage, per block, 1 to append a non-local block (e.g.
            ``((0,0,0), (1,0,1,0), (1,0,1,0,1,0), (0,0,0))``); None for none.
        non_local_spec: the non-local blocks' settings (default: MMAction2's TSM-NL configs,
            embedded gaussian, sub-sampled, no scale, BatchNorm after ``conv_out``).
        in_channels, frozen_stages, norm_eval, partial_bn: as :class:`ResNet`.

    MMAction2 gives its non-local wrappers the full ``T`` even after temporal pooling (which breaks
    when both are on); here each block gets the number of frames it actually sees.
    """

    def __init__(
        self,
        depth: int,
        num_segments: int = 8,
        *,
        shift_div: int = 8,
        shift_place: Literal["blockres", "block"] = "blockres",
        shift_every: int | None = None,
        is_shift: bool = True,
        temporal_pool: bool = False,
        non_local: Sequence[Sequence[int]] | None = None,
        non_local_spec: NonLocalSpec | None = None,
        in_channels: int = 3,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        partial_bn: bool = False,
    ) -> None:
        super().__init__(
            depth, in_channels=in_channels, frozen_stages=frozen_stages, norm_eval=norm_eval, partial_bn=partial_bn
        )
        if shift_place not in ("blockres", "block"):
            raise ValueError(f"shift_place must be 'blockres' or 'block', got {shift_place!r}")
        self.num_segments = num_segments
        self.shift_div = shift_div
        self.shift_place = shift_place
        self.is_shift = is_shift
        stages = self.stages()
        t_half = num_segments // 2
        stage_segments = [num_segments] + [t_half if temporal_pool else num_segments] * (len(stages) - 1)
        if temporal_pool:
            self.temporal_pool = TemporalPool(num_segments)
        if shift_every is None:
            shift_every = 2 if len(stages) > 2 and len(stages[2]) >= 23 else 1
        self.shift_every = shift_every
        if is_shift:
            place = "residual" if shift_place == "blockres" else "block"
            for stage, t in zip(stages, stage_segments):
                for j, block in enumerate(stage):
                    if j % shift_every == 0:
                        block.set_temporal(TemporalShift(t, shift_div), place)
        if non_local is not None:
            spec = non_local_spec or NonLocalSpec()
            if len(non_local) != len(stages):
                raise ValueError(f"non_local needs one entry per stage ({len(stages)}), got {len(non_local)}")
            for stage, flags, t in zip(stages, non_local, stage_segments):
                if len(flags) != len(stage):
                    raise ValueError(f"non_local flags {tuple(flags)} do not match a stage of {len(stage)} blocks")
                for block, flag in zip(stage, flags):
                    if flag:
                        block.non_local = SegmentNonLocal(block_out_channels(block), t, spec)


class TSMHead(TSNHead):
    """TSM head: spatial average pool -> dropout -> linear per frame -> consensus over frames.

    The same parameters as :class:`TSNHead` (so MMAction2 keys map alike); it differs in its
    defaults (dropout 0.5, init std 0.001) and in classifying each frame before the consensus.

    Args:
        in_channels: feature channels ``C``.
        num_classes: classes ``K``.
        dropout: dropout probability before the classifier.
        consensus: ``"avg"`` or ``"max"`` over the per-frame scores.
        init_std: std of the normal initialisation of the classifier weight.

    Input ``(B, T, C, h, w)`` frame features (``T`` may be halved by temporal pooling); output
    logits ``(B, K)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        *,
        dropout: float = 0.5,
        consensus: Consensus = "avg",
        init_std: float = 0.001,
    ) -> None:
        super().__init__(in_channels, num_classes, dropout=dropout, consensus=consensus, init_std=init_std)

    def forward(self, x: Tensor) -> Tensor:
        scores = self.fc_cls(self.dropout(pool_frames(x)))  # (B, T, C) -> (B, T, K)
        return segment_consensus(scores, self.consensus)


def convert_mmaction_tsm(state_dict: dict[str, Any]) -> dict[str, Any]:
    """MMAction2 TSM (``ResNetTSM`` + ``TSMHead``, any shift place, non-local, temporal pool) -> ours.

    MMAction2 wraps modules (``TemporalShift.net``, ``NL3DWrapper.block``, ``TemporalPool.net``)
    where we use hooks, so the wrapper levels disappear from the keys.
    """
    return remap_keys(
        state_dict,
        [
            (r"^backbone\.layer2\.net\.", "backbone.layer2."),  # TemporalPool(layer2)
            (r"\.non_local_block\.", ".non_local."),  # NL3DWrapper
            (r"^(backbone\.layer\d\.\d+)\.block\.", r"\1."),
            (r"\.conv\.net\.", ".conv."),  # shift_place='blockres': TemporalShift(conv1.conv)
            (r"^(backbone\.layer\d\.\d+)\.net\.", r"\1."),  # shift_place='block': TemporalShift(block)
            (r"^cls_head\.", "head."),
        ],
    )


def tsm_resnet(
    depth: int,
    *,
    num_classes: int,
    num_segments: int = 8,
    shift_div: int = 8,
    shift_place: Literal["blockres", "block"] = "blockres",
    temporal_pool: bool = False,
    non_local: Sequence[Sequence[int]] | None = None,
    non_local_spec: NonLocalSpec | None = None,
    dropout: float = 0.5,
    mean: Sequence[float] = IMAGENET_MEAN_255,
    std: Sequence[float] = IMAGENET_STD_255,
    norm_eval: bool = False,
    frozen_stages: int = -1,
) -> Recognizer:
    """TSM on a ResNet-``depth`` backbone with a :class:`TSMHead`."""
    backbone = ResNetTSM(
        depth,
        num_segments,
        shift_div=shift_div,
        shift_place=shift_place,
        temporal_pool=temporal_pool,
        non_local=non_local,
        non_local_spec=non_local_spec,
        norm_eval=norm_eval,
        frozen_stages=frozen_stages,
    )
    head = TSMHead(backbone.feat_dim, num_classes, dropout=dropout)
    return Recognizer(
        backbone, head, mean=mean, std=std, input_layout="NCHW", num_segments=num_segments, average_clips="prob"
    )


# ---------------------------------------------------------------------------------------- presets
_NL_R50 = ((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0))
_CFG = "recognition/tsm/tsm_imagenet-pretrained-"


_TSM_K400 = replace(K400_2D, num_clips=8, test_num_clips=8, test_crops=10, convert_mmaction=convert_mmaction_tsm)
_TSM_STHV2 = replace(STHV2_2D, num_clips=8, test_num_clips=8, test_crops=3, test_twice_sample=True, test_crop_size=256, convert_mmaction=convert_mmaction_tsm)


@register_preset(
    replace(
        _TSM_K400,
        mmaction_config=_CFG + "r50_8xb16-1x1x8-50e_kinetics400-rgb.py",
        notes="MMAction2 zoo top-1 73.18% (8 segments x 10 crops).",
    )
)
def tsm_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, num_segments=8)


@register_preset(
    replace(
        _TSM_K400,
        sampling="dense",
        mmaction_config=_CFG + "r50_8xb16-dense-1x1x8-50e_kinetics400-rgb.py",
    )
)
def tsm_r50_dense_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, num_segments=8)


@register_preset(
    replace(
        K400_2D,
        num_clips=16,
        test_num_clips=16,
        test_crops=10,
        mmaction_config=_CFG + "r50_8xb16-1x1x16-50e_kinetics400-rgb.py",
        convert_mmaction=convert_mmaction_tsm,
    )
)
def tsm_r50_1x1x16_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, num_segments=16)


@register_preset(
    replace(
        _TSM_K400,
        mmaction_config=_CFG + "r50-nl-embedded-gaussian_8xb16-1x1x8-50e_kinetics400-rgb.py",
    )
)
def tsm_r50_nl_embedded_gaussian_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, non_local=_NL_R50, non_local_spec=NonLocalSpec("embedded_gaussian"))


@register_preset(
    replace(
        _TSM_K400,
        mmaction_config=_CFG + "r50-nl-dot-product_8xb16-1x1x8-50e_kinetics400-rgb.py",
    )
)
def tsm_r50_nl_dot_product_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, non_local=_NL_R50, non_local_spec=NonLocalSpec("dot_product"))


@register_preset(
    replace(
        _TSM_K400,
        mmaction_config=_CFG + "r50-nl-gaussian_8xb16-1x1x8-50e_kinetics400-rgb.py",
    )
)
def tsm_r50_nl_gaussian_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, non_local=_NL_R50, non_local_spec=NonLocalSpec("gaussian"))


@register_preset(
    replace(
        _TSM_STHV2,
        mmaction_config=_CFG + "r50_8xb16-1x1x8-50e_sthv2-rgb.py",
    )
)
def tsm_r50_1x1x8_sthv2(num_classes: int = 174) -> Recognizer:
    return tsm_resnet(50, num_classes=num_classes, num_segments=8)


@register_preset(
    replace(
        _TSM_STHV2,
        mmaction_config=_CFG + "r101_8xb16-1x1x8-50e_sthv2-rgb.py",
    )
)
def tsm_r101_1x1x8_sthv2(num_classes: int = 174) -> Recognizer:
    return tsm_resnet(101, num_classes=num_classes, num_segments=8)


@register_preset(
    replace(
        K400_2D,
        num_clips=8,
        test_num_clips=8,
        convert_mmaction=convert_mmaction_tsm,
        notes="Small TSM (ResNet-18, 11.2M parameters) for CPU fine-tuning; no MMAction2 config or "
    "checkpoint. Initialise the backbone from torchvision's ImageNet ResNet-18 with "
    "vidcore.recognition.models.resnet.convert_torchvision_resnet.",
    )
)
def tsm_r18_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer:
    return tsm_resnet(18, num_classes=num_classes, num_segments=8)
