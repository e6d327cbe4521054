"""Typed model presets shared by every task package: a named builder plus the metadata that
inference, conversion and fine-tuning need, and one registry type that looks them up by name.

Each task package subclasses :class:`ModelPreset` with its own fields (a recognition preset adds
sampling, crop sizes and test views; a skeleton one adds the graph layout) and keeps one
:class:`PresetRegistry` of them. Constants shared by many presets (a dataset's class count, test
views, normalisation) live in one module-level preset-metadata object and are varied per preset
with :func:`dataclasses.replace`, the way torchvision shares ``_COMMON_META`` between weights::

    K400_3D = Preset(dataset="kinetics400", num_classes=400, clip_len=8, ...)

    @PRESETS.register(replace(K400_3D, clip_len=32, frame_interval=2,
                              mmaction_config="recognition/i3d/...py",
                              convert_mmaction=convert_mmaction_recognizer,
                              classifier=("head.fc_cls",)))
    def i3d_r50_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer: ...

``classifier`` names the state-dict prefixes of the classification layer(s), the tensors whose
shape depends on the class count (timm's ``pretrained_cfg["classifier"]``): fine-tuning drops
them when the class count changes and converters read the class count from them, so nothing has
to guess which layer is the classifier.

Registration happens when a model module is imported; a registry imports its package's preset
module (``builtin``) and every module of its entry-point group on the first lookup, so presets of
other distributions are found by name as well.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from torch import Tensor, nn

from vidcore.core.registry import Registry, RegistryError

__all__ = ["ModelPreset", "PresetRegistry", "classifier_state_keys"]

StateDict = Mapping[str, Tensor]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelPreset:
    """What every named model carries, whatever the task.

    Attributes:
        name: the registered name (the builder function's ``__name__``); set by registration.
        builder: the function that builds the model; it takes ``num_classes`` at least. Set by
            registration.
        dataset: the label set the preset is trained on (``"kinetics400"``, ``"ntu60_xsub"``...).
        num_classes: classes of that label set.
        classifier: state-dict key prefixes of the classification layer(s), e.g.
            ``("head.fc_cls",)``: exactly the tensors whose shape depends on ``num_classes``.
        mmaction_config: path of the mirrored config inside MMAction2's ``configs/`` tree.
        convert_mmaction: maps an MMAction2 state dict of this architecture to this model's keys.
        notes: free text (published accuracy, known differences).
    """

    name: str = ""
    builder: Callable[..., nn.Module] | None = None
    dataset: str
    num_classes: int
    classifier: tuple[str, ...] = ()
    mmaction_config: str | None = None
    convert_mmaction: Callable[[StateDict], dict[str, Tensor]] | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.num_classes < 1:
            raise ValueError(f"preset {self.name or '?'}: num_classes must be >= 1, got {self.num_classes}")
        if isinstance(self.classifier, str):
            raise TypeError(f"preset {self.name or '?'}: classifier must be a tuple of key prefixes, not a str")

    def build(self, **kwargs: Any) -> nn.Module:
        """Build the model (``kwargs`` go to the builder, e.g. ``num_classes=10``)."""
        if self.builder is None:
            raise RegistryError(f"preset metadata {self.name or '(unnamed)'} has no builder (not registered)")
        return self.builder(**kwargs)

    def classifier_keys(self, state_dict_keys: Sequence[str] | Mapping[str, Any]) -> list[str]:
        """The keys among ``state_dict_keys`` that belong to the classifier (see ``classifier``)."""
        return classifier_state_keys(self.classifier, state_dict_keys)

    def num_classes_in(self, state_dict: StateDict) -> int | None:
        """The class count of the classifier in ``state_dict``: the first dimension of its
        tensors (a linear or 1x1-conv classifier's weight ``(K, C[, 1, ...])`` and bias ``(K,)``).
        ``None`` when the state dict has no classifier tensor; ``ValueError`` when they disagree."""
        sizes = {
            int(state_dict[k].shape[0]) for k in self.classifier_keys(state_dict) if state_dict[k].dim() >= 1
        }
        if len(sizes) > 1:
            raise ValueError(f"preset {self.name}: classifier tensors disagree on the class count: {sorted(sizes)}")
        return sizes.pop() if sizes else None


def classifier_state_keys(prefixes: Sequence[str], keys: Sequence[str] | Mapping[str, Any]) -> list[str]:
    """Keys equal to a prefix or starting with ``prefix + "."``."""
    out = []
    for k in keys:
        for p in prefixes:
            if k == p or k.startswith(p + "."):
                out.append(k)
                break
    return out


P = TypeVar("P", bound=ModelPreset)


class PresetRegistry(Generic[P]):
    """Named presets of one task: ``register`` (a decorator taking the metadata), ``get``,
    ``build``, ``list``. Duplicate names raise; unknown names raise with close matches.

    Args:
        kind: what the names are (used in messages), e.g. ``"recognition preset"``.
        builtin: modules imported on the first lookup (the package's own preset modules), so
            lookups work even where the package's entry points are not installed.
        entry_point_group: further modules to import on the first lookup (other distributions).
        list_hint: how a user lists the names, shown in the unknown-name error (a CLI command).
    """

    def __init__(
        self,
        kind: str,
        *,
        builtin: Sequence[str] = (),
        entry_point_group: str | None = None,
        list_hint: str = "",
    ) -> None:
        self._registry: Registry[Callable[..., nn.Module]] = Registry(
            kind, entry_point_group=entry_point_group, modules=builtin, list_hint=list_hint
        )
        self._presets: dict[str, P] = {}

    @property
    def kind(self) -> str:
        return self._registry.kind

    def register(self, meta: P) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register the function under its own name with ``meta`` (name and builder
        filled in). Returns the function unchanged."""
        if not isinstance(meta, ModelPreset):
            raise TypeError(f"register() takes a ModelPreset instance, got {type(meta).__name__}")

        def add(fn: Callable[..., Any]) -> Callable[..., Any]:
            name = fn.__name__
            self._registry.register(fn, name=name)  # raises on a duplicate
            self._presets[name] = dataclasses.replace(meta, name=name, builder=fn)
            return fn

        return add

    def get(self, name: str) -> P:
        """The preset registered as ``name`` (``RegistryError`` with suggestions if unknown)."""
        self._registry.get(name)  # loads plugins; uniform error with close matches
        return self._presets[name]

    def build(self, name: str, /, **kwargs: Any) -> Any:
        return self.get(name).build(**kwargs)

    def list(self) -> list[P]:
        """All presets, sorted by name."""
        return [self._presets[n] for n in self._registry.names()]

    def names(self) -> list[str]:
        return self._registry.names()

    def __contains__(self, name: object) -> bool:
        return name in self._registry

    def __len__(self) -> int:
        return len(self._registry)
