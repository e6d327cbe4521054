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

#: The synthetic audio-visual set of ``vidcore-data synth --audio`` (motion x sound classes): its
#: videos are 24-40 frames at 12 fps (2-3.3 s). A coarser log-mel than Kinetics' keeps the demo
#: fast on a CPU: 40 bands, 1024-sample frames every 512 samples (32 ms), so a clip of 24 video
#: frames (2 s) is about 62 rows, kept in 64; the test averages 3 clips.
SYNTH_AV = Preset(
    dataset="synth_av", num_classes=8, clip_len=24, fixed_length=64, test_num_clips=3,
    n_fft=1024, hop_length=512, n_mels=40, classifier=_CLS,
)  # fmt: skip
