"""Video Swin-T fine-tuning on Kinetics-400, as MMAction2 1.2.0's
``recognition/swin/swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py``.

    torchrun --nproc_per_node 8 -m vidcore.recognition train swin_tiny_p244_w877_8xb8_amp_32x2x1_30e_kinetics400 \\
        --set model.pretrained=swin_tiny_imagenet_inflated.pth data.root=... data.train_list=...

8 processes x 8 clips (batch 64), 30 epochs, AdamW lr 1e-3 (betas 0.9/0.999, weight decay 0.02),
the backbone at 0.1x the lr, no weight decay on the relative position tables, absolute position
embeddings and norm layers (MMAction2 matches ``norm`` as a substring: ``norm1``, ``norm2``, ``norm3``
and ``norm`` here; other biases keep their decay), linear warm-up from 0.1 over 2.5 epochs then
cosine to 0, fp16 mixed precision (MMAction2's AmpOptimWrapper), validation every 3 epochs,
checkpoints every 3 epochs (5 kept). Drop path 0.1 and the head's dropout 0.5 are the preset's.
Differences: MMAction2's cosine starts at epoch 0 under the warm-up, vidcore's after it.
The ImageNet-1k Swin-T weights are not downloadable here: point ``model.pretrained`` at them.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="swin_tiny_p244_w877_32x2x1_kinetics400"),
    data=DataConfig(
        root="data/kinetics400/videos_train",
        val_root="data/kinetics400/videos_val",
        train_list="data/kinetics400/kinetics400_train_list_videos.txt",
        val_list="data/kinetics400/kinetics400_val_list_videos.txt",
        test_batch_size=1,
    ),
    trainer=TrainerConfig(
        max_epochs=30,
        batch_size=8,
        val_batch_size=8,
        num_workers=8,
        precision="fp16",
        optim=OptimConfig(
            name="adamw",
            lr=1e-3,
            betas=(0.9, 0.999),
            weight_decay=0.02,
            no_decay_norm_and_bias=False,
            no_decay_keys=("relative_position_bias_table", "absolute_pos_embed", "norm", "norm1", "norm2", "norm3"),
            lr_mult={"backbone": 0.1},
        ),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=2.5, warmup_start_factor=0.1, min_lr_ratio=0.0),
        eval_interval=3,
        checkpoint_interval_epochs=3,
        keep_last=5,
        log_interval=100,
    ),
    work_dir="work_dirs/swin_tiny_p244_w877_8xb8_amp_32x2x1_30e_kinetics400",
)
