"""The shipped Kinetics-400 fine-tuning experiments for Video Swin-T and UniFormerV2-B load, resolve
(preset, class count, optimizer groups) and carry MMAction2 1.2.0's numbers. The expected values are
written by hand from the MMAction2 config files named in each experiment's docstring."""

from __future__ import annotations

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
