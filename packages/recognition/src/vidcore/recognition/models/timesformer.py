"""TimeSformer (Bertasius et al., "Is Space-Time Attention All You Need for Video Understanding?",
ICML 2021).

A ViT-B/16 on each frame's 16x16 patches with one class token, a learned spatial position table
and a learned per-frame time embedding; its blocks attend in one of three ways:

- ``"divided_space_time"`` (divST, the paper's best): per block, temporal attention among the
  ``T`` tokens at one spatial position (its output through an extra ``temporal_fc``), then
  spatial attention among the patches of one frame (each frame with a copy of the class token,
  whose ``T`` outputs are averaged), then the MLP;
- ``"joint_space_time"``: one attention over all ``1 + T * P`` tokens;
- ``"space_only"``: frames pass through the ViT independently (no time embedding), each with its
  class token; the tokens are averaged over frames before the final norm.

The features are the normed class token. Token layout: ``(N, 1 + P*T, C)`` with patch-major order
(index ``1 + p*T + t``) for the divided and joint variants; ``(N*T, 1 + P, C)`` for space-only.

MMAction2 (``mmaction/models/backbones/timesformer.py``, ``mmaction/models/common/transformer.py``)
builds the blocks from MMCV's ``BaseTransformerLayer`` with ``nn.MultiheadAttention``; here they
are plain modules on SDPA with the same fused ``[q | k | v]`` projection, so the weights map one
to one (:func:`convert_mmaction_timesformer`). Parameters with 400 classes (MMAction2's, measured):
divST 121,566,352 (121.57M), jointST 86,112,400, spaceOnly 86,106,256.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.layers import (
    DropPath,
    Mlp,
    MultiheadSelfAttention,
    TransformerBlock,
    drop_path_rates,
    trunc_normal_,
)

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import convert_mmaction_recognizer
from .transformer_common import (
    CHUNK_BYTES,
    attend,
    inference_fast_path,
    maybe_checkpoint,
    mlp_residual_inference,
)

__all__ = ["DividedSpaceTimeBlock", "TimeSformer", "class_token_block", "convert_mmaction_timesformer",
           "timesformer_backbone", "timesformer_recognizer"]

AttentionType = Literal["divided_space_time", "joint_space_time", "space_only"]


class DividedSpaceTimeBlock(nn.Module):
    """Temporal attention, spatial attention, MLP, each pre-normed and residual.

    Args:
        dim, num_heads: token width and heads.
        num_frames: ``T`` (tokens are ``(N, 1 + P*T, C)`` in patch-major order).
        mlp_ratio: MLP expansion.
        drop_path: stochastic depth of the three residual branches.
        norm_eps: LayerNorm epsilon.

    Submodules: ``temporal_norm``, ``temporal_attn``, ``temporal_fc`` (zero-initialised, so a new
    block starts as a spatial-only one), ``norm1``/``attn`` (spatial), ``norm2``/``mlp``.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        num_frames: int,
        *,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
        norm_eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.num_frames = num_frames
        self.temporal_norm = nn.LayerNorm(dim, eps=norm_eps)
        self.temporal_attn = MultiheadSelfAttention(dim, num_heads, qkv_bias=True)
        self.temporal_fc = nn.Linear(dim, dim)
        nn.init.zeros_(self.temporal_fc.weight)
        nn.init.zeros_(self.temporal_fc.bias)
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = MultiheadSelfAttention(dim, num_heads, qkv_bias=True)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self._temporal_out: tuple[tuple[tuple[int, int, int], ...], Tensor, Tensor] | None = None

    def _temporal_out_linear(self) -> tuple[Tensor, Tensor]:
        """``temporal_fc(temporal_attn.proj(.))`` as one linear map ``(W_fc W_proj, W_fc b_proj +
        b_fc)`` (the same affine map; an inference rewrite: one 768x768 GEMM per block less). Kept
        until one of the four tensors is replaced, moved or changed in place (its version counter),
        or :meth:`train` / ``eval()`` is called (which also covers writes through ``.data``)."""
        fc, proj = self.temporal_fc, self.temporal_attn.proj
        params = (fc.weight, fc.bias, proj.weight, proj.bias)
        key = tuple((id(t), t.data_ptr(), t._version) for t in params)
        if self._temporal_out is None or self._temporal_out[0] != key:
            with torch.inference_mode(False), torch.no_grad():  # plain tensors, usable in any mode
                weight = fc.weight @ proj.weight
                bias = torch.addmv(fc.bias, fc.weight, proj.bias)
            self._temporal_out = (key, weight, bias)
        return self._temporal_out[1], self._temporal_out[2]

    def train(self, mode: bool = True) -> DividedSpaceTimeBlock:
        self._temporal_out = None  # recomputed at the next inference call
        return super().train(mode)

    def _temporal_inference(self, patches: Tensor) -> Tensor:
        """``patches + temporal_fc(temporal_attn(temporal_norm(.)))`` on ``(N, P*T, C)`` patches at
        inference, through :meth:`_temporal_out_linear` (the residual and bias added by ``addmm_``),
        in groups of positions whose ``qkv`` output fits ``CHUNK_BYTES`` (the attention of one
        position reads only its own ``T`` tokens)."""
        n, length, c = patches.shape
        t = self.num_frames
        attn = self.temporal_attn
        heads = attn.num_heads
        weight, bias = self._temporal_out_linear()
        out = (patches + bias).reshape(-1, c)  # (N*P*T, C)
        xt = patches.reshape(-1, t, c)  # (N*P, T, C)
        # positions in groups whose qkv output fits CHUNK_BYTES (in cache)
        per = max(1, CHUNK_BYTES // (t * 3 * c * patches.element_size()))
        for start in range(0, xt.shape[0], per):
            h = self.temporal_norm(xt[start : start + per])
            q, k, v = attn.qkv(h).reshape(-1, t, 3, heads, c // heads).permute(2, 0, 3, 1, 4).unbind(0)
            y = F.scaled_dot_product_attention(q, k, v, scale=attn.scale)  # (positions, heads, T, d)
            out[start * t : (start + per) * t].addmm_(y.transpose(1, 2).reshape(-1, c), weight.t())
        return out.reshape(n, length, c)

    def forward(self, x: Tensor, cls_only: bool = False) -> Tensor:
        """``(N, 1 + P*T, C)`` -> same; with ``cls_only`` only the class token ``(N, 1, C)``
        (the spatial queries and the MLP then run on the class token alone: the backbone's last
        block, whose patch outputs nothing reads)."""
        n, length, c = x.shape
        t = self.num_frames
        p = (length - 1) // t
        cls, patches = x[:, :1], x[:, 1:]
        fast = inference_fast_path(self)
        # temporal: (N, P*T, C) -> (N*P, T, C), the T tokens of one position attend to each other
        if fast and self.temporal_attn.q_bias is None and self.temporal_attn.qkv.bias is not None:
            patches = self._temporal_inference(patches)
        else:
            xt = patches.reshape(n * p, t, c)
            res = self.temporal_fc(self.drop_path(self.temporal_attn(self.temporal_norm(xt))))
            patches = patches + res.reshape(n, p * t, c)
        # spatial: (N, P*T, C) -> (N*T, P, C), each frame with its copy of the class token
        xs = patches.reshape(n, p, t, c).transpose(1, 2).reshape(n * t, p, c)
        xs = torch.cat((cls.expand(n, t, c).reshape(n * t, 1, c), xs), dim=1)  # (N*T, 1+P, C)
        xs = self.norm1(xs)
        if cls_only:
            res_cls = self.drop_path(attend(self.attn, xs[:, :1], xs))  # (N*T, 1, C)
            cls = cls + res_cls.reshape(n, t, c).mean(dim=1, keepdim=True)  # mean over frames
            return cls + self.drop_path(self.mlp(self.norm2(cls)))
        if fast:  # frames in groups whose qkv output fits CHUNK_BYTES (in cache)
            per = max(1, CHUNK_BYTES // (xs.shape[1] * 3 * c * xs.element_size()))
            res = torch.cat([self.attn(xs[i : i + per]) for i in range(0, n * t, per)]) if per < n * t else self.attn(xs)
        else:
            res = self.drop_path(self.attn(xs))
        res_cls = res[:, 0].reshape(n, t, c).mean(dim=1, keepdim=True)  # (N, 1, C): mean over frames
        res_patches = res[:, 1:].reshape(n, t, p, c).transpose(1, 2).reshape(n, p * t, c)
        x = torch.cat((cls, patches), dim=1) + torch.cat((res_cls, res_patches), dim=1)
        if fast:
            return mlp_residual_inference(x, self.norm2, self.mlp)
        return x + self.drop_path(self.mlp(self.norm2(x)))


def class_token_block(block: TransformerBlock, x: Tensor) -> Tensor:
    """The class token's output ``(N, 1, C)`` of a pre-norm ``block`` on ``x`` ``(N, L, C)`` (class
    token first): its query attends over every token, the MLP runs on it alone (equal to
    ``block(x)[:, :1]`` without computing the other rows)."""
    h = block.norm1(x)
    y = attend(block.attn, h[:, :1], h)
    cls = x[:, :1] + block.drop_path(y if block.gamma_1 is None else block.gamma_1 * y)
    return cls + block.mlp_branch(cls)


class TimeSformer(nn.Module):
    """The TimeSformer backbone.

    Args:
        num_frames: ``T`` (fixed: the time embedding has ``T`` rows).
        img_size: frame side (fixed: the spatial table has ``(img_size / patch_size)^2 + 1`` rows).
        patch_size: patch side.
        attention_type: see the module docstring.
        embed_dim, depth, num_heads, mlp_ratio: ViT-B: 768, 12, 12, 4.
        in_channels: input channels.
        drop_rate: dropout after adding the position / time embeddings.
        drop_path_rate: stochastic depth, rising linearly to this value (MMAction2: 0.1).
        norm_eps: LayerNorm epsilon (1e-6).
        with_cp: activation checkpointing per block while training (:func:`maybe_checkpoint`).

    Input ``(N, C, T, H, W)``; output ``(N, embed_dim)`` (the normed class token). Only the class
    token's row of the last block is computed (nothing reads the patch rows): the same output as
    MMAction2's full block, with less work.
    """

    def __init__(
        self,
        *,
        num_frames: int = 8,
        img_size: int = 224,
        patch_size: int = 16,
        attention_type: AttentionType = "divided_space_time",
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        in_channels: int = 3,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        norm_eps: float = 1e-6,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.with_cp = with_cp
        if attention_type not in ("divided_space_time", "joint_space_time", "space_only"):
            raise ValueError(
                f"attention_type must be divided_space_time, joint_space_time or space_only, got {attention_type!r}"
            )
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} is not a multiple of patch_size {patch_size}")
        self.attention_type: AttentionType = attention_type
        self.num_frames = num_frames
        self.img_size = img_size
        self.feat_dim = embed_dim
        num_patches = (img_size // patch_size) ** 2
        self.patch_embed = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        self.time_embed: nn.Parameter | None = None
        if attention_type != "space_only":
            self.time_embed = nn.Parameter(torch.zeros(1, num_frames, embed_dim))
        self.time_drop = nn.Dropout(drop_rate)
        rates = drop_path_rates(drop_path_rate, depth)
        blocks: list[nn.Module]
        if attention_type == "divided_space_time":
            blocks = [
                DividedSpaceTimeBlock(
                    embed_dim, num_heads, num_frames, mlp_ratio=mlp_ratio, drop_path=r, norm_eps=norm_eps
                )
                for r in rates
            ]
        else:
            norm = partial(nn.LayerNorm, eps=norm_eps)
            blocks = [
                TransformerBlock(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=True, drop_path=r, norm_layer=norm)
                for r in rates
            ]
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        nn.init.kaiming_normal_(self.patch_embed.weight, mode="fan_in", nonlinearity="linear")
        nn.init.zeros_(self.patch_embed.bias)  # type: ignore[arg-type]
        trunc_normal_(self.pos_embed, std=0.02)
        trunc_normal_(self.cls_token, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, T, H, W)`` -> ``(N, embed_dim)``."""
        n, _, t, h, w = x.shape
        if t != self.num_frames or h != self.img_size or w != self.img_size:
            raise ValueError(
                f"this TimeSformer takes clips of {self.num_frames} frames of {self.img_size}x{self.img_size}, "
                f"got input {tuple(x.shape)} (expected (N, C, T, H, W))"
            )
        x = x.transpose(1, 2).reshape(n * t, *x.shape[1:2], h, w)  # (N, C, T, H, W) -> (N*T, C, H, W)
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # (N*T, P, C)
        c = x.shape[-1]
        p = x.shape[1]
        x = torch.cat((self.cls_token.expand(n * t, 1, c), x), dim=1)  # (N*T, 1+P, C)
        x = self.pos_drop(x + self.pos_embed)
        if self.time_embed is not None:
            cls = x[:n, :1]  # the class token (identical in every row)
            # (N*T, P, C) -> (N, P, T, C): add the time embedding, then patch-major tokens (N, P*T, C)
            patches = x[:, 1:].reshape(n, t, p, c).transpose(1, 2)
            patches = self.time_drop(patches + self.time_embed.unsqueeze(1))
            x = torch.cat((cls, patches.reshape(n, p * t, c)), dim=1)  # (N, 1+P*T, C)
        cp = self.with_cp and self.training
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            if i < last:
                x = maybe_checkpoint(block, x, enabled=cp)
            elif isinstance(block, DividedSpaceTimeBlock):
                x = maybe_checkpoint(block, x, True, enabled=cp)  # (N, 1, C): the class token only
            else:
                x = maybe_checkpoint(class_token_block, block, x, enabled=cp)  # (N or N*T, 1, C)
        if self.time_embed is None:
            x = x.reshape(n, t, 1, c).mean(dim=1)  # space-only: (N*T, 1, C) -> (N, 1, C), mean over frames
        return self.norm(x)[:, 0]


def timesformer_backbone(
    attention_type: AttentionType, *, num_frames: int = 8, img_size: int = 224, with_cp: bool = False
) -> TimeSformer:
    """ViT-B/16 TimeSformer as MMAction2's configs build it (drop path rising to 0.1); ``with_cp``:
    activation checkpointing per block while training."""
    return TimeSformer(num_frames=num_frames, img_size=img_size, attention_type=attention_type, with_cp=with_cp)


# -- conversion ------------------------------------------------------------------------------------

_LAYER = re.compile(r"^backbone\.transformer_layers\.layers\.(\d+)\.(.*)$")
_DIVIDED = {
    "attentions.0.norm.": "temporal_norm.",
    "attentions.0.attn.": "temporal_attn.",
    "attentions.0.temporal_fc.": "temporal_fc.",
    "attentions.1.norm.": "norm1.",
    "attentions.1.attn.": "attn.",
    "ffns.0.norm.": "norm2.",
    "ffns.0.layers.0.0.": "mlp.fc1.",
    "ffns.0.layers.1.": "mlp.fc2.",
}
_PRENORM = {
    "norms.0.": "norm1.",
    "attentions.0.attn.": "attn.",
    "norms.1.": "norm2.",
    "ffns.0.layers.0.0.": "mlp.fc1.",
    "ffns.0.layers.1.": "mlp.fc2.",
}
_ATTN = {"in_proj_weight": "qkv.weight", "in_proj_bias": "qkv.bias", "out_proj.weight": "proj.weight",
         "out_proj.bias": "proj.bias"}  # fmt: skip


def convert_mmaction_timesformer(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 TimeSformer recognizer state dict -> ours.

    ``transformer_layers.layers.i.`` -> ``blocks.i.``; in divided blocks ``attentions.0`` (temporal)
    -> ``temporal_norm``/``temporal_attn``/``temporal_fc``, ``attentions.1`` (spatial) ->
    ``norm1``/``attn``, ``ffns.0.norm`` -> ``norm2``; in joint/space-only blocks ``norms.0/1`` ->
    ``norm1/norm2``; ``nn.MultiheadAttention``'s ``in_proj_*``/``out_proj`` -> ``qkv``/``proj``
    (same ``[q | k | v]`` layout); FFN ``layers.0.0``/``layers.1`` -> ``mlp.fc1``/``mlp.fc2``;
    ``patch_embed.projection`` -> ``patch_embed``; ``cls_head.`` -> ``head.``.
    """
    src = convert_mmaction_recognizer(state_dict)
    divided = any(".temporal_fc." in k for k in src)
    table = _DIVIDED if divided else _PRENORM
    out: dict[str, Tensor] = {}
    for key, value in src.items():
        m = _LAYER.match(key)
        if m:
            index, rest = m.groups()
            for old, new in table.items():
                if rest.startswith(old):
                    rest = new + rest[len(old) :]
                    break
            else:
                raise KeyError(f"unexpected TimeSformer layer key {key}")
            module, _, leaf = rest.partition(".")
            if module in ("attn", "temporal_attn"):
                rest = f"{module}.{_ATTN.get(leaf, leaf)}"
            key = f"backbone.blocks.{index}.{rest}"
        else:
            key = key.replace("backbone.patch_embed.projection.", "backbone.patch_embed.")
        out[key] = value
    return out


# -- presets ---------------------------------------------------------------------------------------

_TIMESFORMER = replace(
    K400_3D,
    clip_len=8,
    frame_interval=32,
    test_num_clips=1,
    test_crops=3,
    test_crop_size=224,
    mean=(127.5, 127.5, 127.5),
    std=(127.5, 127.5, 127.5),
    train_crop="random",
    convert_mmaction=convert_mmaction_timesformer,
    notes="MMAction2 trains on 224 random crops of frames rescaled to a random short side in [256, 320] "
    "(vidcore's 'random' crop uses a fixed 256 short side); tests on 1 clip x 3 crops of 224.",
)


def timesformer_recognizer(
    attention_type: AttentionType, num_classes: int, *, num_frames: int = 8, img_size: int = 224
) -> Recognizer:
    """TimeSformer ViT-B/16 (:func:`timesformer_backbone`) with MMAction2's head (linear ``fc_cls``,
    no dropout) and normalization (mean = std = 127.5): what every preset below builds."""
    backbone = timesformer_backbone(attention_type, num_frames=num_frames, img_size=img_size)
    head = I3DHead(num_classes, backbone.feat_dim, spatial_pool=False, dropout=0.0, init_std=0.02)
    return Recognizer(backbone, head, mean=(127.5,) * 3, std=(127.5,) * 3)


@register_preset(
    replace(_TIMESFORMER, mmaction_config="recognition/timesformer/timesformer_divST_8xb8-8x32x1-15e_kinetics400-rgb.py")
)
def timesformer_divst_8x32x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """TimeSformer with divided space-time attention, 8 frames 32 apart; 121.57M parameters."""
    return timesformer_recognizer("divided_space_time", num_classes)


@register_preset(
    replace(_TIMESFORMER, mmaction_config="recognition/timesformer/timesformer_jointST_8xb8-8x32x1-15e_kinetics400-rgb.py")
)
def timesformer_jointst_8x32x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """TimeSformer with joint space-time attention over all 1 + 8 * 196 tokens."""
    return timesformer_recognizer("joint_space_time", num_classes)


@register_preset(
    replace(
        _TIMESFORMER, mmaction_config="recognition/timesformer/timesformer_spaceOnly_8xb8-8x32x1-15e_kinetics400-rgb.py"
    )
)
def timesformer_spaceonly_8x32x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """TimeSformer with space-only attention (frames averaged after the blocks)."""
    return timesformer_recognizer("space_only", num_classes)
