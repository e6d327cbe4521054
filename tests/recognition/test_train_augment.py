"""The training recipe's regularisers in a recognition experiment: repeated augmentation,
RandAugment / random erasing, MixUp / CutMix with label smoothing, drop-path schedules."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vidcore.core.config import config_from_dict
from vidcore.core.layers import DropPath
from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.data.datasets import RepeatedSamples, collate_samples
from vidcore.data.transforms import RandAugment, RandomErasing
from vidcore.data.transforms.batch import CutMix, MixUp, RandomBatchAugment
from vidcore.recognition import experiment as E
from vidcore.recognition.registry import get_model


def _helper():
    spec = importlib.util.spec_from_file_location("_recog_tiny", Path(__file__).with_name("_recog_tiny.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


tiny = _helper()
PRESET = tiny.register()
VIT = "videomae_vit_tiny_p8_8x2x1_synth"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return tiny.render(tmp_path_factory.mktemp("synth"))


def _experiment(data: Path, work: Path, augment: E.AugmentConfig, preset: str = PRESET) -> E.Experiment:
    return E.Experiment(
        model=E.ModelConfig(preset),
        data=E.DataConfig(
            root=str(data), train_list=str(data / "train.txt"), val_list=str(data / "val.txt"),
            label_map=str(data / "label_map.txt"), test_batch_size=4,
        ),
        trainer=TrainerConfig(
            max_epochs=1, batch_size=4, num_workers=0, progress_bar=False, seed=3,
            optim=OptimConfig(lr=0.05), schedule=ScheduleConfig(name="constant"), log_interval=1,
        ),
        work_dir=str(work),
        augment=augment,
    )  # fmt: skip


def test_augment_config_builds_the_recipe(data, tmp_path):
    aug = E.AugmentConfig(
        drop_path_rate=0.2, label_smoothing=0.1, mixup_alpha=0.8, cutmix_alpha=1.0, mix_prob=0.5,
        rand_augment=(7, 4), random_erasing=0.25, num_repeats=2,
    )  # fmt: skip
    exp = _experiment(data, tmp_path, aug, preset=VIT)
    model = E.build_model(exp, verbose=False)
    # drop path rising linearly over the ViT's blocks: 0 for the first, 0.2 for the last
    blocks = model.backbone.blocks
    rates = [b.drop_path.p if isinstance(b.drop_path, DropPath) else 0.0 for b in blocks]
    assert rates == pytest.approx(np.linspace(0, 0.2, len(blocks)).tolist())
    assert isinstance(blocks[0].drop_path, torch.nn.Identity)
    assert model.loss.label_smoothing == 0.1
    mix = model.batch_augment
    assert isinstance(mix, RandomBatchAugment)
    assert [type(a) for a in mix.augments] == [MixUp, CutMix]
    assert [a.alpha for a in mix.augments] == [0.8, 1.0]
    assert mix.probs == pytest.approx([0.25, 0.25, 0.5])  # half the batches unmixed
    # the pipeline: RandAugment after the resize, random erasing last
    pipe = E.build_datasets(exp, splits=("train",)).pipelines["train"]
    steps = pipe.transform.transforms
    assert isinstance(steps[1], RandAugment) and (steps[1].magnitude, steps[1].num_ops) == (7, 4)
    assert isinstance(steps[-1], RandomErasing) and steps[-1].erase_prob == 0.25 and steps[-1].mode == "rand"
    # only the training set repeats
    ds = E.build_datasets(exp)
    assert isinstance(ds.train[0], RepeatedSamples) and len(ds.train[0]) == 2
    assert not isinstance(ds.val[0], RepeatedSamples)
    # only mixup: always mixup; nothing: no batch augment, the preset's drop path and loss
    assert E.AugmentConfig(mixup_alpha=0.2).batch_augment(8).probs == pytest.approx([1.0, 0.0])
    plain = E.build_model(_experiment(data, tmp_path, E.AugmentConfig(), preset=VIT), verbose=False)
    assert plain.batch_augment is None and plain.loss.label_smoothing == 0.0
    built = get_model(VIT, num_classes=8)
    assert [type(b.drop_path) for b in plain.backbone.blocks] == [type(b.drop_path) for b in built.backbone.blocks]
    for bad in (dict(num_repeats=0), dict(random_erasing=1.5), dict(rand_augment=(7,)), dict(mixup_alpha=-1)):
        with pytest.raises(ValueError):
            E.AugmentConfig(**bad)


class _Recording:
    """MixUp that keeps the parameters it drew."""

    def __init__(self, alpha: float, num_classes: int) -> None:
        self.mixup = MixUp(alpha, num_classes)
        self.params: list[dict] = []

    def __call__(self, video, labels, *, rng):
        params = self.mixup.make_params(video, rng)
        self.params.append(params)
        return self.mixup.apply(video, labels, params)


def test_forward_train_loss_is_the_mixture_of_the_two_label_losses(data):
    torch.manual_seed(0)
    model = get_model(PRESET, num_classes=8).train()
    rec = _Recording(0.8, 8)
    model.batch_augment = rec
    video = torch.randint(0, 256, (4, 4, 3, 28, 28), dtype=torch.uint8)
    labels = torch.tensor([0, 3, 5, 3])
    out = model.forward_train({"video": video, "label": labels})
    lam, perm = rec.params[0]["lam"], rec.params[0]["perm"]
    assert 0 < lam < 1 and sorted(perm.tolist()) == [0, 1, 2, 3]
    # the same forward on the blended clips, by hand
    mixed = lam * video.float() + (1 - lam) * video.float()[perm]
    logits = model(model.preprocess(mixed), 4)
    expected = lam * F.cross_entropy(logits, labels) + (1 - lam) * F.cross_entropy(logits, labels[perm])
    assert out["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert float(out["top1"]) == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    # the draw comes from torch's generator: the same seed, the same mixing
    torch.manual_seed(5)
    model.forward_train({"video": video, "label": labels})
    torch.manual_seed(5)
    model.forward_train({"video": video, "label": labels})
    assert rec.params[1]["lam"] == rec.params[2]["lam"]
    assert rec.params[1]["perm"].tolist() == rec.params[2]["perm"].tolist()


def test_training_with_the_whole_recipe_runs_and_reloads(data, tmp_path):
    aug = E.AugmentConfig(
        rand_augment=(7, 2), random_erasing=0.5, num_repeats=2, mixup_alpha=0.8, cutmix_alpha=1.0,
        label_smoothing=0.1,
    )  # fmt: skip
    exp = _experiment(data, tmp_path / "run", aug)
    metrics = E.train(exp)
    assert "top1" in metrics
    logs = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    train_rows = [r for r in logs if r["mode"] == "train"]
    assert train_rows and all(np.isfinite(r["loss"]) for r in train_rows)
    # a batch of 4 videos holds 8 clips, each video's two clips next to each other
    ds = E.build_datasets(exp, splits=("train",)).train
    batch = collate_samples([ds[0], ds[1], ds[2], ds[3]])
    assert batch["video"].shape[0] == 8 and batch["index"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # the run folder's config rebuilds the same recipe
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    again = config_from_dict(E.Experiment, saved)
    assert again.augment == aug and again.augment.rand_augment == (7, 2)
