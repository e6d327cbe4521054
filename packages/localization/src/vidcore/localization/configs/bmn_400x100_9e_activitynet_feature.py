"""BMN on ActivityNet-1.3 TSN features (400 x 100), MMAction2's recipe
``localization/bmn/bmn_2xb8-400x100-9e_activitynet-feature.py``: 9 epochs, 16 videos per step
(2 x 8), learning rate 1e-3 divided by 10 after epoch 7, gradients clipped at norm 40.

    vidcore-localization train bmn_400x100_9e_activitynet_feature \\
        --set data.annotations=data/ActivityNet/anet_anno_action.json \\
              data.feature_root=data/ActivityNet/activitynet_feature_cuhk/csv_mean_100

MMAction2 uses Adam with L2 weight decay 1e-4; the vidcore trainer's AdamW decays decoupled
(the same 1e-4). Its annotation files are split per subset (``anet_anno_train.json``,
``anet_anno_val.json``): set ``data.val_annotations`` and clear the subsets
(``data.train_subset=None data.val_subset=None``) to use them.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.localization.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="bmn_400x100_9e_activitynet_feature"),
    data=DataConfig(
        annotations="data/ActivityNet/anet_anno_action.json",
        feature_root="data/ActivityNet/activitynet_feature_cuhk/csv_mean_100",
    ),
    trainer=TrainerConfig(
        max_epochs=9,
        batch_size=16,
        val_batch_size=16,
        num_workers=4,
        optim=OptimConfig(name="adamw", lr=1e-3, weight_decay=1e-4, clip_grad_norm=40.0),
        schedule=ScheduleConfig(name="multistep", milestones=(7,), gamma=0.1),
        best_metric="AUC",
        checkpoint_interval_epochs=1,
        keep_last=2,
    ),
    work_dir="work_dirs/bmn_400x100_9e_activitynet_feature",
)
