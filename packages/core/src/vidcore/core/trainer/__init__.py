"""The vidcore trainer: DDP/FSDP under torchrun or a single process, resumable, typed config.

from vidcore.core.trainer import Trainer, TrainerConfig

trainer = Trainer(model, train_set, val_set, cfg=TrainerConfig(max_epochs=5), evaluator=metric,
                  work_dir="work_dirs/exp1")
trainer.fit()
"""

from __future__ import annotations

from vidcore.core.trainer.config import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.core.trainer.distributed import DistInfo, dist_info, init_distributed
from vidcore.core.trainer.logging import RunLogger
from vidcore.core.trainer.optim import build_optimizer, build_scheduler, lr_factor, param_groups
from vidcore.core.trainer.seeding import get_rng_state, seed_everything, set_rng_state
from vidcore.core.trainer.trainer import Evaluator, TrainableModel, Trainer

__all__ = [
    "DistInfo",
    "Evaluator",
    "OptimConfig",
    "RunLogger",
    "ScheduleConfig",
    "TrainableModel",
    "Trainer",
    "TrainerConfig",
    "build_optimizer",
    "build_scheduler",
    "dist_info",
    "get_rng_state",
    "init_distributed",
    "lr_factor",
    "param_groups",
    "seed_everything",
    "set_rng_state",
]
