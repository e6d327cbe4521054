"""The training loop: one code path for one process and for ``torchrun --nproc_per_node N``."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler, SequentialSampler

from vidcore.core.batch import Batch, move_to_device
from vidcore.core.checkpoint import CheckpointManager, load_checkpoint
from vidcore.core.trainer.config import TrainerConfig
from vidcore.core.trainer.distributed import all_gather_object, all_reduce_sum, dist_info, init_distributed
from vidcore.core.trainer.logging import RunLogger
from vidcore.core.trainer.optim import build_optimizer, build_scheduler
from vidcore.core.trainer.seeding import get_rng_state, seed_everything, set_rng_state

__all__ = ["Evaluator", "TrainableModel", "Trainer", "TrainingInterrupted"]


class TrainingInterrupted(Exception):
    """Training stopped on SIGINT (Ctrl-C) or SIGTERM after writing a checkpoint at its position.

    Attributes:
        signum: the signal received (``signal.SIGINT`` or ``signal.SIGTERM``).
        checkpoint: the checkpoint written at the stopping position (``None`` on ranks other than 0).
        work_dir: the run folder (resume with ``train WORK_DIR --resume`` or ``cfg.resume="auto"``).

    ``exit_code`` is the shell convention ``128 + signum``: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int, checkpoint: Path | None, work_dir: Path, position: str) -> None:
        self.signum = int(signum)
        self.checkpoint = checkpoint
        self.work_dir = work_dir
        self.position = position
        name = signal.Signals(self.signum).name
        where = f" to {checkpoint}" if checkpoint is not None else ""
        super().__init__(f"training stopped by {name} at {position}; checkpoint written{where}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class TrainableModel(Protocol):
    """What the trainer needs from a model (besides being an ``nn.Module``)."""

    def forward_train(self, batch: Any) -> dict[str, torch.Tensor]:
        """Losses for one batch; must contain the scalar ``"loss"``, other scalars are logged."""
        ...

    def forward_eval(self, batch: Any) -> dict[str, torch.Tensor]:
        """Outputs passed as keyword arguments to ``Evaluator.update`` (e.g. ``scores``, ``labels``)."""
        ...


class Evaluator(Protocol):
    """A metric accumulator (e.g. ``vidcore.core.metrics.AccuracyMetric``)."""

    def reset(self) -> None: ...

    def update(self, *, indices: torch.Tensor | None = None, **outputs: torch.Tensor) -> None: ...

    def compute(self) -> dict[str, float]: ...


class _Step(nn.Module):
    """Routes the wrapper's ``forward`` to the model's typed methods, so DDP/FSDP hooks run."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any, train: bool = True) -> dict[str, torch.Tensor]:
        return self.model.forward_train(batch) if train else self.model.forward_eval(batch)


class _ResumableSampler(Sampler[int]):
    """A ``DistributedSampler`` whose first ``skip`` indices of the epoch can be left out.

    Used for every world size (``num_replicas=1`` alone), so the global order of samples depends
    only on the seed and the epoch: ``N`` processes with batch ``B/N`` see the same global batches
    as one process with batch ``B``.
    """

    def __init__(
        self, dataset: Dataset, *, num_replicas: int, rank: int, shuffle: bool, seed: int, drop_last: bool
    ):
        self.inner = DistributedSampler(
            dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
        self.skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.inner.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(iter(self.inner), self.skip, None)

    def __len__(self) -> int:
        return max(0, len(self.inner) - self.skip)


def _worker_ignores_stop_signals(worker_id: int) -> None:
    """DataLoader workers leave SIGINT/SIGTERM to the main process (a terminal's Ctrl-C reaches
    the whole process group): the main process finishes its step and shuts the workers down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _to_device(obj: Any, device: torch.device, non_blocking: bool) -> Any:
    return move_to_device(obj, device, non_blocking)


def _batch_skipped(batch: Any) -> list[str]:
    """The skipped-sample report of a batch: the ``skipped`` field of a typed
    :class:`~vidcore.core.batch.Batch` (or the ``"skipped"`` entry of a dictionary batch)."""
    if isinstance(batch, Batch):
        return list(batch.skipped)
    if isinstance(batch, Mapping) and "skipped" in batch:
        return list(batch["skipped"])
    return []


def _batch_index(batch: Any) -> Any:
    if isinstance(batch, Batch):
        return batch.index
    return batch.get("index") if isinstance(batch, Mapping) else None


def _resolve_device(spec: str, local_rank: int) -> torch.device:
    if spec == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(spec)
    if device.type == "cuda" and device.index is None:
        device = torch.device(f"cuda:{local_rank}")
    return device


def _resolve_precision(spec: str, device: torch.device) -> str:
    if spec == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if spec == "fp16" and device.type != "cuda":
        raise ValueError("precision='fp16' needs a CUDA device (use 'bf16' or 'fp32' on CPU)")
    return spec


def _scalar_items(out: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    return {k: v.detach().float() for k, v in out.items() if isinstance(v, torch.Tensor) and v.numel() == 1}


class Trainer:
    """Trains a model that implements ``forward_train``/``forward_eval`` (see :class:`TrainableModel`).

    Args:
        model: the ``nn.Module`` to train; moved to the device here.
        train_dataset: a map-style dataset (``__len__`` and ``__getitem__``); ``None`` for a
            trainer that only evaluates (``evaluate()``; ``fit()`` then raises).
        val_dataset: evaluated every ``cfg.eval_interval`` epochs with ``evaluator``.
        cfg: the run configuration (saved as ``trainer_config.json`` in ``work_dir``).
        collate_fn: passed to both DataLoaders (default: torch's ``default_collate``).
        evaluator: receives ``update(**model.forward_eval(batch), indices=batch.get("index"))``.
        work_dir: checkpoints, ``log.jsonl``, ``trainer_config.json`` and TensorBoard files.
        write_files: ``False`` for an evaluation-only trainer that must leave ``work_dir`` alone
            (``vidcore-<task> test`` on a finished run): no log, no config file.
        metadata: what the checkpoints say they are, stored under ``"meta"`` in every checkpoint
            this trainer writes (the experiment layer puts the task, preset, class count, label
            names, vidcore versions and the resolved config there). Keep it to plain JSON-able
            values so that safe loading (``weights_only=True``) reads it.

    Interrupts: during :meth:`fit` the first SIGINT (Ctrl-C) or SIGTERM (what SLURM and Kubernetes
    send before killing) lets the current optimizer step finish, writes an atomic checkpoint at
    that position (``iter_<global_iter>.pth``, which ``latest`` points to) and raises
    :class:`TrainingInterrupted`; a second signal restores the default action and so stops the
    process at once (no checkpoint). DataLoader workers ignore both signals. Under ``torchrun``
    the ranks agree on stopping with one small all-reduce per optimizer step.

    Under ``torchrun`` the trainer joins the process group itself (NCCL on CUDA, gloo on CPU),
    wraps the model in DDP (or FSDP2 with ``cfg.strategy="fsdp"``), and only rank 0 writes files.
    Logged losses are rank 0's averages over the log interval. Exact resume covers the model,
    optimizer, scheduler, scaler, every rank's RNG states and the position in the epoch; random
    augmentation inside DataLoader *workers* restarts its streams on resume (the worker seeds
    depend on seed, epoch and rank only), so with ``num_workers > 0`` and random transforms a
    resumed run is statistically, not bitwise, the same.

    Attributes set here and useful to callers: ``model`` (the unwrapped module), ``device``,
    ``dist`` (:class:`DistInfo`), ``optimizer``, ``scheduler``, ``scaler``, ``checkpointer``,
    ``train_loader``, ``iters_per_epoch``, ``max_iters``, and the run position ``epoch``
    (0-based epoch in progress), ``batches_done`` (micro-batches of it consumed), ``global_iter``
    (optimizer steps so far).
    """

    def __init__(
        self,
        model: nn.Module,
        train_dataset: Dataset | None,
        val_dataset: Dataset | None = None,
        *,
        cfg: TrainerConfig,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        evaluator: Evaluator | None = None,
        work_dir: str | Path = "work_dirs/run",
        write_files: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        for method in ("forward_train", "forward_eval"):
            if not callable(getattr(model, method, None)):
                raise TypeError(f"{type(model).__name__} must implement {method}(batch) -> dict")
        cfg.validate()
        self.cfg = cfg
        self.work_dir = Path(work_dir)
        self.device = _resolve_device(cfg.device, dist_info().local_rank)
        self.dist = init_distributed(self.device)
        self.is_main = self.dist.is_main
        seed_everything(cfg.seed + self.dist.rank, deterministic=cfg.deterministic)
        self.precision = _resolve_precision(cfg.precision, self.device)
        self.evaluator = evaluator
        self.collate_fn = collate_fn
        self.train_dataset = train_dataset
        self.val_dataset = val_dataset
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._stop_signal: int | None = None  # set by the first SIGINT/SIGTERM during fit()

        self.model = model.to(self.device)
        self._step = _Step(self.model)
        self._wrapped: nn.Module = self._step
        if cfg.strategy == "fsdp" and self.dist.distributed:
            from torch.distributed.fsdp import fully_shard

            names = set(cfg.fsdp_shard_classes)
            if names:  # per-block: every module of those classes, innermost first (post-order)
                units = [m for m in reversed(list(self.model.modules())) if type(m).__name__ in names]
                if not units:
                    raise ValueError(f"fsdp_shard_classes {sorted(names)}: no module of {type(model).__name__} has that class")
            else:
                units = list(self.model.children())
            for unit in units:
                if any(p.requires_grad for p in unit.parameters()):
                    fully_shard(unit)
            fully_shard(self._step)
        elif self.dist.distributed:
            self._wrapped = nn.parallel.DistributedDataParallel(
                self._step,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=cfg.find_unused_parameters,
            )

        self._loader_gen = torch.Generator()
        self.sampler: _ResumableSampler | None = None
        self.train_loader: DataLoader | None = None
        self.batches_per_epoch = 0  # micro-batches per epoch and process
        if train_dataset is not None:
            self._build_train_loader(train_dataset)
        # an evaluation-only trainer (no train set) still gets a valid, unused schedule
        self.iters_per_epoch = max(1, math.ceil(self.batches_per_epoch / cfg.accumulate_grad_batches))
        self.max_iters = self.iters_per_epoch * cfg.max_epochs

        self.optimizer = build_optimizer(self.model, cfg.optim)
        self.scheduler = build_scheduler(
            self.optimizer, cfg.schedule, iters_per_epoch=self.iters_per_epoch, max_epochs=cfg.max_epochs
        )
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        self.checkpointer = CheckpointManager(
            self.work_dir, keep_last=cfg.keep_last, best_metric=cfg.best_metric, mode=cfg.best_mode
        )
        self.logger = RunLogger(
            self.work_dir / "log.jsonl",
            tensorboard_dir=self.work_dir / "tensorboard" if cfg.tensorboard else None,
            enabled=self.is_main and write_files,
        )

        # Position in the run: epoch (0-based) in progress, batches of it already consumed,
        # optimizer steps done so far.
        self.epoch = 0
        self.batches_done = 0
        self.global_iter = 0
        self._skipped: list[str] = []
        self._skipped_count = 0
        self.last_metrics: dict[str, float] = {}

        if self.is_main and write_files:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self.checkpointer.remove_stale_temp_files()  # left by a run killed while saving
            config_json = json.dumps(dataclasses.asdict(cfg), indent=2) + "\n"
            (self.work_dir / "trainer_config.json").write_text(config_json)
        if cfg.resume is not None:
            path = self.checkpointer.latest_path() if cfg.resume == "auto" else Path(cfg.resume)
            if path is not None:
                self.resume(path)

    def _build_train_loader(self, dataset: Dataset) -> None:
        cfg = self.cfg
        self.sampler = _ResumableSampler(
            dataset,
            num_replicas=self.dist.world_size,
            rank=self.dist.rank,
            shuffle=cfg.shuffle,
            seed=cfg.seed,
            drop_last=False,
        )
        pin = cfg.pin_memory if cfg.pin_memory is not None else self.device.type == "cuda"
        self.train_loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=self.sampler,
            num_workers=cfg.num_workers,
            collate_fn=self.collate_fn,
            pin_memory=pin,
            drop_last=cfg.drop_last,
            generator=self._loader_gen,
            worker_init_fn=_worker_ignores_stop_signals if cfg.num_workers > 0 else None,
            persistent_workers=cfg.persistent_workers and cfg.num_workers > 0,
        )
        n_samples = len(self.sampler.inner)
        self.batches_per_epoch = (
            n_samples // cfg.batch_size if cfg.drop_last else math.ceil(n_samples / cfg.batch_size)
        )
        if self.batches_per_epoch == 0:
            raise ValueError(
                f"no training batch: {len(dataset)} samples over {self.dist.world_size} process(es) "
                f"give fewer than batch_size={cfg.batch_size} per process with drop_last=True"
            )

    # ------------------------------------------------------------------ state
    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _fsdp(self) -> bool:
        return self.cfg.strategy == "fsdp" and self.dist.distributed

    def model_state_dict(self) -> dict[str, torch.Tensor]:
        """Full (unsharded) weights of the model, keys as in ``model.state_dict()`` (collective under FSDP)."""
        if self._fsdp():
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

            return get_model_state_dict(
                self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
            )
        return self.model.state_dict()

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the run exactly (collective: call on every rank)."""
        if self._fsdp():
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

            optim_state = get_optimizer_state_dict(
                self.model, self.optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
            )
        else:
            optim_state = self.optimizer.state_dict()
        state: dict[str, Any] = {
            "model": self.model_state_dict(),
            "optimizer": optim_state,
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch,
            "batches_done": self.batches_done,
            "global_iter": self.global_iter,
            "world_size": self.dist.world_size,
            "rng": all_gather_object(get_rng_state(self.device)),
            "skipped": {"count": self._skipped_count, "examples": list(self._skipped[:20])},
            "config": dataclasses.asdict(self.cfg),
        }
        if self.metadata:
            state["meta"] = dict(self.metadata)
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if self._fsdp():
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                set_model_state_dict,
                set_optimizer_state_dict,
            )

            opts = StateDictOptions(full_state_dict=True)
            set_model_state_dict(self.model, state["model"], options=opts)
            set_optimizer_state_dict(self.model, self.optimizer, state["optimizer"], options=opts)
        else:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch = int(state["epoch"])
        self.batches_done = int(state["batches_done"])
        self.global_iter = int(state["global_iter"])
        skipped = state.get("skipped", {})
        self._skipped_count = int(skipped.get("count", 0))
        self._skipped = list(skipped.get("examples", []))
        if "checkpointer" in state:
            self.checkpointer.load_state_dict(state["checkpointer"])
        rng = state["rng"]
        if int(state.get("world_size", 1)) != self.dist.world_size:
            import warnings

            warnings.warn(
                f"resuming a run of world size {state.get('world_size')} with {self.dist.world_size} "
                "processes: the data order and random streams will differ from an uninterrupted run",
                stacklevel=2,
            )
        set_rng_state(rng[self.dist.rank % len(rng)], self.device)

    def resume(self, path: str | Path) -> None:
        """Load a checkpoint written by this trainer and continue from its position."""
        self.load_state_dict(load_checkpoint(path, map_location="cpu"))
        if self.is_main:
            print(
                f"resumed from {path}: epoch {self.epoch + 1}, batch {self.batches_done} of the epoch, "
                f"iteration {self.global_iter}",
                flush=True,
            )

    def save_checkpoint(self, name: str | None, metrics: Mapping[str, float] | None = None) -> None:
        """Write ``name`` (and ``best.pth`` if ``metrics`` improve on the best); collective."""
        state = self.state_dict()
        if self.is_main:
            self.checkpointer.save(state, name, metrics)

    # ------------------------------------------------------------------ interrupts
    @contextlib.contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """First SIGINT/SIGTERM: note it (the loop stops after the current optimizer step);
        second: the default action, i.e. stop at once. Only the main thread can set handlers."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        names = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.getsignal(s) for s in names}

        def first(signum: int, frame: Any) -> None:
            self._stop_signal = signum
            for s in names:
                signal.signal(s, signal.SIG_DFL)
            if self.is_main:
                print(
                    f"\n{signal.Signals(signum).name} received: finishing the current step and writing a "
                    "checkpoint (send it again to stop at once, without a checkpoint)",
                    file=sys.stderr,
                    flush=True,
                )

        for s in names:
            signal.signal(s, first)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)

    def _stop_requested(self) -> bool:
        """Whether any rank received a stop signal (collective under ``torchrun``)."""
        if not self.dist.distributed:
            return self._stop_signal is not None
        flag = torch.tensor([self._stop_signal or 0], dtype=torch.int64)
        if self.device.type == "cuda":
            flag = flag.to(self.device)
        import torch.distributed as tdist

        tdist.all_reduce(flag, op=tdist.ReduceOp.MAX)
        signum = int(flag.item())
        if signum and self._stop_signal is None:
            self._stop_signal = signum
        return signum != 0

    def _interrupt(self) -> TrainingInterrupted:
        """Write the checkpoint at the current position (collective) and build the exception."""
        name = f"iter_{self.global_iter:08d}.pth"
        self.save_checkpoint(name)
        position = (
            f"epoch {self.epoch + 1}, batch {self.batches_done} of {self.batches_per_epoch}, "
            f"iteration {self.global_iter}"
        )
        self.logger.log({"mode": "interrupted", "epoch": self.epoch + 1, "iter": self.global_iter,
                         "signal": signal.Signals(self._stop_signal or signal.SIGINT).name})  # fmt: skip
        path = self.work_dir / name if self.is_main else None
        return TrainingInterrupted(self._stop_signal or signal.SIGINT, path, self.work_dir, position)

    # ------------------------------------------------------------------ loops
    def fit(self) -> dict[str, float]:
        """Train until ``cfg.max_epochs``; returns the last evaluation's metrics (``{}`` if none).

        Raises :class:`TrainingInterrupted` after a SIGINT/SIGTERM (see the class docstring),
        with the checkpoint of the stopping position written.
        """
        if self.train_loader is None:
            raise ValueError("fit() needs a train_dataset (this Trainer was built with None)")
        self._stop_signal = None
        try:
            with self._stop_on_signals():
                self._fit()
        finally:
            self.logger.close()
        return self.last_metrics

    def _fit(self) -> None:
        cfg = self.cfg
        while self.epoch < cfg.max_epochs:
            self._train_epoch()
            if self._stop_signal is not None and self.batches_done < self.batches_per_epoch:
                raise self._interrupt()  # the epoch was left early on a stop signal
            epoch_done = self.epoch + 1
            self.epoch, self.batches_done = epoch_done, 0
            metrics = None
            if (
                cfg.eval_interval > 0
                and self.val_dataset is not None
                and self.evaluator is not None
                and (epoch_done % cfg.eval_interval == 0 or epoch_done == cfg.max_epochs)
            ):
                metrics = self.evaluate()
            periodic = cfg.checkpoint_interval_epochs > 0 and (
                epoch_done % cfg.checkpoint_interval_epochs == 0 or epoch_done == cfg.max_epochs
            )
            if periodic:
                self.save_checkpoint(f"epoch_{epoch_done:04d}.pth", metrics)
            elif metrics is not None and cfg.best_metric is not None:
                self.save_checkpoint(None, metrics)
            if self.epoch < cfg.max_epochs and self._stop_requested():  # a signal during evaluation
                raise self._interrupt()

    def _train_epoch(self) -> None:
        cfg = self.cfg
        accum = cfg.accumulate_grad_batches
        n = self.batches_per_epoch
        if self.batches_done == 0:
            self._skipped, self._skipped_count = [], 0
        assert self.sampler is not None and self.train_loader is not None
        self.sampler.set_epoch(self.epoch)
        self.sampler.skip = self.batches_done * cfg.batch_size
        seed = np.random.SeedSequence([cfg.seed, self.epoch, self.dist.rank]).generate_state(1)[0]
        self._loader_gen.manual_seed(int(seed))
        self._wrapped.train()

        from tqdm.auto import tqdm

        bar = tqdm(
            total=n,
            initial=self.batches_done,
            desc=f"epoch {self.epoch + 1}/{cfg.max_epochs}",
            disable=not (self.is_main and cfg.progress_bar),
            dynamic_ncols=True,
        )
        sums: dict[str, torch.Tensor] = {}
        count, t_data, t_start = 0, 0.0, time.perf_counter()
        t_fetch = time.perf_counter()
        for batch in self.train_loader:
            t_data += time.perf_counter() - t_fetch
            k = self.batches_done  # index of this micro-batch in the epoch
            group_start = (k // accum) * accum
            group_size = min(accum, n - group_start)
            final_micro = k - group_start == group_size - 1
            skipped = _batch_skipped(batch)
            if skipped:
                self._skipped_count += len(skipped)
                self._skipped.extend(skipped[: max(0, 20 - len(self._skipped))])
            batch = _to_device(batch, self.device, non_blocking=self.device.type == "cuda")

            with self._sync_context(final_micro), self._autocast():
                out = self._wrapped(batch)
            if "loss" not in out:
                raise KeyError(f"{type(self.model).__name__}.forward_train must return a dict with 'loss'")
            self.scaler.scale(out["loss"].float() / group_size).backward()
            for key, value in _scalar_items(out).items():
                sums[key] = sums.get(key, 0.0) + value
            count += 1
            self.batches_done = k + 1

            if final_micro:
                grad_norm = self._optimizer_step()
                self.global_iter += 1
                if self.global_iter % cfg.log_interval == 0 or self.batches_done == n:
                    record = {k_: (v / count).item() for k_, v in sums.items()}
                    if grad_norm is not None:
                        record["grad_norm"] = float(grad_norm)  # the norm before clipping, this step
                    elapsed = time.perf_counter() - t_start
                    self._log_train(record, elapsed / count * accum, t_data / count * accum)
                    bar.set_postfix(loss=f"{record['loss']:.4g}", lr=f"{self._step_lr:.3g}")
                    sums, count, t_data, t_start = {}, 0, 0.0, time.perf_counter()
                if (
                    cfg.checkpoint_interval_iters > 0
                    and self.global_iter % cfg.checkpoint_interval_iters == 0
                ):
                    self.save_checkpoint(f"iter_{self.global_iter:08d}.pth")
            bar.update(1)
            if final_micro and self.batches_done < n and self._stop_requested():
                break  # fit() writes the checkpoint of this position
            t_fetch = time.perf_counter()
        bar.close()
        self._report_skipped()

    def _sync_context(self, final_micro: bool) -> contextlib.AbstractContextManager:
        if final_micro or not self.dist.distributed:
            return contextlib.nullcontext()
        if isinstance(self._wrapped, nn.parallel.DistributedDataParallel):
            return self._wrapped.no_sync()
        if self._fsdp():
            return _fsdp_no_sync(self._step)
        return contextlib.nullcontext()

    def _optimizer_step(self) -> torch.Tensor | None:
        self._step_lr = max(g["lr"] for g in self.optimizer.param_groups)  # the LR this step uses
        grad_norm = None
        clip = self.cfg.optim.clip_grad_norm
        if clip is not None:
            self.scaler.unscale_(self.optimizer)
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            grad_norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm  # DTensor under FSDP
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        return grad_norm

    def _log_train(self, record: dict[str, float], iter_time: float, data_time: float) -> None:
        entry: dict[str, Any] = {
            "mode": "train",
            "epoch": self.epoch + 1,
            "iter": self.global_iter,
            "iter_in_epoch": math.ceil(self.batches_done / self.cfg.accumulate_grad_batches),
            "lr": self._step_lr,
            **record,
            "time": iter_time,
            "data_time": data_time,
        }
        if self.device.type == "cuda":
            entry["memory_mb"] = torch.cuda.max_memory_allocated(self.device) / 2**20
        self.logger.log(entry)

    def _report_skipped(self) -> None:
        count = torch.tensor([self._skipped_count], dtype=torch.int64)
        if self.dist.distributed:
            count = count.to(self.device)
        total = int(all_reduce_sum(count).item())
        if total == 0 or not self.is_main:
            return
        examples = "; ".join(self._skipped[:5])
        print(f"epoch {self.epoch + 1}: skipped {total} bad sample(s), e.g. {examples}", flush=True)
        self.logger.log(
            {
                "mode": "skipped",
                "epoch": self.epoch + 1,
                "iter": self.global_iter,
                "count": total,
                "examples": self._skipped[:20],
            }
        )

    @torch.no_grad()
    def evaluate(self, *, progress: bool = False, announce: bool = True) -> dict[str, Any]:
        """Run ``forward_eval`` over the validation set and return ``evaluator.compute()``.

        Every rank evaluates its share (a ``DistributedSampler`` without shuffling) and the
        evaluator gathers them, so this runs the same under ``torchrun``. Scalar results become
        floats (and are logged); others (a confusion matrix) are returned as the evaluator gives
        them. ``num_skipped`` counts the samples of all ranks the loader could not read (their
        reasons go to stderr on rank 0). ``announce`` prints the scalars on rank 0 (training does).
        """
        if self.val_dataset is None or self.evaluator is None:
            raise ValueError("evaluate() needs both val_dataset and evaluator")
        cfg = self.cfg
        if self.dist.distributed:
            sampler: Sampler[int] = DistributedSampler(
                self.val_dataset, num_replicas=self.dist.world_size, rank=self.dist.rank, shuffle=False
            )
        else:
            sampler = SequentialSampler(self.val_dataset)
        loader = DataLoader(
            self.val_dataset,
            batch_size=cfg.val_batch_size or cfg.batch_size,
            sampler=sampler,
            num_workers=cfg.num_workers,
            collate_fn=self.collate_fn,
            pin_memory=self.device.type == "cuda",
            generator=torch.Generator().manual_seed(cfg.seed),
            worker_init_fn=_worker_ignores_stop_signals if cfg.num_workers > 0 else None,
        )
        from tqdm.auto import tqdm

        self._wrapped.eval()
        self.evaluator.reset()
        skipped: list[str] = []
        try:
            for batch in tqdm(loader, desc="eval", unit="batch", disable=not (progress and self.is_main)):
                skipped.extend(_batch_skipped(batch))
                indices = _batch_index(batch)
                batch = _to_device(batch, self.device, non_blocking=self.device.type == "cuda")
                if isinstance(batch, Batch) and len(batch) == 0:
                    continue  # every sample of this batch was skipped
                with self._autocast():
                    out = self._step(batch, train=False) if self._fsdp() else self.model.forward_eval(batch)
                out = {
                    k: (v.float() if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
                    for k, v in out.items()
                }
                self.evaluator.update(**out, indices=indices)
            metrics: dict[str, Any] = {
                k: (_scalar(v) if _is_scalar(v) else v) for k, v in self.evaluator.compute().items()
            }
        finally:
            self._wrapped.train()
        count = torch.tensor([len(skipped)], dtype=torch.int64)
        metrics["num_skipped"] = int(all_reduce_sum(count).item()) if self.dist.distributed else len(skipped)
        if skipped and self.is_main:
            import sys

            print(f"evaluation: skipped {len(skipped)} unreadable sample(s), e.g. {skipped[0]}", file=sys.stderr)
        scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        self.last_metrics = {k: float(v) for k, v in scalars.items()}
        self.logger.log({"mode": "val", "epoch": self.epoch, "iter": self.global_iter, **scalars})
        if self.is_main and announce:
            shown = ", ".join(f"{k}={v:.4f}" for k, v in scalars.items() if isinstance(v, float))
            print(f"eval after epoch {self.epoch}: {shown}", flush=True)
        return metrics


def _scalar(value: Any) -> int | float:
    """A Python int for integer values (counts), a float otherwise."""
    item = value.item() if hasattr(value, "item") else value
    return int(item) if isinstance(item, (int, np.integer)) and not isinstance(item, bool) else float(item)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, (int, float, np.floating, np.integer)):
        return True
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    return isinstance(value, np.ndarray) and value.size == 1


@contextlib.contextmanager
def _fsdp_no_sync(module: nn.Module) -> Iterator[None]:
    module.set_requires_gradient_sync(False)
    try:
        yield
    finally:
        module.set_requires_gradient_sync(True)
