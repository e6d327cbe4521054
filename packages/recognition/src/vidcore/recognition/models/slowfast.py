"""SlowFast networks (Feichtenhofer et al., "SlowFast Networks for Video Recognition", ICCV 2019).

Two ResNet3d pathways see the same clip: the slow one every ``resample_rate``-th frame with wide
channels, the fast one ``speed_ratio`` times more frames with ``1/channel_ratio`` of the channels.
After the stem and after stages 1-3, a time-strided ``fusion_kernel x 1 x 1`` convolution
(stride ``speed_ratio``) maps the fast features to the slow frame rate, and its output is
concatenated to the slow features' channels.

Submodule names follow MMAction2's ``ResNet3dSlowFast`` (``slow_path.conv1_lateral.conv``,
``slow_path.layer1_lateral.conv``, ``fast_path.layer1.0.conv1.conv`` ...): its checkpoints load as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import SlowFastHead
from .resnet3d import ConvBnAct3d, ResNet3d, convert_mmaction_recognizer

__all__ = ["ResNet3dPathway", "ResNet3dSlowFast", "slowfast_backbone"]


class ResNet3dPathway(ResNet3d):
    """A ResNet3d that receives lateral connections from a faster, thinner pathway.

    Args:
        lateral: build the lateral convolutions (the slow pathway of SlowFast). The extra input
            channels of each stage are derived from ``depth``, ``base_channels``,
            ``channel_ratio`` and ``lateral_infl`` as MMAction2 does.
        speed_ratio: frame-rate ratio alpha between the fast and slow pathways (time stride of
            the lateral convs).
        channel_ratio: channel ratio 1/beta between them (the fast pathway is assumed to have
            ``base_channels // channel_ratio`` stem channels).
        fusion_kernel: temporal kernel of the lateral convs.
        lateral_infl: lateral output channels are ``lateral_infl`` times the fast input channels.
        lateral_activate: per stage (stem fusion for index 0), whether a lateral feeds it.
        lateral_norm: BatchNorm + ReLU after each lateral conv.
        **kwargs: everything :class:`ResNet3d` takes.
    """

    def __init__(
        self,
        depth: int = 50,
        *,
        lateral: bool = False,
        speed_ratio: int = 8,
        channel_ratio: int = 8,
        fusion_kernel: int = 5,
        lateral_infl: int = 2,
        lateral_activate: Sequence[int] = (1, 1, 1, 1),
        lateral_norm: bool = False,
        base_channels: int = 64,
        num_stages: int = 4,
        **kwargs: object,
    ) -> None:
        expansion = 1 if depth < 50 else 4
        lateral_inplanes = []
        for i in range(num_stages):
            # Channels of the fast pathway's feature that feeds stage i, times channel_ratio.
            if expansion % 2 == 0:
                planes = base_channels * 2**i * ((expansion // 2) ** (i > 0))
            else:
                planes = base_channels * 2**i // (2 ** (i > 0))
            on = lateral and bool(lateral_activate[i])
            lateral_inplanes.append(planes * lateral_infl // channel_ratio if on else 0)
        super().__init__(
            depth,
            base_channels=base_channels,
            num_stages=num_stages,
            lateral_inplanes=lateral_inplanes,
            **kwargs,  # type: ignore[arg-type]
        )
        self.lateral = lateral
        self.speed_ratio = speed_ratio
        self.channel_ratio = channel_ratio

        def lateral_conv(channels: int) -> ConvBnAct3d:
            return ConvBnAct3d(
                channels // channel_ratio,
                channels * lateral_infl // channel_ratio,
                (fusion_kernel, 1, 1),
                (speed_ratio, 1, 1),
                ((fusion_kernel - 1) // 2, 0, 0),
                norm=lateral_norm,
                act=lateral_norm,
            )

        self.conv1_lateral: ConvBnAct3d | None = None
        if lateral and lateral_activate[0]:
            self.conv1_lateral = lateral_conv(base_channels)
        self.lateral_connections: list[str | None] = []
        for i in range(num_stages - 1):
            name = None
            if lateral and lateral_activate[i + 1]:
                name = f"layer{i + 1}_lateral"
                self.add_module(name, lateral_conv(base_channels * 2**i * self.block_cls.expansion))
            self.lateral_connections.append(name)
        for name in filter(None, self.lateral_connections):
            nn.init.kaiming_normal_(getattr(self, name).conv.weight, mode="fan_out", nonlinearity="relu")
        if self.conv1_lateral is not None:
            nn.init.kaiming_normal_(self.conv1_lateral.conv.weight, mode="fan_out", nonlinearity="relu")

    def fuse(self, stage: int, x_slow: Tensor, x_fast: Tensor) -> Tensor:
        """Concatenate the lateral of ``x_fast`` to ``x_slow`` before stage ``stage`` (0 = after the stem).

        ``x_slow`` (N, Cs, Ts, H, W), ``x_fast`` (N, Cf, Ts * speed_ratio, H, W) ->
        (N, Cs + Cf * lateral_infl, Ts, H, W).
        """
        conv = self.conv1_lateral if stage == 0 else None
        if stage > 0:
            name = self.lateral_connections[stage - 1]
            conv = getattr(self, name) if name is not None else None
        if conv is None:
            return x_slow
        return torch.cat((x_slow, conv(x_fast)), dim=1)

    def _frozen_modules(self) -> list[nn.Module]:
        mods = super()._frozen_modules()
        if self.frozen_stages >= 0 and self.conv1_lateral is not None:
            mods.append(self.conv1_lateral)
        for i in range(1, self.frozen_stages + 1):
            if i <= len(self.lateral_connections) and self.lateral_connections[i - 1] is not None:
                mods.append(getattr(self, self.lateral_connections[i - 1]))  # type: ignore[arg-type]
        return mods


class ResNet3dSlowFast(nn.Module):
    """The two-pathway backbone.

    Args:
        slow_path: the slow pathway, with laterals (``lateral=True``).
        fast_path: the fast pathway.
        resample_rate: the slow pathway sees every ``resample_rate``-th input frame (tau).
        speed_ratio: the fast pathway sees ``speed_ratio`` times more frames (alpha); it is fed
            every ``resample_rate // speed_ratio``-th frame.

    Input ``(N, C, T, H, W)``; output ``(slow (N, 2048, T/tau, H/32, W/32),
    fast (N, 256, T*alpha/tau, H/32, W/32))`` for R50.
    """

    def __init__(
        self,
        slow_path: ResNet3dPathway,
        fast_path: ResNet3d,
        *,
        resample_rate: int = 8,
        speed_ratio: int = 8,
    ) -> None:
        super().__init__()
        if resample_rate % speed_ratio:
            raise ValueError(f"resample_rate {resample_rate} must be a multiple of speed_ratio {speed_ratio}")
        if slow_path.lateral and slow_path.speed_ratio != speed_ratio:
            raise ValueError(
                f"the slow pathway's laterals stride {slow_path.speed_ratio} frames, "
                f"the backbone's speed_ratio is {speed_ratio}"
            )
        self.slow_path = slow_path
        self.fast_path = fast_path
        self.resample_rate = resample_rate
        self.speed_ratio = speed_ratio
        self.feat_dim = slow_path.feat_dim + fast_path.feat_dim

    @staticmethod
    def _subsample(x: Tensor, step: int) -> Tensor:
        # Nearest-neighbour temporal resampling by 1/step: frames 0, step, 2*step ... (floor(T/step) of them).
        if step == 1:
            return x
        t = x.shape[2] // step
        return x[:, :, : t * step : step]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(N, C, T, H, W) -> (slow features, fast features)."""
        x_slow = self.slow_path.forward_stem(self._subsample(x, self.resample_rate))
        x_fast = self.fast_path.forward_stem(self._subsample(x, self.resample_rate // self.speed_ratio))
        x_slow = self.slow_path.fuse(0, x_slow, x_fast)
        n = len(self.slow_path.res_layers)
        for i, name in enumerate(self.slow_path.res_layers):
            x_slow = getattr(self.slow_path, name)(x_slow)
            x_fast = getattr(self.fast_path, name)(x_fast)
            if i != n - 1:
                x_slow = self.slow_path.fuse(i + 1, x_slow, x_fast)
        return x_slow, x_fast


def slowfast_backbone(
    depth: int = 50,
    *,
    resample_rate: int = 8,
    speed_ratio: int = 8,
    channel_ratio: int = 8,
    fusion_kernel: int = 5,
) -> ResNet3dSlowFast:
    """SlowFast-R50/R101 as in MMAction2's ``slowfast_r50`` (4x16: tau=8, alpha=8; 8x8: tau=4,
    alpha=4, fusion kernel 7). Slow: 1x7x7 stem, stages 4-5 inflated; fast: 8-channel 5x7x7 stem,
    all inflated."""
    slow = ResNet3dPathway(
        depth,
        lateral=True,
        speed_ratio=speed_ratio,
        channel_ratio=channel_ratio,
        fusion_kernel=fusion_kernel,
        conv1_kernel=(1, 7, 7),
        inflate=(0, 0, 1, 1),
    )
    fast = ResNet3dPathway(
        depth,
        lateral=False,
        base_channels=64 // channel_ratio,
        conv1_kernel=(5, 7, 7),
    )
    return ResNet3dSlowFast(slow, fast, resample_rate=resample_rate, speed_ratio=speed_ratio)


# -- presets ---------------------------------------------------------------------------------------


_SLOWFAST = replace(K400_3D, clip_len=32, frame_interval=2, convert_mmaction=convert_mmaction_recognizer)


@register_preset(
    replace(
        _SLOWFAST,
        mmaction_config="recognition/slowfast/slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb.py",
        notes="SlowFast-R50 4x16 (slow 4 frames, fast 32; tau=8, alpha=8, beta=1/8).",
    )
)
def slowfast_r50_4x16x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowFast-R50 4x16 on 32-frame clips (2 apart); 34.48M parameters with 400 classes."""
    backbone = slowfast_backbone(50, resample_rate=8, speed_ratio=8, channel_ratio=8, fusion_kernel=5)
    return Recognizer(backbone, SlowFastHead(num_classes, 2304), input_layout="NCTHW")


@register_preset(
    replace(
        _SLOWFAST,
        mmaction_config="recognition/slowfast/slowfast_r50_8xb8-8x8x1-256e_kinetics400-rgb.py",
        notes="SlowFast-R50 8x8 (slow 8 frames, fast 32; tau=4, alpha=4, fusion kernel 7).",
    )
)
def slowfast_r50_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowFast-R50 8x8 on 32-frame clips (2 apart)."""
    backbone = slowfast_backbone(50, resample_rate=4, speed_ratio=4, channel_ratio=8, fusion_kernel=7)
    return Recognizer(backbone, SlowFastHead(num_classes, 2304), input_layout="NCTHW")


@register_preset(
    replace(
        _SLOWFAST,
        mmaction_config="recognition/slowfast/slowfast_r101_8xb8-8x8x1-256e_kinetics400-rgb.py",
        notes="SlowFast-R101 8x8 (tau=4, alpha=4, fusion kernel 7).",
    )
)
def slowfast_r101_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowFast-R101 8x8 on 32-frame clips (2 apart)."""
    backbone = slowfast_backbone(101, resample_rate=4, speed_ratio=4, channel_ratio=8, fusion_kernel=7)
    return Recognizer(backbone, SlowFastHead(num_classes, 2304), input_layout="NCTHW")
