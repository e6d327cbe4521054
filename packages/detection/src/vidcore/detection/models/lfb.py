"""Long-term feature banks (Wu et al., "Long-Term Feature Banks for Detailed Video
Understanding", CVPR 2019; MMAction2's ``detection/lfb`` configs).

Two stages:

1. :func:`build_feature_bank` runs a trained detector once over every keyframe and stores each
   person's pooled RoI feature (temporal mean, spatial max: 2048 values for SlowOnly-R50) as
   ``{video_id: {second: (n, C) tensor}}`` (MMAction2's ``LFBInferHead``; :meth:`FeatureBank.save`
   writes MMAction2's ``lfb_<split>.pkl`` layout, which :meth:`FeatureBank.load` reads, with
   ``torch.load(weights_only=True)``).
2. The detector with an :class:`FBOHead` reads, for each RoI, the features of the
   ``window_size`` seconds centred on its keyframe (at most ``max_num_sampled_feat`` people per
   second, drawn at random, zeros elsewhere: ``(window * K, C)``), and a feature-bank operator
   fuses them with the RoI's short-term feature: :class:`FBONonLocal` (two non-local layers over
   the bank, 512 channels out), :class:`FBOAvg` or :class:`FBOMax` (the bank pooled, 2048 out).
   The output is the RoI feature concatenated with the operator's.

MMAction2 mapping: ``roi_head.shared_head.fbo.*`` keys (``st_feat_conv``, ``lt_feat_conv``,
``non_local_layer_<i>.{st_feat_conv,lt_feat_conv,global_conv,out_conv}.conv``, ``.ln``); the bank
holds no parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from vidcore.recognition.models.resnet3d import ConvBnAct3d

from ..detector import AVADetector, convert_mmaction_detector
from ..meta import AVA21
from ..registry import register_preset
from .roi_head import AVARoIHead, BBoxHeadAVA, RoIExtractor3D, boxes_to_rois
from .slowonly import slowonly_ava_backbone

__all__ = [
    "FBOAvg",
    "FBOHead",
    "FBOMax",
    "FBONonLocal",
    "FeatureBank",
    "NonLocalLayer",
    "build_feature_bank",
    "lfb_slowonly_detector",
]


class FeatureBank:
    """Per-person features by video and second, and the window sampling of MMAction2's ``LFB``.

    Args:
        features: ``{video_id: {second: (n, C) tensor}}``.
        window_size: seconds per window (60), centred: ``[t - window // 2, t + window - window // 2)``.
        max_num_sampled_feat: people kept per second (5).
        channels: ``C`` (2048).
    """

    def __init__(
        self,
        features: Mapping[str, Mapping[int, Tensor]],
        *,
        window_size: int = 60,
        max_num_sampled_feat: int = 5,
        channels: int = 2048,
    ) -> None:
        self.features = {v: {int(t): f for t, f in secs.items()} for v, secs in features.items()}
        self.window_size = window_size
        self.max_num_sampled_feat = max_num_sampled_feat
        self.channels = channels

    @classmethod
    def load(cls, paths: str | Path | Iterable[str | Path], **kwargs: int) -> FeatureBank:
        """Read one or several ``lfb_<split>.pkl`` files (MMAction2's layout: lists or stacked
        tensors per second) with ``torch.load(weights_only=True)``."""
        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        merged: dict[str, dict[int, Tensor]] = {}
        for p in paths:
            data = torch.load(p, map_location="cpu", weights_only=True)
            if not isinstance(data, dict):
                raise ValueError(f"{p}: expected {{video_id: {{second: features}}}}, got {type(data).__name__}")
            for video, secs in data.items():
                for sec, feats in secs.items():
                    if isinstance(feats, (list, tuple)):
                        feats = torch.stack([f.reshape(-1) for f in feats])
                    merged.setdefault(str(video), {})[int(sec)] = feats.float()
        return cls(merged, **kwargs)

    def save(self, path: str | Path) -> None:
        """Write ``{video_id: {second: [feature (C,), ...]}}`` (MMAction2's ``lfb_<split>.pkl``)."""
        data = {v: {t: list(f.unbind(0)) for t, f in secs.items()} for v, secs in self.features.items()}
        torch.save(data, path)

    def __len__(self) -> int:
        return len(self.features)

    def sample(self, img_key: str, generator: torch.Generator | None = None) -> Tensor:
        """``(window_size * K, C)`` features around ``"video_id,TTTT"``: second ``i`` of the
        window fills rows ``i*K .. i*K + n - 1`` with ``min(n, K)`` of its people in random order."""
        video, ts = img_key.split(",")
        secs = self.features.get(video, {})
        k, start = self.max_num_sampled_feat, int(ts) - self.window_size // 2
        out = torch.zeros(self.window_size, k, self.channels)
        for i, sec in enumerate(range(start, start + self.window_size)):
            feat = secs.get(sec)
            if feat is not None:
                pick = torch.randperm(feat.shape[0], generator=generator)[:k]
                out[i, : pick.numel()] = feat[pick].float()
        return out.reshape(-1, self.channels)  # (window, K, C) -> (window*K, C)


class NonLocalLayer(nn.Module):
    """One non-local layer of :class:`FBONonLocal`: short-term features attend to the bank.

    Args:
        st_channels, lt_channels, latent_channels: channels of the RoI features, the bank and the
            attention space (512 each inside ``FBONonLocal``).
        num_st_feat, num_lt_feat: positions (1 RoI feature; ``window * K`` bank features).
        use_scale: divide the logits by ``sqrt(latent_channels)``.
        pre_activate: LayerNorm + ReLU before ``out_conv`` (else LayerNorm after it).
        dropout_ratio: dropout on the output.

    ``forward(st (N, C_s, num_st, 1, 1), lt (N, C_l, num_lt, 1, 1))`` -> ``(N, C_s, num_st, 1, 1)``.
    """

    def __init__(
        self,
        st_channels: int,
        lt_channels: int,
        latent_channels: int,
        num_st_feat: int,
        num_lt_feat: int,
        *,
        use_scale: bool = True,
        pre_activate: bool = True,
        pre_activate_with_ln: bool = True,
        dropout_ratio: float = 0.2,
    ) -> None:
        super().__init__()
        self.latent_channels = latent_channels
        self.num_st_feat = num_st_feat
        self.num_lt_feat = num_lt_feat
        self.use_scale = use_scale
        self.pre_activate = pre_activate
        self.pre_activate_with_ln = pre_activate_with_ln

        def proj(cin: int, cout: int) -> ConvBnAct3d:
            return ConvBnAct3d(cin, cout, 1, 1, 0, bias=True, norm=False, act=False)

        self.st_feat_conv = proj(st_channels, latent_channels)
        self.lt_feat_conv = proj(lt_channels, latent_channels)
        self.global_conv = proj(lt_channels, latent_channels)
        self.ln = nn.LayerNorm([latent_channels if pre_activate else st_channels, num_st_feat, 1, 1])
        self.relu = nn.ReLU()
        self.out_conv = proj(latent_channels, st_channels)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else None
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, st_feat: Tensor, lt_feat: Tensor) -> Tensor:
        n, c = st_feat.shape[0], self.latent_channels
        theta = self.st_feat_conv(st_feat).reshape(n, c, self.num_st_feat)  # (N, c, S)
        phi = self.lt_feat_conv(lt_feat).reshape(n, c, self.num_lt_feat)  # (N, c, L)
        g = self.global_conv(lt_feat).reshape(n, c, self.num_lt_feat)  # (N, c, L)
        logits = theta.transpose(1, 2) @ phi  # (N, S, L)
        if self.use_scale:
            logits = logits / c**0.5
        attn = logits.softmax(dim=-1)
        out = (g @ attn.transpose(1, 2)).reshape(n, c, self.num_st_feat, 1, 1)  # (N, c, S) -> (N, c, S, 1, 1)
        if self.pre_activate:
            if self.pre_activate_with_ln:
                out = self.ln(out)
            out = self.relu(out)
        out = self.out_conv(out)
        if not self.pre_activate:
            out = self.ln(out)
        if self.dropout is not None:
            out = self.dropout(out)
        return out


class FBONonLocal(nn.Module):
    """Non-local feature-bank operator: 1x1 projections of both inputs to ``latent_channels``
    (with dropout), then ``num_layers`` residual :class:`NonLocalLayer` s.

    ``forward(st (N, C_s, 1, 1, 1), lt (N, C_l, L, 1, 1))`` -> ``(N, latent, 1, 1, 1)``."""

    def __init__(
        self,
        st_channels: int = 2048,
        lt_channels: int = 2048,
        latent_channels: int = 512,
        num_st_feat: int = 1,
        num_lt_feat: int = 300,
        *,
        num_layers: int = 2,
        st_dropout: float = 0.2,
        lt_dropout: float = 0.2,
        pre_activate: bool = True,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.out_channels = latent_channels
        self.pre_activate = pre_activate
        self.st_feat_conv = nn.Conv3d(st_channels, latent_channels, 1)
        self.lt_feat_conv = nn.Conv3d(lt_channels, latent_channels, 1)
        self.st_feat_dropout = nn.Dropout(st_dropout) if st_dropout > 0 else None
        self.lt_feat_dropout = nn.Dropout(lt_dropout) if lt_dropout > 0 else None
        self.relu = nn.ReLU()
        self.layer_names = []
        for i in range(num_layers):
            name = f"non_local_layer_{i + 1}"
            self.add_module(
                name,
                NonLocalLayer(latent_channels, latent_channels, latent_channels, num_st_feat, num_lt_feat,
                              pre_activate=pre_activate),
            )  # fmt: skip
            self.layer_names.append(name)
        for conv in (self.st_feat_conv, self.lt_feat_conv):
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(conv.bias)

    def forward(self, st_feat: Tensor, lt_feat: Tensor) -> Tensor:
        st = self.st_feat_conv(st_feat)
        if self.st_feat_dropout is not None:
            st = self.st_feat_dropout(st)
        lt = self.lt_feat_conv(lt_feat)
        if self.lt_feat_dropout is not None:
            lt = self.lt_feat_dropout(lt)
        for name in self.layer_names:
            st = st + getattr(self, name)(st, lt)
            if not self.pre_activate:
                st = self.relu(st)
        return st


class FBOAvg(nn.Module):
    """The bank averaged: ``(N, C, L, 1, 1)`` -> ``(N, C, 1, 1, 1)``."""

    def forward(self, st_feat: Tensor, lt_feat: Tensor) -> Tensor:
        return lt_feat.mean(dim=2, keepdim=True)


class FBOMax(nn.Module):
    """The bank max-pooled: ``(N, C, L, 1, 1)`` -> ``(N, C, 1, 1, 1)``."""

    def forward(self, st_feat: Tensor, lt_feat: Tensor) -> Tensor:
        return lt_feat.amax(dim=2, keepdim=True)


class FBOHead(nn.Module):
    """Feature-bank operator head (MMAction2's ``FBOHead``, key prefix ``fbo.``).

    ``forward(roi_feats (R, C, T, S, S), feat, rois, img_keys)``: RoI features pooled (temporal
    mean, spatial max) to ``(R, C, 1, 1, 1)``, the bank window of each RoI's keyframe
    ``(R, C_l, window*K, 1, 1)``, output ``cat(RoI feature, operator output)`` along channels.
    ``bank`` must be set (``head.bank = FeatureBank.load(...)``) before the first forward.
    """

    def __init__(self, fbo: nn.Module, bank: FeatureBank | None = None) -> None:
        super().__init__()
        self.fbo = fbo
        self.bank = bank
        self.generator: torch.Generator | None = None

    def forward(self, roi_feats: Tensor, feat: Tensor, rois: Tensor, img_keys: Sequence[str] = ()) -> Tensor:
        if self.bank is None:
            raise RuntimeError("FBOHead has no feature bank: set head.bank = FeatureBank.load('lfb_val.pkl')")
        if len(img_keys) != roi_feats.shape[0]:
            raise ValueError(f"FBOHead needs one img_key per RoI, got {len(img_keys)} for {roi_feats.shape[0]}")
        st = roi_feats.mean(dim=2, keepdim=True).amax(dim=(3, 4), keepdim=True)  # (R, C, 1, 1, 1)
        lt = torch.stack([self.bank.sample(k, self.generator) for k in img_keys])  # (R, L, C_l)
        lt = lt.transpose(1, 2)[..., None, None].to(st)  # (R, L, C_l) -> (R, C_l, L, 1, 1)
        return torch.cat([st, self.fbo(st, lt)], dim=1)


FBOKind = Literal["non_local", "avg", "max"]


def lfb_slowonly_detector(
    num_classes: int = 81,
    *,
    fbo: FBOKind = "non_local",
    window_size: int = 60,
    max_num_sampled_feat: int = 5,
    bank: FeatureBank | None = None,
) -> AVADetector:
    """SlowOnly-R50 4x16 + feature-bank operator (bbox head on 2048 + 512 channels for
    ``non_local``, 2048 + 2048 for ``avg``/``max``)."""
    if fbo == "non_local":
        op: nn.Module = FBONonLocal(2048, 2048, 512, 1, window_size * max_num_sampled_feat)
        channels = 2048 + 512
    elif fbo in ("avg", "max"):
        op = FBOAvg() if fbo == "avg" else FBOMax()
        channels = 4096
    else:
        raise ValueError(f"fbo must be 'non_local', 'avg' or 'max', got {fbo!r}")
    head = AVARoIHead(RoIExtractor3D(8, 16), BBoxHeadAVA(channels, num_classes), shared_head=FBOHead(op, bank))
    return AVADetector(slowonly_ava_backbone(50), head)


@torch.no_grad()
def build_feature_bank(
    model: AVADetector,
    batches: Iterable[object],
    *,
    window_size: int = 60,
    max_num_sampled_feat: int = 5,
) -> FeatureBank:
    """One pass of ``model`` (a detector without a bank head, e.g. ``slowonly_r50_4x16x1_ava21``)
    over ``batches`` (:class:`~vidcore.detection.batch.DetectionBatch`, proposals as the RoIs):
    every RoI's pooled feature (temporal mean, spatial max), stored under its keyframe."""
    model.eval()
    store: dict[str, dict[int, list[Tensor]]] = {}
    channels = 0
    for batch in batches:
        x = model.preprocess(batch.video)  # type: ignore[attr-defined]
        props = [p.as_subclass(Tensor).to(x.device).float() for p in batch.proposals]  # type: ignore[attr-defined]
        rois = boxes_to_rois(props).to(x.device)
        keys = batch.img_keys  # type: ignore[attr-defined]
        roi_keys = [keys[int(i)] for i in rois[:, 0].tolist()]
        feats = model.roi_head.roi_features(model.forward_features(x), rois, roi_keys)
        pooled = feats.mean(dim=2).amax(dim=(2, 3)).float().cpu()  # (R, C, T, S, S) -> (R, C)
        channels = pooled.shape[1]
        for key, f in zip(roi_keys, pooled):
            video, ts = key.split(",")
            store.setdefault(video, {}).setdefault(int(ts), []).append(f)
    stacked = {v: {t: torch.stack(fs) for t, fs in secs.items()} for v, secs in store.items()}
    return FeatureBank(stacked, window_size=window_size, max_num_sampled_feat=max_num_sampled_feat,
                       channels=channels or 2048)  # fmt: skip


_CFG = "detection/lfb/"
_LFB = replace(AVA21, clip_len=4, frame_interval=16, convert_mmaction=convert_mmaction_detector)


@register_preset(
    replace(
        _LFB,
        mmaction_config=_CFG + "slowonly-lfb-nl_kinetics400-pretrained-r50_8xb12-4x16x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 4x16 + LFB, non-local operator (2 layers, 512 channels, 60 s x 5 people); "
        "MMAction2 reports 24.11 frame-mAP. Needs a feature bank (build_feature_bank).",
    )
)
def slowonly_lfb_nl_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50 4x16 with the non-local feature-bank operator."""
    return lfb_slowonly_detector(num_classes, fbo="non_local")


@register_preset(
    replace(
        _LFB,
        mmaction_config=_CFG + "slowonly-lfb-max_kinetics400-pretrained-r50_8xb12-4x16x1-20e_ava21-rgb.py",
        notes="SlowOnly-R50 4x16 + LFB, max operator. Needs a feature bank (build_feature_bank).",
    )
)
def slowonly_lfb_max_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50 4x16 with the max feature-bank operator."""
    return lfb_slowonly_detector(num_classes, fbo="max")


@register_preset(
    replace(
        _LFB,
        notes="SlowOnly-R50 4x16 + LFB, average operator (MMAction2's FBOAvg; no stock config uses it). "
        "Needs a feature bank (build_feature_bank).",
    )
)
def slowonly_lfb_avg_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector:
    """SlowOnly-R50 4x16 with the average feature-bank operator."""
    return lfb_slowonly_detector(num_classes, fbo="avg")
