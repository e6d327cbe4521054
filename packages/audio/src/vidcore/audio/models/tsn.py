"""Audio TSN: a 2D ResNet on log-mel clips with the audio head (MMAction2's
``tsn_r18_8xb320-64x1x1-100e_kinetics400-audio-feature``: ``RecognizerAudio`` + ``ResNet(depth=18,
in_channels=1)`` + ``TSNAudioHead(in_channels=512, dropout_ratio=0.5)``; 11.38M parameters with
400 classes).

Published (MMAction2 model zoo, Kinetics-400 audio features): top-1 19.7%.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from vidcore.core.checkpoint import remap_keys

from ..meta import K400_AUDIO, SYNTH_AV
from ..recognizer import AudioRecognizer
from ..registry import register_preset
from .head import AudioHead
from .resnet import ResNet

__all__ = ["convert_mmaction_tsn_audio", "tsn_audio_resnet"]


def convert_mmaction_tsn_audio(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """MMAction2 audio TSN (``RecognizerAudio`` + ``ResNet`` + ``TSNAudioHead``) state dict -> ours.

    The backbone keys are identical; ``cls_head.`` becomes ``head.``.
    """
    return remap_keys(dict(state_dict), [(r"^cls_head\.", "head.")])


def tsn_audio_resnet(
    depth: int, *, num_classes: int, dropout: float = 0.5, frozen_stages: int = -1, norm_eval: bool = False
) -> AudioRecognizer:
    """Audio TSN on a ResNet-``depth`` with one input channel; test views averaged as probabilities."""
    backbone = ResNet(depth, in_channels=1, frozen_stages=frozen_stages, norm_eval=norm_eval)
    head = AudioHead(backbone.feat_dim, num_classes, dropout=dropout)
    return AudioRecognizer(backbone, head, average_clips="prob")


# ---------------------------------------------------------------------------------------- presets


@register_preset(
    replace(
        K400_AUDIO,
        mmaction_config="recognition_audio/resnet/tsn_r18_8xb320-64x1x1-100e_kinetics400-audio-feature.py",
        convert_mmaction=convert_mmaction_tsn_audio,
        notes="MMAction2 zoo top-1 19.7% (Kinetics-400 audio features, 1 clip).",
    )
)
def tsn_r18_64x1x1_kinetics400_audio_feature(num_classes: int = 400) -> AudioRecognizer:
    return tsn_audio_resnet(18, num_classes=num_classes, dropout=0.5)


@register_preset(
    replace(
        SYNTH_AV,
        convert_mmaction=convert_mmaction_tsn_audio,
        notes="The synthetic audio-visual demo (`vidcore-audio demo`): TSN-R18 on 64 x 40 log-mel clips (24 video frames), 3 test clips.",
    )
)
def tsn_r18_synth_av(num_classes: int = 8) -> AudioRecognizer:
    return tsn_audio_resnet(18, num_classes=num_classes, dropout=0.5)
