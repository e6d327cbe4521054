"""Activation checkpointing per block (``with_cp``) on every transformer backbone.

On a tiny configuration of each family, in training mode (dropout and drop path on, the same
random draws in both runs), the gradients with ``with_cp=True`` equal those without, and the
forward keeps fewer tensors for the backward (so the blocks were really checkpointed). In
evaluation and under ``no_grad`` the option changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from vidcore.recognition.models.mvit import MViT
from vidcore.recognition.models.swin import SwinTransformer3D
from vidcore.recognition.models.timesformer import TimeSformer
from vidcore.recognition.models.uniformer import UniFormer
from vidcore.recognition.models.uniformerv2 import UniFormerV2
from vidcore.recognition.models.videomae import VideoViT


def _timesformer(kind: str) -> Callable[[bool], nn.Module]:
    return lambda cp: TimeSformer(
        num_frames=4, img_size=32, patch_size=16, attention_type=kind, embed_dim=32, depth=2, num_heads=2,  # type: ignore[arg-type]
        drop_rate=0.1, drop_path_rate=0.2, with_cp=cp,
    )  # fmt: skip


def _uniformerv2(lmhra: bool) -> Callable[[bool], nn.Module]:
    return lambda cp: UniFormerV2(
        input_resolution=48, patch_size=16, width=32, layers=2, heads=2, num_frames=4, return_list=(0, 1),
        n_head=2, mlp_dropout=(0.5, 0.5), backbone_drop_path_rate=0.2, drop_path_rate=0.2, lmhra=lmhra, with_cp=cp,
    )  # fmt: skip


# family -> (builder(with_cp), input (C, T, H, W))
FAMILIES: dict[str, tuple[Callable[[bool], nn.Module], tuple[int, int, int, int]]] = {
    "timesformer:divided_space_time": (_timesformer("divided_space_time"), (3, 4, 32, 32)),
    "timesformer:joint_space_time": (_timesformer("joint_space_time"), (3, 4, 32, 32)),
    "timesformer:space_only": (_timesformer("space_only"), (3, 4, 32, 32)),
    "videomae": (
        lambda cp: VideoViT(img_size=32, patch_size=16, num_frames=4, embed_dim=32, depth=2, num_heads=2,
                            drop_rate=0.1, drop_path_rate=0.2, with_cp=cp),
        (3, 4, 32, 32),
    ),
    "uniformerv2": (_uniformerv2(False), (3, 4, 48, 48)),
    "uniformerv2:lmhra": (_uniformerv2(True), (3, 4, 48, 48)),
    "swin": (
        lambda cp: SwinTransformer3D(16, (1, 2), (1, 2), window_size=(2, 3, 3), drop_path_rate=0.2, with_cp=cp),
        (3, 8, 30, 30),
    ),
    "mvit": (
        lambda cp: MViT(16, 3, 1, (1,), spatial_size=32, temporal_size=8, adaptive_kv_stride=(1, 2, 2),
                        drop_path_rate=0.2, with_cp=cp),
        (3, 8, 32, 32),
    ),
    "uniformer": (
        lambda cp: UniFormer((1, 1, 1, 1), (8, 16, 32, 64), head_dim=16, drop_path_rate=0.2, with_cp=cp),
        (3, 8, 32, 32),
    ),
}


def _scalar(out: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    outs = out if isinstance(out, tuple) else (out,)
    # a loss that weighs every output element differently (a plain sum hides some gradients)
    return sum((o * torch.linspace(-1, 1, o.numel()).reshape(o.shape)).square().sum() for o in outs)  # type: ignore[return-value]


def _train_step(model: nn.Module, x: torch.Tensor) -> int:
    """One forward/backward in training mode with torch's RNG at a fixed state; returns how many
    tensors autograd kept for the backward."""
    saved = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal saved
        saved += 1
        return t

    model.train()
    torch.manual_seed(5)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = _scalar(model(x))
    loss.backward()
    return saved


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_checkpointing_keeps_gradients_and_drops_saved_activations(family: str) -> None:
    build, shape = FAMILIES[family]
    torch.manual_seed(0)
    plain = build(False)
    ckpt = build(True)
    ckpt.load_state_dict(plain.state_dict())
    for m in (plain, ckpt):  # zero-initialised branches (LMHRA, temporal_fc, decoder) would hide gradients
        for name, p in m.named_parameters():
            if p.ndim > 1 and p.abs().sum() == 0:
                nn.init.normal_(p, std=0.05, generator=torch.Generator().manual_seed(len(name)))
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(2))
    saved_plain = _train_step(plain, x)
    saved_ckpt = _train_step(ckpt, x)
    assert saved_ckpt < saved_plain, (saved_ckpt, saved_plain)
    n_grads = 0
    for (name, a), b in zip(plain.named_parameters(), ckpt.parameters(), strict=True):
        assert (a.grad is None) == (b.grad is None), name
        if a.grad is not None:
            torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=1e-5, msg=name)
            n_grads += int(a.grad.abs().sum() > 0)
    assert n_grads > len(list(plain.parameters())) // 2  # most parameters got a real gradient

    # evaluation (and no_grad): the option is not applied, outputs are the same (the state is
    # copied again: a BatchNorm inside a checkpointed block counted its batch twice)
    ckpt.load_state_dict(plain.state_dict())
    plain.eval()
    ckpt.eval()
    with torch.no_grad():
        a, b = plain(x), ckpt(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True):
        torch.testing.assert_close(u, v, atol=0, rtol=0)
