"""Fine-tuning the tiny VideoMAE ViT on the synthetic set's 8 classes, from the masked pre-training
run of ``videomae_pretrain_vit_tiny_p8_synth`` (its ``best.pth``: the encoder is loaded, the
decoder left out, the head and ``fc_norm`` start fresh).

    vidcore-recognition train videomae_vit_tiny_p8_synth_finetune \\
        --set model.pretrained=demo_out/videomae_pretrain/best.pth

``--set model.pretrained=null`` trains the same model from scratch with the same budget (the
comparison in benchmarks/training/videomae_pretrain_synth.py; add
``trainer.optim.layer_decay=1.0`` there). AdamW 2e-3, layer-wise LR decay 0.75, no weight decay on
the position table, one warm-up epoch then cosine, 30 epochs of batch 16. Training crops are plain
32x32 crops of the 36-px frames (``train_crop="random"``, not the 3D presets' random-resized crop of
8-100 % of the area, which can cut the ~10-px object out of the clip). With the data of
``vidcore-data synth --videos-per-class 150 --size 48`` (896 training videos) the ViT trained from
scratch leaves chance (12.5 %) within this budget on some seeds: held-out top-1 43.1 / 14.1 / 21.4 %
for seeds 0 / 1 / 2, against 15.5 / 19.1 / 18.1 % from the pre-trained encoder with this recipe
and 18.4 / 42.8 / 15.8 % with ``trainer.optim.layer_decay=1.0`` (measured, see
benchmarks/training/VIDEOMAE_PRETRAIN.md: no gain); with 40 videos per class and 15 epochs both
stayed at chance.
"""

from __future__ import annotations

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig

config = Experiment(
    model=ModelConfig(
        preset="videomae_vit_tiny_p8_8x2x1_synth", num_classes=8, pretrained="demo_out/videomae_pretrain/best.pth"
    ),
    data=DataConfig(
        root="demo_out/data",
        train_list="demo_out/data/train.txt",
        val_list="demo_out/data/val.txt",
        flip=True,
        flip_label_map="demo_out/data/flip_label_map.json",
        train_crop="random",
        test_batch_size=16,
    ),
    trainer=TrainerConfig(
        max_epochs=30,
        batch_size=16,
        val_batch_size=16,
        num_workers=1,
        optim=OptimConfig(name="adamw", lr=2e-3, weight_decay=0.05, layer_decay=0.75, no_decay_keys=("pos_embed",)),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
        best_metric="top1",
        eval_interval=5,
        checkpoint_interval_epochs=30,
        keep_last=1,
        log_interval=15,
    ),
    work_dir="demo_out/videomae_finetune",
)
