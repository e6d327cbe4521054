"""The typed samples that flow from datasets through transforms into the collate function.

Layouts (one per boundary, see STYLE.md): decoders return frames ``(T, H, W, C)`` uint8; samples
and transforms hold video as ``(T, C, H, W)`` uint8 (a ``torchvision.tv_tensors.Video``); models
take ``(N, C, T, H, W)`` float, produced on the device by the model's own normalization.

Boxes and keypoints travel with the frames so that a crop, resize or flip updates them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vidcore.core.batch import Batch

Label = int | tuple[int, ...] | torch.Tensor
"""A class index, a tuple of class indices (multi-label), or a float target vector (soft/multi-hot)."""


@dataclass
class VideoSample:
    """One clip (or several views of one video) with what is attached to it.

    Attributes:
        video: uint8 ``(T, C, H, W)``; for several test views stacked, ``(V*T, C, H, W)`` with
            ``meta["num_views"] = V`` until formatting splits them into ``(V, T, C, H, W)``.
        label: see ``Label``.
        boxes: ``torchvision.tv_tensors.BoundingBoxes`` ``(N, 4)`` XYXY in pixels of ``video``.
        box_labels: ``(N, K)`` float multi-hot targets per box (AVA), aligned with ``boxes``.
        keypoints: ``(M, T, V, 2)`` float pixel coordinates (x, y) of M people, V joints.
        keypoint_score: ``(M, T, V)`` float confidences.
        meta: source file, frame indices, original shape, anything a report needs.
    """

    video: torch.Tensor
    label: Label = -1
    boxes: torch.Tensor | None = None
    box_labels: torch.Tensor | None = None
    keypoints: torch.Tensor | None = None
    keypoint_score: torch.Tensor | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class PoseSample:
    """A skeleton sequence: ``keypoint`` ``(M, T, V, C)`` float32 (C = 2 or 3), scores ``(M, T, V)``.

    ``img_shape`` is ``(H, W)`` of the frames the keypoints were measured on (pixels), ``None`` for
    already-normalised 3D skeletons.
    """

    keypoint: np.ndarray
    keypoint_score: np.ndarray | None = None
    label: Label = -1
    img_shape: tuple[int, int] | None = None
    total_frames: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class AudioSample:
    """Audio as a waveform ``(S,)`` float32 at ``sample_rate`` Hz, or as features ``(T, F)`` float32."""

    audio: np.ndarray | torch.Tensor
    label: Label = -1
    sample_rate: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------- batches
# What ``collate_samples`` gives the trainer: typed batches on vidcore-core's ``Batch`` base
# (``index``, ``skipped``, ``to(device)``; field access by name kept for dictionary-style code).


@dataclass(kw_only=True)
class VideoBatch(Batch):
    """A batch of :class:`VideoSample`.

    Attributes:
        video: uint8 ``(N, T, C, H, W)``, or ``(N, V, T, C, H, W)`` with ``V`` views per sample;
            ``None`` when every sample of the batch was skipped.
        label: int64 ``(N,)`` class indices, or stacked float targets ``(N, K)``.
        meta: one dict per sample (source file, frame indices, ...).
        boxes, box_labels, keypoints, keypoint_score: per-sample tensors (their counts differ), when
            the samples carry them.
        proposals: per-sample person proposals (AVA) as ``tv_tensors.BoundingBoxes`` in XYXY pixels
            of the transformed frames, when the dataset gives them.
    """

    video: torch.Tensor | None = None
    label: Any = None
    meta: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[torch.Tensor] | None = None
    box_labels: list[torch.Tensor] | None = None
    keypoints: list[torch.Tensor] | None = None
    keypoint_score: list[torch.Tensor] | None = None
    proposals: list[torch.Tensor] | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A batch collated in a DataLoader worker may carry the lease of the worker's shared buffer
        # it lives in; the buffer goes back to the worker when this process is done with the video
        # (vidcore.data.datasets.shared_memory). The lease is not kept on the batch, so a batch
        # pickled again from here carries none.
        state = dict(state)
        lease = state.pop("_shm_lease", None)
        self.__dict__.update(state)
        if lease is not None and isinstance(self.video, torch.Tensor):
            from vidcore.data.datasets.shared_memory import register

            register(self.video, lease)


@dataclass(kw_only=True)
class PoseBatch(Batch):
    """A batch of :class:`PoseSample`: ``keypoint`` stacked ``(N, M, T, V, C)`` when every sample
    has the same shape (else a list), ``keypoint_score``, ``label`` int64 ``(N,)``, ``img_shape``."""

    keypoint: Any = None
    keypoint_score: Any = None
    label: Any = None
    img_shape: list[tuple[int, int]] = field(default_factory=list)
    meta: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class AudioBatch(Batch):
    """A batch of :class:`AudioSample`: ``audio`` stacked when shapes agree, ``label``,
    ``sample_rate`` per sample."""

    audio: Any = None
    label: Any = None
    sample_rate: list[int] = field(default_factory=list)
    meta: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class FieldsBatch(Batch):
    """A batch of samples of any other dataclass type: each field collated by name in ``fields``
    (also reachable as ``batch["name"]``)."""

    fields: dict[str, Any] = field(default_factory=dict)
    meta: list[dict[str, Any]] = field(default_factory=list)

    def __contains__(self, key: object) -> bool:
        return key in self.fields or super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        if key in self.fields:
            return self.fields[key]
        return super().__getitem__(key)

    def keys(self) -> Any:
        return iter([*super().keys(), *self.fields])
