"""TSM-R18, 8 segments, trained from scratch on the built-in synthetic motion dataset (8 classes).

This is the README's demo experiment (``hatch run demo`` renders the data and runs it). By hand:

    vidcore-data synth demo_out/data --videos-per-class 80
    vidcore-recognition train tsm_r18_1x1x8_synth_demo --set data.root=demo_out/data \\
        data.train_list=demo_out/data/train.txt data.val_list=demo_out/data/val.txt \\
        data.label_map=demo_out/data/label_map.txt data.flip_label_map=demo_out/data/flip_label_map.json

The classes are motion directions (left/right/up/down, clockwise/counter-clockwise, in/out), so a
single frame does not tell them apart: the temporal shift has to carry the signal. Frames are
96x96; training resizes the short side to 56 and takes 48x48 multi-scale crops, flipping with the
label swap (left <-> right, clockwise <-> counter-clockwise). AdamW with cosine decay after a
one-epoch warm-up suits training from scratch on a few hundred clips.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="tsm_r18_1x1x8_kinetics400", num_classes=8),
    data=DataConfig(
        root="demo_out/data",
        train_list="demo_out/data/train.txt",
        val_list="demo_out/data/val.txt",
        flip=True,
        flip_label_map="demo_out/data/flip_label_map.json",
        short_side=56,
        crop_size=48,
        test_crop_size=48,
        test_num_clips=8,
        test_crops=1,
        test_batch_size=8,
    ),
    trainer=TrainerConfig(
        max_epochs=10,
        batch_size=16,
        val_batch_size=16,
        num_workers=1,
        optim=OptimConfig(name="adamw", lr=2e-3, weight_decay=0.05),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
        best_metric="top1",
        checkpoint_interval_epochs=1,
        keep_last=1,
        log_interval=5,
    ),
    work_dir="demo_out/work_dir",
)
