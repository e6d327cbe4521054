"""UniFormerV2-B/16 fine-tuning on Kinetics-400 from CLIP, as MMAction2 1.2.0's
``recognition/uniformerv2/uniformerv2-base-p16-res224_clip_8xb32-u8_kinetics400-rgb.py``.

    torchrun --nproc_per_node 8 -m vidcore.recognition train uniformerv2_base_p16_res224_clip_8xb32_u8_55e_kinetics400 \\
        --set model.pretrained=clip_vit_b16_converted.pth data.root=... data.train_list=...

8 processes x 8 clips (the dataloader's batch 8; batch 64 in all), 55 epochs, AdamW lr 1e-5 (betas
0.9/0.999, weight decay 0.05), no weight decay on norm layers and biases, gradients clipped to an
L2 norm of 20, linear warm-up from 0.1 over 5 epochs then cosine to 0.1x over the last 50,
float32 (no AMP in this config), validation every epoch, checkpoints every 3 epochs (5 kept). Head
dropout 0.5 and the decoder's MLP dropout 0.5 are the preset's. Differences: MMAction2's config
enables ``auto_scale_lr`` with base batch 256, so its runner trains at 1e-5 x 64/256 = 2.5e-6 on
8 GPUs x 8 clips (set ``trainer.optim.lr`` to that to match); vidcore's norm-and-bias rule also
exempts the 1-D ``class_embedding`` and ``balance`` parameters, which MMAction2 decays.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="uniformerv2_base_p16_res224_clip_u8_kinetics400"),
    data=DataConfig(
        root="data/kinetics400/videos_train",
        val_root="data/kinetics400/videos_val",
        train_list="data/kinetics400/kinetics400_train_list_videos.txt",
        val_list="data/kinetics400/kinetics400_val_list_videos.txt",
        test_batch_size=1,
    ),
    trainer=TrainerConfig(
        max_epochs=55,
        batch_size=8,
        val_batch_size=8,
        num_workers=8,
        precision="fp32",
        optim=OptimConfig(
            name="adamw", lr=1e-5, betas=(0.9, 0.999), weight_decay=0.05, no_decay_norm_and_bias=True, clip_grad_norm=20.0
        ),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=5.0, warmup_start_factor=0.1, min_lr_ratio=0.1),
        eval_interval=1,
        checkpoint_interval_epochs=3,
        keep_last=5,
        log_interval=100,
    ),
    work_dir="work_dirs/uniformerv2_base_p16_res224_clip_8xb32_u8_55e_kinetics400",
)
