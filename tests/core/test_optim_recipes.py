"""Fine-tuning recipes of the ViT family in the core optimizer: layer-wise LR decay and no weight
decay on position embeddings / tokens / norms, checked against hand-computed multipliers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vidcore.core.trainer.config import OptimConfig, ScheduleConfig
from vidcore.core.trainer.optim import build_optimizer, build_scheduler, layer_ids, param_groups


class TinyViT(nn.Module):
    def __init__(self, depth: int = 3, dim: int = 4) -> None:
        super().__init__()
        self.patch_embed = nn.Linear(6, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 5, dim))
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim)) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 2)


class Wrapped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = TinyViT()
        self.head = nn.Linear(4, 2)


def _by_param(groups: list[dict]) -> dict[str, tuple[float, float]]:
    return {n: (g["lr"], g["weight_decay"]) for g in groups for n in g["param_names"]}


def test_layer_ids_follow_registration_order() -> None:
    ids, depth = layer_ids(Wrapped())
    assert depth == 3
    assert ids["backbone.patch_embed.weight"] == ids["backbone.pos_embed"] == ids["backbone.cls_token"] == 0
    assert [ids[f"backbone.blocks.{i}.1.weight"] for i in range(3)] == [1, 2, 3]
    assert ids["backbone.norm.weight"] == ids["backbone.head.bias"] == ids["head.weight"] == 4
    with pytest.raises(ValueError, match="layer-wise"):
        layer_ids(nn.Linear(2, 2))


def test_layer_decay_and_no_decay_keys_by_hand() -> None:
    groups = param_groups(
        TinyViT(), lr=1.0, weight_decay=0.05, layer_decay=0.5, no_decay_keys=("pos_embed", "cls_token")
    )
    got = _by_param(groups)
    # L = 3 blocks: embeddings 0.5^4, block i 0.5^(3 - i), norm and head 1
    assert got["patch_embed.weight"] == (0.0625, 0.05)
    assert got["patch_embed.bias"] == (0.0625, 0.0)
    assert got["pos_embed"] == (0.0625, 0.0) and got["cls_token"] == (0.0625, 0.0)
    assert [got[f"blocks.{i}.1.weight"] for i in range(3)] == [(0.125, 0.05), (0.25, 0.05), (0.5, 0.05)]
    assert got["blocks.1.0.weight"] == (0.25, 0.0)  # a LayerNorm scale: no decay
    assert got["norm.weight"] == (1.0, 0.0) and got["head.weight"] == (1.0, 0.05)
    assert sum(len(g["params"]) for g in groups) == len(list(TinyViT().parameters()))


def test_without_the_recipes_position_embeddings_decay() -> None:
    got = _by_param(param_groups(TinyViT(), lr=1.0, weight_decay=0.05))
    assert got["pos_embed"] == (1.0, 0.05) and got["blocks.0.1.weight"] == (1.0, 0.05)


def test_layer_decay_combines_with_lr_mult_and_survives_the_schedule() -> None:
    model = Wrapped()
    cfg = OptimConfig(
        name="adamw", lr=0.1, weight_decay=0.05, lr_mult={"head": 10.0}, layer_decay=0.5,
        no_decay_keys=("pos_embed", "cls_token"),
    )  # fmt: skip
    opt = build_optimizer(model, cfg)
    lrs = _by_param(opt.param_groups)
    assert lrs["head.weight"][0] == pytest.approx(0.1 * 10.0)  # after the blocks: layer L+1, times lr_mult
    assert lrs["backbone.blocks.0.1.weight"][0] == pytest.approx(0.1 * 0.5**3)
    sched = build_scheduler(opt, ScheduleConfig(name="cosine", warmup_iters=0), iters_per_epoch=4, max_epochs=1)
    opt.step()
    sched.step()
    factor = 0.5 * (1 + torch.cos(torch.tensor(torch.pi / 4))).item()
    lrs = _by_param(opt.param_groups)
    assert lrs["backbone.blocks.0.1.weight"][0] == pytest.approx(0.1 * 0.5**3 * factor)
    assert lrs["backbone.pos_embed"][0] == pytest.approx(0.1 * 0.5**4 * factor)
    with pytest.raises(ValueError, match="layer_decay"):
        param_groups(model, lr=0.1, weight_decay=0.0, layer_decay=1.5)


def test_real_vit_groups() -> None:
    """On the VideoMAE ViT the embeddings, 12 blocks and head get 14 distinct learning rates."""
    vit = pytest.importorskip("vidcore.recognition.models.videomae", reason="needs vidcore-recognition")
    with torch.device("meta"):
        model = vit.videomae_vit("small")
    groups = param_groups(model, lr=1.0, weight_decay=0.05, layer_decay=0.75, no_decay_keys=("pos_embed",))
    assert len({round(g["lr"], 12) for g in groups}) == 14
    got = _by_param(groups)
    assert got["patch_embed.weight"][0] == pytest.approx(0.75**13)
    assert got["blocks.11.attn.qkv.weight"][0] == pytest.approx(0.75) and got["fc_norm.weight"] == (1.0, 0.0)
    assert got["blocks.0.attn.q_bias"][1] == 0.0
