"""Preset metadata shared by the audio presets: one object per label set, varied per preset with
:func:`dataclasses.replace` (see :mod:`vidcore.audio.registry`).

The values are MMAction2's audio-feature configs: clips of 64 video frames mapped to 128 log-mel
rows of 80 bands; the classifier is ``head.fc_cls`` (MMAction2's ``cls_head.fc_cls``).
"""

from __future__ import annotations

from .registry import Preset

__all__ = ["K400_AUDIO", "SYNTH_AV"]

_CLS = ("head.fc_cls",)

#: Kinetics-400 audio features (``kinetics400_*_list_audio_features.txt``).
K400_AUDIO = Preset(dataset="kinetics400", num_classes=400, classifier=_CLS)

#: The synthetic audio-visual set of ``vidcore-data synth --audio`` (motion x sound classes); its
#: clips are short (24-40 video frames at 12 fps), so a clip spans 16 video frames.
SYNTH_AV = Preset(dataset="synth_av", num_classes=8, clip_len=16, fixed_length=64, classifier=_CLS)
