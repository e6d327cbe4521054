"""Audio TSN-R18 trained from scratch on the synthetic audio-visual set (``vidcore-data synth
--audio``: 4 motions x 2 sounds = 8 classes; the audio tells only the sound, so 25% top-1 is its
ceiling alone). ``vidcore-audio demo`` runs it; by hand:

    vidcore-data synth av_data --audio --videos-per-class 40
    vidcore-audio train tsn_r18_synth_av_demo --set data.root=av_data data.train_list=av_data/train.txt \\
        data.val_list=av_data/val.txt data.label_map=av_data/label_map.txt
"""

from __future__ import annotations

from vidcore.audio.experiment import DataConfig, Experiment, ModelConfig
from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig

config = Experiment(
    model=ModelConfig(preset="tsn_r18_synth_av", num_classes=8),
    data=DataConfig(
        root="av_data",
        train_list="av_data/train.txt",
        val_list="av_data/val.txt",
        label_map="av_data/label_map.txt",
        format="waveform",
        test_batch_size=8,
    ),
    trainer=TrainerConfig(
        max_epochs=8,
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
    work_dir="av_out/audio_work_dir",
)
