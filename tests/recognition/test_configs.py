"""Every shipped recognition config loads, takes overrides, builds its model and trainer parts,
and carries MMAction2's published recipe numbers."""

from __future__ import annotations

import pytest
import torch

from vidcore.core.config import ConfigError, apply_overrides, load_config
from vidcore.core.trainer import build_optimizer
from vidcore.recognition.configs import config_path, list_configs
from vidcore.recognition.experiment import Experiment, resolve_num_classes, resolved_preset
from vidcore.recognition.pipelines import test_pipeline, train_pipeline
from vidcore.recognition.registry import get_model

CONFIGS = list_configs()


def test_the_four_recipes_are_shipped():
    names = " ".join(CONFIGS)
    for dataset in ("kinetics400", "sthv2", "ucf101", "hmdb51"):
        assert dataset in names


@pytest.mark.parametrize("name", CONFIGS)
def test_config_loads_overrides_and_builds(name, tmp_path):
    exp = load_config(config_path(name))
    assert isinstance(exp, Experiment)
    exp = apply_overrides(
        exp,
        [f"data.root={tmp_path}", "trainer.optim.lr=0.001", "trainer.max_epochs=2", f"work_dir={tmp_path}/w"],
    )
    assert exp.data.root == str(tmp_path) and exp.trainer.optim.lr == 0.001 and exp.trainer.max_epochs == 2
    k = resolve_num_classes(exp)
    with torch.device("meta"):
        model = get_model(exp.model.preset, num_classes=k)
    assert model.num_classes == k
    # every lr_mult prefix names real parameters (param_groups raises otherwise)
    groups = build_optimizer(model, exp.trainer.optim).param_groups
    assert sum(len(g["params"]) for g in groups) == sum(1 for p in model.parameters() if p.requires_grad)
    preset = resolved_preset(exp)
    assert train_pipeline(preset).frames_per_view == preset.num_clips * preset.clip_len
    assert test_pipeline(preset).views >= 1
    # the header shows the command that runs it
    assert f"train {name}" in config_path(name).read_text().split('"""')[1]


@pytest.mark.parametrize("name", CONFIGS)
def test_bad_override_names_the_valid_keys(name):
    exp = load_config(config_path(name))
    with pytest.raises(ConfigError, match="max_epochs"):
        apply_overrides(exp, ["trainer.max_epoch=3"])


def test_kinetics_recipe_matches_mmaction2():
    # MMAction2 1.2 tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py
    exp = load_config(config_path("tsm_r50_8xb16_1x1x8_50e_kinetics400"))
    t = exp.trainer
    assert (t.max_epochs, t.batch_size) == (50, 16)
    assert (t.optim.name, t.optim.lr, t.optim.momentum, t.optim.weight_decay) == ("sgd", 0.02, 0.9, 1e-4)
    assert t.optim.clip_grad_norm == 20
    assert t.optim.lr_mult == {"head.fc_cls.weight": 5.0, "head.fc_cls.bias": 10.0}  # fc_lr5
    assert (t.schedule.name, tuple(t.schedule.milestones), t.schedule.gamma) == ("multistep", (25, 45), 0.1)
    assert (t.schedule.warmup_epochs, t.schedule.warmup_start_factor) == (5, 0.1)
    preset = resolved_preset(exp)
    assert (preset.num_clips, preset.short_side, preset.crop_size) == (8, 256, 224)
    assert test_pipeline(preset).views == 10  # 8 segments x TenCrop


def test_sthv2_recipe_flips_mirrored_classes():
    exp = load_config(config_path("tsm_r50_8xb16_1x1x8_50e_sthv2"))
    assert exp.trainer.optim.weight_decay == 5e-4
    pipe = train_pipeline(resolved_preset(exp), flip=exp.data.flip, flip_label_map=exp.data.flip_label_map)
    flip = pipe.transform.transforms[-1]
    # MMAction2's sthv2_flip_label_map
    assert flip.flip_label_map == {86: 87, 87: 86, 93: 94, 94: 93, 166: 167, 167: 166}
    test = test_pipeline(resolved_preset(exp))
    assert (test.num_views, test.views, test.crop_size) == (2, 6, 256)  # twice_sample x ThreeCrop 256


@pytest.mark.parametrize(("dataset", "classes"), [("ucf101", 101), ("hmdb51", 51)])
def test_finetune_recipes_match_mmaction2(dataset, classes):
    # MMAction2 tsm_k400_pretrained_r50_1x1x8_25e_{ucf101,hmdb51}_rgb.py
    exp = load_config(config_path(f"tsm_r50_k400_pretrained_8xb12_1x1x8_25e_{dataset}"))
    assert resolve_num_classes(exp) == classes
    t = exp.trainer
    assert (t.max_epochs, t.batch_size, t.optim.lr, t.optim.weight_decay) == (25, 12, 0.0015, 1e-4)
    assert tuple(t.schedule.milestones) == (10, 20) and t.schedule.warmup_epochs == 0
    assert exp.data.format == "rawframes" and exp.data.flip is False
    test = test_pipeline(resolved_preset(exp))
    assert (test.views, test.crop_size, test.frames_per_view) == (1, 224, 8)


def test_unknown_config_name_suggests_close_ones():
    with pytest.raises(ConfigError, match="did you mean"):
        config_path("tsm_r50_8xb16_1x1x8_50e_kinetics")
