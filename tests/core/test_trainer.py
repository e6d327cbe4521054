"""Trainer in one process: schedules, parameter groups, accumulation, logs, resume at an epoch end."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAccuracy, ToyData, ToyNet, collate_with_skips

from vidcore.core.checkpoint import load_checkpoint
from vidcore.core.trainer import (
    OptimConfig,
    ScheduleConfig,
    Trainer,
    TrainerConfig,
    build_optimizer,
    build_scheduler,
    lr_factor,
    param_groups,
)


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _cfg(**kw) -> TrainerConfig:
    base = dict(num_workers=0, device="cpu", progress_bar=False, log_interval=1, seed=3, keep_last=0)
    base.update(kw)
    return TrainerConfig(**base)


def _lrs(sched_cfg: ScheduleConfig, iters_per_epoch: int, max_epochs: int, lr: float = 0.1) -> list[float]:
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = build_scheduler(opt, sched_cfg, iters_per_epoch=iters_per_epoch, max_epochs=max_epochs)
    out = []
    for _ in range(iters_per_epoch * max_epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_warmup_cosine_values():
    # 3 iters/epoch x 4 epochs = 12 iterations; warm-up 4 iterations from 0.1x; cosine over 8.
    cfg = ScheduleConfig(name="cosine", warmup_iters=4, warmup_start_factor=0.1, min_lr_ratio=0.0)
    lrs = _lrs(cfg, 3, 4)
    expected = {
        0: 0.1 * 0.1,
        2: 0.1 * (0.1 + 0.9 * 2 / 4),  # 0.055
        4: 0.1,
        6: 0.1 * 0.5 * (1 + math.cos(math.pi / 4)),  # 0.0853553...
        8: 0.05,
        11: 0.1 * 0.5 * (1 + math.cos(math.pi * 7 / 8)),
    }
    for it, value in expected.items():
        assert lrs[it] == pytest.approx(value, rel=1e-12), it
    # warm-up in epochs: 1 epoch = 3 iterations; with a floor of 10% of the base LR
    lrs = _lrs(
        ScheduleConfig(name="cosine", warmup_epochs=1.0, warmup_start_factor=0.5, min_lr_ratio=0.1), 3, 4
    )
    assert lrs[1] == pytest.approx(0.1 * (0.5 + 0.5 / 3))
    assert lrs[3] == pytest.approx(0.1)
    assert lrs[7] == pytest.approx(0.1 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 4 / 9))))


def test_multistep_and_constant_values():
    cfg = ScheduleConfig(
        name="multistep", milestones=(2, 3), gamma=0.1, warmup_iters=2, warmup_start_factor=0.5
    )
    lrs = _lrs(cfg, 3, 4)  # milestones at iterations 6 and 9
    assert lrs[0] == pytest.approx(0.05) and lrs[1] == pytest.approx(0.075)
    assert lrs[2] == pytest.approx(0.1) and lrs[5] == pytest.approx(0.1)
    assert lrs[6] == pytest.approx(0.01) and lrs[8] == pytest.approx(0.01)
    assert lrs[9] == pytest.approx(0.001) and lrs[11] == pytest.approx(0.001)
    assert _lrs(ScheduleConfig(name="constant"), 2, 2) == [0.1] * 4
    assert (
        lr_factor(ScheduleConfig(name="multistep", milestones=(0.5,)), 1, total_iters=4, iters_per_epoch=2)
        == 0.1
    )


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4))
        self.backbone_extra = nn.Linear(2, 2, bias=False)  # shares the prefix text, not the module
        self.head = nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 2))
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


def test_param_groups_no_decay_and_lr_mult():
    net = _Net()
    groups = param_groups(net, lr=0.1, weight_decay=0.01, lr_mult={"backbone": 0.1})
    by_name = {g["name"]: g for g in groups}
    assert set(by_name) == {"backbone", "backbone/no_decay", "default", "default/no_decay"}
    assert by_name["backbone"]["param_names"] == ["backbone.0.weight"]
    assert sorted(by_name["backbone/no_decay"]["param_names"]) == [
        "backbone.0.bias",
        "backbone.1.bias",
        "backbone.1.weight",
    ]
    assert by_name["default"]["param_names"] == ["backbone_extra.weight", "head.1.weight"]
    assert sorted(by_name["default/no_decay"]["param_names"]) == [
        "head.0.bias",
        "head.0.weight",
        "head.1.bias",
    ]
    assert by_name["backbone"]["lr"] == pytest.approx(0.01) and by_name["default"]["lr"] == 0.1
    assert by_name["backbone/no_decay"]["weight_decay"] == 0.0 and by_name["default"]["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="neck"):
        param_groups(net, lr=0.1, weight_decay=0.0, lr_mult={"neck": 2.0})


def test_no_decay_group_is_really_not_decayed():
    # With zero gradients only weight decay moves a parameter.
    net = _Net()
    before = {k: v.detach().clone() for k, v in net.named_parameters()}
    opt = build_optimizer(net, OptimConfig(name="adamw", lr=0.1, weight_decay=0.5, lr_mult={"head": 2.0}))
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    for name, p in net.named_parameters():
        moved = not torch.equal(before[name], p.detach())
        decayed = name in ("backbone.0.weight", "backbone_extra.weight", "head.1.weight")
        assert moved == decayed, name
    # AdamW decay is p *= 1 - lr * wd, with the group's LR (head: 2x)
    assert torch.allclose(net.head[1].weight, before["head.1.weight"] * (1 - 0.2 * 0.5))


def _train(tmp_path: Path, name: str, **kw) -> tuple[Trainer, dict]:
    data = kw.pop("data", ToyData(16))
    val = kw.pop("val", None)
    collate_fn = kw.pop("collate_fn", None)
    torch.manual_seed(0)
    model = ToyNet(dropout=kw.pop("dropout", 0.0))
    trainer = Trainer(
        model,
        data,
        val,
        cfg=_cfg(**kw),
        evaluator=ToyAccuracy(),
        work_dir=tmp_path / name,
        collate_fn=collate_fn,
    )
    trainer.fit()
    return trainer, {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_accumulation_equals_full_batch_and_plain_sgd(tmp_path):
    optim = OptimConfig(name="sgd", lr=0.2, momentum=0.0, weight_decay=0.0)
    common = dict(
        max_epochs=2,
        optim=optim,
        schedule=ScheduleConfig(name="constant"),
        shuffle=False,
        checkpoint_interval_epochs=0,
    )
    _, full = _train(tmp_path, "full", batch_size=4, **common)
    _, accum = _train(tmp_path, "accum", batch_size=2, accumulate_grad_batches=2, **common)
    # independent reference: a plain loop over the same batches (no shuffling: 0..15 in order)
    torch.manual_seed(0)
    ref = ToyNet()
    data = ToyData(16)
    for _ in range(2):
        for start in range(0, 16, 4):
            loss = F.cross_entropy(ref(data.x[start : start + 4]), data.y[start : start + 4])
            ref.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in ref.parameters():
                    p -= 0.2 * p.grad
    torch.manual_seed(0)
    init = ToyNet().state_dict()
    for k, v in ref.state_dict().items():
        assert not torch.allclose(v, init[k]), k  # training moved every tensor
        assert torch.allclose(full[k], v, atol=1e-6), k
        assert torch.allclose(accum[k], v, atol=1e-6), k


def test_logs_config_best_skipped_and_epoch_resume(tmp_path, capsys):
    kw = dict(
        max_epochs=3,
        batch_size=4,
        dropout=0.3,
        data=ToyData(12, noise=0.1),
        val=ToyData(10, seed=5),
        collate_fn=collate_with_skips,
        best_metric="top1",
        optim=OptimConfig(name="sgd", lr=0.1, momentum=0.9, nesterov=True, clip_grad_norm=0.5),
        schedule=ScheduleConfig(name="cosine", warmup_iters=2),
    )
    trainer, final = _train(tmp_path, "full", **kw)
    out = capsys.readouterr().out
    work = tmp_path / "full"

    records = [json.loads(line) for line in (work / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if r["mode"] == "train"]
    assert [r["iter"] for r in train] == list(range(1, 10))
    assert [r["epoch"] for r in train] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    for r in train:
        assert {"lr", "loss", "acc", "time", "data_time", "grad_norm", "iter_in_epoch"} <= set(r)
        t = r["iter"] - 1
        expected_lr = 0.1 * lr_factor(kw["schedule"], t, total_iters=9, iters_per_epoch=3)
        assert r["lr"] == pytest.approx(expected_lr)
    val = [r for r in records if r["mode"] == "val"]
    assert [r["epoch"] for r in val] == [1, 2, 3]
    skipped = [r for r in records if r["mode"] == "skipped"]
    assert [r["count"] for r in skipped] == [6, 6, 6]  # 6 even indices among 0..11 every epoch
    assert "epoch 1: skipped 6 bad sample(s), e.g. sample" in out

    saved_cfg = json.loads((work / "trainer_config.json").read_text())
    assert saved_cfg == json.loads(json.dumps(dataclasses.asdict(trainer.cfg)))
    best = load_checkpoint(work / "best.pth")
    top1 = [r["top1"] for r in val]
    assert best["checkpointer"]["best_value"] == max(top1)
    assert best["epoch"] == top1.index(max(top1)) + 1

    # resume from the end of epoch 1 in a fresh work dir: bit-identical final weights
    kw["data"], kw["val"] = ToyData(12, noise=0.1), ToyData(10, seed=5)
    resumed, again = _train(tmp_path, "resumed", resume=str(work / "epoch_0001.pth"), **kw)
    assert resumed.global_iter == 9
    for k in final:
        assert torch.equal(final[k], again[k]), k
    resumed_train = [json.loads(x) for x in (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in resumed_train if r["mode"] == "train"] == list(range(4, 10))


def test_bf16_autocast_on_cpu_and_fp16_refused(tmp_path):
    opt = OptimConfig(name="adamw", lr=1e-2, weight_decay=0.05)
    _train(tmp_path, "bf16", max_epochs=1, batch_size=4, precision="bf16", optim=opt)
    losses = [json.loads(x)["loss"] for x in (tmp_path / "bf16" / "log.jsonl").read_text().splitlines()]
    assert len(losses) == 4 and all(math.isfinite(v) for v in losses)
    with pytest.raises(ValueError, match="fp16"):
        _train(tmp_path, "fp16", max_epochs=1, precision="fp16")


def test_bad_model_and_config_errors(tmp_path):
    with pytest.raises(TypeError, match="forward_train"):
        Trainer(nn.Linear(2, 2), ToyData(4), cfg=_cfg(), work_dir=tmp_path)
    with pytest.raises(ValueError, match="not both"):
        TrainerConfig(schedule=ScheduleConfig(warmup_iters=2, warmup_epochs=1.0))
    with pytest.raises(ValueError, match="no training batch"):
        Trainer(ToyNet(), ToyData(3), cfg=_cfg(batch_size=4), work_dir=tmp_path)


class _NoisyData(torch.utils.data.Dataset):
    """Each item draws from NumPy, Python and torch global generators (as augmentations do)."""

    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> dict:
        import random

        import numpy as np

        noise = torch.tensor([np.random.rand(), random.random(), torch.rand(()).item()], dtype=torch.float64)
        return {"x": torch.ones(2), "noise": noise, "index": torch.tensor(i)}


class _Recorder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)
        self.seen: list[torch.Tensor] = []

    def forward_train(self, batch: dict) -> dict[str, torch.Tensor]:
        self.seen.append(batch["noise"])
        return {"loss": self.fc(batch["x"]).pow(2).mean()}

    def forward_eval(self, batch: dict) -> dict[str, torch.Tensor]:
        return {}


def test_dataloader_workers_are_seeded_reproducibly_and_distinctly(tmp_path):
    runs = []
    for name in ("a", "b"):
        model = _Recorder()
        cfg = _cfg(max_epochs=2, batch_size=4, num_workers=2, checkpoint_interval_epochs=0)
        Trainer(model, _NoisyData(), cfg=cfg, work_dir=tmp_path / name).fit()
        runs.append(torch.cat(model.seen))  # (32, 3): 2 epochs x 16 samples
    assert torch.equal(runs[0], runs[1])  # same seed -> same augmentation draws
    for lib in range(3):  # no two workers (or epochs) share a NumPy / Python / torch stream
        assert len(set(runs[0][:, lib].tolist())) == 32, lib


def test_deterministic_flag(tmp_path):
    was = torch.are_deterministic_algorithms_enabled()
    try:
        Trainer(ToyNet(), ToyData(8), cfg=_cfg(deterministic=True, max_epochs=1), work_dir=tmp_path)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(was)
        torch.backends.cudnn.deterministic = False


def test_evaluation_only_trainer(tmp_path):
    torch.manual_seed(0)
    model, val = ToyNet(), ToyData(10, seed=5)
    trainer = Trainer(model, None, val, cfg=_cfg(batch_size=3), evaluator=ToyAccuracy(), work_dir=tmp_path)
    metrics = trainer.evaluate()
    with torch.no_grad():
        expected = (model(val.x).argmax(1) == val.y).float().mean().item()
    assert metrics == {"top1": pytest.approx(expected), "num_skipped": 0}
    assert trainer.evaluator.seen == list(range(10))  # the dataset indices reached the evaluator, in order
    with pytest.raises(ValueError, match="train_dataset"):
        trainer.fit()


def test_tensorboard_is_optional(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.warns(UserWarning, match="tensorboard"):
            _train(tmp_path, "tb", max_epochs=1, batch_size=8, tensorboard=True)
        assert (tmp_path / "tb" / "log.jsonl").is_file()
    else:
        _train(tmp_path, "tb", max_epochs=1, batch_size=8, tensorboard=True)
        assert list((tmp_path / "tb" / "tensorboard").glob("events.out.tfevents.*"))


def test_gradient_clipping_matches_hand_clipped_step(tmp_path):
    optim = OptimConfig(name="sgd", lr=0.5, momentum=0.0, weight_decay=0.0, clip_grad_norm=0.01)
    _, got = _train(
        tmp_path,
        "clip",
        max_epochs=1,
        batch_size=4,
        data=ToyData(4),
        optim=optim,
        schedule=ScheduleConfig(name="constant"),
        checkpoint_interval_epochs=0,
    )
    torch.manual_seed(0)
    ref, data = ToyNet(), ToyData(4)
    F.cross_entropy(ref(data.x), data.y).backward()
    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in ref.parameters()))
    assert norm > 0.1  # so the clip is active
    with torch.no_grad():
        for p in ref.parameters():
            p -= 0.5 * p.grad * (0.01 / norm)
    log = json.loads((tmp_path / "clip" / "log.jsonl").read_text().splitlines()[0])
    assert log["grad_norm"] == pytest.approx(norm.item(), rel=1e-5)
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(got[k], v, rtol=1e-5, atol=1e-7, msg=k)
