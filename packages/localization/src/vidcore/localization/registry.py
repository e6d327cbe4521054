"""Named localization presets: builder functions plus the typed metadata inference needs
(feature dimension and temporal scale, post-processing parameters, the MMAction2 config).

As in every vidcore task package (see ``docs/architecture.md``), a preset is a builder function
registered with :func:`register_preset`, which takes one :class:`Preset`; presets sharing a
dataset's constants start from :mod:`vidcore.localization.meta` and vary them with
:func:`dataclasses.replace`::

    model = get_model("bmn_400x100_9e_activitynet_feature")
    preset = get_preset("bmn_400x100_9e_activitynet_feature")

Proposal models are class-agnostic: ``num_classes`` is 1 and the builders take no class count.
The first lookup imports :mod:`vidcore.localization.presets` and the modules of the
``vidcore.localization.presets`` entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from vidcore.core.presets import ModelPreset, PresetRegistry
from vidcore.core.registry import RegistryError

__all__ = ["PRESETS", "Preset", "RegistryError", "get_model", "get_preset", "list_presets", "register_preset"]


@dataclass(frozen=True, kw_only=True)
class Preset(ModelPreset):
    """Everything needed to run a named localization model on a features file.

    Attributes:
        task: ``"proposal"`` (BMN), ``"tem"`` (BSN's temporal evaluation stage), ``"pem"`` (BSN's
            proposal evaluation stage, on 32-d BSP features), ``"refine"`` (TCANet: refines given
            proposals).
        temporal_scale: feature positions per video after rescaling (100).
        feat_dim: feature channels (400: MMAction2's two-stream TSN features, 2048: SlowOnly).
        feature_extraction_interval: frames per feature snippet (16); the feature span is
            ``duration_frame // interval * interval`` frames of the video.
        soft_nms_alpha, soft_nms_low_threshold, soft_nms_high_threshold: Gaussian Soft-NMS
            parameters of the MMAction2 config.
        post_process_top_k: proposals kept per video (100).
    """

    task: Literal["proposal", "tem", "pem", "refine"] = "proposal"
    temporal_scale: int = 100
    feat_dim: int = 400
    feature_extraction_interval: int = 16
    soft_nms_alpha: float = 0.4
    soft_nms_low_threshold: float = 0.5
    soft_nms_high_threshold: float = 0.9
    post_process_top_k: int = 100

    def __post_init__(self) -> None:
        super().__post_init__()
        name = self.name or "?"
        if self.task not in ("proposal", "tem", "pem", "refine"):
            raise ValueError(f"preset {name}: task must be 'proposal', 'tem', 'pem' or 'refine', got {self.task!r}")
        for attr in ("temporal_scale", "feat_dim", "feature_extraction_interval", "post_process_top_k"):
            if getattr(self, attr) < 1:
                raise ValueError(f"preset {name}: {attr} must be >= 1, got {getattr(self, attr)}")

    def build(self, **kwargs: Any) -> nn.Module:
        return super().build(**kwargs)


#: Every localization preset by name.
PRESETS: PresetRegistry[Preset] = PresetRegistry(
    "localization preset",
    builtin=("vidcore.localization.presets",),
    entry_point_group="vidcore.localization.presets",
    list_hint="list them with `vidcore-localization models`",
)

#: Decorator registering a builder under its own name with a :class:`Preset`.
register_preset = PRESETS.register


def get_preset(name: str) -> Preset:
    """The :class:`Preset` registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
    return PRESETS.get(name)


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the preset ``name``; ``kwargs`` go to its builder."""
    return PRESETS.get(name).build(**kwargs)


def list_presets() -> list[Preset]:
    """All registered presets, sorted by name."""
    return PRESETS.list()
