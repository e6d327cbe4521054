"""Named audio presets: builder functions plus the typed metadata inference needs (the log-mel
recipe, MMAction2's clip sampling, test views, label set, classifier, the MMAction2 config).

A preset is a builder function registered with :func:`register_preset`, which takes one
:class:`Preset`; presets of one label set start from the shared objects in
:mod:`vidcore.audio.meta` and vary them with :func:`dataclasses.replace`::

    @register_preset(replace(K400_AUDIO, mmaction_config="recognition_audio/resnet/...py",
                             convert_mmaction=convert_mmaction_tsn_audio))
    def tsn_r18_64x1x1_kinetics400_audio_feature(num_classes: int = 400) -> AudioRecognizer: ...

    model = get_model("tsn_r18_64x1x1_kinetics400_audio_feature", num_classes=10)

The first lookup imports :mod:`vidcore.audio.presets` (which imports every model family
explicitly) and every module of the ``vidcore.audio.presets`` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vidcore.core.presets import ModelPreset, PresetRegistry
from vidcore.core.registry import RegistryError

from .recognizer import AudioRecognizer

__all__ = ["PRESETS", "Preset", "RegistryError", "get_model", "get_preset", "list_presets", "register_preset"]


@dataclass(frozen=True, kw_only=True)
class Preset(ModelPreset):
    """Everything needed to run a named audio model on a raw audio or video file.

    Features are MMAction2's log-mel recipe (``vidcore.data.transforms.audio``): ``sample_rate`` Hz,
    frames of ``n_fft`` samples every ``hop_length`` samples (16 ms at the defaults), ``n_mels`` bands
    from ``fmin`` to ``fmax`` Hz. Clips follow MMAction2's pipeline ``SampleFrames(clip_len,
    frame_interval, num_clips)`` over the *video* frames of the list, then ``AudioFeatureSelector``
    maps each clip to its feature rows and cuts or zero-pads them to ``fixed_length`` rows.

    Attributes:
        clip_len, frame_interval, num_clips: training-time sampling, in video frames.
        test_num_clips: clips per sample at test time (their softmax scores are averaged).
        fixed_length: feature rows per clip (``T`` of the model input).
        sample_rate, n_fft, hop_length, n_mels, fmin, fmax: the log-mel recipe.
    """

    clip_len: int = 64
    frame_interval: int = 1
    num_clips: int = 1
    test_num_clips: int = 1
    fixed_length: int = 128
    sample_rate: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 80
    fmin: float = 125.0
    fmax: float = 7600.0

    def __post_init__(self) -> None:
        super().__post_init__()
        name = self.name or "?"
        for attr in ("clip_len", "frame_interval", "num_clips", "test_num_clips", "fixed_length", "n_mels"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {name}: {attr} must be >= 1, got {getattr(self, attr)}")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(f"preset {name}: need 0 <= fmin < fmax <= sample_rate / 2")

    @property
    def input_shape(self) -> tuple[int, int]:
        """One training clip: ``(T, F)`` = ``(fixed_length, n_mels)``."""
        return (self.fixed_length, self.n_mels)

    @property
    def test_input_shape(self) -> tuple[int, int, int]:
        """One sample at test time: ``(V, T, F)``."""
        return (self.test_num_clips, self.fixed_length, self.n_mels)

    @property
    def feature_rate(self) -> float:
        """Feature rows per second (62.5 at 16 kHz with a 256-sample hop)."""
        return self.sample_rate / self.hop_length

    def build(self, **kwargs: Any) -> AudioRecognizer:
        return super().build(**kwargs)  # type: ignore[return-value]


#: Every audio preset by name.
PRESETS: PresetRegistry[Preset] = PresetRegistry(
    "audio preset",
    builtin=("vidcore.audio.presets",),
    entry_point_group="vidcore.audio.presets",
    list_hint="list them with `vidcore-audio models`",
)

#: Decorator registering a builder under its own name with a :class:`Preset` (see module docs).
register_preset = PRESETS.register


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    return PRESETS.get(name)


def get_model(name: str, **kwargs: Any) -> AudioRecognizer:
    """Build the preset ``name``; ``kwargs`` go to its builder (e.g. ``num_classes=10``)."""
    return PRESETS.get(name).build(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    return PRESETS.list()
