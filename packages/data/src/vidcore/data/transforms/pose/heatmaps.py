"""PoseC3D pseudo heatmaps: drawing joint and limb Gaussians, and the ``NCTHW`` heatmap layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vidcore.data.skeleton_graphs import COCO17, SkeletonLayout, get_layout, swap_index
from vidcore.data.transforms.base import Transform
from vidcore.data.transforms.pose.base import (
    HeatmapSample,
    Params,
    PoseTransform,
    check_keypoint,
    img_shape_of,
)
from vidcore.data.types import PoseSample

__all__ = ["FormatHeatmapShape", "GeneratePoseTarget", "generate_heatmaps"]


def _window(lo: np.ndarray, hi: np.ndarray, sigma: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """MMAction2's drawing window ``[max(int(lo - 3s), 0), min(int(hi + 3s) + 1, size))`` as two arrays."""
    start = np.maximum(np.trunc(lo.astype(np.float64) - 3 * sigma), 0)  # float64, as MMAction2's
    stop = np.minimum(np.trunc(hi.astype(np.float64) + 3 * sigma) + 1, size)  # scalar arithmetic
    return start, stop


def _draw_joints(out: np.ndarray, kps: np.ndarray, values: np.ndarray, sigma: float, eps: float) -> None:
    """Max-accumulate joint Gaussians into ``out`` (T, K, H, W); ``kps`` (M, T, K, 2), ``values`` (M, T, K).

    Each Gaussian is drawn only on its window, at most ``int(6 sigma) + 2`` pixels wide, so the work
    is a small (T, K, P, P) patch per person scattered into ``out``. The per-pixel arithmetic is
    MMAction2's, in the same order and precision, so the maps agree bit for bit.
    """
    _, h, w = out.shape[1:]
    offsets = np.arange(int(6 * sigma) + 2, dtype=np.float32)
    for person in range(kps.shape[0]):
        mu_x = kps[person, ..., 0]  # (T, K) float32
        mu_y = kps[person, ..., 1]
        value = values[person]
        x0, x1 = _window(mu_x, mu_x, sigma, w)
        y0, y1 = _window(mu_y, mu_y, sigma, h)
        xs = x0.astype(np.float32)[..., None] + offsets  # (T, K, P) pixel columns of the patch
        ys = y0.astype(np.float32)[..., None] + offsets
        inside = (
            (value >= eps)[..., None, None]
            & (ys < y1[..., None])[..., :, None]
            & (xs < x1[..., None])[..., None, :]
        )  # (T, K, P, P)
        tt, kk, iy, ix = np.nonzero(inside)
        if tt.size == 0:
            continue
        px, py = xs[tt, kk, ix], ys[tt, kk, iy]
        cx, cy = mu_x[tt, kk], mu_y[tt, kk]
        patch = np.exp(-((px - cx) ** 2 + (py - cy) ** 2) / 2 / sigma**2).astype(np.float32)
        patch = patch * value[tt, kk]
        yi, xi = py.astype(np.int64), px.astype(np.int64)
        out[tt, kk, yi, xi] = np.maximum(out[tt, kk, yi, xi], patch)


def _draw_limbs(
    out: np.ndarray,
    kps: np.ndarray,
    values: np.ndarray,
    limbs: np.ndarray,
    sigma: float,
    eps: float,
    block: int = 1 << 16,
) -> None:
    """Max-accumulate limb maps into ``out`` (T, L, H, W): a Gaussian of the squared distance to the
    segment between the two joints, valued by the smaller of their scores.

    Each limb is drawn on its window only (the segment's box grown by 3 sigma, truncated as
    MMAction2 does): windows are sorted by size and computed in blocks of about ``block`` pixels on
    a grid as large as the block's largest window, then scattered into ``out``. The per-pixel
    arithmetic is MMAction2's (float32 distances, float64 exponential), so the maps agree bit for
    bit. A limb shorter than one pixel is drawn as the start joint's Gaussian with the start
    joint's score, as MMAction2 does.
    """
    _, _, h, w = out.shape
    for person in range(kps.shape[0]):
        a = kps[person][:, limbs[:, 0]]  # (T, L, 2)
        b = kps[person][:, limbs[:, 1]]
        va = values[person][:, limbs[:, 0]]  # (T, L)
        vb = values[person][:, limbs[:, 1]]
        coeff_v = np.minimum(va, vb)
        # squared length: float32 differences squared and summed in float64 (what MMAction2's scalar
        # arithmetic does under numpy 1.x), then used as float32 in the per-pixel arithmetic.
        diff = (a - b).astype(np.float64)
        d2_ab64 = diff[..., 0] ** 2 + diff[..., 1] ** 2  # (T, L)
        drawn = coeff_v >= eps
        short = drawn & (d2_ab64 < 1)
        if short.any():
            _draw_joints(out, a[None], np.where(short, va, 0)[None], sigma, eps)
        x0, x1 = _window(np.minimum(a[..., 0], b[..., 0]), np.maximum(a[..., 0], b[..., 0]), sigma, w)
        y0, y1 = _window(np.minimum(a[..., 1], b[..., 1]), np.maximum(a[..., 1], b[..., 1]), sigma, h)
        tt, ll = np.nonzero(drawn & ~short & (x1 > x0) & (y1 > y0))  # limbs with a non-empty window
        if tt.size == 0:
            continue
        pw = (x1 - x0)[tt, ll].astype(np.int64)
        ph = (y1 - y0)[tt, ll].astype(np.int64)
        order = np.argsort(pw * ph, kind="stable")
        start = 0
        while start < order.size:
            # the block: the next windows in size order while the padded grid stays under `block`
            n = max(1, block // int(pw[order[start]] * ph[order[start]]))
            sel = order[start : start + n]
            while sel.size > 1 and sel.size * int(pw[sel].max() * ph[sel].max()) > block:
                sel = sel[: max(1, sel.size // 2)]
            start += sel.size
            t_i, l_i = tt[sel], ll[sel]
            gw, gh = int(pw[sel].max()), int(ph[sel].max())
            gx = x0[t_i, l_i].astype(np.float32)[:, None, None] + np.arange(gw, dtype=np.float32)  # (n, 1, gw)
            gy = y0[t_i, l_i].astype(np.float32)[:, None, None] + np.arange(gh, dtype=np.float32)[:, None]
            ax, ay = a[t_i, l_i, 0, None, None], a[t_i, l_i, 1, None, None]  # (n, 1, 1)
            bx, by = b[t_i, l_i, 0, None, None], b[t_i, l_i, 1, None, None]
            ab = d2_ab64[t_i, l_i].astype(np.float32)[:, None, None]
            d2_a = (gx - ax) ** 2 + (gy - ay) ** 2  # (n, gh, gw) float32
            d2_b = (gx - bx) ** 2 + (gy - by) ** 2
            coeff = (d2_a - d2_b + ab) / 2.0 / ab
            d2_line = (gx - (ax + coeff * (bx - ax))) ** 2 + (gy - (ay + coeff * (by - ay))) ** 2
            d2 = np.where(coeff <= 0, d2_a, np.where(coeff >= 1, d2_b, d2_line)).astype(np.float64)
            inside = (gy < y1[t_i, l_i, None, None]) & (gx < x1[t_i, l_i, None, None])  # (n, gh, gw)
            k, iy, ix = np.nonzero(inside)
            patch = np.exp(-d2[k, iy, ix] / 2.0 / sigma**2) * coeff_v[t_i[k], l_i[k]].astype(np.float64)
            ti, li = t_i[k], l_i[k]
            yi = gy[k, iy, 0].astype(np.int64)
            xi = gx[k, 0, ix].astype(np.int64)
            out[ti, li, yi, xi] = np.maximum(out[ti, li, yi, xi], patch.astype(np.float32))


def generate_heatmaps(
    keypoint: np.ndarray,
    keypoint_score: np.ndarray | None,
    img_shape: tuple[int, int],
    *,
    sigma: float = 0.6,
    use_score: bool = True,
    with_kp: bool = True,
    with_limb: bool = False,
    limbs: Sequence[tuple[int, int]] = COCO17.limbs,
    scaling: float = 1.0,
    eps: float = 1e-4,
) -> np.ndarray:
    """PoseC3D pseudo heatmaps ``(T, K, H, W)`` float32 in ``[0, 1]`` from ``(M, T, V, 2)`` keypoints.

    Joint channel v at frame t is ``max_m s * exp(-((x - x_m)^2 + (y - y_m)^2) / (2 sigma^2))`` over
    the pixel grid (x, y integer pixel positions, in ``img_shape`` scaled by ``scaling``), where s is
    the joint's score (1 without ``use_score``); it is exactly ``s`` at the joint's pixel and zero
    outside a +-3 sigma window (truncated to integers as MMAction2 does). A limb channel uses the
    squared distance to the segment between its two joints and ``s = min(s_a, s_b)``. Joints whose
    score is below ``eps`` draw nothing. K = V joints, then the limbs when ``with_limb`` (MMAction2
    with both on writes limbs over the first joint channels and leaves the rest zero: we keep them
    apart).
    """
    kps = np.array(keypoint, dtype=np.float32)
    if kps.ndim != 4 or kps.shape[-1] < 2:
        raise ValueError(f"generate_heatmaps: keypoint must be (M, T, V, C>=2), got {kps.shape}")
    if not (with_kp or with_limb):
        raise ValueError("generate_heatmaps: at least one of with_kp and with_limb must be True")
    if keypoint_score is None or not use_score:
        scores = np.ones(kps.shape[:3], dtype=np.float32)
    else:
        scores = np.asarray(keypoint_score, dtype=np.float32)
    h, w = int(img_shape[0] * scaling + 0.5), int(img_shape[1] * scaling + 0.5)
    kps = kps[..., :2] * np.float32(scaling)
    # non-finite coordinates draw nothing
    bad = ~np.isfinite(kps).all(-1)
    if bad.any():
        kps = np.where(bad[..., None], 0, kps)
        scores = np.where(bad, 0, scores)
    limbs_arr = np.asarray(limbs, dtype=np.int64).reshape(-1, 2)
    num_v = kps.shape[2] if with_kp else 0
    num_l = len(limbs_arr) if with_limb else 0
    out = np.zeros((kps.shape[1], num_v + num_l, h, w), dtype=np.float32)
    if with_kp:
        _draw_joints(out[:, :num_v], kps, scores, sigma, eps)
    if with_limb and num_l:
        _draw_limbs(out[:, num_v:], kps, scores, limbs_arr, sigma, eps)
    return out


class GeneratePoseTarget(PoseTransform):
    """PoseSample -> HeatmapSample (``"TCHW"``): joint and/or limb pseudo heatmaps (PoseC3D).

    See ``generate_heatmaps`` for the maths. With ``double=True`` a mirrored copy follows along T:
    every map reversed along W (pixel ``x -> W - 1 - x``) and its channels permuted by the left/right
    pairs of the joints (or of the limbs, when only limbs are drawn), as MMAction2 does for test-time
    flip averaging. The defaults are COCO-17's (``layout`` picks another).
    """

    def __init__(
        self,
        sigma: float = 0.6,
        use_score: bool = True,
        with_kp: bool = True,
        with_limb: bool = False,
        *,
        layout: SkeletonLayout | str = COCO17,
        skeletons: Sequence[tuple[int, int]] | None = None,
        double: bool = False,
        left_kp: Sequence[int] | None = None,
        right_kp: Sequence[int] | None = None,
        left_limb: Sequence[int] | None = None,
        right_limb: Sequence[int] | None = None,
        scaling: float = 1.0,
    ) -> None:
        if not (with_kp or with_limb):
            raise ValueError("GeneratePoseTarget: at least one of with_kp and with_limb must be True")
        lay = get_layout(layout)
        self.sigma = sigma
        self.use_score = use_score
        self.with_kp = with_kp
        self.with_limb = with_limb
        self.skeletons = tuple(tuple(s) for s in (skeletons if skeletons is not None else lay.limbs))
        self.double = double
        self.left_kp = tuple(left_kp if left_kp is not None else lay.left_joints)
        self.right_kp = tuple(right_kp if right_kp is not None else lay.right_joints)
        self.left_limb = tuple(left_limb if left_limb is not None else lay.left_limbs)
        self.right_limb = tuple(right_limb if right_limb is not None else lay.right_limbs)
        self.scaling = scaling

    def apply(self, sample: PoseSample, params: Params | None = None) -> HeatmapSample:
        kp = check_keypoint(sample, "GeneratePoseTarget")
        heat = generate_heatmaps(
            kp,
            sample.keypoint_score,
            img_shape_of(sample, "GeneratePoseTarget"),
            sigma=self.sigma,
            use_score=self.use_score,
            with_kp=self.with_kp,
            with_limb=self.with_limb,
            limbs=self.skeletons,
            scaling=self.scaling,
        )
        if self.double:
            if self.with_kp:
                order = swap_index(heat.shape[1], self.left_kp, self.right_kp)
            else:
                order = swap_index(heat.shape[1], self.left_limb, self.right_limb)
            heat = np.concatenate([heat, heat[:, order, :, ::-1]], axis=0)
        return HeatmapSample(
            heatmap=np.ascontiguousarray(heat),
            label=sample.label,
            layout="TCHW",
            meta={**sample.meta, "double": self.double},
        )


class FormatHeatmapShape(Transform[HeatmapSample]):
    """``"TCHW"`` heatmaps ``(V*num_clips*clip_len, K, H, W)`` -> ``"NCTHW"`` ``(V*num_clips, K, clip_len, H, W)``.

    MMAction2's ``FormatShape('NCTHW_Heatmap')``: frames are grouped as views (e.g. the flipped copy
    of ``double``) x clips x clip_len.
    """

    input_type = HeatmapSample
    random = False

    def __init__(self, num_clips: int = 1) -> None:
        if num_clips < 1:
            raise ValueError(f"FormatHeatmapShape: num_clips must be >= 1, got {num_clips}")
        self.num_clips = num_clips

    def apply(self, sample: HeatmapSample, params: Params | None = None) -> HeatmapSample:
        if sample.layout != "TCHW":
            raise ValueError(f"FormatHeatmapShape: expects a TCHW heatmap, got layout {sample.layout!r}")
        heat = sample.heatmap
        t = heat.shape[0]
        views = 2 if sample.meta.get("double") else 1
        if t % (views * self.num_clips):
            raise ValueError(
                f"FormatHeatmapShape: {t} frames do not split into {views} view(s) x {self.num_clips} clips"
            )
        clip_len = t // (views * self.num_clips)
        # (V*N*T, K, H, W) -> (V*N, T, K, H, W) -> (V*N, K, T, H, W)
        heat = heat.reshape((-1, clip_len, *heat.shape[1:])).transpose(0, 2, 1, 3, 4)
        return replace(sample, heatmap=np.ascontiguousarray(heat), layout="NCTHW")
