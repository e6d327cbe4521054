"""Audio TSN-R18 on Kinetics-400 log-mel features, MMAction2's
``tsn_r18_8xb320-64x1x1-100e_kinetics400-audio-feature`` recipe (8 GPUs x 320 clips, SGD lr 0.2,
cosine over 100 epochs, gradient norm clipped at 40; clips of 64 frames -> 128 rows x 80 bands).

    vidcore-data mel data/kinetics400/videos_train data/kinetics400/audio_features_train --workers 8
    torchrun --nproc_per_node 8 -m vidcore.audio.cli train tsn_r18_8xb320_64x1x1_100e_kinetics400_audio_feature \\
        --set data.root=data/kinetics400/audio_features_train data.val_root=data/kinetics400/audio_features_val \\
              data.train_list=data/kinetics400/kinetics400_train_list_audio_features.txt \\
              data.val_list=data/kinetics400/kinetics400_val_list_audio_features.txt
"""

from __future__ import annotations

from vidcore.audio.experiment import DataConfig, Experiment, ModelConfig
from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig

config = Experiment(
    model=ModelConfig(preset="tsn_r18_64x1x1_kinetics400_audio_feature"),
    data=DataConfig(
        root="data/kinetics400/audio_features_train",
        val_root="data/kinetics400/audio_features_val",
        train_list="data/kinetics400/kinetics400_train_list_audio_features.txt",
        val_list="data/kinetics400/kinetics400_val_list_audio_features.txt",
        format="features",
        test_batch_size=1,
    ),
    trainer=TrainerConfig(
        max_epochs=100,
        batch_size=320,
        num_workers=4,
        optim=OptimConfig(name="sgd", lr=0.2, momentum=0.9, weight_decay=1e-4, clip_grad_norm=40.0),
        schedule=ScheduleConfig(name="cosine"),
        eval_interval=5,
        checkpoint_interval_epochs=5,
        keep_last=3,
        log_interval=20,
    ),
    work_dir="work_dirs/tsn_r18_8xb320_64x1x1_100e_kinetics400_audio_feature",
)
