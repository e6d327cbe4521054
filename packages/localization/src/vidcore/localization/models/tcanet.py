"""TCANet (Qing et al., "Temporal Context Aggregation Network for Temporal Action Proposal
Refinement", CVPR 2021): refines the proposals of another generator (BMN) from snippet features.

- Encoder: two grouped 3-wide convolutions to 512 channels, then ``lgte_num`` local-global
  temporal encoders (:class:`LGTE`): multi-head self-attention over the ``T`` positions in which
  the first half of the heads only see a window of ``window_size`` positions, then a feed-forward
  block, each with a residual connection and a LayerNorm after it.
- Three temporal boundary regressors (:class:`TBR`), with tIoU thresholds 0.5, 0.6, 0.7 in
  training: each samples the encoded features inside a proposal (64 points) and in its start and
  end regions (32 points each, half the proposal long) by linear interpolation (``grid_sample``),
  regresses start/end offsets and centre/width offsets plus a tIoU score, and hands the averaged
  refined proposal to the next stage.

MMAction2 1.2.0's ``TCANet.predict`` scores every refined proposal with its video's batch index
instead of the input proposal's score (``scores`` is a view of the column it then overwrites);
:meth:`TCANet.refine` uses the scores (the parity test checks both facts).

Input ``(N, feat_dim, T)``; proposals ``(P, 3)`` ``[start, end, video index]`` as fractions of
the span. State-dict keys are MMAction2's (``x_1d_b_f``, ``lgtes.0.atten.attn.in_proj_weight``,
``lgtes.0.ffn.layers.0.0.weight``, ``tbr1.reg1se.0.weight`` ...).
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..meta import HACS_SLOWONLY
from ..registry import register_preset

__all__ = ["LGTE", "TBR", "TCANet", "convert_mmaction_tcanet", "local_attention_mask"]


def local_attention_mask(num_heads: int, temporal_dim: int, window_size: int) -> Tensor:
    """bool ``(num_heads, T, T)``: True where attention is blocked, for the first
    ``num_heads // 2`` heads outside ``|i - j| <= window_size / 2``; the other heads see all."""
    idx = torch.arange(temporal_dim, device="cpu")  # a fixed structure: CPU even when building on meta
    local = (idx[None, :] - idx[:, None]).abs() > window_size / 2
    mask = torch.zeros(num_heads, temporal_dim, temporal_dim, dtype=torch.bool, device="cpu")
    mask[: num_heads // 2] = local
    return mask


class _FFN(nn.Module):
    """MMCV's ``FFN`` layout: ``layers.0.0`` Linear, ReLU, dropout, ``layers.1`` Linear, dropout,
    plus the input (residual)."""

    def __init__(self, dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout)),
            nn.Linear(hidden, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.layers(x)


class _Attention(nn.Module):
    """MMCV's ``MultiheadAttention`` layout (``attn`` is ``nn.MultiheadAttention``) with the
    residual connection."""

    def __init__(self, dim: int, num_heads: int, attn_drop: float, proj_drop: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, num_heads, dropout=attn_drop)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x`` ``(L, N, C)``; ``mask`` bool ``(N * heads, L, L)``."""
        return x + self.proj_drop(self.attn(x, x, x, attn_mask=mask, need_weights=False)[0])


class LGTE(nn.Module):
    """Local-global temporal encoder: ``(N, C, T)`` -> ``(N, C, T)``."""

    def __init__(
        self, dim: int = 512, *, temporal_dim: int = 100, window_size: int = 9, num_heads: int = 8,
        dropout: float = 0.1, ffn_dim: int = 256,
    ) -> None:  # fmt: skip
        super().__init__()
        self.num_heads = num_heads
        self.atten = _Attention(dim, num_heads, attn_drop=0.1, proj_drop=dropout)
        self.ffn = _FFN(dim, ffn_dim, dropout)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.register_buffer("mask", local_attention_mask(num_heads, temporal_dim, window_size), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        n, _, t = x.shape
        x = x.permute(2, 0, 1)  # (N, C, T) -> (T, N, C)
        mask = self.mask[None].expand(n, -1, -1, -1).reshape(n * self.num_heads, t, t)  # batch-major
        x = self.norm1(self.atten(x, mask))
        x = self.norm2(self.ffn(x))
        return x.permute(1, 2, 0)  # (T, N, C) -> (N, C, T)


def _sample(segments: Tensor, out_len: int, features: Tensor) -> Tensor:
    """Features ``(P, C, T)`` linearly interpolated at ``out_len`` points spread over each segment
    ``(P, 2)`` (fractions, clamped to [0, 1]) -> ``(P, C, out_len)`` (``grid_sample``,
    ``align_corners=False``, zeros outside)."""
    seg = segments.clamp(0, 1) * 2 - 1
    theta = seg.new_zeros((features.shape[0], 2, 3))
    theta[:, 1, 1] = 1.0
    theta[:, 0, 0] = (seg[:, 1] - seg[:, 0]) / 2.0
    theta[:, 0, 2] = (seg[:, 1] + seg[:, 0]) / 2.0
    grid = F.affine_grid(theta, [features.shape[0], features.shape[1], 1, out_len], align_corners=False)
    out = F.grid_sample(features.unsqueeze(2), grid, align_corners=False)  # (P, C, 1, out_len)
    return out.view(features.shape[0], features.shape[1], out_len)


def _xw_inv(boxes: Tensor, deltas: Tensor, dx_w: float, dw_w: float) -> Tensor:
    widths = boxes[:, 1] - boxes[:, 0]
    ctr = boxes[:, 0] + 0.5 * widths + deltas[:, 0] * dx_w * widths
    w = torch.exp(deltas[:, 1] * dw_w) * widths
    return torch.stack([ctr - 0.5 * w, ctr + 0.5 * w], dim=1)


def _se_inv(boxes: Tensor, deltas: Tensor, w: float) -> Tensor:
    widths = boxes[:, 1] - boxes[:, 0]
    return torch.stack([boxes[:, 0] + deltas[:, 0] * widths * w, boxes[:, 1] + deltas[:, 1] * widths * w], dim=1)


class TBR(nn.Module):
    """Temporal boundary regressor (eval path): ``(proposals (P, >=2), features (P, 512, T))`` ->
    ``(tIoU score (P,), refined proposals (P, 2))``."""

    def __init__(self, *, se_sample_num: int = 32, action_sample_num: int = 64, boundary_ratio: float = 0.5) -> None:
        super().__init__()
        hidden = 512
        self.se_sample_num = se_sample_num
        self.action_sample_num = action_sample_num
        self.boundary_ratio = boundary_ratio
        h = 128
        self.reg1se = nn.Sequential(
            nn.Conv1d(hidden * 2, h * 2, 3, padding=1, groups=8, stride=2), nn.ReLU(inplace=True),
            nn.Conv1d(h * 2, h * 2, 3, padding=1, groups=8, stride=2), nn.ReLU(inplace=True),
            nn.Conv1d(h * 2, 2, se_sample_num // 4, groups=2), nn.Flatten(),
        )  # fmt: skip
        length = se_sample_num * 2 + action_sample_num
        self.reg1xw = nn.Sequential(
            nn.Conv1d(hidden, 512, 3, padding=1, groups=4, stride=2), nn.ReLU(inplace=True),
            nn.Conv1d(512, 512, 3, padding=1, groups=4, stride=2), nn.ReLU(inplace=True),
            nn.Conv1d(512, 512, length // 4, groups=4), nn.ReLU(inplace=True), nn.Conv1d(512, 3, 1),
        )  # fmt: skip

    def forward(self, proposals: Tensor, features: Tensor) -> tuple[Tensor, Tensor]:
        p = proposals[:, :2]
        length = p[:, 1] - p[:, 0]
        starts = torch.stack([p[:, 0] - self.boundary_ratio * length, p[:, 0]], dim=1)
        ends = torch.stack([p[:, 1], p[:, 1] + self.boundary_ratio * length], dim=1)
        f_s = _sample(starts, self.se_sample_num, features)
        f_e = _sample(ends, self.se_sample_num, features)
        f_a = _sample(p, self.action_sample_num, features)
        se = self.reg1se(torch.cat([f_s, f_e], dim=1))  # (P, 2)
        xw = self.reg1xw(torch.cat([f_s, f_a, f_e], dim=2)).squeeze(2)  # (P, 3, 1) -> (P, 3)
        iou = xw[:, 2].sigmoid()
        refined = (_se_inv(p, se, 0.2) + _xw_inv(p, xw[:, :2], 0.1, 0.2)) / 2.0
        return iou, refined.clamp(min=0.0)


class TCANet(nn.Module):
    """TCANet (eval path: encoder and the three TBR stages; training is not implemented here).

    Args:
        feat_dim: input feature channels (700 for MMAction2's HACS SlowOnly features).
        temporal_dim: positions ``T`` (100). window_size: LGTE local window (9).
        lgte_num: encoders (2). se_sample_num, action_sample_num: TBR samples (32, 64).
    """

    def __init__(
        self, *, feat_dim: int = 700, temporal_dim: int = 100, window_size: int = 9, lgte_num: int = 2,
        se_sample_num: int = 32, action_sample_num: int = 64,
    ) -> None:  # fmt: skip
        super().__init__()
        hidden = 512
        self.x_1d_b_f = nn.Sequential(
            nn.Conv1d(feat_dim, hidden, 3, padding=1, groups=4), nn.ReLU(inplace=True),
            nn.Conv1d(hidden, hidden, 3, padding=1, groups=4), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.lgtes = nn.ModuleList(
            LGTE(hidden, temporal_dim=temporal_dim, window_size=window_size) for _ in range(lgte_num)
        )
        self.tbr1 = TBR(se_sample_num=se_sample_num, action_sample_num=action_sample_num)
        self.tbr2 = TBR(se_sample_num=se_sample_num, action_sample_num=action_sample_num)
        self.tbr3 = TBR(se_sample_num=se_sample_num, action_sample_num=action_sample_num)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, feat_dim, T)`` -> encoded ``(N, 512, T)``."""
        x = self.x_1d_b_f(x)
        for layer in self.lgtes:
            x = layer(x)
        return x

    def refine(self, encoded: Tensor, proposals: Tensor, scores: Tensor) -> Tensor:
        """The three stages on ``proposals`` ``(P, 3)`` ``[start, end, video index]`` with their
        ``scores`` ``(P,)`` -> ``(3 P, 3)`` ``[start, end, score * tIoU]``: stage ``k``'s refined
        proposals with the tIoU stage ``k`` predicted (MMAction2's candidates before Soft-NMS)."""
        feats = encoded[proposals[:, 2].long()]
        iou1, p1 = self.tbr1(proposals, feats)
        iou2, p2 = self.tbr2(p1, feats)
        iou3, p3 = self.tbr3(p2, feats)
        # each stage's refined proposals with the tIoU it predicted for its input (MMAction2's pairing)
        rows = [torch.cat([p, (scores * i).view(-1, 1)], dim=1) for p, i in ((p1, iou1), (p2, iou2), (p3, iou3))]
        return torch.cat(rows, dim=0)


def convert_mmaction_tcanet(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 TCANet -> ours: the layer keys are the same; the LGTE masks (rebuilt) are dropped."""
    return {k.removeprefix("module."): v for k, v in state_dict.items() if not k.endswith(".mask")}


@register_preset(
    replace(
        HACS_SLOWONLY,
        task="refine",
        mmaction_config="localization/tcanet/tcanet_2xb8-700x100-9e_hacs-feature.py",
        convert_mmaction=convert_mmaction_tcanet,
        soft_nms_alpha=0.4,
        soft_nms_low_threshold=0.0,
        soft_nms_high_threshold=0.0,
        notes="Refines BMN proposals on HACS SlowOnly features (eval path only).",
    )
)
def tcanet_700x100_9e_hacs_feature() -> TCANet:
    """TCANet on 700-d SlowOnly features at 100 positions."""
    return TCANet(feat_dim=700, temporal_dim=100)
