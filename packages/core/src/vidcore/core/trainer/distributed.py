"""Process-group setup from the ``torchrun`` environment, and small collective helpers.

``torchrun --nproc_per_node N train.py`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; a plain
``python train.py`` sets none and runs as a world of one. Multi-node launches are torchrun's job.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "all_gather_object",
    "all_reduce_sum",
    "barrier",
    "dist_info",
    "init_distributed",
    "is_main_process",
]


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


def dist_info() -> DistInfo:
    """Rank/world size from an initialized process group, else from the environment."""
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0))
    return DistInfo(_env_int("RANK", 0), _env_int("WORLD_SIZE", 1), _env_int("LOCAL_RANK", 0))


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group described by the environment (no-op for a world of one).

    Uses NCCL for CUDA devices and gloo otherwise. A group that is already initialized is reused.
    A group created here is destroyed at interpreter exit.
    """
    info = dist_info()
    if not info.distributed or dist.is_initialized():
        return info
    if device.type == "cuda":
        torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl", device_id=device)
    else:
        dist.init_process_group(backend="gloo")
    atexit.register(_destroy)
    return dist_info()


def _destroy() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def is_main_process() -> bool:
    return dist_info().rank == 0


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def all_reduce_sum(value: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over all processes (in place; returned for chaining)."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value


def all_gather_object(obj: Any) -> list[Any]:
    """Gather a picklable object from every process (a one-element list when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]
