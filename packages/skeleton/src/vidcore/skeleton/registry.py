"""Named skeleton presets: builder functions plus the typed metadata that data preparation and
inference need (graph layout, input features, clip length, people, test clips, heatmap settings,
the MMAction2 config).

A preset is a small builder function registered with :func:`register_preset`, which takes one
:class:`Preset`; presets of one label set start from the shared objects in
:mod:`vidcore.skeleton.meta` and vary them with :func:`dataclasses.replace`::

    @register_preset(replace(NTU60_XSUB_2D, mmaction_config="skeleton/stgcn/...py",
                             convert_mmaction=convert_mmaction_gcn))
    def stgcn_80e_ntu60_xsub_keypoint_2d(num_classes: int = 60) -> SkeletonRecognizer: ...

The first lookup imports :mod:`vidcore.skeleton.presets` (every model family, explicitly) and
every module of the ``vidcore.skeleton.presets`` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from vidcore.core.presets import ModelPreset, PresetRegistry
from vidcore.core.registry import RegistryError

from .recognizer import InputKey, SkeletonRecognizer

__all__ = ["PRESETS", "Preset", "RegistryError", "get_model", "get_preset", "list_presets", "register_preset"]

Feat = Literal["j", "b", "jm", "bm"]


@dataclass(frozen=True, kw_only=True)
class Preset(ModelPreset):
    """Everything needed to run a named skeleton model on a pose pickle.

    Fields of :class:`~vidcore.core.presets.ModelPreset` (name, builder, dataset, num_classes,
    classifier, mmaction_config, convert_mmaction, notes) come first.

    Attributes:
        input_key: ``"keypoint"`` (GCN input ``(M, T, J, C)`` per clip) or ``"heatmap"``
            (PoseC3D input ``(K, T, H, W)`` per clip).
        graph: joint layout (``"coco"``, ``"nturgb+d"``, ``"openpose"``), see
            :mod:`vidcore.data.skeleton_graphs`.
        graph_strategy: the adjacency partition (``"stgcn_spatial"``, ``"spatial"``, ...); GCNs only.
        feats: the streams concatenated as input: joint ``"j"``, bone ``"b"``, joint motion ``"jm"``,
            bone motion ``"bm"`` (MMAction2's ``GenSkeFeat(feats=...)``).
        pre_normalize: ``"2d"`` (``PreNormalize2D``: coordinates to [-1, 1] of the frame), ``"3d"``
            (``PreNormalize3D``: NTU centring and rotation), ``"2d_centered"``
            (:class:`~vidcore.skeleton.datasets.CenterBody2D`: ``"2d"``'s units around each person's
            mean visible joint, missing joints at 0; not an MMAction2 pipeline) or ``None``.
        in_channels: input channels of one clip: ``C`` for GCNs (3: x, y, score or x, y, z),
            joints or limbs for PoseC3D.
        clip_len: frames per clip (``UniformSampleFrames(clip_len)``).
        num_person: people per clip (``FormatGCNInput(num_person)``); GCNs only.
        test_num_clips: clips per sample at test time (their scores are averaged).
        heatmap_size: side of the square training heatmaps (PoseC3D; random resized crop), pixels.
        test_heatmap_size: side of the test heatmaps (short side resized, centre crop), pixels.
        heatmap_sigma: Gaussian sigma of the heatmaps, pixels.
        with_limb: limb heatmaps instead of joint heatmaps (PoseC3D).
        test_flip: PoseC3D's test-time flipped copy (doubles the views).
        train_flip: PoseC3D's random horizontal flip in training (MMAction2's ``Flip(0.5)``); off
            where a flip changes the class (walking left or right).
    """

    input_key: InputKey = "keypoint"
    graph: str = "coco"
    graph_strategy: str = "stgcn_spatial"
    feats: tuple[Feat, ...] = ("j",)
    pre_normalize: Literal["2d", "3d", "2d_centered"] | None = "2d"
    in_channels: int = 3
    clip_len: int = 100
    num_person: int = 2
    test_num_clips: int = 10
    heatmap_size: int = 56
    test_heatmap_size: int = 64
    heatmap_sigma: float = 0.6
    with_limb: bool = False
    test_flip: bool = False
    train_flip: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        name = self.name or "?"
        if self.input_key not in ("keypoint", "heatmap"):
            raise ValueError(f"preset {name}: input_key must be 'keypoint' or 'heatmap'")
        for attr in ("clip_len", "num_person", "test_num_clips", "in_channels"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {name}: {attr} must be >= 1, got {getattr(self, attr)}")
        if self.pre_normalize not in ("2d", "3d", "2d_centered", None):
            raise ValueError(f"preset {name}: pre_normalize must be '2d', '3d', '2d_centered' or None, got {self.pre_normalize!r}")
        bad = [f for f in self.feats if f not in ("j", "b", "jm", "bm")]
        if bad or not self.feats:
            raise ValueError(f"preset {name}: feats must be a non-empty subset of j, b, jm, bm, got {self.feats}")

    @property
    def test_views(self) -> int:
        """Views per sample at test time (clips, x2 with ``test_flip``)."""
        return self.test_num_clips * (2 if self.test_flip else 1)

    def build(self, **kwargs: Any) -> SkeletonRecognizer:
        return super().build(**kwargs)  # type: ignore[return-value]


#: Every skeleton preset by name.
PRESETS: PresetRegistry[Preset] = PresetRegistry(
    "skeleton preset",
    builtin=("vidcore.skeleton.presets",),
    entry_point_group="vidcore.skeleton.presets",
    list_hint="list them with `vidcore-skeleton models`",
)

#: Decorator registering a builder under its own name with a :class:`Preset` (see module docs).
register_preset = PRESETS.register


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    return PRESETS.get(name)


def get_model(name: str, **kwargs: Any) -> SkeletonRecognizer:
    """Build the preset ``name``; ``kwargs`` go to its builder (e.g. ``num_classes=10``)."""
    return PRESETS.get(name).build(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    return PRESETS.list()
