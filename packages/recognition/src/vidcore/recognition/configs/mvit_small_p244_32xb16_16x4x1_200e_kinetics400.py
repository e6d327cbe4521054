"""MViTv2-S trained from scratch on Kinetics-400, as MMAction2 1.2.0's
``recognition/mvit/mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py``.

    torchrun --nnodes 4 --nproc_per_node 8 -m vidcore.recognition train mvit_small_p244_32xb16_16x4x1_200e_kinetics400 \\
        --set data.root=... data.train_list=...

32 processes x 8 videos, each video giving 2 clips that share one draw of frames and differ in
their augmentation (MMAction2's ``RepeatAugDataset(num_repeats=2, sample_once=True)``; 16 clips
per process, 512 per step), 200 epochs. AdamW lr 1.6e-3 (MMAction2 scales it by the batch over
512 // 2 = 256 videos: 32 x 8 = 256, so 1.6e-3 as written), betas 0.9/0.999, weight decay 0.05,
none on norms and biases, gradients clipped to an L2 norm of 1; linear warm-up from 0.01 over 30
epochs, then cosine to 1.6e-5 (``eta_min = base_lr / 100``). Drop path 0.2 (the base model
file's), label smoothing 0.1 (``label_smooth_eps``), MixUp 0.8 / CutMix 1.0 (``RandomBatchAugment``:
one of them per batch, even odds), RandAugment magnitude 7 with 4 operations before the
random-resized crop, random erasing 0.25 (random colours) after the flip. Validation every epoch,
checkpoints every 3 epochs (5 kept). Test: 5 clips x 1 centre crop (the preset's views).

Differences: MMAction2 runs PyTorchVideo's RandAugment (per-op probability 0.5, Gaussian magnitude
noise), ours torchvision's op set at a fixed magnitude; MMAction2's cosine is measured from epoch
0 under the warm-up, ours from the end of the warm-up.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import AugmentConfig, DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="mvit_small_p244_16x4x1_kinetics400"),
    data=DataConfig(
        root="data/kinetics400/videos_train",
        val_root="data/kinetics400/videos_val",
        train_list="data/kinetics400/kinetics400_train_list_videos.txt",
        val_list="data/kinetics400/kinetics400_val_list_videos.txt",
        test_batch_size=1,
    ),
    augment=AugmentConfig(
        rand_augment=(7, 4),
        random_erasing=0.25,
        num_repeats=2,
        repeat_sample_once=True,
        mixup_alpha=0.8,
        cutmix_alpha=1.0,
        cutmix_switch_prob=0.5,
        label_smoothing=0.1,
        drop_path_rate=0.2,
    ),
    trainer=TrainerConfig(
        max_epochs=200,
        batch_size=8,
        val_batch_size=8,
        num_workers=8,
        precision="fp32",
        optim=OptimConfig(
            name="adamw", lr=1.6e-3, betas=(0.9, 0.999), weight_decay=0.05, no_decay_norm_and_bias=True,
            clip_grad_norm=1.0,
        ),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=30.0, warmup_start_factor=0.01, min_lr_ratio=0.01),
        eval_interval=1,
        checkpoint_interval_epochs=3,
        keep_last=5,
        log_interval=100,
    ),
    work_dir="work_dirs/mvit_small_p244_32xb16_16x4x1_200e_kinetics400",
)
