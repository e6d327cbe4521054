"""TSM-R50, 8 segments, Kinetics-400, 50 epochs: MMAction2's recipe.

Run (8 GPUs x 16 clips = the batch the learning rate is set for; scale lr linearly otherwise):

    torchrun --nproc_per_node 8 -m vidcore.recognition.cli train tsm_r50_8xb16_1x1x8_50e_kinetics400 \\
        --set data.root=data/kinetics400/videos_train data.val_root=data/kinetics400/videos_val \\
              data.train_list=data/kinetics400/kinetics400_train_list_videos.txt \\
              data.val_list=data/kinetics400/kinetics400_val_list_videos.txt \\
              model.pretrained=resnet50-0676ba61.pth

Mirrors MMAction2 1.2 ``configs/recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py``
(published top-1 73.18% with 8 segments x 10 crops): SGD lr 0.02 for 8 GPUs x 16 clips, momentum
0.9, weight decay 1e-4 (none on BatchNorm and biases), classifier weight x5 / bias x10 learning
rate (``fc_lr5``), gradient norm clipped at 20, linear warm-up from 0.1x over 5 epochs, steps x0.1
at epochs 25 and 45. Pipelines (preset ``tsm_r50_1x1x8_kinetics400``): train 8 segments, short side
256, MultiScaleCrop (1, .875, .75, .66; 13 positions) resized to 224, flip; test 8 segments x
TenCrop 224. ImageNet initialisation: torchvision's ResNet-50 file (``torchvision.models.resnet50(
weights="IMAGENET1K_V1")`` saved with ``torch.save(m.state_dict(), ...)``), read with
``pretrained_format="auto"`` (detected as torchvision). Differences: MMAction2 steps the warm-up per
epoch, we per iteration; it gives non-classifier biases 2x lr (ResNet convolutions have none).
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(preset="tsm_r50_1x1x8_kinetics400", num_classes=400, pretrained=None),
    data=DataConfig(
        root="data/kinetics400/videos_train",
        val_root="data/kinetics400/videos_val",
        train_list="data/kinetics400/kinetics400_train_list_videos.txt",
        val_list="data/kinetics400/kinetics400_val_list_videos.txt",
        format="video",
        flip=True,
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
            weight_decay=1e-4,
            no_decay_norm_and_bias=True,
            lr_mult={"head.fc_cls.weight": 5.0, "head.fc_cls.bias": 10.0},
            clip_grad_norm=20.0,
        ),
        schedule=ScheduleConfig(
            name="multistep", warmup_epochs=5, warmup_start_factor=0.1, milestones=(25, 45), gamma=0.1
        ),
        eval_interval=1,
        checkpoint_interval_epochs=3,
        keep_last=3,
        best_metric="top1",
    ),
    work_dir="work_dirs/tsm_r50_8xb16_1x1x8_50e_kinetics400",
)
