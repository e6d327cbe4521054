"""TSM-R50, 8 segments, fine-tuned from Kinetics-400 on UCF101 split 1 (101 classes), 25 epochs.

Run (the Kinetics checkpoint may be vidcore's or MMAction2's, e.g.
tsm_r50_1x1x8_50e_kinetics400_rgb_20210701-68d582b4.pth from the MMAction2 model zoo; its
400-class classifier is replaced by a new 101-class one):

    vidcore-recognition train tsm_r50_k400_pretrained_8xb12_1x1x8_25e_ucf101 \\
        --set model.pretrained=tsm_r50_kinetics400.pth data.root=data/ucf101/rawframes \\
              data.train_list=data/ucf101/ucf101_train_split_1_rawframes.txt \\
              data.val_list=data/ucf101/ucf101_val_split_1_rawframes.txt

Mirrors MMAction2's ``configs/recognition/tsm/tsm_k400_pretrained_r50_1x1x8_25e_ucf101_rgb.py``
(model zoo: top-1 94.50%, top-5 99.58% on split 1): rawframes, SGD lr 0.0015 for 8 GPUs x 12 clips,
momentum 0.9, weight decay 1e-4, fc_lr5, gradient clipping at 20, steps x0.1 at epochs 10 and 20,
no warm-up; no flip in training; val and test on 8 segments x one 224 centre crop. For video files
instead of frame folders: ``--set data.format=video`` with a video list (``path label``).
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(
        preset="tsm_r50_1x1x8_kinetics400", num_classes=101, pretrained=None, pretrained_format="auto"
    ),
    data=DataConfig(
        root="data/ucf101/rawframes",
        train_list="data/ucf101/ucf101_train_split_1_rawframes.txt",
        val_list="data/ucf101/ucf101_val_split_1_rawframes.txt",
        format="rawframes",
        flip=False,
        test_crops=1,
        test_crop_size=224,
    ),
    trainer=TrainerConfig(
        max_epochs=25,
        batch_size=12,
        val_batch_size=12,
        num_workers=2,
        optim=OptimConfig(
            name="sgd",
            lr=0.0015,
            momentum=0.9,
            weight_decay=1e-4,
            lr_mult={"head.fc_cls.weight": 5.0, "head.fc_cls.bias": 10.0},
            clip_grad_norm=20.0,
        ),
        schedule=ScheduleConfig(name="multistep", milestones=(10, 20), gamma=0.1),
        best_metric="top1",
    ),
    work_dir="work_dirs/tsm_r50_k400_pretrained_8xb12_1x1x8_25e_ucf101",
)
