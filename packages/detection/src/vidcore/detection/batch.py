"""The detection batch: keyframe clips with their person proposals and, in training, the
annotated boxes and multi-hot actions.

``collate_detection`` turns the ``VideoSample``s of ``vidcore.data.datasets.AVADataset`` (video
``(T, C, H, W)`` uint8, ``boxes`` ground truth, ``box_labels``, ``meta["proposals"]``,
``meta["img_key"]``) into one :class:`DetectionBatch`. Proposals come from the dataset's proposal
pickle (read with vidcore-data's restricted unpickler); a keyframe without proposals in training
uses its ground-truth boxes (MMAction2 adds them as proposals anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torchvision import tv_tensors

from vidcore.core.batch import Batch

__all__ = ["DetectionBatch", "collate_detection"]


@dataclass(kw_only=True)
class DetectionBatch(Batch):
    """A batch of keyframe clips.

    Attributes:
        video: uint8 ``(N, T, C, H, W)``.
        proposals: per clip, ``BoundingBoxes`` ``(P_i, 4)`` XYXY in pixels of ``video``.
        gt_boxes: per clip, ``BoundingBoxes`` ``(G_i, 4)`` (training, evaluation of losses).
        gt_labels: per clip, float ``(G_i, K)`` multi-hot actions (column 0 unused).
        img_keys: per clip, ``"video_id,TTTT"`` (evaluation, feature banks).
    """

    video: Tensor
    proposals: list[Tensor]
    gt_boxes: list[Tensor] | None = None
    gt_labels: list[Tensor] | None = None
    img_keys: list[str] | None = None

    def __post_init__(self) -> None:
        if self.video.dim() != 5:
            raise ValueError(f"video must be (N, T, C, H, W), got shape {tuple(self.video.shape)}")
        n = self.video.shape[0]
        for name in ("proposals", "gt_boxes", "gt_labels", "img_keys"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries for {n} clips")

    @property
    def image_size(self) -> tuple[int, int]:
        """``(H, W)`` of the clips."""
        return int(self.video.shape[-2]), int(self.video.shape[-1])


def _as_boxes(x: Tensor, canvas: tuple[int, int]) -> Tensor:
    if isinstance(x, tv_tensors.BoundingBoxes):
        return x
    return tv_tensors.BoundingBoxes(torch.as_tensor(x, dtype=torch.float32).reshape(-1, 4), format="XYXY",
                                    canvas_size=canvas)


def collate_detection(samples: Sequence[Any]) -> DetectionBatch:
    """``VideoSample``s of one clip length and size -> :class:`DetectionBatch`. Samples the dataset
    could not load (its ``SkippedSample`` markers) are left out and listed in ``skipped``; when
    every sample was skipped the batch has no clips (``video`` of shape ``(0, 0, 0, 0, 0)``)."""
    skipped = tuple(str(s) for s in samples if not hasattr(s, "video"))
    samples = [s for s in samples if hasattr(s, "video")]
    if not samples:
        return DetectionBatch(video=torch.zeros(0, 0, 0, 0, 0, dtype=torch.uint8), proposals=[], img_keys=[],
                              skipped=skipped)  # fmt: skip
    videos, proposals, gt_boxes, gt_labels, keys, index = [], [], [], [], [], []
    for s in samples:
        video = s.video.as_subclass(Tensor) if isinstance(s.video, Tensor) else torch.as_tensor(s.video)
        canvas = (int(video.shape[-2]), int(video.shape[-1]))
        videos.append(video)
        meta = s.meta or {}
        gt = None if s.boxes is None else _as_boxes(s.boxes, canvas)
        props = meta.get("proposals")
        if props is None:
            if gt is None:
                raise ValueError(f"sample {meta.get('img_key', '?')} has neither proposals nor ground-truth boxes")
            props = gt
        proposals.append(_as_boxes(props, canvas))
        gt_boxes.append(gt)
        gt_labels.append(s.box_labels)
        keys.append(str(meta.get("img_key", "")))
        index.append(int(meta.get("index", -1)))
    shapes = {tuple(v.shape) for v in videos}
    if len(shapes) != 1:
        raise ValueError(f"clips differ in shape {sorted(shapes)}: resize/crop them to one size first")
    has_gt = all(g is not None for g in gt_boxes) and all(lab is not None for lab in gt_labels)
    return DetectionBatch(
        video=torch.stack(videos),
        proposals=proposals,
        gt_boxes=gt_boxes if has_gt else None,  # type: ignore[arg-type]
        gt_labels=gt_labels if has_gt else None,  # type: ignore[arg-type]
        img_keys=keys,
        index=torch.tensor(index, dtype=torch.long),
        skipped=skipped,
    )
