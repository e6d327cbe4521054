"""Preset metadata shared by the detection presets: one object per label set, varied per preset
with :func:`dataclasses.replace` (see :mod:`vidcore.detection.registry`).

AVA heads have 81 outputs: action ids 1..80 of the full AVA list, column 0 unused; the official
evaluation scores the 60 classes of ``ava_action_list_v2.1_for_activitynet_2018.pbtxt`` (v2.2
uses the same list).
"""

from __future__ import annotations

from .registry import Preset

__all__ = ["AVA21", "AVA22", "CLASSIFIER", "CLASSIFIER_MLP", "SYNTH"]

#: The classification layer's keys (a linear head).
CLASSIFIER = ("roi_head.bbox_head.fc_cls",)
#: The last layer of an MLP head (``fc_cls.0`` does not depend on the class count).
CLASSIFIER_MLP = ("roi_head.bbox_head.fc_cls.2",)

#: AVA v2.1 (ava_train_v2.1.csv / ava_val_v2.1.csv, FAIR's person proposals).
AVA21 = Preset(
    dataset="ava21",
    num_classes=81,
    classifier=CLASSIFIER,
    label_map="ava_action_list_v2.1_for_activitynet_2018.pbtxt",
)
#: AVA v2.2.
AVA22 = Preset(
    dataset="ava22",
    num_classes=81,
    classifier=CLASSIFIER,
    label_map="ava_action_list_v2.2_for_activitynet_2019.pbtxt",
)
#: The synthetic set of :mod:`vidcore.data.synth_detection` (4 actions, ids 1..4; 8 fps, 96x128 frames,
#: keyframes every second from second 1, timestamps from 0).
SYNTH = Preset(
    dataset="synth_detection",
    num_classes=5,
    classifier=CLASSIFIER,
    clip_len=8,
    frame_interval=1,
    fps=8.0,
    short_side=96,
    crop_size=96,
    train_scale_range=(96, 112),
    label_map="label_map.pbtxt",
)
