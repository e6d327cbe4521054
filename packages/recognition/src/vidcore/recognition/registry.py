"""Named recognition presets: builder functions plus the typed metadata inference needs
(sampling, clip shape, normalization, test views, label set, classifier, the MMAction2 config).

A preset is a small builder function registered with :func:`register_preset`, which takes one
:class:`Preset` of metadata; presets that share a dataset's constants start from the shared
objects in :mod:`vidcore.recognition.meta` and vary them with :func:`dataclasses.replace`::

    @register_preset(replace(K400_2D, num_clips=8, test_num_clips=8, classifier=("head.fc_cls",)))
    def tsm_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer: ...

    model = get_model("tsm_r50_1x1x8_kinetics400", num_classes=10)
    preset = get_preset("tsm_r50_1x1x8_kinetics400")

Building a model never needs the registry (call the function or the model class); the registry
exists for names that come from outside (CLIs, configs). The first lookup imports
:mod:`vidcore.recognition.presets` (which imports every model family explicitly) and every module
of the ``vidcore.recognition.presets`` entry-point group (presets of other distributions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from vidcore.core.presets import ModelPreset, PresetRegistry
from vidcore.core.registry import RegistryError

from .recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255, Recognizer

__all__ = ["PRESETS", "Preset", "RegistryError", "get_model", "get_preset", "list_presets", "register_preset"]

TrainCrop = Literal["multiscale", "random_resized", "random"]


@dataclass(frozen=True, kw_only=True)
class Preset(ModelPreset):
    """Everything needed to run a named recognition model on raw video.

    Sampling follows MMAction2's ``SampleFrames(clip_len, frame_interval, num_clips)``: a 2D model
    (TSN/TSM family) takes ``num_clips`` segments of ``clip_len=1`` frame; a 3D model takes one clip
    of ``clip_len`` frames ``frame_interval`` apart. Spatial sizes are in pixels; ``mean``/``std``
    in 0-255 units. Fields of :class:`~vidcore.core.presets.ModelPreset` (name, builder, dataset,
    num_classes, classifier, mmaction_config, convert_mmaction, notes) come first.

    Attributes:
        input_layout: ``"NCHW"`` (2D) or ``"NCTHW"`` (3D).
        clip_len, frame_interval, num_clips: training-time sampling.
        sampling: ``"uniform"`` (TSN segments / random clip), ``"dense"`` (MMAction2's
            ``DenseSampleFrames``), ``"uniform_sample"`` (MMAction2's ``UniformSample``: one frame
            per each of ``clip_len`` equal segments of the video, see ``pipelines``; 3D presets).
        test_num_clips: clips (3D) or segments (2D) sampled at test time.
        test_crops: spatial crops per clip at test time (1 centre, 3 three-crop, 10 ten-crop).
        test_twice_sample: MMAction2's ``twice_sample`` (2D): a second set of segments shifted by
            half a segment, giving two views.
        short_side: frames are resized so their short side has this length before cropping.
        crop_size: side of the square crop fed to the network in training.
        test_crop_size: side of the test crops (MMAction2 often tests on 256-pixel crops).
        mean, std: per-channel normalization, 0-255 units.
        modality: ``"RGB"`` or ``"Flow"``.
        train_crop: the training crop when it is not the layout's default (``"multiscale"`` for
            2D, ``"random_resized"`` for 3D), e.g. ``"random"`` for C3D.
        flip_pairs: classes that swap under a horizontal flip (Something-Something's
            left/right classes), as ``(a, b)`` pairs listed both ways.
        target_fps: frame rate the sampling assumes (X3D's 30 fps), ``None`` when any.
        filename_tmpl: rawframe file names of the data set the preset was trained on.
    """

    input_layout: Literal["NCHW", "NCTHW"]
    clip_len: int = 1
    frame_interval: int = 1
    num_clips: int = 1
    sampling: Literal["uniform", "dense", "uniform_sample"] = "uniform"
    test_num_clips: int = 1
    test_crops: int = 1
    test_twice_sample: bool = False
    short_side: int = 256
    crop_size: int = 224
    test_crop_size: int = 224
    mean: tuple[float, ...] = IMAGENET_MEAN_255
    std: tuple[float, ...] = IMAGENET_STD_255
    modality: Literal["RGB", "Flow"] = "RGB"
    train_crop: TrainCrop | None = None
    flip_pairs: tuple[tuple[int, int], ...] = ()
    target_fps: float | None = None
    filename_tmpl: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        name = self.name or "?"
        for attr in ("clip_len", "frame_interval", "num_clips", "test_num_clips"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {name}: {attr} must be >= 1, got {getattr(self, attr)}")
        if self.test_crops not in (1, 3, 10):
            raise ValueError(f"preset {name}: test_crops must be 1, 3 or 10, got {self.test_crops}")
        if self.input_layout not in ("NCHW", "NCTHW"):
            raise ValueError(f"preset {name}: input_layout must be NCHW or NCTHW")
        if len(self.mean) != len(self.std):
            raise ValueError(f"preset {name}: mean and std differ in length")
        if self.sampling not in ("uniform", "dense", "uniform_sample"):
            raise ValueError(
                f"preset {name}: sampling must be 'uniform', 'dense' or 'uniform_sample', got {self.sampling!r}"
            )
        if self.sampling == "uniform_sample" and self.input_layout != "NCTHW":
            raise ValueError(f"preset {name}: sampling 'uniform_sample' (clips of clip_len frames) needs a 3D preset")
        if self.train_crop not in (None, "multiscale", "random_resized", "random"):
            raise ValueError(f"preset {name}: unknown train_crop {self.train_crop!r}")

    @property
    def channels(self) -> int:
        return len(self.mean)

    @property
    def flip_label_map(self) -> dict[int, int] | None:
        """``{class: mirrored class}`` from ``flip_pairs``, or ``None`` when there are none."""
        return dict(self.flip_pairs) or None

    @property
    def frames_per_clip(self) -> int:
        """Frames in one training clip: segments for 2D models, ``clip_len`` for 3D ones."""
        return self.num_clips * self.clip_len if self.input_layout == "NCHW" else self.clip_len

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """One training clip as the model takes it before layout: ``(T, C, H, W)``."""
        return (self.frames_per_clip, self.channels, self.crop_size, self.crop_size)

    @property
    def test_views(self) -> int:
        """Views per video at test time (clips x crops, x2 with ``twice_sample``)."""
        if self.input_layout == "NCHW":
            return self.test_crops * (2 if self.test_twice_sample else 1)
        return self.test_num_clips * self.test_crops

    @property
    def test_input_shape(self) -> tuple[int, int, int, int, int]:
        """One video at test time: ``(V, T, C, H, W)``."""
        t = self.test_num_clips * self.clip_len if self.input_layout == "NCHW" else self.clip_len
        return (self.test_views, t, self.channels, self.test_crop_size, self.test_crop_size)

    def build(self, **kwargs: Any) -> Recognizer:
        return super().build(**kwargs)  # type: ignore[return-value]


#: Every recognition preset by name.
PRESETS: PresetRegistry[Preset] = PresetRegistry(
    "recognition preset",
    builtin=("vidcore.recognition.presets",),
    entry_point_group="vidcore.recognition.presets",
    list_hint="list them with `vidcore-recognition models`",
)

#: Decorator registering a builder under its own name with a :class:`Preset` (see module docs).
register_preset = PRESETS.register


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    return PRESETS.get(name)


def get_model(name: str, **kwargs: Any) -> Recognizer:
    """Build the preset ``name``; ``kwargs`` go to its builder (e.g. ``num_classes=10``)."""
    return PRESETS.get(name).build(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    return PRESETS.list()
