"""Torch datasets returning typed samples (``vidcore.data.types``), and their collate function.

Bad samples are skipped, counted and named by default (see ``SkippingDataset``); use
``collate_samples`` as the DataLoader's ``collate_fn``.
"""

from __future__ import annotations

from vidcore.data.datasets.activitynet import ActivityNetDataset, LocalizationSample
from vidcore.data.datasets.audio import AudioDataset, AudioFeatureDataset
from vidcore.data.datasets.ava import AVADataset
from vidcore.data.datasets.base import (
    FrameSampler,
    RepeatedSamples,
    SkippedSample,
    SkippingDataset,
    collate_samples,
    labels_to_target,
    skipped_summary,
)
from vidcore.data.datasets.pose import PoseDataset
from vidcore.data.datasets.shards import ShardVideoDataset
from vidcore.data.datasets.video import RawframeDataset, VideoDataset
from vidcore.data.datasets.wrappers import ConcatDataset, RepeatDataset

__all__ = [
    "AVADataset",
    "ActivityNetDataset",
    "AudioDataset",
    "AudioFeatureDataset",
    "ConcatDataset",
    "FrameSampler",
    "LocalizationSample",
    "PoseDataset",
    "RawframeDataset",
    "RepeatDataset",
    "RepeatedSamples",
    "ShardVideoDataset",
    "SkippedSample",
    "SkippingDataset",
    "VideoDataset",
    "collate_samples",
    "labels_to_target",
    "skipped_summary",
]
