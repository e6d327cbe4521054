"""The shipped Kinetics-400 experiments (Video Swin-T, UniFormerV2-B, VideoMAE-B, MViTv2-S) load, resolve
(preset, class count, optimizer groups) and carry MMAction2 1.2.0's numbers. The expected values are
written by hand from the MMAction2 config files named in each experiment's docstring."""

from __future__ import annotations

import pytest
import torch

from vidcore.core.experiment import load_experiment
from vidcore.core.trainer import build_optimizer
from vidcore.recognition.experiment import TASK, resolve_num_classes
from vidcore.recognition.registry import get_model, get_preset


def _groups(exp) -> dict[str, tuple[float, float]]:
    """``{parameter name: (lr, weight_decay)}`` of the optimizer the trainer builds (meta device)."""
    with torch.device("meta"):
        model = get_model(exp.model.preset, num_classes=resolve_num_classes(exp))
    opt = build_optimizer(model, exp.trainer.optim)
    by_id = {id(p): n for n, p in model.named_parameters()}
    return {by_id[id(p)]: (g["lr"], g["weight_decay"]) for g in opt.param_groups for p in g["params"]}


def test_swin_tiny_kinetics400_recipe() -> None:
    # swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py
    exp = load_experiment(TASK, "swin_tiny_p244_w877_8xb8_amp_32x2x1_30e_kinetics400")
    t, o, s = exp.trainer, exp.trainer.optim, exp.trainer.schedule
    assert (t.max_epochs, t.batch_size, t.eval_interval, t.checkpoint_interval_epochs, t.keep_last) == (30, 8, 3, 3, 5)
    assert t.precision == "fp16"  # AmpOptimWrapper
    assert (o.name, o.lr, o.betas, o.weight_decay, o.clip_grad_norm) == ("adamw", 1e-3, (0.9, 0.999), 0.02, None)
    assert (s.name, s.warmup_epochs, s.warmup_start_factor, s.min_lr_ratio) == ("cosine", 2.5, 0.1, 0.0)
    preset = get_preset(exp.model.preset)
    assert (preset.clip_len, preset.frame_interval, preset.test_num_clips, preset.test_crops) == (32, 2, 4, 3)
    assert resolve_num_classes(exp) == 400
    groups = _groups(exp)
    b = "backbone.layers.0.blocks.0."
    assert groups[b + "attn.relative_position_bias_table"] == (1e-4, 0.0)  # backbone lr_mult 0.1, decay_mult 0
    assert groups[b + "norm1.weight"] == (1e-4, 0.0) and groups["backbone.norm3.bias"] == (1e-4, 0.0)
    assert groups["backbone.patch_embed.norm.weight"] == (1e-4, 0.0)
    assert groups[b + "attn.qkv.weight"] == (1e-4, 0.02) and groups[b + "attn.qkv.bias"] == (1e-4, 0.02)
    assert groups["head.fc_cls.weight"] == (1e-3, 0.02) and groups["head.fc_cls.bias"] == (1e-3, 0.02)
    with torch.device("meta"):
        model = get_model(exp.model.preset)
    assert model.head.dropout.p == 0.5  # cls_head dropout_ratio 0.5


def test_uniformerv2_base_kinetics400_recipe() -> None:
    # uniformerv2-base-p16-res224_clip_8xb32-u8_kinetics400-rgb.py
    exp = load_experiment(TASK, "uniformerv2_base_p16_res224_clip_8xb32_u8_55e_kinetics400")
    t, o, s = exp.trainer, exp.trainer.optim, exp.trainer.schedule
    assert (t.max_epochs, t.batch_size, t.eval_interval, t.checkpoint_interval_epochs, t.keep_last) == (55, 8, 1, 3, 5)
    assert t.precision == "fp32"
    assert (o.name, o.lr, o.betas, o.weight_decay, o.clip_grad_norm) == ("adamw", 1e-5, (0.9, 0.999), 0.05, 20.0)
    # LinearLR 0.1 over epochs 0-5, then CosineAnnealingLR T_max=50, eta_min_ratio=0.1 over 5-55
    assert (s.name, s.warmup_epochs, s.warmup_start_factor, s.min_lr_ratio) == ("cosine", 5.0, 0.1, 0.1)
    preset = get_preset(exp.model.preset)
    assert (preset.clip_len, preset.test_num_clips, preset.test_crops) == (8, 4, 3)
    groups = _groups(exp)
    assert groups["backbone.blocks.0.norm1.weight"] == (1e-5, 0.0)  # norm_decay_mult 0
    weights = [n for n in groups if n.endswith("weight") and "norm" not in n and "ln_" not in n]
    assert weights and all(groups[n] == (1e-5, 0.05) for n in weights)
    assert all(groups[n][1] == 0.0 for n in groups if n.endswith("bias"))  # bias_decay_mult 0


def test_videomae_base_kinetics400_recipe() -> None:
    # the VideoMAE authors' K400 ViT-B fine-tuning script (MMAction2 ships no VideoMAE training):
    # 64 GPUs x batch 6, --lr 5e-4 per 256 -> 7.5e-4, warmup/min lr 1e-6 per 256 -> 1.5e-6
    exp = load_experiment(TASK, "videomae_vit_base_p16_64xb6_16x4x1_75e_kinetics400")
    t, o, s, a = exp.trainer, exp.trainer.optim, exp.trainer.schedule, exp.augment
    assert (t.max_epochs, t.batch_size, t.precision) == (75, 6, "fp16")
    assert (o.name, o.betas, o.weight_decay, o.layer_decay) == ("adamw", (0.9, 0.999), 0.05, 0.75)
    assert o.lr == pytest.approx(7.5e-4)
    assert s.name == "cosine" and s.warmup_epochs == 5.0
    assert o.lr * s.warmup_start_factor == pytest.approx(1.5e-6) and o.lr * s.min_lr_ratio == pytest.approx(1.5e-6)
    assert (a.num_repeats, a.repeat_sample_once, a.rand_augment, a.random_erasing) == (2, False, (7, 4), 0.25)
    assert (a.mixup_alpha, a.cutmix_alpha, a.cutmix_switch_prob, a.label_smoothing) == (0.8, 1.0, 0.5, 0.1)
    assert a.drop_path_rate == 0.1
    preset = get_preset(exp.model.preset)
    assert (preset.clip_len, preset.frame_interval, preset.test_num_clips, preset.test_crops) == (16, 4, 5, 3)
    groups = _groups(exp)
    lr = 7.5e-4
    # layer decay over 12 blocks: embeddings 0.75**13, block i 0.75**(12 - i), after the blocks 1
    assert groups["backbone.patch_embed.weight"] == pytest.approx((lr * 0.75**13, 0.05))
    assert groups["backbone.patch_embed.bias"] == pytest.approx((lr * 0.75**13, 0.0))
    assert groups["backbone.blocks.0.attn.qkv.weight"] == pytest.approx((lr * 0.75**12, 0.05))
    assert groups["backbone.blocks.11.mlp.fc1.weight"] == pytest.approx((lr * 0.75, 0.05))
    assert groups["backbone.blocks.11.norm1.weight"] == pytest.approx((lr * 0.75, 0.0))
    assert groups["backbone.fc_norm.weight"] == pytest.approx((lr, 0.0))
    assert groups["head.fc_cls.weight"] == pytest.approx((lr, 0.05))
    assert groups["head.fc_cls.bias"] == pytest.approx((lr, 0.0))


def test_mvit_small_kinetics400_recipe() -> None:
    # mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py (+ _base_/models/mvit_small.py)
    exp = load_experiment(TASK, "mvit_small_p244_32xb16_16x4x1_200e_kinetics400")
    t, o, s, a = exp.trainer, exp.trainer.optim, exp.trainer.schedule, exp.augment
    assert (t.max_epochs, t.batch_size, t.eval_interval, t.checkpoint_interval_epochs, t.keep_last) == (200, 8, 1, 3, 5)
    assert (o.name, o.lr, o.betas, o.weight_decay, o.clip_grad_norm) == ("adamw", 1.6e-3, (0.9, 0.999), 0.05, 1.0)
    # LinearLR start 0.01 over epochs 0-30, CosineAnnealingLR to base_lr / 100
    assert (s.name, s.warmup_epochs, s.warmup_start_factor, s.min_lr_ratio) == ("cosine", 30.0, 0.01, 0.01)
    # RepeatAugDataset(num_repeats=2, sample_once=True), RandomBatchAugment(Mixup 0.8, Cutmix 1)
    assert (a.num_repeats, a.repeat_sample_once, a.rand_augment, a.random_erasing) == (2, True, (7, 4), 0.25)
    assert (a.mixup_alpha, a.cutmix_alpha, a.label_smoothing, a.drop_path_rate) == (0.8, 1.0, 0.1, 0.2)
    preset = get_preset(exp.model.preset)
    assert preset.mean == (114.75, 114.75, 114.75) and preset.std == (57.375, 57.375, 57.375)
    groups = _groups(exp)
    assert all(groups[n][1] == 0.0 for n in groups if n.endswith("bias") or ".norm" in n)
    assert groups["backbone.blocks.0.attn.qkv.weight"] == (1.6e-3, 0.05)
