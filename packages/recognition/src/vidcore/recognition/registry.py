"""Named presets: builder functions plus the metadata inference needs (sampling, clip shape,
normalization, test views, label set, the MMAction2 config they mirror).

A preset is a small builder function registered with :func:`register_preset`::

    @register_preset(clip_len=1, num_clips=8, dataset="kinetics400", num_classes=400, ...)
    def tsm_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer: ...

    model = get_model("tsm_r50_1x1x8_kinetics400", num_classes=10)
    preset = get_preset("tsm_r50_1x1x8_kinetics400")

Building a model never needs the registry (call the function or the model class); the registry
exists for names that come from outside (CLIs, configs). Presets of this package are registered
when :mod:`vidcore.recognition.presets` is imported, which every lookup does first; other
distributions add theirs through the ``vidcore.models`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Literal

from torch import nn

from vidcore.core.registry import Registry, RegistryError

from .recognizer import IMAGENET_MEAN_255, IMAGENET_STD_255

__all__ = ["MODELS", "Preset", "get_model", "get_preset", "list_presets", "register_preset"]

#: Builder functions by name. The entry-point group is loaded by :func:`_ensure_loaded` instead.
MODELS: Registry[Callable[..., nn.Module]] = Registry("model", entry_point_group=None)

_PRESETS: dict[str, Preset] = {}
_ENTRY_POINT_GROUP = "vidcore.models"
_loaded = False


@dataclass(frozen=True)
class Preset:
    """Everything needed to run a named model on raw video.

    Sampling follows MMAction2's ``SampleFrames(clip_len, frame_interval, num_clips)``: a 2D model
    (TSN/TSM family) takes ``num_clips`` segments of ``clip_len=1`` frame; a 3D model takes one clip
    of ``clip_len`` frames ``frame_interval`` apart. Spatial sizes are in pixels; ``mean``/``std``
    in 0-255 units.

    Attributes:
        name: registered name (the builder function's name).
        builder: the function building the model (keyword ``num_classes`` at least).
        clip_len, frame_interval, num_clips: training-time sampling.
        sampling: ``"uniform"`` (TSN segments / random clip), ``"dense"`` (MMAction2's
            ``DenseSampleFrames``).
        test_num_clips: clips (3D) or segments (2D) sampled at test time.
        test_crops: spatial crops per clip at test time (1 centre, 3 three-crop, 10 ten-crop).
        test_twice_sample: MMAction2's ``twice_sample`` (2D): a second set of segments shifted by
            half a segment, giving two views.
        short_side: frames are resized so their short side has this length before cropping.
        crop_size: side of the square crop fed to the network in training.
        test_crop_size: side of the test crops (MMAction2 often tests on 256-pixel crops).
        mean, std: per-channel normalization, 0-255 units.
        input_layout: ``"NCHW"`` (2D) or ``"NCTHW"`` (3D).
        num_classes: classes of the label set the preset was trained on.
        dataset: label set (``"kinetics400"``, ``"sthv1"``, ...).
        modality: ``"RGB"`` or ``"Flow"``.
        mmaction_config: path of the mirrored config inside MMAction2's ``configs/`` tree.
        convert_mmaction: maps an MMAction2 state dict of this architecture to ours.
        notes: free text (known differences, published accuracy).
    """

    name: str
    builder: Callable[..., nn.Module]
    clip_len: int
    frame_interval: int
    num_clips: int
    num_classes: int
    dataset: str
    input_layout: Literal["NCHW", "NCTHW"]
    mmaction_config: str | None = None
    convert_mmaction: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    sampling: Literal["uniform", "dense"] = "uniform"
    test_num_clips: int = 1
    test_crops: int = 1
    test_twice_sample: bool = False
    short_side: int = 256
    crop_size: int = 224
    test_crop_size: int = 224
    mean: tuple[float, ...] = IMAGENET_MEAN_255
    std: tuple[float, ...] = IMAGENET_STD_255
    modality: Literal["RGB", "Flow"] = "RGB"
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("clip_len", "frame_interval", "num_clips", "num_classes", "test_num_clips"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {self.name}: {attr} must be >= 1, got {getattr(self, attr)}")
        if self.test_crops not in (1, 3, 10):
            raise ValueError(f"preset {self.name}: test_crops must be 1, 3 or 10, got {self.test_crops}")
        if self.input_layout not in ("NCHW", "NCTHW"):
            raise ValueError(f"preset {self.name}: input_layout must be NCHW or NCTHW")
        if len(self.mean) != len(self.std):
            raise ValueError(f"preset {self.name}: mean and std differ in length")

    @property
    def channels(self) -> int:
        return len(self.mean)

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


def register_preset(**preset_fields: Any) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register a builder under its own name with a :class:`Preset` of ``preset_fields``.

    Registering two functions under one name raises ``RegistryError``.
    """

    def add(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = fn.__name__
        preset = Preset(name=name, builder=fn, **preset_fields)
        MODELS.register(fn, name=name)  # raises on a duplicate name
        _PRESETS[name] = preset
        return fn

    return add


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    import_module("vidcore.recognition.presets")
    for ep in entry_points(group=_ENTRY_POINT_GROUP):
        module = ep.value.split(":")[0]
        if module != "vidcore.recognition.presets":
            import_module(module)
    _loaded = True


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    _ensure_loaded()
    MODELS.get(name)  # uniform error message with close matches
    try:
        return _PRESETS[name]
    except KeyError:
        raise RegistryError(f"model {name!r} is registered without a preset") from None


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the preset ``name``; ``kwargs`` go to its builder (e.g. ``num_classes=10``)."""
    _ensure_loaded()
    return MODELS.get(name)(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    _ensure_loaded()
    return [_PRESETS[n] for n in sorted(_PRESETS)]
