"""RGBPoseConv3D: two 3D ResNet pathways, RGB frames and pose heatmaps, exchanging features both
ways after their middle stages (PoseC3D paper, section 3.4; MMAction2's ``RGBPoseConv3D``).

The RGB pathway is a SlowOnly-R50 (8 frames) that receives, before its res4 and res5 stages, the
pose features squeezed in time by strided 7x1x1 convolutions (vidcore-recognition's
:class:`~vidcore.recognition.models.slowfast.ResNet3dPathway` laterals). The pose pathway is
PoseC3D's slim SlowOnly (32 frames, 17 heatmap channels) that receives the RGB features stretched
in time by 7x1x1 transposed convolutions with BN and ReLU (:class:`InverseLateral`). Each pathway
has its own linear classifier (:class:`RGBPoseHead`); MMAction2 trains with the sum of both losses
and reports the two scores separately, fusing them afterwards (1:1 by default).

Inputs: ``rgb`` ``(B, 3, T, H, W)`` normalised frames, ``heatmap`` ``(B, 17, 4T, H/4, W/4)``
(e.g. ``(B, 3, 8, 224, 224)`` and ``(B, 17, 32, 56, 56)``); output ``{"rgb": (B, K), "pose": (B, K)}``.
Keys are MMAction2's (``backbone.rgb_path.*``, ``backbone.pose_path.layer1_lateral.conv`` ...,
``cls_head.fc_rgb`` -> ``head.fc_rgb``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.core.losses import CrossEntropyLoss
from vidcore.recognition.models.resnet3d import ResNet3d
from vidcore.recognition.models.slowfast import ResNet3dPathway

from ..meta import NTU60_XSUB_HEATMAP
from ..recognizer import AverageClips, average_clips
from ..registry import register_preset

__all__ = [
    "InverseLateral",
    "RGBPoseConv3D",
    "RGBPoseHead",
    "RGBPoseRecognizer",
    "convert_mmaction_rgbpose",
    "rgbposeconv3d",
]


class InverseLateral(nn.Module):
    """Transposed 3D convolution ``(k, 1, 1)`` with time stride ``s``, BN, ReLU (MMAction2's
    ``DeConvModule``): ``(B, C_in, T, H, W) -> (B, C_out, s*T, H, W)``."""

    def __init__(self, in_channels: int, out_channels: int, *, kernel: int = 7, stride: int = 4) -> None:
        super().__init__()
        self.stride = stride
        self.conv = nn.ConvTranspose3d(
            in_channels, out_channels, (kernel, 1, 1), stride=(stride, 1, 1), padding=((kernel - 1) // 2, 0, 0), bias=False
        )
        self.bn = nn.BatchNorm3d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        n, _, t, h, w = x.shape
        y = self.conv(x, output_size=(n, self.conv.out_channels, self.stride * t, h, w))
        return self.relu(self.bn(y))


class PosePathway(ResNet3d):
    """PoseC3D's slim SlowOnly with inverse laterals from the RGB pathway before the stages named
    in ``lateral_activate`` (stage index; 0 is never fed): stage ``i`` gets
    ``rgb_planes(i) * channel_ratio // lateral_infl`` extra input channels."""

    def __init__(
        self,
        *,
        speed_ratio: int = 4,
        channel_ratio: int = 4,
        lateral_infl: int = 16,
        lateral_activate: Sequence[int] = (0, 1, 1),
        fusion_kernel: int = 7,
        in_channels: int = 17,
        base_channels: int = 32,
        stage_blocks: Sequence[int] = (4, 6, 3),
    ) -> None:
        num_stages = len(stage_blocks)
        # planes of this pathway's stage i output (bottleneck expansion 4) as MMAction2 counts them
        planes = [base_channels * 2**i * (2 ** (i > 0)) for i in range(num_stages)]
        lateral_in = [planes[i] * channel_ratio // lateral_infl if lateral_activate[i] else 0 for i in range(num_stages)]
        super().__init__(
            50,
            in_channels=in_channels,
            base_channels=base_channels,
            num_stages=num_stages,
            stage_blocks=stage_blocks,
            out_indices=(num_stages - 1,),
            conv1_kernel=(1, 7, 7),
            conv1_stride_s=1,
            pool1_stride_s=1,
            inflate=(0, 1, 1),
            spatial_strides=(2, 2, 2),
            temporal_strides=(1, 1, 1),
            dilations=(1, 1, 1),
            with_pool2=False,
            lateral_inplanes=lateral_in,
        )
        for i in range(num_stages - 1):
            if lateral_activate[i + 1]:
                channels = base_channels * 2**i * 4 * channel_ratio  # the RGB features feeding stage i + 1
                self.add_module(
                    f"layer{i + 1}_lateral",
                    InverseLateral(channels, channels // lateral_infl, kernel=fusion_kernel, stride=speed_ratio),
                )


class RGBPoseConv3D(nn.Module):
    """The two-pathway backbone (MMAction2's ``RGBPoseConv3D`` with its default pathways).

    Args:
        speed_ratio: pose frames per RGB frame (time stride of the laterals).
        channel_ratio: RGB / pose channel ratio.
        rgb_detach, pose_detach: stop gradients through the pose -> RGB / RGB -> pose laterals.
        rgb_drop_path, pose_drop_path: in training, the probability of zeroing the pose -> RGB /
            RGB -> pose lateral features of a whole batch.
    """

    def __init__(
        self,
        *,
        speed_ratio: int = 4,
        channel_ratio: int = 4,
        rgb_detach: bool = False,
        pose_detach: bool = False,
        rgb_drop_path: float = 0.0,
        pose_drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        self.rgb_path = ResNet3dPathway(
            50,
            lateral=True,
            speed_ratio=speed_ratio,
            channel_ratio=channel_ratio,
            fusion_kernel=7,
            lateral_infl=1,
            lateral_activate=(0, 0, 1, 1),
            base_channels=64,
            conv1_kernel=(1, 7, 7),
            inflate=(0, 0, 1, 1),
            with_pool2=False,
        )
        self.pose_path = PosePathway(speed_ratio=speed_ratio, channel_ratio=channel_ratio)
        self.rgb_detach, self.pose_detach = rgb_detach, pose_detach
        self.rgb_drop_path, self.pose_drop_path = rgb_drop_path, pose_drop_path

    def forward(self, rgb: Tensor, heatmap: Tensor) -> tuple[Tensor, Tensor]:
        """``(B, 3, T, H, W)``, ``(B, 17, 4T, H/4, W/4)`` -> features ``(B, 2048, T, H/32, W/32)``,
        ``(B, 512, 4T, H/32, W/32)``."""
        drop_rgb = self.training and bool(torch.rand(1) < self.rgb_drop_path)
        drop_pose = self.training and bool(torch.rand(1) < self.pose_drop_path)
        r, p = self.rgb_path.forward_stem(rgb), self.pose_path.forward_stem(heatmap)
        r = self.rgb_path.layer2(self.rgb_path.layer1(r))
        p = self.pose_path.layer1(p)
        for rgb_stage, pose_stage in ((3, 2), (4, 3)):
            to_rgb = getattr(self.rgb_path, f"layer{rgb_stage - 1}_lateral")(p.detach() if self.rgb_detach else p)
            to_pose = getattr(self.pose_path, f"layer{pose_stage - 1}_lateral")(r.detach() if self.pose_detach else r)
            if drop_rgb:
                to_rgb = torch.zeros_like(to_rgb)
            if drop_pose:
                to_pose = torch.zeros_like(to_pose)
            r = getattr(self.rgb_path, f"layer{rgb_stage}")(torch.cat((r, to_rgb), dim=1))
            p = getattr(self.pose_path, f"layer{pose_stage}")(torch.cat((p, to_pose), dim=1))
        return r, p


class RGBPoseHead(nn.Module):
    """One average-pool + dropout + linear classifier per pathway (MMAction2's ``RGBPoseHead``):
    features ``((B, 2048, ...), (B, 512, ...))`` -> ``{"rgb": (B, K), "pose": (B, K)}``."""

    def __init__(
        self, num_classes: int, in_channels: tuple[int, int] = (2048, 512), *, dropout: float = 0.5, init_std: float = 0.01
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.init_std = init_std
        self.dropout_rgb = nn.Dropout(dropout)
        self.dropout_pose = nn.Dropout(dropout)
        self.reset_classifier(num_classes)

    def forward(self, feats: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
        rgb = feats[0].mean(dim=(2, 3, 4))  # (B, C, T, H, W) -> (B, C)
        pose = feats[1].mean(dim=(2, 3, 4))
        return {"rgb": self.fc_rgb(self.dropout_rgb(rgb)), "pose": self.fc_pose(self.dropout_pose(pose))}

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        device = self.fc_rgb.weight.device if hasattr(self, "fc_rgb") else None
        self.fc_rgb = nn.Linear(self.in_channels[0], num_classes, device=device)
        self.fc_pose = nn.Linear(self.in_channels[1], num_classes, device=device)
        for fc in (self.fc_rgb, self.fc_pose):
            nn.init.normal_(fc.weight, 0.0, self.init_std)
            nn.init.zeros_(fc.bias)


class RGBPoseRecognizer(nn.Module):
    """RGBPoseConv3D + RGBPoseHead (MMAction2's ``MMRecognizer3D``), normalising RGB on device.

    ``predict(rgb, heatmap)`` takes ``uint8``/0-255 ``rgb`` ``(N, [V,] 3, T, H, W)`` and heatmaps
    ``(N, [V,] 17, 4T, h, w)`` and returns ``{"rgb": (N, K), "pose": (N, K)}``, each averaged over
    the ``V`` clips; fuse them with :func:`vidcore.core.scores.fuse` (MMAction2: 1:1).

    For the trainer (a :class:`~vidcore.skeleton.recognizer.SkeletonBatch` with ``rgb``, ``heatmap``
    and ``label``): :meth:`forward_train` sums the two pathways' cross-entropies weighted by
    ``loss_weights`` (MMAction2's ``RGBPoseHead`` ``loss_weights``, 1:1); :meth:`forward_eval` gives
    the ``fusion_weights``-weighted mean of the two clip-averaged score sets (MMAction2's
    ``AccMetric`` reports the 1:1 fusion of RGB and pose).
    """

    def __init__(
        self,
        backbone: RGBPoseConv3D,
        head: RGBPoseHead,
        *,
        mean: Sequence[float] = (123.675, 116.28, 103.53),
        std: Sequence[float] = (58.395, 57.12, 57.375),
        average: AverageClips = "prob",
        loss_weights: tuple[float, float] = (1.0, 1.0),
        fusion_weights: tuple[float, float] = (1.0, 1.0),
        loss: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if sum(fusion_weights) <= 0:
            raise ValueError(f"fusion_weights must have a positive sum, got {fusion_weights}")
        self.backbone = backbone
        self.head = head
        self.average_clips: AverageClips = average
        self.loss_weights = loss_weights
        self.fusion_weights = fusion_weights
        self.loss = loss if loss is not None else CrossEntropyLoss()
        self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(-1, 1, 1, 1), persistent=False)

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    def reset_classifier(self, num_classes: int) -> None:
        self.head.reset_classifier(num_classes)

    def forward(self, rgb: Tensor, heatmap: Tensor) -> dict[str, Tensor]:
        """Logits of normalised ``(B, 3, T, H, W)`` frames and ``(B, 17, 4T, h, w)`` heatmaps."""
        return self.head(self.backbone(rgb, heatmap))

    def _inputs(self, rgb: Tensor, heatmap: Tensor) -> tuple[int, int, Tensor, Tensor]:
        """``(N, V, normalised rgb (N*V, 3, T, H, W), heatmap (N*V, 17, 4T, h, w))`` on the model's
        device, for ``(N, [V,] ...)`` inputs."""
        if rgb.dim() != heatmap.dim() or rgb.dim() not in (5, 6) or rgb.shape[0] != heatmap.shape[0]:
            raise ValueError(
                "rgb (N, [V,] 3, T, H, W) and heatmap (N, [V,] 17, 4T, h, w) must agree in N and [V], got "
                f"{tuple(rgb.shape)} and {tuple(heatmap.shape)}"
            )
        if rgb.dim() == 5:
            rgb, heatmap = rgb.unsqueeze(1), heatmap.unsqueeze(1)
        n, v = rgb.shape[:2]
        x = (rgb.reshape(n * v, *rgb.shape[2:]).float().to(self.mean.device) - self.mean) / self.std
        h = heatmap.reshape(n * v, *heatmap.shape[2:]).float().to(self.mean.device)  # (N, V, ...) -> (N*V, ...)
        return n, v, x, h

    @staticmethod
    def _field(batch: Any, name: str) -> Tensor:
        value = batch.get(name) if hasattr(batch, "get") else None
        if value is None:
            raise ValueError(f"the batch has no {name!r} field (RGBPoseConv3D reads rgb, heatmap and label)")
        return value

    def forward_train(self, batch: Any) -> dict[str, Tensor]:
        """``{"loss", "loss_rgb", "loss_pose", "top1_rgb", "top1_pose"}``: ``loss`` is
        ``w_rgb * CE(rgb logits) + w_pose * CE(pose logits)`` (``loss_weights``); several clips per
        sample have their logits averaged before the loss."""
        n, v, x, h = self._inputs(self._field(batch, "rgb"), self._field(batch, "heatmap"))
        labels = self._field(batch, "label").to(self.mean.device)
        out: dict[str, Tensor] = {}
        total = torch.zeros((), device=self.mean.device)
        for (name, logits), weight in zip(self.forward(x, h).items(), self.loss_weights, strict=True):
            if v > 1:
                logits = logits.view(n, v, -1).mean(dim=1)  # (N*V, K) -> (N, K)
            loss = self.loss(logits, labels)
            total = total + weight * loss
            out[f"loss_{name}"] = loss.detach()
            out[f"top1_{name}"] = (logits.detach().argmax(dim=1) == labels).float().mean()
        return {"loss": total, **out}

    @torch.no_grad()
    def forward_eval(self, batch: Any) -> dict[str, Tensor]:
        """``{"scores": (N, K), "labels": (N,)}``: the ``fusion_weights``-weighted mean of the RGB and
        pose scores of :meth:`predict` (each averaged over the clips with ``average_clips``)."""
        scores = self.predict(self._field(batch, "rgb"), self._field(batch, "heatmap"))
        w_rgb, w_pose = self.fusion_weights
        out = {"scores": (w_rgb * scores["rgb"] + w_pose * scores["pose"]) / (w_rgb + w_pose)}
        label = batch.get("label") if hasattr(batch, "get") else None
        if label is not None:
            out["labels"] = label
        return out

    @torch.no_grad()
    def predict(self, rgb: Tensor, heatmap: Tensor) -> dict[str, Tensor]:
        n, v, x, h = self._inputs(rgb, heatmap)
        out = self.forward(x, h)
        return {k: average_clips(s.view(n, v, -1), self.average_clips) for k, s in out.items()}


def convert_mmaction_rgbpose(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 ``MMRecognizer3D`` keys -> ours: ``cls_head.`` becomes ``head.``; the rest kept."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor."):
            continue
        out["head." + key[len("cls_head.") :] if key.startswith("cls_head.") else key] = value
    return out


def rgbposeconv3d(num_classes: int = 60) -> RGBPoseRecognizer:
    """MMAction2's ``rgbpose_conv3d.py`` (NTU60 XSub): RGB 8 frames + pose 32 frames, 1:1 losses."""
    return RGBPoseRecognizer(RGBPoseConv3D(), RGBPoseHead(num_classes))


@register_preset(
    replace(
        NTU60_XSUB_HEATMAP,
        classifier=("head.fc_rgb", "head.fc_pose"),
        convert_mmaction=convert_mmaction_rgbpose,
        clip_len=32,
        heatmap_sigma=0.7,
        mmaction_config="skeleton/posec3d/rgbpose_conv3d/rgbpose_conv3d.py",
        notes="RGBPoseConv3D (RGB 8 frames + pose 32 frames, NTU60 XSub); scores of the two pathways "
        "are fused 1:1. Builds an RGBPoseRecognizer (two inputs, two score sets).",
    )
)
def rgbposeconv3d_ntu60_xsub(num_classes: int = 60) -> RGBPoseRecognizer:
    return rgbposeconv3d(num_classes)
