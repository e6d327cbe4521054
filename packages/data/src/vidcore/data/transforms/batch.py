"""Batch-level operations, meant to run on the device: MixUp/CutMix, normalization, model layouts.

Batches are ``(N, T, C, H, W)`` (the collate layout), ``(N, V, T, C, H, W)`` with ``V`` test
views, or already ``(N, C, T, H, W)``; MixUp and CutMix only need ``N`` first and ``H, W`` last,
so they take any of these. Labels are hard ``(N,)`` int class indices (turned into one-hot with
``num_classes``) or soft/multi-hot ``(N, K)`` float targets; the mixed labels are ``(N, K)`` float.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from vidcore.data.transforms.base import RngLike, as_generator

__all__ = [
    "CutMix",
    "MixUp",
    "Normalize",
    "RandomBatchAugment",
    "normalize",
    "one_hot",
    "to_layout",
    "to_nchw",
    "to_ncthw",
]


def one_hot(labels: torch.Tensor, num_classes: int | None) -> torch.Tensor:
    """``(N,)`` int labels -> ``(N, K)`` float32 one-hot; ``(N, K)`` float targets pass through as float."""
    if labels.ndim == 2 and labels.is_floating_point():
        return labels.float()
    if labels.ndim != 1 or labels.is_floating_point():
        raise ValueError(
            f"labels must be (N,) int class indices or (N, K) float targets, got {tuple(labels.shape)}"
        )
    if num_classes is None:
        raise ValueError("hard (N,) labels need num_classes to become one-hot targets")
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}), got min {int(labels.min())} max {int(labels.max())}"
        )
    return nn.functional.one_hot(labels.long(), num_classes).float()


def _blend(a: torch.Tensor, b: torch.Tensor, lam: float) -> torch.Tensor:
    if a.is_floating_point():
        return lam * a + (1.0 - lam) * b
    mixed = lam * a.float() + (1.0 - lam) * b.float()
    return mixed.round_().clamp_(0, 255).to(a.dtype)


class _BatchAugment:
    """``make_params(batch_size, rng)`` then ``apply(video, labels, params)``; call = both."""

    def __init__(self, alpha: float, num_classes: int | None) -> None:
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha!r}")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def make_params(self, video: torch.Tensor, rng: np.random.Generator) -> dict[str, Any]:
        raise NotImplementedError

    def apply(
        self, video: torch.Tensor, labels: torch.Tensor, params: dict[str, Any]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def __call__(
        self, video: torch.Tensor, labels: torch.Tensor, *, rng: RngLike = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.apply(video, labels, self.make_params(video, as_generator(rng)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_BatchAugment):
    """Blend each clip with another of the batch: ``lam * x + (1 - lam) * x[perm]`` (Zhang et al.
    2018), ``lam ~ Beta(alpha, alpha)``; labels blend the same way. uint8 input gives uint8 output
    (rounded), float gives float. Not in place."""

    def __init__(self, alpha: float = 0.2, num_classes: int | None = None) -> None:
        super().__init__(alpha, num_classes)

    def make_params(self, video: torch.Tensor, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "lam": float(rng.beta(self.alpha, self.alpha)),
            "perm": torch.from_numpy(rng.permutation(video.shape[0])),
        }

    def apply(
        self, video: torch.Tensor, labels: torch.Tensor, params: dict[str, Any]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        target = one_hot(labels, self.num_classes).to(video.device)
        perm = params["perm"].to(video.device)
        lam = params["lam"]
        return _blend(video, video[perm], lam), lam * target + (1.0 - lam) * target[perm]


class CutMix(_BatchAugment):
    """Paste a box from another clip of the batch into every frame (Yun et al. 2019).

    The box has sides ``int(side * sqrt(1 - lam))``, ``lam ~ Beta(alpha, alpha)``, centred at a
    uniform pixel and clipped to the frame (as MMAction2's CutmixBlending); labels mix by the
    pasted area fraction. Not in place.
    """

    def __init__(self, alpha: float = 0.2, num_classes: int | None = None) -> None:
        super().__init__(alpha, num_classes)

    def make_params(self, video: torch.Tensor, rng: np.random.Generator) -> dict[str, Any]:
        h, w = video.shape[-2:]
        lam = float(rng.beta(self.alpha, self.alpha))
        cut = float(np.sqrt(1.0 - lam))
        cw, ch = int(w * cut), int(h * cut)
        cx, cy = int(rng.integers(w)), int(rng.integers(h))
        x1, x2 = int(np.clip(cx - cw // 2, 0, w)), int(np.clip(cx + cw // 2, 0, w))
        y1, y2 = int(np.clip(cy - ch // 2, 0, h)), int(np.clip(cy + ch // 2, 0, h))
        return {"box": (x1, y1, x2, y2), "perm": torch.from_numpy(rng.permutation(video.shape[0]))}

    def apply(
        self, video: torch.Tensor, labels: torch.Tensor, params: dict[str, Any]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        target = one_hot(labels, self.num_classes).to(video.device)
        perm = params["perm"].to(video.device)
        x1, y1, x2, y2 = params["box"]
        out = video.clone()
        out[..., y1:y2, x1:x2] = video[perm][..., y1:y2, x1:x2]
        h, w = video.shape[-2:]
        lam = 1.0 - (x2 - x1) * (y2 - y1) / float(h * w)
        return out, lam * target + (1.0 - lam) * target[perm]


class RandomBatchAugment:
    """Apply one of ``augments`` chosen with ``probs`` (the rest, ``1 - sum(probs)``, does nothing).

    ``probs=None`` chooses evenly among the augments (always one).
    """

    def __init__(self, augments: Sequence[_BatchAugment], probs: Sequence[float] | None = None) -> None:
        self.augments = list(augments)
        if probs is None:
            probs = [1.0 / len(self.augments)] * len(self.augments)
        if len(probs) != len(self.augments) or any(p < 0 for p in probs) or sum(probs) > 1 + 1e-9:
            raise ValueError(
                f"probs must be one non-negative probability per augment, summing to <= 1, got {probs!r}"
            )
        self.probs = [*probs, max(0.0, 1.0 - sum(probs))]
        self.num_classes = self.augments[0].num_classes if self.augments else None

    def __call__(
        self, video: torch.Tensor, labels: torch.Tensor, *, rng: RngLike = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        gen = as_generator(rng)
        choice = int(gen.choice(len(self.probs), p=np.asarray(self.probs) / sum(self.probs)))
        if choice == len(self.augments):
            return video, one_hot(labels, self.num_classes).to(video.device)
        return self.augments[choice](video, labels, rng=gen)


# ---------------------------------------------------------------- normalization


def normalize(
    video: torch.Tensor,
    mean: Sequence[float] | torch.Tensor,
    std: Sequence[float] | torch.Tensor,
    *,
    channel_dim: int = -3,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``(video - mean) / std`` per channel, to float (computed in float32, returned as ``dtype``).

    ``mean``/``std`` are in the video's units: 0-255 for uint8 (MMAction2 configs, e.g. ImageNet
    ``mean=(123.675, 116.28, 103.53)``, ``std=(58.395, 57.12, 57.375)``). ``channel_dim`` is -3 for
    ``(..., C, H, W)`` layouts (ours), 1 for ``(N, C, T, H, W)``.
    """
    c = video.shape[channel_dim]
    mean_t = torch.as_tensor(mean, dtype=torch.float32, device=video.device).reshape(-1)
    std_t = torch.as_tensor(std, dtype=torch.float32, device=video.device).reshape(-1)
    if mean_t.numel() != c or std_t.numel() != c:
        raise ValueError(
            f"mean and std need {c} values (one per channel), got {mean_t.numel()} and {std_t.numel()}"
        )
    if torch.any(std_t <= 0):
        raise ValueError(f"std must be positive, got {std_t.tolist()}")
    shape = [1] * video.ndim
    shape[channel_dim] = c
    out = video.to(torch.float32).sub_(mean_t.reshape(shape)).div_(std_t.reshape(shape))
    return out if dtype == torch.float32 else out.to(dtype)


class Normalize(nn.Module):
    """``normalize`` as a module with ``mean``/``std`` buffers that move with ``.to(device)``."""

    def __init__(
        self,
        mean: Sequence[float],
        std: Sequence[float],
        *,
        channel_dim: int = -3,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32), persistent=False)
        self.channel_dim = channel_dim
        self.dtype = dtype

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return normalize(video, self.mean, self.std, channel_dim=self.channel_dim, dtype=self.dtype)

    def extra_repr(self) -> str:
        return f"mean={self.mean.tolist()}, std={self.std.tolist()}, channel_dim={self.channel_dim}"


# ---------------------------------------------------------------- layouts


def _check_clips(video: torch.Tensor) -> None:
    if video.ndim not in (5, 6):
        raise ValueError(f"expected (N, T, C, H, W) or (N, V, T, C, H, W), got shape {tuple(video.shape)}")


def to_ncthw(video: torch.Tensor) -> torch.Tensor:
    """3D-model layout: ``(N, T, C, H, W) -> (N, C, T, H, W)``; views fold into the batch,
    ``(N, V, T, C, H, W) -> (N*V, C, T, H, W)`` (view-major within each sample)."""
    _check_clips(video)
    flat = video.reshape(-1, *video.shape[-4:])  # (N[*V], T, C, H, W)
    return flat.permute(0, 2, 1, 3, 4)  # -> (N[*V], C, T, H, W)


def to_nchw(video: torch.Tensor) -> torch.Tensor:
    """2D-model layout (TSN/TSM): ``(N, T, C, H, W) -> (N*T, C, H, W)``, views folded in too,
    ``(N, V, T, C, H, W) -> (N*V*T, C, H, W)``. A view.
    """
    _check_clips(video)
    return video.reshape(-1, *video.shape[-3:])  # (N*[V*]T, C, H, W)


def to_layout(video: torch.Tensor, layout: Literal["NCTHW", "NCHW"]) -> torch.Tensor:
    """``to_ncthw`` or ``to_nchw`` by name (the recognizer's ``input_layout``)."""
    if layout == "NCTHW":
        return to_ncthw(video)
    if layout == "NCHW":
        return to_nchw(video)
    raise ValueError(f"layout must be 'NCTHW' or 'NCHW', got {layout!r}")
