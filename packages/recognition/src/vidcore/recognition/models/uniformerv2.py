"""UniFormerV2 (Li et al., "UniFormerV2: Spatiotemporal Learning by Arming Image ViTs with Video
UniFormer", ICCV 2023).

A CLIP ViT (ViT-B/16 or ViT-L/14, QuickGELU MLPs, LayerNorm eps 1e-5, a pre-norm ``ln_pre``)
runs on every frame: its **local UniBlocks** are CLIP's residual attention blocks, optionally with
local multi-head relation aggregators (LMHRA: BatchNorm, 1x1x1 reduce, depthwise 3x1x1 temporal
conv, 1x1x1 expand) before the attention and before the MLP. The **global UniBlocks** are a query
decoder: a learned video token attends (cross-attention) to all ``T * (1 + h*w)`` tokens of the
last ``n_layers`` local blocks, each first enriched by a depthwise 3x3x3 dynamic position
encoding (``dpe``). The output mixes the decoded token with the mean over frames of the CLIP class
token through a learned sigmoid gate (``balance``), then a LayerNorm.

MMAction2's configs (``mmaction/models/backbones/uniformerv2.py``) all set ``no_lmhra=True``, so
their local blocks are plain CLIP blocks; the LMHRA path is built here too (``lmhra=True``).
MMAction2 keeps CLIP's sequence-first layout ``(L, N*T, C)`` and ``nn.MultiheadAttention``; here
tokens are batch-first ``(N*T, L, C)`` on SDPA with the same fused ``[q | k | v]`` weights, and
the global blocks compute their cross-attention with SDPA where MMAction2 writes out
``softmax(q kᵀ / √d) v`` (the same function; float32 differences ~1e-6). Parameters with 400
classes (MMAction2's, measured): B/16 114,552,208; L/14 at 224 354,099,600, at 336 354,427,280.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from vidcore.core.layers import DropPath, Mlp, MultiheadSelfAttention, TransformerBlock, drop_path_rates

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import convert_mmaction_recognizer
from .transformer_common import attend, maybe_checkpoint

__all__ = [
    "CrossAttention",
    "GlobalUniBlock",
    "LocalMHRA",
    "LocalUniBlock",
    "QuickGELU",
    "QuickGELUMlp",
    "UniFormerV2",
    "convert_mmaction_uniformerv2",
    "uniformerv2_backbone",
    "uniformerv2_recognizer",
]


class QuickGELU(nn.Module):
    """CLIP's ``x * sigmoid(1.702 x)`` (as :class:`vidcore.core.layers.QuickGELU`, bit for bit).

    Without autograd recording it runs in one output buffer (scale, sigmoid and product in
    place) instead of three fresh tensors of the MLP's hidden size, the widest activation of the
    model; with autograd it is the plain out-of-place expression."""

    def forward(self, x: Tensor) -> Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return x * torch.sigmoid(1.702 * x)
        y = torch.mul(x, 1.702)
        return y.sigmoid_().mul_(x)


_QUICK = 1.702


class QuickGELUMlp(Mlp):
    """CLIP's MLP, ``fc2(QuickGELU(fc1(x)))`` with the dropouts of :class:`~vidcore.core.layers.Mlp`.

    Without autograd and in eval mode it uses ``QuickGELU(y) = silu(1.702 y) / 1.702``: the 1.702
    goes into ``fc1``'s matrix multiply (its ``alpha``/``beta``), one in-place SiLU replaces the
    scale, sigmoid and product, and the ``1 / 1.702`` goes into ``fc2``'s multiply. Same function
    (rounding differs in the last bits); one pass over the widest activation instead of three.
    Training and any autograd use the plain expression.
    """

    def __init__(self, dim: int, hidden: int, *, drop: float = 0.0, out_drop: float | None = None) -> None:
        super().__init__(dim, hidden, act="quick_gelu", drop=drop, out_drop=out_drop)
        self.act = QuickGELU()

    def forward(self, x: Tensor) -> Tensor:
        if self.training or (torch.is_grad_enabled() and (x.requires_grad or self.fc1.weight.requires_grad)):
            return super().forward(x)
        if self.fc1.bias is None or self.fc2.bias is None:
            return super().forward(x)
        lead = x.shape[:-1]
        h = torch.addmm(self.fc1.bias, x.reshape(-1, x.shape[-1]), self.fc1.weight.t(), beta=_QUICK, alpha=_QUICK)
        nn.functional.silu(h, inplace=True)
        out = torch.addmm(self.fc2.bias, h, self.fc2.weight.t(), alpha=1.0 / _QUICK)
        return out.reshape(*lead, out.shape[-1])


class LocalMHRA(nn.Module):
    """Local relation aggregator: ``bn -> reduce (1x1x1) -> temporal (depthwise k x1x1) -> expand
    (1x1x1)`` on ``(N, C, T, H, W)``; the reduced width is ``int(C // dw_reduction)``.

    ``expand`` starts at zero, so a new aggregator adds nothing (as MMAction2 initialises it).
    """

    def __init__(self, dim: int, *, dw_reduction: float = 1.5, kernel_size: int = 3) -> None:
        super().__init__()
        inner = int(dim // dw_reduction)
        self.bn = nn.BatchNorm3d(dim)
        self.reduce = nn.Conv3d(dim, inner, 1)
        self.temporal = nn.Conv3d(inner, inner, (kernel_size, 1, 1), padding=(kernel_size // 2, 0, 0), groups=inner)
        self.expand = nn.Conv3d(inner, dim, 1)
        nn.init.zeros_(self.expand.weight)
        nn.init.zeros_(self.expand.bias)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        return self.expand(self.temporal(self.reduce(self.bn(x))))


class LocalUniBlock(TransformerBlock):
    """A CLIP residual attention block over the tokens of each frame ``(N*T, 1 + h*w, C)``, with
    optional LMHRA on the patch tokens before the attention (``lmhra1``) and, with
    ``double_lmhra``, before the MLP (``lmhra2``).

    Args:
        dim, num_heads: width and heads.
        num_frames: ``T``, to regroup frames for the temporal convolutions.
        drop_path: stochastic depth of every residual branch.
        lmhra, double_lmhra, dw_reduction: the aggregators (off in MMAction2's configs).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        num_frames: int,
        *,
        drop_path: float = 0.0,
        lmhra: bool = False,
        double_lmhra: bool = True,
        dw_reduction: float = 1.5,
    ) -> None:
        super().__init__(dim, num_heads, qkv_bias=True, drop_path=drop_path, act="quick_gelu")
        self.mlp = QuickGELUMlp(dim, self.mlp.fc1.out_features)
        self.num_frames = num_frames
        self.lmhra1 = LocalMHRA(dim, dw_reduction=dw_reduction) if lmhra else None
        self.lmhra2 = LocalMHRA(dim, dw_reduction=dw_reduction) if lmhra and double_lmhra else None

    def _aggregate(self, x: Tensor, mhra: LocalMHRA) -> Tensor:
        nt, length, c = x.shape
        t = self.num_frames
        n = nt // t
        side = round((length - 1) ** 0.5)
        # (N*T, 1+H*W, C) patches -> (N, C, T, H, W)
        p = x[:, 1:].reshape(n, t, side, side, c).permute(0, 4, 1, 2, 3)
        p = p + self.drop_path(mhra(p))
        p = p.permute(0, 2, 3, 4, 1).reshape(nt, length - 1, c)  # back to (N*T, H*W, C)
        return torch.cat((x[:, :1], p), dim=1)

    def forward(self, x: Tensor) -> Tensor:
        if self.lmhra1 is not None:
            x = self._aggregate(x, self.lmhra1)
        x = x + self.attention_branch(x)
        if self.lmhra2 is not None:
            x = self._aggregate(x, self.lmhra2)
        return x + self.mlp_branch(x)


class CrossAttention(MultiheadSelfAttention):
    """Queries from ``x`` ``(N, Lq, C)``, keys and values from ``context`` ``(N, Lk, C)``, with
    the rows of one fused ``[q | k | v]`` projection (``nn.MultiheadAttention``'s layout)."""

    def forward(self, x: Tensor, context: Tensor) -> Tensor:  # type: ignore[override]
        return attend(self, x, context)


class GlobalUniBlock(nn.Module):
    """The query decoder block: ``x + attn(norm1(x), norm_kv(tokens))``, then ``x + mlp(norm2(x))``.

    Args:
        dim, num_heads: width and heads.
        mlp_ratio: MLP expansion.
        mlp_dropout: dropout on the MLP's hidden activations (0.5 in MMAction2's configs).
        drop_path: stochastic depth.

    ``x``: the video query ``(N, 1, C)``; ``tokens``: ``(N, T*(1+h*w), C)``. MMAction2 names:
    ``ln_1``/``ln_3``/``ln_2`` = ``norm1``/``norm_kv``/``norm2``.
    """

    def __init__(
        self, dim: int, num_heads: int, *, mlp_ratio: float = 4.0, mlp_dropout: float = 0.5, drop_path: float = 0.0
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.attn = CrossAttention(dim, num_heads, qkv_bias=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = QuickGELUMlp(dim, round(mlp_ratio * dim), drop=mlp_dropout, out_drop=0.0)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        nn.init.xavier_uniform_(self.attn.qkv.weight)
        nn.init.zeros_(self.attn.proj.weight)
        nn.init.zeros_(self.attn.proj.bias)
        nn.init.xavier_uniform_(self.mlp.fc1.weight)
        nn.init.zeros_(self.mlp.fc2.weight)
        nn.init.zeros_(self.mlp.fc2.bias)

    def forward(self, x: Tensor, tokens: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), self.norm_kv(tokens)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class UniFormerV2(nn.Module):
    """The UniFormerV2 backbone.

    Args:
        input_resolution: frame side (fixed: the CLIP position table has ``(side/patch)^2 + 1`` rows).
        patch_size: 16 (ViT-B/16) or 14 (ViT-L/14).
        width, layers, heads: the CLIP ViT (768, 12, 12 or 1024, 24, 16).
        num_frames: ``T`` of the input clip.
        temporal_downsample: a ``kernel_size x p x p`` stem with temporal stride 2 (``T/2`` token frames).
        kernel_size: temporal size of that stem.
        backbone_drop_path_rate: stochastic depth of the local blocks (rising linearly).
        lmhra, double_lmhra, dw_reduction: local aggregators (off in MMAction2's configs).
        return_list: indices of the local blocks whose tokens feed the global blocks.
        n_dim, n_head, mlp_factor: global blocks' width (= ``width``), heads, MLP expansion.
        drop_path_rate: stochastic depth of the global blocks.
        mlp_dropout: per global block, dropout of its MLP's hidden activations.
        with_cp: activation checkpointing per local and global block while training
            (:func:`maybe_checkpoint`).

    Input ``(N, 3, T, H, W)``; output ``(N, width)``.
    """

    def __init__(
        self,
        *,
        input_resolution: int = 224,
        patch_size: int = 16,
        width: int = 768,
        layers: int = 12,
        heads: int = 12,
        num_frames: int = 8,
        temporal_downsample: bool = False,
        kernel_size: int = 3,
        backbone_drop_path_rate: float = 0.0,
        lmhra: bool = False,
        double_lmhra: bool = True,
        dw_reduction: float = 1.5,
        return_list: Sequence[int] = (8, 9, 10, 11),
        n_dim: int | None = None,
        n_head: int = 12,
        mlp_factor: float = 4.0,
        drop_path_rate: float = 0.0,
        mlp_dropout: Sequence[float] = (0.5, 0.5, 0.5, 0.5),
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.with_cp = with_cp
        n_dim = width if n_dim is None else n_dim
        if n_dim != width:
            raise ValueError(f"the global blocks read the local tokens: n_dim {n_dim} must equal width {width}")
        if len(mlp_dropout) != len(return_list) or sorted(set(return_list)) != list(return_list):
            raise ValueError(
                f"return_list {tuple(return_list)} must be increasing, one mlp_dropout each (got {tuple(mlp_dropout)})"
            )
        if any(not 0 <= i < layers for i in return_list):
            raise ValueError(f"return_list {tuple(return_list)} names blocks outside 0..{layers - 1}")
        if input_resolution % patch_size:
            raise ValueError(f"input_resolution {input_resolution} is not a multiple of patch_size {patch_size}")
        self.input_resolution = input_resolution
        self.num_frames = num_frames
        self.token_frames = num_frames // 2 if temporal_downsample else num_frames
        self.return_list = tuple(return_list)
        self.feat_dim = width
        if temporal_downsample:
            pad = (kernel_size - 1) // 2
            self.conv1 = nn.Conv3d(
                3, width, (kernel_size, patch_size, patch_size), (2, patch_size, patch_size), (pad, 0, 0), bias=False
            )
        else:
            self.conv1 = nn.Conv3d(3, width, (1, patch_size, patch_size), (1, patch_size, patch_size), bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.ModuleList(
            LocalUniBlock(
                width, heads, self.token_frames, drop_path=r, lmhra=lmhra, double_lmhra=double_lmhra,
                dw_reduction=dw_reduction,
            )
            for r in drop_path_rates(backbone_drop_path_rate, layers)
        )  # fmt: skip
        self.temporal_cls_token = nn.Parameter(torch.zeros(1, 1, n_dim))
        self.dpe = nn.ModuleList(nn.Conv3d(n_dim, n_dim, 3, padding=1, groups=n_dim) for _ in return_list)
        for conv in self.dpe:
            nn.init.zeros_(conv.bias)  # type: ignore[arg-type]
        self.dec = nn.ModuleList(
            GlobalUniBlock(n_dim, n_head, mlp_ratio=mlp_factor, mlp_dropout=d, drop_path=r)
            for d, r in zip(mlp_dropout, drop_path_rates(drop_path_rate, len(return_list)), strict=True)
        )
        self.norm = nn.LayerNorm(n_dim)
        self.balance = nn.Parameter(torch.zeros(n_dim))

    def forward(self, x: Tensor) -> Tensor:
        """``(N, 3, T, H, W)`` -> ``(N, width)``."""
        if x.shape[2] != self.num_frames or x.shape[3] != self.input_resolution or x.shape[4] != self.input_resolution:
            raise ValueError(
                f"this UniFormerV2 takes clips of {self.num_frames} frames of {self.input_resolution}x"
                f"{self.input_resolution}, got input {tuple(x.shape)} (expected (N, C, T, H, W))"
            )
        x = self.conv1(x)  # (N, C, T', h, w)
        n, c, t, h, w = x.shape
        x = x.permute(0, 2, 3, 4, 1).reshape(n * t, h * w, c)  # (N, C, T', h, w) -> (N*T', h*w, C)
        cls = self.class_embedding.to(x.dtype).expand(n * t, 1, c)
        x = torch.cat((cls, x), dim=1) + self.positional_embedding.to(x.dtype)  # (N*T', 1+h*w, C)
        x = self.ln_pre(x)
        length = h * w + 1
        query = self.temporal_cls_token.expand(n, 1, c)
        cp = self.with_cp and self.training
        j = 0
        for i, block in enumerate(self.blocks):
            x = maybe_checkpoint(block, x, enabled=cp)
            if j < len(self.return_list) and i == self.return_list[j]:
                tokens = x.reshape(n, t, length, c)
                # patch tokens (N, T', h*w, C) -> (N, C, T', h, w) for the depthwise 3x3x3 encoding
                feats = tokens[:, :, 1:].permute(0, 3, 1, 2).reshape(n, c, t, h, w)
                pos = self.dpe[j](feats).flatten(3).permute(0, 2, 3, 1)  # -> (N, T', h*w, C)
                tokens = torch.cat((tokens[:, :, :1], tokens[:, :, 1:] + pos), dim=2)
                query = maybe_checkpoint(self.dec[j], query, tokens.reshape(n, t * length, c), enabled=cp)
                j += 1
        gate = torch.sigmoid(self.balance)
        frame_cls = x.reshape(n, t, length, c)[:, :, 0].mean(dim=1)  # (N, C): CLIP class token over frames
        return self.norm((1 - gate) * query[:, 0] + gate * frame_cls)


def uniformerv2_backbone(
    size: str, *, input_resolution: int = 224, num_frames: int = 8, with_cp: bool = False
) -> UniFormerV2:
    """UniFormerV2-B/16 (``"base"``: CLIP ViT-B/16, global blocks on blocks 8-11) or -L/14
    (``"large"``: CLIP ViT-L/14, blocks 20-23), as MMAction2's configs; ``with_cp``: activation
    checkpointing per block while training."""
    if size == "base":
        return UniFormerV2(
            input_resolution=input_resolution, patch_size=16, width=768, layers=12, heads=12, num_frames=num_frames,
            return_list=(8, 9, 10, 11), n_head=12, with_cp=with_cp,
        )  # fmt: skip
    if size == "large":
        return UniFormerV2(
            input_resolution=input_resolution, patch_size=14, width=1024, layers=24, heads=16, num_frames=num_frames,
            return_list=(20, 21, 22, 23), n_head=16, with_cp=with_cp,
        )  # fmt: skip
    raise ValueError(f"unknown UniFormerV2 size {size!r}; expected 'base' or 'large'")


# -- conversion ------------------------------------------------------------------------------------

_BLOCK = re.compile(r"^backbone\.transformer\.resblocks\.(\d+)\.(.*)$")
_DEC = re.compile(r"^backbone\.transformer\.dec\.(\d+)\.(.*)$")
_COMMON = {
    "ln_1.": "norm1.", "ln_2.": "norm2.", "mlp.c_fc.": "mlp.fc1.", "mlp.c_proj.": "mlp.fc2.",
    "attn.in_proj_weight": "attn.qkv.weight", "attn.in_proj_bias": "attn.qkv.bias", "attn.out_proj.": "attn.proj.",
}  # fmt: skip
_LMHRA = {"pos_embed.0.": "bn.", "pos_embed.1.": "reduce.", "pos_embed.2.": "temporal.", "pos_embed.3.": "expand."}


def _rename(rest: str, table: Mapping[str, str]) -> str:
    for old, new in table.items():
        if rest.startswith(old):
            return new + rest[len(old) :]
    return rest


def convert_mmaction_uniformerv2(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 UniFormerV2 recognizer state dict -> ours.

    ``transformer.resblocks.i.`` -> ``blocks.i.`` (``ln_1/ln_2`` -> ``norm1/norm2``, ``mlp.c_fc/c_proj``
    -> ``mlp.fc1/fc2``, ``attn.in_proj_*``/``out_proj`` -> ``attn.qkv``/``attn.proj``,
    ``lmhraK.pos_embed.0-3`` -> ``lmhraK.bn/reduce/temporal/expand``); ``transformer.dec.j.`` ->
    ``dec.j.`` (same, and ``ln_3`` -> ``norm_kv``); ``transformer.{dpe,temporal_cls_token,norm,balance}``
    -> top level; ``cls_head.`` -> ``head.``.
    """
    out: dict[str, Tensor] = {}
    for key, value in convert_mmaction_recognizer(state_dict).items():
        if m := _BLOCK.match(key):
            index, rest = m.groups()
            if rest.startswith("lmhra"):
                name, _, leaf = rest.partition(".")
                rest = f"{name}.{_rename(leaf, _LMHRA)}"
            else:
                rest = _rename(rest, _COMMON)
            key = f"backbone.blocks.{index}.{rest}"
        elif m := _DEC.match(key):
            index, rest = m.groups()
            rest = "norm_kv." + rest[len("ln_3.") :] if rest.startswith("ln_3.") else _rename(rest, _COMMON)
            key = f"backbone.dec.{index}.{rest}"
        elif key.startswith("backbone.transformer."):
            key = "backbone." + key[len("backbone.transformer.") :]
        out[key] = value
    return out


# -- presets ---------------------------------------------------------------------------------------

_MEAN, _STD = (114.75, 114.75, 114.75), (57.375, 57.375, 57.375)

_UNIFORMERV2 = replace(
    K400_3D,
    test_num_clips=4,
    test_crops=3,
    test_crop_size=224,
    mean=_MEAN,
    std=_STD,
    convert_mmaction=convert_mmaction_uniformerv2,
    sampling="uniform_sample",
)

_SAMPLING_NOTE = (
    "Frames as MMAction2's UniformSample (sampling='uniform_sample'): one from each of clip_len equal "
    "segments of the video, a random one in training; test: test_num_clips clips, clip k taking the "
    "frame k/(test_num_clips+1) of the way into each segment, x 3 crops. (The two clip-pre K710 "
    "configs ship the model only; they get the family's sampling.)"
)
_CFG = "recognition/uniformerv2/"


def _base(frames: int = 8, *, dataset: str, num_classes: int, config: str, notes: str = _SAMPLING_NOTE):
    return replace(
        _UNIFORMERV2,
        dataset=dataset,
        num_classes=num_classes,
        clip_len=frames,
        mmaction_config=_CFG + config,
        notes=notes,
    )


def _large(frames: int, *, res: int = 224, test_clips: int = 4, dataset: str, num_classes: int, config: str):
    return replace(
        _base(frames, dataset=dataset, num_classes=num_classes, config=config),
        short_side=max(256, res),
        crop_size=res,
        test_crop_size=res,
        test_num_clips=test_clips,
    )


def uniformerv2_recognizer(size: str, num_classes: int, *, res: int = 224, frames: int = 8) -> Recognizer:
    """UniFormerV2-B/16 or -L/14 (:func:`uniformerv2_backbone`) with MMAction2's head (dropout 0.5,
    linear ``fc_cls``) and normalization (mean 114.75, std 57.375), for ``frames`` frames of
    ``res`` x ``res``: what every preset below builds."""
    backbone = uniformerv2_backbone(size, input_resolution=res, num_frames=frames)
    head = I3DHead(num_classes, backbone.feat_dim, spatial_pool=False, dropout=0.5, init_std=0.02)
    return Recognizer(backbone, head, mean=_MEAN, std=_STD)


# UniFormerV2-B/16 at 224, 8 frames


@register_preset(_base(dataset="kinetics400", num_classes=400,
                       config="uniformerv2-base-p16-res224_clip_8xb32-u8_kinetics400-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_u8_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-B/16 from CLIP, trained on Kinetics-400; 114,552,208 parameters."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics700", num_classes=700,
                       config="uniformerv2-base-p16-res224_clip_8xb32-u8_kinetics700-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_u8_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-B/16 from CLIP, trained on Kinetics-700."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics710", num_classes=710,
                       config="uniformerv2-base-p16-res224_clip_u8_kinetics710-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_u8_kinetics710(num_classes: int = 710) -> Recognizer:
    """UniFormerV2-B/16 from CLIP, trained on Kinetics-710 (K400 + K600 + K700 union)."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics710", num_classes=710,
                       config="uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_pre_u8_kinetics710(num_classes: int = 710) -> Recognizer:
    """UniFormerV2-B/16 Kinetics-710 model (the checkpoint the K400/600/700 fine-tunings start from)."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics400", num_classes=400,
                       config="uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics400-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-B/16 pre-trained on K710, fine-tuned on Kinetics-400; 114,552,208 parameters."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics600", num_classes=600,
                       config="uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics600-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics600(num_classes: int = 600) -> Recognizer:
    """UniFormerV2-B/16 pre-trained on K710, fine-tuned on Kinetics-600."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(_base(dataset="kinetics700", num_classes=700,
                       config="uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics700-rgb.py"))  # fmt: skip
def uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-B/16 pre-trained on K710, fine-tuned on Kinetics-700."""
    return uniformerv2_recognizer("base", num_classes)


@register_preset(
    _base(dataset="mit", num_classes=339,
          config="uniformerv2-base-p16-res224_clip-kinetics710-kinetics-k400-pre_16xb32-u8_mitv1-rgb.py")
)  # fmt: skip
def uniformerv2_base_p16_res224_clip_k710_k400_pre_u8_mitv1(num_classes: int = 339) -> Recognizer:
    """UniFormerV2-B/16 pre-trained on K710 then K400, fine-tuned on Moments in Time v1 (339 classes)."""
    return uniformerv2_recognizer("base", num_classes)


# UniFormerV2-L/14


def _k710_pre_l14(frames: int, dataset: str, k: int, res: int = 224, clips: int = 4):
    config = f"uniformerv2-large-p14-res{res}_clip-kinetics710-pre_u{frames}_{dataset}-rgb.py"
    return _large(frames, res=res, test_clips=clips, dataset=dataset, num_classes=k, config=config)


@register_preset(_k710_pre_l14(8, "kinetics400", 400))
def uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-L/14 at 224, 8 frames, K710 pre-trained, Kinetics-400; 354,099,600 parameters."""
    return uniformerv2_recognizer("large", num_classes, frames=8)


@register_preset(_k710_pre_l14(8, "kinetics600", 600))
def uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics600(num_classes: int = 600) -> Recognizer:
    """UniFormerV2-L/14 at 224, 8 frames, K710 pre-trained, Kinetics-600."""
    return uniformerv2_recognizer("large", num_classes, frames=8)


@register_preset(_k710_pre_l14(8, "kinetics700", 700))
def uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-L/14 at 224, 8 frames, K710 pre-trained, Kinetics-700."""
    return uniformerv2_recognizer("large", num_classes, frames=8)


@register_preset(_k710_pre_l14(16, "kinetics400", 400))
def uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-L/14 at 224, 16 frames, K710 pre-trained, Kinetics-400."""
    return uniformerv2_recognizer("large", num_classes, frames=16)


@register_preset(_k710_pre_l14(16, "kinetics600", 600))
def uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics600(num_classes: int = 600) -> Recognizer:
    """UniFormerV2-L/14 at 224, 16 frames, K710 pre-trained, Kinetics-600."""
    return uniformerv2_recognizer("large", num_classes, frames=16)


@register_preset(_k710_pre_l14(16, "kinetics700", 700))
def uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-L/14 at 224, 16 frames, K710 pre-trained, Kinetics-700."""
    return uniformerv2_recognizer("large", num_classes, frames=16)


@register_preset(_k710_pre_l14(32, "kinetics400", 400))
def uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-L/14 at 224, 32 frames, K710 pre-trained, Kinetics-400."""
    return uniformerv2_recognizer("large", num_classes, frames=32)


@register_preset(_k710_pre_l14(32, "kinetics600", 600))
def uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics600(num_classes: int = 600) -> Recognizer:
    """UniFormerV2-L/14 at 224, 32 frames, K710 pre-trained, Kinetics-600."""
    return uniformerv2_recognizer("large", num_classes, frames=32)


@register_preset(_k710_pre_l14(32, "kinetics700", 700))
def uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-L/14 at 224, 32 frames, K710 pre-trained, Kinetics-700."""
    return uniformerv2_recognizer("large", num_classes, frames=32)


@register_preset(_k710_pre_l14(32, "kinetics400", 400, res=336, clips=2))
def uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics400(num_classes: int = 400) -> Recognizer:
    """UniFormerV2-L/14 at 336, 32 frames (2 clips x 3 crops at test), K710 pre-trained, Kinetics-400;
    354,427,280 parameters."""
    return uniformerv2_recognizer("large", num_classes, res=336, frames=32)


@register_preset(_k710_pre_l14(32, "kinetics600", 600, res=336, clips=2))
def uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics600(num_classes: int = 600) -> Recognizer:
    """UniFormerV2-L/14 at 336, 32 frames, K710 pre-trained, Kinetics-600."""
    return uniformerv2_recognizer("large", num_classes, res=336, frames=32)


@register_preset(_k710_pre_l14(32, "kinetics700", 700, res=336, clips=2))
def uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics700(num_classes: int = 700) -> Recognizer:
    """UniFormerV2-L/14 at 336, 32 frames, K710 pre-trained, Kinetics-700."""
    return uniformerv2_recognizer("large", num_classes, res=336, frames=32)


@register_preset(
    _large(8, dataset="kinetics710", num_classes=710, config="uniformerv2-large-p14-res224_clip-pre_u8_kinetics710-rgb.py")
)
def uniformerv2_large_p14_res224_clip_pre_u8_kinetics710(num_classes: int = 710) -> Recognizer:
    """UniFormerV2-L/14 at 224, 8 frames, Kinetics-710."""
    return uniformerv2_recognizer("large", num_classes, frames=8)


@register_preset(
    replace(
        _large(32, res=336, dataset="kinetics710", num_classes=710,
               config="uniformerv2-large-p14-res336_clip-pre_u8_kinetics710-rgb.py"),
        notes=_SAMPLING_NOTE + " The config is named u8 but builds the backbone for 32 frames (t_size=32): followed here.",
    )
)  # fmt: skip
def uniformerv2_large_p14_res336_clip_pre_u8_kinetics710(num_classes: int = 710) -> Recognizer:
    """UniFormerV2-L/14 at 336, Kinetics-710 (32 frames, as the config's backbone)."""
    return uniformerv2_recognizer("large", num_classes, res=336, frames=32)


@register_preset(
    replace(
        _large(8, dataset="mit", num_classes=339,
               config="uniformerv2-large-p16-res224_clip-kinetics710-kinetics-k400-pre_u8_mitv1-rgb.py"),
        notes=_SAMPLING_NOTE + " The config is named p16 but builds patch 14 (ViT-L/14): followed here.",
    )
)  # fmt: skip
def uniformerv2_large_p16_res224_clip_k710_k400_pre_u8_mitv1(num_classes: int = 339) -> Recognizer:
    """UniFormerV2-L/14 at 224, pre-trained on K710 then K400, fine-tuned on Moments in Time v1."""
    return uniformerv2_recognizer("large", num_classes, frames=8)


@register_preset(
    replace(
        _large(8, res=336, dataset="mit", num_classes=339,
               config="uniformerv2-large-p16-res336_clip-kinetics710-kinetics-k400-pre_u8_mitv1-rgb.py"),
        notes=_SAMPLING_NOTE + " The config is named p16 but builds patch 14 (ViT-L/14): followed here.",
    )
)  # fmt: skip
def uniformerv2_large_p16_res336_clip_k710_k400_pre_u8_mitv1(num_classes: int = 339) -> Recognizer:
    """UniFormerV2-L/14 at 336, pre-trained on K710 then K400, fine-tuned on Moments in Time v1."""
    return uniformerv2_recognizer("large", num_classes, res=336, frames=8)
