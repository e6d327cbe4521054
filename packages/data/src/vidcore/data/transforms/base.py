"""The one transform base shared by video, pose and audio transforms, and the seeded-generator rule.

A transform is a small class with typed constructor arguments. Random ones split their work in two,
as torchvision v2 does:

- ``make_params(sample, rng) -> dict`` draws this call's random choices from a
  ``numpy.random.Generator``;
- ``apply(sample, params) -> sample`` uses them deterministically, so a test can fix the parameters
  and a seed reproduces a result.

``__call__(sample, *, rng=None)`` checks the input type, turns ``rng`` into a generator with
``as_generator`` and does both. The input is never modified in place; outputs may share memory
with it (views, unchanged arrays), as in torchvision.

The rng rule (``as_generator``, defined in ``vidcore.data._rng`` so that the frame samplers share
it without importing torchvision):

- a ``numpy.random.Generator`` is used as it is (draws advance it);
- an ``int`` seeds a new generator, so the same seed gives the same draws;
- a ``torch.Generator`` gives one 62-bit seed drawn from it;
- ``None`` gives one seed drawn from torch's global generator, which ``torch.manual_seed`` fixes and
  ``DataLoader`` reseeds in every worker, so workers never repeat each other.

``Compose`` turns one ``rng`` into one generator that all its transforms draw from, so
``pipeline(sample, rng=seed)`` reproduces a whole pipeline, video, pose or audio alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from vidcore.data._rng import RngLike, as_generator

__all__ = ["Compose", "Params", "RngLike", "Transform", "as_generator"]

Params = dict[str, Any]
"""The random choices of one call, from ``make_params``; keys are documented per transform."""

SampleT = TypeVar("SampleT")


class Transform(Generic[SampleT]):
    """Base class: ``make_params(sample, rng) -> Params``, then ``apply(sample, params) -> sample``.

    Subclasses set ``input_type`` (the sample class ``__call__`` accepts) and implement ``apply``;
    random ones also implement ``make_params``. ``random = False`` marks a transform whose
    ``make_params`` draws nothing: ``__call__`` then builds no generator, so calling it with
    ``rng=None`` leaves torch's global generator untouched, and passes ``rng=None`` to
    ``make_params``.
    """

    input_type: ClassVar[type | tuple[type, ...]] = object
    random: ClassVar[bool] = True

    def make_params(self, sample: SampleT, rng: np.random.Generator) -> Params:
        """Draw this call's random parameters (none by default)."""
        return {}

    def apply(self, sample: SampleT, params: Params) -> Any:
        """Transform ``sample`` with fixed ``params`` (from ``make_params``), deterministically."""
        raise NotImplementedError

    def check_input(self, sample: Any) -> None:
        """Raise ``TypeError`` naming this transform when ``sample`` is not an ``input_type``."""
        if not isinstance(sample, self.input_type):
            kinds = self.input_type if isinstance(self.input_type, tuple) else (self.input_type,)
            expected = " or ".join(("an " if k.__name__[0] in "AEIOU" else "a ") + k.__name__ for k in kinds)
            raise TypeError(f"{type(self).__name__}: expected {expected}, got {type(sample).__name__}")

    def __call__(self, sample: SampleT, *, rng: RngLike = None) -> Any:
        self.check_input(sample)
        gen = as_generator(rng) if self.random else None
        return self.apply(sample, self.make_params(sample, gen))  # type: ignore[arg-type]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Compose(Transform[Any]):
    """Apply transforms in order, all drawing from one generator built from ``rng``.

    Works for any transforms called as ``t(sample, rng=generator)``: video, pose and audio ones.
    """

    def __init__(self, transforms: Sequence[Transform[Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Any, *, rng: RngLike = None) -> Any:
        gen = as_generator(rng)
        for t in self.transforms:
            sample = t(sample, rng=gen)
        return sample

    def apply(self, sample: Any, params: Params) -> Any:
        raise TypeError("Compose has no parameters of its own: call it, or call its transforms' apply")

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, i: int) -> Transform[Any]:
        return self.transforms[i]
