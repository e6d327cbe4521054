"""Inference on pose files: load a preset's model (with a vidcore or MMAction2 checkpoint) and score
every sequence of an MMAction2 skeleton pickle with the preset's test pipeline.

Pose estimation itself is out of scope: the input is a pose pickle made by a pose estimator
(MMAction2's ``ntu_pose_extraction.py`` / ``tools/data/skeleton`` tools or any code writing the
same layout).

    model, preset = load_skeleton_model("stgcn_joint_synth_coco_2d", "best.pth")
    for frame_dir, scores in predict_pickle(model, preset, "skeleton.pkl"):
        print(frame_dir, scores.argmax())
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

import numpy as np
import torch

from vidcore.core.checkpoint import extract_state_dict, load_checkpoint, load_model_weights
from vidcore.data.datasets.base import SkippedSample

from .datasets import SkeletonDataset
from .recognizer import SkeletonRecognizer
from .registry import Preset, get_model, get_preset

__all__ = ["load_skeleton_model", "predict_pickle"]


def load_skeleton_model(
    preset: str, checkpoint: str | PathLike[str] | None = None, *, num_classes: int | None = None
) -> tuple[SkeletonRecognizer, Preset]:
    """The preset's model in eval mode, with ``checkpoint`` loaded strictly (a vidcore checkpoint,
    or an MMAction2 one, recognised by its ``state_dict`` and converted); the class count is read
    from the checkpoint when not given."""
    p = get_preset(preset)
    sd = None
    if checkpoint is not None:
        ckpt = load_checkpoint(checkpoint)
        if "model" not in ckpt and "state_dict" in ckpt:
            from .convert import convert_mmaction_checkpoint

            sd = convert_mmaction_checkpoint(ckpt, preset, num_classes=num_classes)
        else:
            sd = extract_state_dict(ckpt)
        if num_classes is None:
            num_classes = p.num_classes_in(sd)
    k = num_classes or p.num_classes
    model = get_model(preset, num_classes=k)
    if sd is not None:
        load_model_weights(model, sd, strict=True)
    from dataclasses import replace

    return model.eval(), replace(p, num_classes=k)


@torch.no_grad()
def predict_pickle(
    model: SkeletonRecognizer,
    preset: Preset,
    pickle: str | Path,
    *,
    split: str | None = None,
    num_clips: int | None = None,
) -> Iterator[tuple[str, np.ndarray | str]]:
    """``(frame_dir, scores (K,))`` for every sequence of ``pickle`` (or of its ``split``), clips
    averaged as the model's ``average_clips`` says; a sequence that cannot be used yields
    ``(frame_dir, reason)`` instead."""
    ds = SkeletonDataset(pickle, preset, split=split, test_mode=True, num_clips=num_clips)
    for i in range(len(ds)):
        item = ds[i]
        if isinstance(item, SkippedSample):
            yield ds.records[i].frame_dir, item.reason
            continue
        x = torch.from_numpy(item.keypoint if preset.input_key == "keypoint" else item.heatmap)[None]
        yield ds.records[i].frame_dir, model.predict(x)[0].cpu().numpy()
