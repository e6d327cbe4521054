"""Video transforms on uint8 ``(T, C, H, W)`` clips in a ``VideoSample`` (see ``video`` for the
calling convention), their deterministic functional forms (``functional``), and the batch-level
operations that run on the device (``batch``: MixUp/CutMix, ``normalize``, model layouts).

Pose transforms live in ``vidcore.data.transforms.pose`` and audio ones in
``vidcore.data.transforms.audio``; import those modules directly. All of them derive from one base,
``Transform`` (``vidcore.data.transforms.base``: ``make_params(sample, rng)`` draws,
``apply(sample, params)`` applies deterministically), and share one rng rule, ``as_generator``.

A TSN training pipeline, MMAction2 config style::

    from vidcore.data import transforms as T
    train = T.Compose([
        T.Resize((-1, 256)),
        T.MultiScaleCrop(224, (1, 0.875, 0.75, 0.66), random_crop=False, max_wh_scale_gap=1),
        T.Resize((224, 224), keep_ratio=False),
        T.Flip(flip_ratio=0.5),
    ])
    sample = train(sample, rng=seed)
"""

from __future__ import annotations

from vidcore.data.transforms import functional
from vidcore.data.transforms.base import Transform
from vidcore.data.transforms.batch import (
    CutMix,
    MixUp,
    Normalize,
    RandomBatchAugment,
    normalize,
    one_hot,
    to_layout,
    to_nchw,
    to_ncthw,
)
from vidcore.data.transforms.functional import make_flip_label_map, split_views, to_video
from vidcore.data.transforms.video import (
    CenterCrop,
    ColorJitter,
    Compose,
    Flip,
    MultiScaleCrop,
    RandAugment,
    RandomCrop,
    RandomErasing,
    RandomRescale,
    RandomResizedCrop,
    Resize,
    TenCrop,
    ThreeCrop,
    VideoTransform,
    as_generator,
)

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "CutMix",
    "Flip",
    "MixUp",
    "MultiScaleCrop",
    "Normalize",
    "RandAugment",
    "RandomBatchAugment",
    "RandomCrop",
    "RandomErasing",
    "RandomRescale",
    "RandomResizedCrop",
    "Resize",
    "TenCrop",
    "ThreeCrop",
    "Transform",
    "VideoTransform",
    "as_generator",
    "functional",
    "make_flip_label_map",
    "normalize",
    "one_hot",
    "split_views",
    "to_layout",
    "to_nchw",
    "to_ncthw",
    "to_video",
]
