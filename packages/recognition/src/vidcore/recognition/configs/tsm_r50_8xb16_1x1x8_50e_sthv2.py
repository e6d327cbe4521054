"""TSM-R50, 8 segments, Something-Something V2, 50 epochs: MMAction2's recipe.

Run:

    torchrun --nproc_per_node 8 -m vidcore.recognition.cli train tsm_r50_8xb16_1x1x8_50e_sthv2 \\
        --set data.root=data/sthv2/videos data.train_list=data/sthv2/sthv2_train_list_videos.txt \\
              data.val_list=data/sthv2/sthv2_val_list_videos.txt model.pretrained=resnet50-0676ba61.pth

Mirrors MMAction2 1.2 ``configs/recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py``:
as the Kinetics recipe (SGD lr 0.02 for 8 GPUs x 16, fc_lr5, clip 20, warm-up 5 epochs, steps at 25
and 45) but weight decay 5e-4. Something-Something labels are directional, so the random flip swaps
the mirrored classes (86<->87, 93<->94, 166<->167, the preset's ``flip_label_map``); turn the flip off
instead with ``--set data.flip=false``. Test views (preset ``tsm_r50_1x1x8_sthv2``): 8 segments
sampled twice (centres and starts) x ThreeCrop 256 = 6 views.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="tsm_r50_1x1x8_sthv2", num_classes=174, pretrained=None),
    data=DataConfig(
        root="data/sthv2/videos",
        train_list="data/sthv2/sthv2_train_list_videos.txt",
        val_list="data/sthv2/sthv2_val_list_videos.txt",
        format="video",
        flip=True,
        flip_label_map=None,  # None: the preset's map of left/right classes
    ),
    trainer=TrainerConfig(
        max_epochs=50,
        batch_size=16,
        val_batch_size=16,
        num_workers=8,
        optim=OptimConfig(
            name="sgd",
            lr=0.02,
            momentum=0.9,
            weight_decay=5e-4,
            lr_mult={"head.fc_cls.weight": 5.0, "head.fc_cls.bias": 10.0},
            clip_grad_norm=20.0,
        ),
        schedule=ScheduleConfig(
            name="multistep", warmup_epochs=5, warmup_start_factor=0.1, milestones=(25, 45), gamma=0.1
        ),
        checkpoint_interval_epochs=3,
        keep_last=3,
        best_metric="top1",
    ),
    work_dir="work_dirs/tsm_r50_8xb16_1x1x8_50e_sthv2",
)
