"""VideoMAE ViT-B/16 fine-tuning on Kinetics-400 from a VideoMAE pre-trained checkpoint.

MMAction2 1.2.0 ships VideoMAE only as converted weights (its
``recognition/videomae/vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py`` has a test pipeline
and no training settings), so this experiment follows the VideoMAE authors' Kinetics-400 ViT-B
script (``scripts/kinetics/videomae_vit_base_patch16_224_tubemasking_ratio_0.9_epoch_1600/
finetune.sh`` with ``run_class_finetuning.py``'s defaults)::

    torchrun --nnodes 8 --nproc_per_node 8 -m vidcore.recognition train videomae_vit_base_p16_64xb6_16x4x1_75e_kinetics400 \\
        --set model.pretrained=videomae_pretrain_vit_base.pth data.root=... data.train_list=...

64 processes x 6 videos (batch 384), each video giving 2 clips with their own sampling and
augmentation (repeated augmentation, ``--num_sample 2``; 768 clips per step), 75 epochs. AdamW
betas 0.9/0.999, weight decay 0.05; the script's lr 5e-4 is per 256 videos, so 5e-4 x 384 / 256 =
7.5e-4, with the same scaling of its warm-up start and floor (1e-6 -> 1.5e-6): linear warm-up over
5 epochs from 1.5e-6, then cosine to 1.5e-6. Layer-wise lr decay 0.75 (the embeddings at
0.75^13, block i at 0.75^(12-i), the final norm and head at 1), no weight decay on biases, norms
and the other 1-D parameters, nor on ``pos_embed`` / ``cls_token``. Drop path 0.1 (rising over
the 12 blocks); RandAugment magnitude 7 with 4 operations, random erasing 0.25 (random colours),
MixUp 0.8 / CutMix 1.0 (one of them per batch, even odds) and label smoothing 0.1. fp16 mixed
precision (the script runs DeepSpeed fp16). Test: 5 clips x 3 crops of 224 (the preset's views).

Differences from the script: its RandAugment is timm's ``rand-m7-n4-mstd0.5-inc1`` (per-op
magnitude noise), ours draws torchvision's op set with a fixed magnitude (see
:class:`vidcore.data.transforms.RandAugment`); its random-resized crop works on the decoded
frames (short side 320 in the authors' copy of Kinetics), ours after a 256 short-side resize;
its lr is set per step, ours per optimizer step too (same thing here, no accumulation).
Validation every 5 epochs (the script validates every epoch on a subset; set
``trainer.eval_interval`` to taste).
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import AugmentConfig, DataConfig, Experiment, ModelConfig

_LR = 5e-4 * (64 * 6) / 256  # 7.5e-4
_FLOOR = 1e-6 * (64 * 6) / 256  # 1.5e-6

config = Experiment(
    model=ModelConfig(preset="videomae_vit_base_p16_16x4x1_kinetics400"),
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
        mixup_alpha=0.8,
        cutmix_alpha=1.0,
        cutmix_switch_prob=0.5,
        label_smoothing=0.1,
        drop_path_rate=0.1,
    ),
    trainer=TrainerConfig(
        max_epochs=75,
        batch_size=6,
        val_batch_size=9,
        num_workers=10,
        precision="fp16",
        optim=OptimConfig(
            name="adamw",
            lr=_LR,
            betas=(0.9, 0.999),
            weight_decay=0.05,
            no_decay_norm_and_bias=True,
            no_decay_keys=("pos_embed", "cls_token"),
            layer_decay=0.75,
            layer_decay_blocks="blocks",
        ),
        schedule=ScheduleConfig(
            name="cosine", warmup_epochs=5.0, warmup_start_factor=_FLOOR / _LR, min_lr_ratio=_FLOOR / _LR
        ),
        eval_interval=5,
        checkpoint_interval_epochs=10,
        keep_last=3,
        log_interval=100,
    ),
    work_dir="work_dirs/videomae_vit_base_p16_64xb6_16x4x1_75e_kinetics400",
)
