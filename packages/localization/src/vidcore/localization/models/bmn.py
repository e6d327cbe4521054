"""BMN (Lin et al., "BMN: Boundary-Matching Network for Temporal Action Proposal Generation",
ICCV 2019): 67.25 AUC / 75.01 AR@100 on ActivityNet-1.3 validation with TSN features (MMAction2).

Input: snippet features ``(N, C, T)`` rescaled to ``T = temporal_scale`` positions (100). Outputs:
start and end probabilities ``(N, T)`` and the boundary-matching confidence map ``(N, 2, D, S)``
over (duration index ``d``, start index ``s``): the proposal ``[s, s + d + 1] / T`` of the
feature span, channel 0 the regression (tIoU) score, channel 1 the classification score.

The boundary-matching (BM) layer samples ``num_samples`` points of every proposal (extended by
``boundary_ratio`` of its length on each side), each the mean of ``num_samples_per_bin`` linear
interpolations. MMAction2 applies it as a matmul with a ``(T, num_samples * T * T)`` mask and then
a ``(num_samples, 1, 1)`` 3D convolution (512 x 256 x 32 weights over 100 x 100 positions: about
42 GMAC, most of the network's time). Both are linear, so here the convolution's weights are
applied first on the ``T`` snippets (``(N, C, T)`` -> ``(N, 512, num_samples, T)``, 0.4 GMAC) and
the BM sampling follows as one dense matmul with the mask restricted to the ``T(T+1)/2`` valid
proposals (``s + d < T``): about 8 GMAC in all. Invalid positions get the convolution's bias, as
MMAction2's zero mask gives them. The mask is rebuilt once per model (a non-persistent buffer),
never loaded.

State-dict keys are MMAction2's (``x_1d_b.0.weight`` ...). MMAction2's checkpoints also hold the
mask (``sample_mask``, a frozen ``nn.Parameter`` of ``T x 32 T^2`` = 32.0M floats, counted in its
36.98M "parameters") and ``bm_mask``; :func:`convert_mmaction_bmn` checks both equal the rebuilt
ones and drops them. This model has 4.98M trainable parameters in the ActivityNet configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..losses import BMNLoss
from ..meta import ACTIVITYNET_TSN
from ..registry import register_preset

__all__ = ["BMN", "BMNOutput", "bm_valid_mask", "boundary_matching_mask", "convert_mmaction_bmn"]


def _valid_pairs(temporal_scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``(d, s)`` indices of the proposals inside the video (``s + d < T``), row-major."""
    t = temporal_scale
    return np.nonzero(np.add.outer(np.arange(t), np.arange(t)) < t)


def _compact_bm_weights(
    temporal_scale: int, num_samples: int, num_samples_per_bin: int, boundary_ratio: float
) -> np.ndarray:
    """float32 ``(P, num_samples, T)``: the BM weights of the ``P`` valid proposals (see
    :func:`boundary_matching_mask`)."""
    t_scale, n_s, n_b = temporal_scale, num_samples, num_samples_per_bin
    d_idx, s_idx = _valid_pairs(t_scale)
    p_tmin = s_idx.astype(np.float64)
    p_tmax = (s_idx + d_idx).astype(np.float64)
    center_len = (p_tmax - p_tmin) + 1
    seg_tmin = p_tmin - center_len * boundary_ratio
    seg_tmax = p_tmax + center_len * boundary_ratio
    plen_sample = (seg_tmax - seg_tmin) / (n_s * n_b - 1.0)
    samples = seg_tmin[:, None] + plen_sample[:, None] * np.arange(n_s * n_b)[None, :]  # (P, Ns*Nb)
    frac, down = np.modf(samples)
    upper = np.ceil(samples)
    # contributions in MMAction2's order: per sample, the lower snippet then the upper one;
    # bincount adds them sequentially, so every sum has MMAction2's float64 rounding
    idx = np.stack([down.astype(np.int64), upper.astype(np.int64)], axis=-1)  # (P, Ns*Nb, 2)
    val = np.stack([1 - frac, frac], axis=-1)  # (P, Ns*Nb, 2)
    cell = np.arange(samples.shape[0])[:, None] * n_s + np.arange(n_s * n_b)[None, :] // n_b  # (P, Ns*Nb)
    flat = cell[..., None] * t_scale + idx  # (P, Ns*Nb, 2)
    keep = (idx >= 0) & (idx <= t_scale - 1)
    acc = np.bincount(flat[keep], weights=val[keep], minlength=samples.shape[0] * n_s * t_scale)
    acc = 1.0 / n_b * acc.reshape(samples.shape[0], n_s, t_scale)
    return acc.astype(np.float32)


def boundary_matching_mask(
    temporal_scale: int, num_samples: int, num_samples_per_bin: int, boundary_ratio: float
) -> np.ndarray:
    """The BM sampling weights as MMAction2 builds them: float32 ``(T, num_samples, D, S)``.

    ``mask[t, n, d, s]`` is the weight of snippet ``t`` in sample ``n`` of the proposal starting at
    ``s`` with duration index ``d`` (zero where ``s + d >= T``). Each sample averages
    ``num_samples_per_bin`` linear interpolations between the two nearest snippets; points outside
    ``[0, T - 1]`` contribute nothing. MMAction2's ``sample_mask`` is this array viewed as
    ``(T, num_samples * D * S)``. The arithmetic and the order of accumulation are MMAction2's
    (``math.modf`` splits, float64), so the float32 result is bit-identical.
    """
    t = temporal_scale
    d_idx, s_idx = _valid_pairs(t)
    compact = _compact_bm_weights(t, num_samples, num_samples_per_bin, boundary_ratio)
    mask = np.zeros((t, num_samples, t, t), dtype=np.float32)  # (T, Ns, D, S)
    mask[:, :, d_idx, s_idx] = compact.transpose(2, 1, 0)  # (P, Ns, T) -> (T, Ns, P)
    return mask


def bm_valid_mask(temporal_scale: int) -> Tensor:
    """float32 ``(D, S)``: 1 where the proposal ``(d, s)`` ends inside the video (``s + d < T``),
    MMAction2's ``bm_mask``."""
    d = np.arange(temporal_scale)
    return torch.from_numpy((d[:, None] + d[None, :] < temporal_scale).astype(np.float32))


@dataclass
class BMNOutput:
    """BMN outputs. ``confidence``: ``(N, 2, D, S)`` (0: regression, 1: classification);
    ``start``, ``end``: ``(N, T)`` boundary probabilities."""

    confidence: Tensor
    start: Tensor
    end: Tensor


class BMN(nn.Module):
    """Boundary-Matching Network.

    Args:
        temporal_scale: feature positions per video ``T`` (100 on ActivityNet).
        feat_dim: input feature channels (400 for MMAction2's TSN features, 2048 for SlowOnly).
        num_samples: sample points per proposal in the BM layer (32).
        num_samples_per_bin: interpolations averaged per sample point (3).
        boundary_ratio: extension of each proposal on both sides, in proposal lengths (0.5).
        hidden_dim_1d, hidden_dim_2d, hidden_dim_3d: channel widths (256, 128, 512).
        soft_nms_alpha, soft_nms_low_threshold, soft_nms_high_threshold, post_process_top_k,
        feature_extraction_interval: post-processing, see
            :func:`vidcore.localization.postprocess.bmn_proposals`.
        loss: the training loss (MMAction2's weights by default).
    """

    def __init__(
        self,
        *,
        temporal_scale: int = 100,
        feat_dim: int = 400,
        num_samples: int = 32,
        num_samples_per_bin: int = 3,
        boundary_ratio: float = 0.5,
        hidden_dim_1d: int = 256,
        hidden_dim_2d: int = 128,
        hidden_dim_3d: int = 512,
        soft_nms_alpha: float = 0.4,
        soft_nms_low_threshold: float = 0.5,
        soft_nms_high_threshold: float = 0.9,
        post_process_top_k: int = 100,
        feature_extraction_interval: int = 16,
        loss: BMNLoss | None = None,
    ) -> None:
        super().__init__()
        self.temporal_scale = temporal_scale
        self.feat_dim = feat_dim
        self.num_samples = num_samples
        self.num_samples_per_bin = num_samples_per_bin
        self.boundary_ratio = boundary_ratio
        self.soft_nms_alpha = soft_nms_alpha
        self.soft_nms_low_threshold = soft_nms_low_threshold
        self.soft_nms_high_threshold = soft_nms_high_threshold
        self.post_process_top_k = post_process_top_k
        self.feature_extraction_interval = feature_extraction_interval
        self.loss = loss if loss is not None else BMNLoss()
        h1, h2, h3 = hidden_dim_1d, hidden_dim_2d, hidden_dim_3d

        def conv1d(cin: int, cout: int, k: int = 3, groups: int = 4) -> nn.Conv1d:
            return nn.Conv1d(cin, cout, kernel_size=k, padding=k // 2, groups=groups)

        self.x_1d_b = nn.Sequential(conv1d(feat_dim, h1), nn.ReLU(inplace=True), conv1d(h1, h1), nn.ReLU(inplace=True))
        self.x_1d_s = nn.Sequential(conv1d(h1, h1), nn.ReLU(inplace=True), conv1d(h1, 1, 1, 1), nn.Sigmoid())
        self.x_1d_e = nn.Sequential(conv1d(h1, h1), nn.ReLU(inplace=True), conv1d(h1, 1, 1, 1), nn.Sigmoid())
        self.x_1d_p = nn.Sequential(conv1d(h1, h1, groups=1), nn.ReLU(inplace=True))
        # applied through its weights in _boundary_matching (see the module docstring)
        self.x_3d_p = nn.Sequential(nn.Conv3d(h1, h3, kernel_size=(num_samples, 1, 1)), nn.ReLU(inplace=True))
        self.x_2d_p = nn.Sequential(
            nn.Conv2d(h3, h2, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(h2, h2, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(h2, h2, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(h2, 2, kernel_size=1),
            nn.Sigmoid(),
        )
        t = temporal_scale
        d_idx, s_idx = _valid_pairs(t)
        self.register_buffer("bm_mask", bm_valid_mask(t), persistent=False)
        self.register_buffer("valid_index", torch.from_numpy(d_idx * t + s_idx), persistent=False)
        self.register_buffer("sample_weights", self._compact_mask(), persistent=False)

    def _compact_mask(self) -> Tensor:
        """``(num_samples * T, P)``: row ``n * T + t``, column ``p`` (the valid ``(d, s)`` pairs
        in row-major order): the weight of snippet ``t`` in sample ``n`` of proposal ``p``."""
        t = self.temporal_scale
        if torch.empty(0).device.type == "meta":  # building for shapes only (parameter counts)
            return torch.empty(self.num_samples * t, t * (t + 1) // 2)
        compact = _compact_bm_weights(t, self.num_samples, self.num_samples_per_bin, self.boundary_ratio)
        compact = compact.transpose(1, 2, 0).reshape(self.num_samples * t, -1)  # (P, Ns, T) -> (Ns*T, P)
        return torch.from_numpy(np.ascontiguousarray(compact))

    def _boundary_matching(self, x: Tensor) -> Tensor:
        """BM layer + ``x_3d_p``: ``(N, C, T)`` -> ``(N, hidden_dim_3d, D, S)`` after the ReLU."""
        n, c, t = x.shape
        conv = self.x_3d_p[0]
        w = conv.weight.view(conv.out_channels, c, self.num_samples)  # (O, C, Ns, 1, 1) -> (O, C, Ns)
        y = torch.einsum("ocm,nct->nomt", w, x)  # (N, O, Ns, T)
        y = y.reshape(n, conv.out_channels, self.num_samples * t)  # (N, O, Ns*T)
        z = torch.matmul(y, self.sample_weights)  # (N, O, P)
        bias = conv.bias.view(1, -1, 1)
        z = torch.relu(z + bias)
        out = torch.relu(bias).expand(n, -1, t * t).clone()  # invalid proposals: relu(bias)
        out[:, :, self.valid_index] = z
        return out.view(n, conv.out_channels, t, t)  # (N, O, T*T) -> (N, O, D, S)

    def forward(self, x: Tensor) -> BMNOutput:
        """``(N, feat_dim, T)`` float features -> :class:`BMNOutput`."""
        if x.dim() != 3 or x.shape[1] != self.feat_dim or x.shape[2] != self.temporal_scale:
            raise ValueError(
                f"BMN takes features (N, {self.feat_dim}, {self.temporal_scale}), got {tuple(x.shape)}"
            )
        base = self.x_1d_b(x)
        start = self.x_1d_s(base).squeeze(1)  # (N, 1, T) -> (N, T)
        end = self.x_1d_e(base).squeeze(1)
        bm = self._boundary_matching(self.x_1d_p(base))
        return BMNOutput(self.x_2d_p(bm), start, end)

    def forward_train(self, batch: Any) -> dict[str, Tensor]:
        """Loss on a :class:`~vidcore.localization.datasets.LocalizationBatch`: targets are built
        from ``batch.gt_segments`` (fractions of the feature span)."""
        from ..targets import bmn_targets

        out = self(batch.features)
        iou, start, end = (
            torch.stack(ts).to(out.start.device)
            for ts in zip(*(bmn_targets(g.detach().cpu().numpy(), self.temporal_scale) for g in batch.gt_segments))
        )
        loss, tem, reg, cls = self.loss(out.confidence, out.start, out.end, iou, start, end, self.bm_mask)
        return {"loss": loss, "loss_tem": tem.detach(), "loss_pem_reg": reg.detach(), "loss_pem_cls": cls.detach()}

    @torch.no_grad()
    def forward_eval(self, batch: Any) -> dict[str, Any]:
        """Proposals per video, in seconds: ``{"video_ids": [...], "proposals": [(k, 3) arrays of
        [start, end, score]]}`` (Soft-NMS with the model's parameters)."""
        from ..postprocess import bmn_proposals

        out = self(batch.features)
        props = []
        for i in range(out.start.shape[0]):
            props.append(
                bmn_proposals(
                    out.start[i].float().cpu().numpy(),
                    out.end[i].float().cpu().numpy(),
                    out.confidence[i].float().cpu().numpy(),
                    duration=batch.video_duration(i, self.feature_extraction_interval),
                    soft_nms_alpha=self.soft_nms_alpha,
                    soft_nms_low_threshold=self.soft_nms_low_threshold,
                    soft_nms_high_threshold=self.soft_nms_high_threshold,
                    top_k=self.post_process_top_k,
                )
            )
        return {"video_ids": list(batch.video_name), "proposals": props}


# -- conversion ------------------------------------------------------------------------------------


def convert_mmaction_bmn(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 BMN state dict -> ours: the layer keys are the same; ``sample_mask`` and
    ``bm_mask`` are checked against the rebuilt ones (shapes give ``T`` and ``num_samples``;
    ``num_samples_per_bin=3`` and ``boundary_ratio=0.5`` as every MMAction2 config) and dropped.
    A mask that differs raises ``ValueError``: the checkpoint was built with other settings."""
    sd = {k.removeprefix("module."): v for k, v in state_dict.items()}
    out = {k: v for k, v in sd.items() if k not in ("sample_mask", "bm_mask")}
    if "bm_mask" in sd:
        t = sd["bm_mask"].shape[-1]
        if not torch.equal(sd["bm_mask"].float(), bm_valid_mask(t)):
            raise ValueError("BMN checkpoint: bm_mask is not the upper-left triangle of ones it should be")
    if "sample_mask" in sd:
        mask = sd["sample_mask"]
        t = mask.shape[0]
        num_samples = mask.shape[1] // (t * t)
        ours = boundary_matching_mask(t, num_samples, 3, 0.5).reshape(t, -1)
        if mask.shape != ours.shape or not np.allclose(mask.float().numpy(), ours, rtol=0, atol=1e-6):
            raise ValueError(
                "BMN checkpoint: sample_mask differs from the mask rebuilt with num_samples_per_bin=3, "
                "boundary_ratio=0.5; build the model with the checkpoint's settings"
            )
    return out


# -- presets ---------------------------------------------------------------------------------------


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        mmaction_config="localization/bmn/bmn_2xb8-400x100-9e_activitynet-feature.py",
        convert_mmaction=convert_mmaction_bmn,
        soft_nms_alpha=0.4,
        soft_nms_low_threshold=0.5,
        soft_nms_high_threshold=0.9,
        notes="MMAction2 (metafile): AUC 67.25, AR@100 75.29 on ActivityNet-1.3 val, TSN features.",
    )
)
def bmn_400x100_9e_activitynet_feature() -> BMN:
    """BMN on 400-d TSN features at 100 positions; 4.98M trainable parameters (MMAction2 counts
    36.98M with its 32.0M-float sampling mask)."""
    return BMN(temporal_scale=100, feat_dim=400)


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        feat_dim=2048,
        mmaction_config="localization/bmn/bmn_2xb8-2048x100-9e_activitynet-slowonly-k700-feature.py",
        convert_mmaction=convert_mmaction_bmn,
        soft_nms_alpha=0.4,
        soft_nms_low_threshold=0.5,
        soft_nms_high_threshold=0.9,
        notes="BMN on 2048-d SlowOnly (Kinetics-700) features.",
    )
)
def bmn_2048x100_9e_activitynet_slowonly_k700_feature() -> BMN:
    """BMN on 2048-d SlowOnly features at 100 positions."""
    return BMN(temporal_scale=100, feat_dim=2048)


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        dataset="synthetic_untrimmed",
        temporal_scale=50,
        feat_dim=144,
        feature_extraction_interval=4,
        notes="The built-in demo's no-backbone path (vidcore-localization demo --features motion): motion "
        "features of vidcore.localization.synth, snippets of 4 frames; a narrow BMN that trains in minutes on 2 CPU cores.",
    )
)
def bmn_synthetic_demo() -> BMN:
    """BMN for the synthetic untrimmed demo: 144-d features at 50 positions, 16 samples per
    proposal, widths 64/32/128 (0.18M parameters)."""
    return BMN(
        temporal_scale=50, feat_dim=144, num_samples=16, num_samples_per_bin=3, hidden_dim_1d=64, hidden_dim_2d=32,
        hidden_dim_3d=128, feature_extraction_interval=4,
    )  # fmt: skip


@register_preset(
    replace(
        ACTIVITYNET_TSN,
        dataset="synthetic_untrimmed",
        temporal_scale=50,
        feat_dim=512,
        feature_extraction_interval=8,
        notes="The built-in demo (vidcore-localization demo): 512-d TSM-R18 features from "
        "`vidcore-recognition extract-features --stride 8` of vidcore-data's untrimmed videos; a narrow BMN.",
    )
)
def bmn_synthetic_tsm_r18_demo() -> BMN:
    """BMN for the demo on 512-d TSM-R18 snippet features (one every 8 frames) at 50 positions,
    16 samples per proposal, widths 64/32/128."""
    return BMN(
        temporal_scale=50, feat_dim=512, num_samples=16, num_samples_per_bin=3, hidden_dim_1d=64, hidden_dim_2d=32,
        hidden_dim_3d=128, feature_extraction_interval=8,
    )  # fmt: skip
