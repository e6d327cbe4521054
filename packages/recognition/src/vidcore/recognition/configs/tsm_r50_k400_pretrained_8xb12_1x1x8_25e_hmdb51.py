"""TSM-R50, 8 segments, fine-tuned from Kinetics-400 on HMDB51 split 1 (51 classes), 25 epochs.

The UCF101 recipe (same optimizer, schedule and views) with HMDB51's classes and paths.

Run (the Kinetics checkpoint may be vidcore's or MMAction2's, e.g.
tsm_r50_1x1x8_50e_kinetics400_rgb_20210701-68d582b4.pth from the MMAction2 model zoo; its
400-class classifier is replaced by a new 51-class one):

    vidcore-recognition train tsm_r50_k400_pretrained_8xb12_1x1x8_25e_hmdb51 \\
        --set model.pretrained=tsm_r50_kinetics400.pth data.root=data/hmdb51/rawframes \\
              data.train_list=data/hmdb51/hmdb51_train_split_1_rawframes.txt \\
              data.val_list=data/hmdb51/hmdb51_val_split_1_rawframes.txt

Mirrors MMAction2's ``configs/recognition/tsm/tsm_k400_pretrained_r50_1x1x8_25e_hmdb51_rgb.py``
(model zoo: top-1 72.68%, top-5 92.03% on split 1): rawframes, SGD lr 0.0015 for 8 GPUs x 12 clips,
momentum 0.9, weight decay 1e-4, fc_lr5, gradient clipping at 20, steps x0.1 at epochs 10 and 20,
no warm-up; no flip in training; val and test on 8 segments x one 224 centre crop. For video files
instead of frame folders: ``--set data.format=video`` with a video list (``path label``).
"""

from __future__ import annotations

import dataclasses

from vidcore.recognition.configs.tsm_r50_k400_pretrained_8xb12_1x1x8_25e_ucf101 import config as ucf101

config = dataclasses.replace(
    ucf101,
    model=dataclasses.replace(ucf101.model, num_classes=51),
    data=dataclasses.replace(
        ucf101.data,
        root="data/hmdb51/rawframes",
        train_list="data/hmdb51/hmdb51_train_split_1_rawframes.txt",
        val_list="data/hmdb51/hmdb51_val_split_1_rawframes.txt",
    ),
    work_dir="work_dirs/tsm_r50_k400_pretrained_8xb12_1x1x8_25e_hmdb51",
)
