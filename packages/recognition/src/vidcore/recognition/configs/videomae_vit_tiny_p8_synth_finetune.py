"""Fine-tuning the tiny VideoMAE ViT on the synthetic set's 8 classes, from the masked pre-training
run of ``videomae_pretrain_vit_tiny_p8_synth`` (its ``best.pth``: the encoder is loaded, the
decoder left out, the head and ``fc_norm`` start fresh).

    vidcore-recognition train videomae_vit_tiny_p8_synth_finetune \\
        --set model.pretrained=demo_out/videomae_pretrain/best.pth

``--set model.pretrained=null`` trains the same model from scratch with the same budget (the
comparison in benchmarks/training/videomae_pretrain_synth.py). AdamW, layer-wise LR decay 0.75,
no weight decay on the position table, one warm-up epoch then cosine.
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
        test_batch_size=16,
    ),
    trainer=TrainerConfig(
        max_epochs=15,
        batch_size=16,
        val_batch_size=16,
        num_workers=1,
        optim=OptimConfig(name="adamw", lr=1e-3, weight_decay=0.05, layer_decay=0.75, no_decay_keys=("pos_embed",)),
        schedule=ScheduleConfig(name="cosine", warmup_epochs=1.0, min_lr_ratio=0.01),
        best_metric="top1",
        checkpoint_interval_epochs=15,
        keep_last=1,
        log_interval=15,
    ),
    work_dir="demo_out/videomae_finetune",
)
