"""Typed configuration of the trainer: optimizer, LR schedule, and the run itself.

Units: ``lr`` is the learning rate of the base parameter group at the end of warm-up; epochs are
passes over the training set; an *iteration* is one optimizer step (``accumulate_grad_batches``
micro-batches). ``batch_size`` is per process and per micro-batch, so the effective batch is
``batch_size * world_size * accumulate_grad_batches``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["OptimConfig", "ScheduleConfig", "TrainerConfig"]


@dataclass
class OptimConfig:
    """Optimizer and parameter groups.

    Attributes:
        name: ``"sgd"`` (with ``momentum``/``nesterov``) or ``"adamw"`` (with ``betas``/``eps``).
        lr: base learning rate.
        weight_decay: L2 (SGD) or decoupled (AdamW) weight decay of the decayed group.
        no_decay_norm_and_bias: put normalization-layer parameters, biases and other 1-D
            parameters in a group with ``weight_decay=0``.
        lr_mult: per-module learning-rate multipliers by parameter-name prefix, e.g.
            ``{"backbone": 0.1}``; the longest matching prefix wins.
        clip_grad_norm: clip the global L2 norm of the gradients to this value (``None``: off).
        no_decay_keys: parameter-name components that also go to the no-decay group whatever
            their shape, e.g. ``("pos_embed", "cls_token", "time_embed")`` for ViTs (a name
            matches when one of its dot-separated parts equals a key).
        layer_decay: layer-wise learning-rate decay (BEiT / VideoMAE fine-tuning): with ``L``
            blocks, block ``i`` trains at ``lr * layer_decay ** (L - i)``, parameters registered
            before the first block (embeddings) at ``lr * layer_decay ** (L + 1)``, everything
            after the last block (final norm, head) at ``lr``. ``1.0``: off.
        layer_decay_blocks: attribute name of the ``ModuleList`` holding the blocks
            (``<prefix>.blocks.<i>.``).
    """

    name: Literal["sgd", "adamw"] = "sgd"
    lr: float = 0.01
    weight_decay: float = 1e-4
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    no_decay_norm_and_bias: bool = True
    lr_mult: dict[str, float] = field(default_factory=dict)
    clip_grad_norm: float | None = None
    no_decay_keys: tuple[str, ...] = ()
    layer_decay: float = 1.0
    layer_decay_blocks: str = "blocks"


@dataclass
class ScheduleConfig:
    """Learning-rate schedule, evaluated per iteration (optimizer step).

    The factor applied to every group's base LR at iteration ``t`` (0-based) is, with ``W`` warm-up
    and ``T`` total iterations:

    - warm-up (``t < W``): ``s + (1 - s) * t / W`` with ``s = warmup_start_factor`` (linear);
    - ``"cosine"``: ``m + (1 - m) * (1 + cos(pi * (t - W) / (T - W))) / 2`` with ``m = min_lr_ratio``;
    - ``"multistep"``: ``gamma ** (number of milestones <= t)``, milestones given in epochs and
      converted to iterations (``round(epoch * iters_per_epoch)``);
    - ``"constant"``: ``1``.

    Give the warm-up length in epochs (``warmup_epochs``, may be fractional) or iterations
    (``warmup_iters``), not both.
    """

    name: Literal["cosine", "multistep", "constant"] = "cosine"
    warmup_epochs: float = 0.0
    warmup_iters: int = 0
    warmup_start_factor: float = 0.1
    min_lr_ratio: float = 0.0
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1


@dataclass
class TrainerConfig:
    """Everything about a training run except the model and the data.

    Attributes:
        max_epochs: number of passes over the training set.
        batch_size: samples per process per micro-batch.
        val_batch_size: per-process batch for evaluation (default: ``batch_size``).
        num_workers: DataLoader worker processes per training process.
        accumulate_grad_batches: micro-batches per optimizer step (gradients of the non-final
            ones are not synchronized across processes).
        precision: ``"fp32"``, ``"bf16"`` (autocast), ``"fp16"`` (autocast + GradScaler), or
            ``"auto"`` (bf16 on a CUDA device that supports it, fp32 otherwise).
        device: ``"auto"`` (``cuda:LOCAL_RANK`` if CUDA is available, else CPU), or a device string.
        strategy: ``"ddp"`` (DistributedDataParallel when world size > 1) or ``"fsdp"`` (FSDP2
            ``fully_shard`` on each direct child module and the root; for large models).
        fsdp_shard_classes: with ``strategy="fsdp"``, class names of the modules that get their own
            ``fully_shard`` instead of the direct children, e.g. ``("TransformerBlock",)`` to shard a
            ViT-L per block (each block's parameters are gathered only while it runs); the rest of
            the model is sharded with the root. Empty: the direct children.
        find_unused_parameters: passed to DDP.
        seed: seeds Python, NumPy and torch (``seed + rank`` per process), the sampler order
            (``seed``, the same on every rank) and the DataLoader worker seeds.
        deterministic: ``torch.use_deterministic_algorithms(True)`` and deterministic cuDNN.
        shuffle: shuffle the training set each epoch (the order depends only on ``seed`` and the
            epoch, not on the world size).
        drop_last: drop the last incomplete training batch.
        pin_memory: pin host memory for the DataLoader (``None``: when on CUDA).
        persistent_workers: keep DataLoader workers alive between epochs.
        eval_interval: evaluate every N epochs (0: never; also needs a validation set).
        checkpoint_interval_epochs: write a checkpoint every N epochs (0: never).
        checkpoint_interval_iters: also write one every N iterations (0: never).
        keep_last: periodic checkpoints kept on disk (0: all).
        best_metric: evaluation metric whose best value is kept as ``best.pth`` (``None``: off).
        best_mode: ``"max"`` or ``"min"`` for ``best_metric``.
        log_interval: write a JSON-lines record every N iterations.
        progress_bar: show a tqdm bar on rank 0.
        tensorboard: also write TensorBoard scalars (if the ``tensorboard`` package is installed).
        resume: ``"auto"`` (the ``latest`` checkpoint in ``work_dir`` if any), a checkpoint path, or
            ``None`` (start fresh).
    """

    max_epochs: int = 10
    batch_size: int = 8
    val_batch_size: int | None = None
    num_workers: int = 2
    accumulate_grad_batches: int = 1
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    device: str = "auto"
    strategy: Literal["ddp", "fsdp"] = "ddp"
    fsdp_shard_classes: tuple[str, ...] = ()
    find_unused_parameters: bool = False
    seed: int = 0
    deterministic: bool = False
    shuffle: bool = True
    drop_last: bool = True
    pin_memory: bool | None = None
    persistent_workers: bool = True
    eval_interval: int = 1
    checkpoint_interval_epochs: int = 1
    checkpoint_interval_iters: int = 0
    keep_last: int = 3
    best_metric: str | None = None
    best_mode: Literal["max", "min"] = "max"
    log_interval: int = 10
    progress_bar: bool = True
    tensorboard: bool = False
    resume: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistent field (also run by the trainer)."""
        checks = [
            (self.max_epochs >= 1, "max_epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.accumulate_grad_batches >= 1, "accumulate_grad_batches must be >= 1"),
            (self.precision in ("auto", "fp32", "bf16", "fp16"), f"unknown precision {self.precision!r}"),
            (self.strategy in ("ddp", "fsdp"), f"unknown strategy {self.strategy!r}"),
            (self.best_mode in ("max", "min"), f"best_mode must be 'max' or 'min', got {self.best_mode!r}"),
            (self.log_interval >= 1, "log_interval must be >= 1"),
            (self.optim.name in ("sgd", "adamw"), f"unknown optimizer {self.optim.name!r}"),
            (
                self.schedule.name in ("cosine", "multistep", "constant"),
                f"unknown schedule {self.schedule.name!r}",
            ),
            (
                not (self.schedule.warmup_epochs and self.schedule.warmup_iters),
                "give schedule.warmup_epochs or schedule.warmup_iters, not both",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"TrainerConfig: {message}")
