"""The seeded-generator rule shared by every transform and frame sampler of vidcore-data.

It lives outside ``vidcore.data.transforms`` so that the samplers can use it without importing
torchvision (torch itself is imported only when a ``torch.Generator`` or ``None`` is given). Import
it as ``vidcore.data.transforms.as_generator`` (or from ``vidcore.data.transforms.base``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["RngLike", "as_generator"]

RngLike = Union[np.random.Generator, "torch.Generator", int, None]  # a string: torch is imported lazily
"""What an ``rng`` argument accepts (see ``as_generator``)."""


def as_generator(rng: RngLike) -> np.random.Generator:
    """A ``numpy.random.Generator`` from any accepted ``rng``:

    - a ``numpy.random.Generator`` is used as it is (draws advance it);
    - an ``int`` seeds a new generator, so the same seed gives the same draws;
    - a ``torch.Generator`` gives one 62-bit seed drawn from it;
    - ``None`` gives one seed drawn from torch's global generator, which ``torch.manual_seed``
      fixes and ``DataLoader`` reseeds in every worker, so workers never repeat each other.

    Raises:
        TypeError: for anything else (a ``bool`` included: ``rng=True`` is almost surely a mistake).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    import torch  # here, so that a sampler called with a numpy generator or a seed never loads torch

    if isinstance(rng, torch.Generator):
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=rng)))
    if rng is None:
        return np.random.default_rng(int(torch.randint(0, 2**62, (1,))))
    raise TypeError(f"rng must be a numpy Generator, torch Generator, int or None, got {type(rng).__name__}")
