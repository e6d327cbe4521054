"""Proposals for feature files: a preset's model, its checkpoint, Soft-NMS, seconds.

    from vidcore.localization.inference import load_localizer, propose
    model = load_localizer("bmn_400x100_9e_activitynet_feature", "best.pth")
    segments = propose(model, "feats/v_abc.csv", duration=120.0)   # (m, 3) [start_s, end_s, score]
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import torch

from vidcore.core.checkpoint import load_model_weights

from .datasets import LocalizationBatch, load_features
from .registry import get_model

__all__ = ["load_localizer", "propose"]


def load_localizer(
    preset: str, checkpoint: str | PathLike[str] | None, *, device: str = "cpu", random_weights: bool = False
) -> torch.nn.Module:
    """The preset's BMN or TEM in eval mode, with ``checkpoint`` (vidcore or MMAction2) loaded
    strictly. ``checkpoint=None`` needs ``random_weights=True`` (the random initialisation, for
    smoke tests and timing: an untrained model is an explicit choice, never a silent default)."""
    from .experiment import _read_weights

    if checkpoint is None and not random_weights:
        raise ValueError(f"load_localizer({preset!r}): give a checkpoint, or random_weights=True for an untrained model")
    if checkpoint is not None and random_weights:
        raise ValueError("give a checkpoint or random_weights=True, not both")
    model = get_model(preset)
    if checkpoint is not None:
        load_model_weights(model, _read_weights(checkpoint, preset, "auto"), strict=True)
    return model.eval().to(device)


@torch.no_grad()
def propose(
    model: torch.nn.Module,
    features: str | PathLike[str] | np.ndarray | torch.Tensor,
    *,
    duration: float = 1.0,
    duration_frame: int | None = None,
    top_k: int | None = None,
) -> np.ndarray:
    """``(m, 3)`` ``[start, end, score]`` proposals for one video, by decreasing score.

    ``features``: a feature file (csv/npy, ``(T, C)``) or an array ``(C, T)`` already rescaled;
    times are in seconds over ``duration`` (the feature span: with ``duration_frame`` the span
    MMAction2 uses, ``duration_frame // 16 * 16`` frames); ``duration=1`` gives fractions.
    """
    scale = getattr(model, "temporal_scale", 100)
    if isinstance(features, (str, PathLike)):
        x = load_features(features, scale)
    else:
        x = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if x.shape[-1] != scale:
            from .datasets import rescale_features

            x = rescale_features(x.T, scale).T
    device = next(model.parameters()).device
    batch = LocalizationBatch(
        features=x[None].to(device), video_name=("video",), duration_second=torch.tensor([duration], dtype=torch.float64),
        duration_frame=torch.tensor([duration_frame or 0]),
    )  # fmt: skip
    props = model.forward_eval(batch)["proposals"][0]
    return props[:top_k] if top_k else props


