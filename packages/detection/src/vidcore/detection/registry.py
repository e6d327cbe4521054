"""Named detection presets: builder functions plus the metadata inference needs (clip sampling
around the keyframe, input size, normalization, proposal and score thresholds, label set,
classifier keys, the MMAction2 config).

Presets that share a label set start from the objects in :mod:`vidcore.detection.meta` and vary
them with :func:`dataclasses.replace`::

    @register_preset(replace(AVA21, clip_len=4, frame_interval=16, mmaction_config="detection/...py",
                             convert_mmaction=convert_mmaction_detector))
    def slowonly_r50_4x16x1_ava21(num_classes: int = 81) -> AVADetector: ...

The first lookup imports :mod:`vidcore.detection.presets` (every family, explicitly) and the
``vidcore.detection.presets`` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vidcore.core.presets import ModelPreset, PresetRegistry
from vidcore.core.registry import RegistryError

from .detector import IMAGENET_MEAN_255, IMAGENET_STD_255, AVADetector

__all__ = ["PRESETS", "Preset", "RegistryError", "get_model", "get_preset", "list_presets", "register_preset"]


@dataclass(frozen=True, kw_only=True)
class Preset(ModelPreset):
    """Everything needed to run a named detector on raw video.

    Attributes:
        clip_len, frame_interval: the clip around each keyframe (MMAction2's
            ``SampleAVAFrames(clip_len, frame_interval)``): ``clip_len`` frames ``frame_interval``
            apart, centred on the keyframe.
        fps: frame rate the sampling assumes (AVA's frame folders are 30 fps).
        short_side: test frames are resized to this short side (256); training rescales the
            short side in ``train_scale_range`` and crops ``crop_size``.
        mean, std: normalization, 0-255 units.
        person_det_score_thr: proposals scoring below this are dropped (the best one is kept).
        action_thr: class scores at or below this are not written to results (0.002).
        label_map: name of the label set's file in the dataset (the evaluated classes).
    """

    clip_len: int = 4
    frame_interval: int = 16
    fps: float = 30.0
    short_side: int = 256
    crop_size: int = 256
    train_scale_range: tuple[int, int] = (256, 320)
    mean: tuple[float, ...] = IMAGENET_MEAN_255
    std: tuple[float, ...] = IMAGENET_STD_255
    person_det_score_thr: float = 0.9
    action_thr: float = 0.002
    label_map: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        name = self.name or "?"
        for attr in ("clip_len", "frame_interval", "short_side", "crop_size"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {name}: {attr} must be >= 1, got {getattr(self, attr)}")
        if not 0.0 <= self.person_det_score_thr <= 1.0:
            raise ValueError(f"preset {name}: person_det_score_thr must be in [0, 1]")

    def build(self, **kwargs: Any) -> AVADetector:
        return super().build(**kwargs)  # type: ignore[return-value]


#: Every detection preset by name.
PRESETS: PresetRegistry[Preset] = PresetRegistry(
    "detection preset",
    builtin=("vidcore.detection.presets",),
    entry_point_group="vidcore.detection.presets",
    list_hint="list them with `vidcore-detection models`",
)

#: Decorator registering a builder under its own name with a :class:`Preset`.
register_preset = PRESETS.register


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    return PRESETS.get(name)


def get_model(name: str, **kwargs: Any) -> AVADetector:
    """Build the preset ``name``; ``kwargs`` go to its builder (e.g. ``num_classes=10``)."""
    return PRESETS.get(name).build(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    return PRESETS.list()
