"""BSN (Lin et al., "BSN: Boundary Sensitive Network for Temporal Action Proposal Generation",
ECCV 2018): 66.26 AUC / 74.27 AR@100 on ActivityNet-1.3 validation (MMAction2, TSN features).

Three stages, as MMAction2 runs them:

1. :class:`TEM` (temporal evaluation): ``(N, C, T)`` features -> actionness, start and end
   probabilities ``(N, 3, T)``; two 3-wide convolutions and a 1x1 one (1.40M parameters with
   400-d features), its outputs scaled by ``conv*_ratio`` (1, 1, 0.01) before the nonlinearity.
2. PGM (proposal generation): candidates from the TEM boundaries
   (:func:`vidcore.localization.postprocess.bsn_candidates`) and their boundary-sensitive
   proposal (BSP) features, :func:`bsp_features`: actionness interpolated at 16 points inside the
   proposal and 8 in each boundary region, each point the mean of ``num_sample_interp + 1``
   interpolations (32 values).
3. :class:`PEM` (proposal evaluation): BSP features ``(K, 32)`` -> tIoU confidence ``(K, 1)``
   through two fully connected layers (outputs scaled by 0.1).

State-dict keys are MMAction2's (``conv1.weight`` ..., ``fc1.weight`` ...).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..losses import binary_logistic_regression_loss, pem_loss
from ..meta import ACTIVITYNET_TSN
from ..registry import register_preset

__all__ = ["PEM", "TEM", "bsp_features", "convert_mmaction_bsn"]


class TEM(nn.Module):
    """BSN's temporal evaluation module.

    Args:
        temporal_scale: positions per video ``T`` (100).
        feat_dim: input feature channels (400).
        hidden_dim: convolution width (512).
        boundary_ratio: boundary-region width as a share of the segment length (0.1), for the
            targets (:func:`vidcore.localization.targets.tem_targets`).
        match_threshold: label threshold of the logistic loss (0.5).
        loss_weight: weight of the actionness loss (2).
        conv_ratios: output scales of conv1..conv3 (1, 1, 0.01).

    ``forward(x (N, feat_dim, T))`` -> ``(N, 3, T)`` probabilities: actionness, start, end.
    """

    def __init__(
        self,
        *,
        temporal_scale: int = 100,
        feat_dim: int = 400,
        hidden_dim: int = 512,
        boundary_ratio: float = 0.1,
        match_threshold: float = 0.5,
        loss_weight: float = 2.0,
        conv_ratios: tuple[float, float, float] = (1.0, 1.0, 0.01),
    ) -> None:
        super().__init__()
        self.temporal_scale = temporal_scale
        self.feat_dim = feat_dim
        self.boundary_ratio = boundary_ratio
        self.match_threshold = match_threshold
        self.loss_weight = loss_weight
        self.conv_ratios = conv_ratios
        self.conv1 = nn.Conv1d(feat_dim, hidden_dim, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(hidden_dim, hidden_dim, kernel_size=3, padding=1)
        self.conv3 = nn.Conv1d(hidden_dim, 3, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[1] != self.feat_dim:
            raise ValueError(f"TEM takes features (N, {self.feat_dim}, T), got {tuple(x.shape)}")
        r1, r2, r3 = self.conv_ratios
        x = F.relu(r1 * self.conv1(x))
        x = F.relu(r2 * self.conv2(x))
        return torch.sigmoid(r3 * self.conv3(x))

    def anchors(self) -> np.ndarray:
        """``(T, 2)`` anchor bounds ``[i / T, (i + 1) / T]`` (MMAction2's tmin/tmax columns)."""
        gap = 1.0 / self.temporal_scale
        i = np.arange(self.temporal_scale)
        return np.stack([gap * i, gap * (i + 1.0)], axis=1)

    def forward_train(self, batch: Any) -> dict[str, Tensor]:
        """``loss = 2 * action + start + end`` (binary logistic losses)."""
        from ..targets import tem_targets

        out = self(batch.features)
        targets = [tem_targets(g, self.temporal_scale, self.boundary_ratio) for g in batch.gt_segments]
        action, start, end = (torch.stack(t).to(out.device) for t in zip(*targets))
        la = binary_logistic_regression_loss(out[:, 0], action, self.match_threshold)
        ls = binary_logistic_regression_loss(out[:, 1], start, self.match_threshold)
        le = binary_logistic_regression_loss(out[:, 2], end, self.match_threshold)
        loss = self.loss_weight * la + ls + le
        return {"loss": loss, "loss_action": la.detach(), "loss_start": ls.detach(), "loss_end": le.detach()}

    @torch.no_grad()
    def forward_eval(self, batch: Any) -> dict[str, Any]:
        """``{"video_ids", "tem": [(T, 5) arrays [action, start, end, tmin, tmax]], "proposals"}``:
        the TEM result layout of MMAction2 (its csv columns ``action,start,end,tmin,tmax``), and
        proposals in seconds from the TEM boundaries alone (PGM candidates scored ``start * end``,
        Soft-NMS with PEM's parameters), to follow training without the PEM stage."""
        from ..postprocess import bsn_candidates, proposals_to_seconds

        out = self(batch.features).float().cpu().numpy()
        a = self.anchors()
        tem, props = [], []
        for i, o in enumerate(out):
            tem.append(np.concatenate([o.T.astype(np.float64), a], axis=1))
            cand = bsn_candidates(o[1], o[2])
            props.append(
                proposals_to_seconds(
                    cand, batch.video_duration(i), soft_nms_alpha=0.75, soft_nms_low_threshold=0.65,
                    soft_nms_high_threshold=0.9, top_k=100,
                )
            )  # fmt: skip
        return {"video_ids": list(batch.video_name), "tem": tem, "proposals": props}


def bsp_features(
    action: np.ndarray,
    proposals: np.ndarray,
    *,
    boundary_ratio: float = 0.2,
    num_sample_start: int = 8,
    num_sample_end: int = 8,
    num_sample_action: int = 16,
    num_sample_interp: int = 3,
) -> np.ndarray:
    """Boundary-sensitive proposal features (BSN's PGM): ``action`` ``(T,)`` TEM actionness at the
    snippet centres, ``proposals`` ``(K, >=2)`` ``[tmin, tmax]`` fractions -> float64 ``(K,
    num_sample_action + num_sample_start + num_sample_end)``: [inside, start region, end region].

    Actionness is linearly interpolated on the snippet centres, padded with zeros for
    ``T / 4 + 10`` snippets on both sides (``generate_bsp_feature``); a region ``[a, b]`` with
    ``n`` points takes ``n * interp + 1`` samples from ``a - step / 2`` in steps of ``step /
    interp`` (``step = (b - a) / (n - 1)``), and each point averages ``interp + 1`` consecutive
    samples.
    """
    act = np.asarray(action, dtype=np.float64)
    t = len(act)
    gap = 1.0 / t
    extend = int(t / 4 + 10)
    padded = np.concatenate([np.zeros(extend), act, np.zeros(extend)])
    last_tmax = gap * t
    points = np.concatenate(
        [
            -gap / 2 - (extend - 1 - np.arange(extend)) * gap,
            gap / 2 + np.arange(t) * gap,
            gap / 2 + last_tmax + np.arange(extend) * gap,
        ]
    )
    p = np.asarray(proposals, dtype=np.float64).reshape(-1, np.asarray(proposals).shape[-1])
    tmin, tmax = p[:, 0], p[:, 1]
    tlen = tmax - tmin

    def region(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
        step = (b - a) / (n - 1)
        k = num_sample_interp
        t_new = a[:, None] - step[:, None] / 2 + (step / k)[:, None] * np.arange(n * k + 1)[None, :]
        y = np.interp(t_new.ravel(), points, padded).reshape(t_new.shape)  # (K, n*k+1)
        windows = np.stack([y[:, i * k : (i + 1) * k + 1] for i in range(n)], axis=1)  # (K, n, k+1)
        return windows.mean(axis=2)

    inside = region(tmin, tmax, num_sample_action)
    start = region(tmin - tlen * boundary_ratio, tmin + tlen * boundary_ratio, num_sample_start)
    end = region(tmax - tlen * boundary_ratio, tmax + tlen * boundary_ratio, num_sample_end)
    return np.concatenate([inside, start, end], axis=1)


class PEM(nn.Module):
    """BSN's proposal evaluation module: BSP features ``(K, feat_dim)`` -> tIoU confidence
    ``(K, 1)``.

    Args:
        feat_dim: BSP feature size (32), hidden_dim: 256.
        high_iou, low_iou, u_ratio_m, u_ratio_l: the training sampling (0.6, 0.2, 1, 2), see
            :func:`vidcore.localization.losses.pem_loss`.
        fc_ratios: output scales of fc1 and fc2 (0.1, 0.1).
        soft_nms_alpha, soft_nms_low_threshold, soft_nms_high_threshold, post_process_top_k,
        feature_extraction_interval: post-processing (MMAction2: 0.75, 0.65, 0.9, 100, 16).
    """

    def __init__(
        self,
        *,
        feat_dim: int = 32,
        hidden_dim: int = 256,
        high_iou: float = 0.6,
        low_iou: float = 0.2,
        u_ratio_m: float = 1.0,
        u_ratio_l: float = 2.0,
        fc_ratios: tuple[float, float] = (0.1, 0.1),
        soft_nms_alpha: float = 0.75,
        soft_nms_low_threshold: float = 0.65,
        soft_nms_high_threshold: float = 0.9,
        post_process_top_k: int = 100,
        feature_extraction_interval: int = 16,
    ) -> None:
        super().__init__()
        self.feat_dim = feat_dim
        self.high_iou, self.low_iou = high_iou, low_iou
        self.u_ratio_m, self.u_ratio_l = u_ratio_m, u_ratio_l
        self.fc_ratios = fc_ratios
        self.soft_nms_alpha = soft_nms_alpha
        self.soft_nms_low_threshold = soft_nms_low_threshold
        self.soft_nms_high_threshold = soft_nms_high_threshold
        self.post_process_top_k = post_process_top_k
        self.feature_extraction_interval = feature_extraction_interval
        self.fc1 = nn.Linear(feat_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        r1, r2 = self.fc_ratios
        x = F.relu(r1 * self.fc1(x))
        return torch.sigmoid(r2 * self.fc2(x))

    def loss(self, bsp: Tensor, reference_iou: Tensor) -> Tensor:
        """The PEM loss on ``(K, feat_dim)`` features and their ``(K,)`` best tIoUs."""
        return pem_loss(
            self(bsp).view(-1), reference_iou, high=self.high_iou, low=self.low_iou,
            u_ratio_m=self.u_ratio_m, u_ratio_l=self.u_ratio_l,
        )  # fmt: skip

    @torch.no_grad()
    def score(self, bsp: Tensor, candidates: np.ndarray) -> np.ndarray:
        """``(K, 6)`` ``[tmin, tmax, start_score, end_score, pem, score]`` with ``score = pem *
        start * end`` (MMAction2's ``PEM.predict`` rows before post-processing)."""
        pem = self(bsp).view(-1).float().cpu().numpy().astype(np.float64)
        c = np.asarray(candidates, dtype=np.float64)
        return np.stack([c[:, 0], c[:, 1], c[:, 2], c[:, 3], pem, pem * c[:, 2] * c[:, 3]], axis=1)


# -- conversion ------------------------------------------------------------------------------------


def convert_mmaction_bsn(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 TEM/PEM state dicts -> ours: the keys are the same (``conv1..3``, ``fc1..2``)."""
    return {k.removeprefix("module."): v for k, v in state_dict.items()}


# -- presets ---------------------------------------------------------------------------------------

_BSN_NOTES = "MMAction2 (metafile): BSN AUC 66.26, AR@100 74.27 on ActivityNet-1.3 val, TSN features."


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        task="tem",
        mmaction_config="localization/bsn/bsn_tem_1xb16-400x100-20e_activitynet-feature.py",
        convert_mmaction=convert_mmaction_bsn,
        notes=_BSN_NOTES,
    )
)
def bsn_tem_400x100_20e_activitynet_feature() -> TEM:
    """BSN TEM on 400-d TSN features at 100 positions; 1.40M parameters."""
    return TEM(temporal_scale=100, feat_dim=400)


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        task="tem",
        feat_dim=2048,
        mmaction_config="localization/bsn/bsn_tem_1xb16-2048x100-20e_activitynet-k700-feature.py",
        convert_mmaction=convert_mmaction_bsn,
        notes="BSN TEM on 2048-d SlowOnly (Kinetics-700) features.",
    )
)
def bsn_tem_2048x100_20e_activitynet_k700_feature() -> TEM:
    """BSN TEM on 2048-d features at 100 positions."""
    return TEM(temporal_scale=100, feat_dim=2048)


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        task="pem",
        feat_dim=32,
        soft_nms_alpha=0.75,
        soft_nms_low_threshold=0.65,
        soft_nms_high_threshold=0.9,
        mmaction_config="localization/bsn/bsn_pem_1xb16-400x100-20e_activitynet-feature.py",
        convert_mmaction=convert_mmaction_bsn,
        notes=_BSN_NOTES + " Input: 32-d BSP features of the PGM stage.",
    )
)
def bsn_pem_400x100_20e_activitynet_feature() -> PEM:
    """BSN PEM on 32-d BSP features; 8.7K parameters."""
    return PEM()
