"""MViTv2 (Li et al., "MViTv2: Improved Multiscale Vision Transformers for Classification and
Detection", CVPR 2022), and the MaskFeat fine-tuning variant (Wei et al., "Masked Feature
Prediction for Self-Supervised Visual Pre-Training", CVPR 2022).

A 3x7x7 convolutional patch embedding with stride 2x4x4 and a class token, then a stack of
multiscale blocks. Each block's pooling attention pools queries, keys and values with depthwise
3x3x3 convolutions (+ LayerNorm) before attending: keys/values with a stride that shrinks the
token grid (1x8x8 in the first stage, halved at every downscale), queries with stride 1x2x2 at
the three downscale blocks, where the skip path is max-pooled to match. The attention logits get
decomposed relative position terms ``q . R_t[t_q - t_k] + q . R_h[...] + q . R_w[...]`` and the
pooled query is added back to the attention output (residual pooling). Widths and head counts
double at the downscale blocks, in the attention (``dim_mul_in_attention``, MViTv2) or, for the
MaskFeat variant, in the MLP of the block before. The head classifies the final class token.
MViTv2-S has 34.54M parameters with 400 classes.

Attention runs on ``torch.nn.functional.scaled_dot_product_attention`` with the relative position
terms (which depend on the queries) as a float ``attn_mask`` (zero on the class token's row and
column, as MMAction2 leaves it without relative positions).

Matches MMAction2's ``MViT`` / ``MViTHead`` (``mmaction/models/backbones/mvit.py``), including its
choices: the q/k/v pooling convolutions run in every block (stride 1 included); relative position
tables are sized for the configured input and linearly interpolated for another input size; the
class token is never pooled. Submodule names are MMAction2's (``patch_embed.projection``,
``blocks.1.attn.pool_q``, ``blocks.1.attn.rel_pos_h``, ``blocks.1.pool_skip``, ``norm3``), so its
checkpoints load after ``cls_head.`` -> ``head.``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.layers import DropPath, Mlp, trunc_normal_

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .resnet3d import convert_mmaction_recognizer
from .transformer_common import inference_fast_path, maybe_checkpoint, mlp_residual_inference

__all__ = [
    "MVIT_ARCHS",
    "MViT",
    "MViTHead",
    "MultiScaleAttention",
    "MultiScaleBlock",
    "decomposed_rel_pos",
    "mvit_backbone",
    "rel_pos_attention",
    "rel_pos_for",
]

Size3 = tuple[int, int, int]

#: (embed_dim, num_layers, initial num_heads, downscale block indices) of MMAction2's ``arch`` names.
MVIT_ARCHS: dict[str, tuple[int, int, int, tuple[int, ...]]] = {
    "tiny": (96, 10, 1, (1, 3, 8)),
    "small": (96, 16, 1, (1, 3, 14)),
    "base": (96, 24, 1, (2, 5, 21)),
    "large": (144, 48, 2, (2, 8, 44)),
}


def rel_pos_for(table: Tensor, q_size: int, k_size: int) -> Tensor:
    """The ``(q_size, k_size, C)`` relative position embeddings of a query and a key axis.

    ``table`` ``(L, C)`` holds one row per relative distance; when ``L != 2 * max(q, k) - 1`` it is
    linearly interpolated to that length first. When the axes differ in length, the shorter one's
    coordinates are stretched to the longer's (MMAction2's / the paper's rule).
    """
    length = 2 * max(q_size, k_size) - 1
    if table.shape[0] != length:
        # (L, C) -> (1, C, L) -> interpolate -> (length, C)
        table = F.interpolate(table.t().unsqueeze(0), size=length, mode="linear").squeeze(0).t()
    q_ratio = max(k_size / q_size, 1.0)
    k_ratio = max(q_size / k_size, 1.0)
    q_coords = torch.arange(q_size, device=table.device)[:, None] * q_ratio
    k_coords = torch.arange(k_size, device=table.device)[None, :] * k_ratio
    index = (q_coords - k_coords + (k_size - 1) * k_ratio).long()  # (q_size, k_size)
    return table[index]


def decomposed_rel_pos(
    q: Tensor, q_shape: Size3, k_shape: Size3, rel_t: Tensor, rel_h: Tensor, rel_w: Tensor
) -> Tensor:
    """The attention mask ``(B, heads, 1 + Lq, 1 + Lk)`` of relative position logits: zero on the
    class token's row and column, and for the space-time tokens, query at ``(t, h, w)`` and key at
    ``(t', h', w')``, ``q . Rt[t, t'] + q . Rh[h, h'] + q . Rw[w, w']``.

    ``q`` ``(B, heads, 1 + Lq, C)``, unscaled, class token first. The mask is written in place
    (two passes over it, no temporaries of its size; out of place during ONNX export).
    """
    b, heads, _, c = q.shape
    qt, qh, qw = q_shape
    kt, kh, kw = k_shape
    r_q = q[:, :, 1:].reshape(b, heads, qt, qh, qw, c)
    t = torch.einsum("bythwc,tkc->bythwk", r_q, rel_pos_for(rel_t, qt, kt))  # (B, heads, qt, qh, qw, kt)
    h = torch.einsum("bythwc,hkc->bythwk", r_q, rel_pos_for(rel_h, qh, kh))  # (..., kh)
    w = torch.einsum("bythwc,wkc->bythwk", r_q, rel_pos_for(rel_w, qw, kw))  # (..., kw)
    if torch.onnx.is_in_onnx_export():  # the exporter mistranslates writes into views: out of place
        rel = t[..., :, None, None] + h[..., None, :, None] + w[..., None, None, :]
        return F.pad(rel.reshape(b, heads, qt * qh * qw, kt * kh * kw), (1, 0, 1, 0))
    mask = q.new_empty(b, heads, 1 + qt * qh * qw, 1 + kt * kh * kw)
    mask[:, :, 0] = 0.0
    mask[:, :, 1:, 0] = 0.0
    # (B, heads, Lq, Lk) view -> (B, heads, qt, qh, qw, kt, kh, kw)
    grid = mask[:, :, 1:, 1:].unflatten(3, (kt, kh, kw)).unflatten(2, (qt, qh, qw))
    grid.copy_(t[..., :, None, None] + h[..., None, :, None])  # (..., kt, kh, 1) broadcast over kw
    grid += w[..., None, None, :]
    return mask


#: Mask bytes per query chunk of :func:`rel_pos_attention` at inference: the mask of one chunk
#: stays in cache between being written and SDPA reading it (MViTv2-S forward, 1 thread, 32 MiB
#: L3: 4, 8 and 16 MiB chunks 1.93 s, 2 MiB 2.05 s, one full-size mask 2.04 s).
_MASK_CHUNK_BYTES = 1 << 22


def rel_pos_attention(
    q: Tensor, k: Tensor, v: Tensor, q_shape: Size3, k_shape: Size3, rel_t: Tensor, rel_h: Tensor, rel_w: Tensor,
    scale: float,
) -> Tensor:
    """``SDPA(q, k, v, attn_mask=decomposed_rel_pos(q, ...), scale=scale)`` ``(B, heads, 1 + Lq, d)``.

    With autograd recording (or while exporting, tracing or compiling: see
    :func:`~.transformer_common.inference_fast_path`) that is what runs. Otherwise (inference) the
    queries go through SDPA in chunks of rows whose mask fits ``_MASK_CHUNK_BYTES``, the mask of a
    chunk written in one pass into one reused buffer: the same logits, without writing and reading
    back a full ``(B, heads, 1 + Lq, 1 + Lk)`` mask (hundreds of MB per MViTv2-S clip).
    """
    if not inference_fast_path():
        mask = decomposed_rel_pos(q, q_shape, k_shape, rel_t, rel_h, rel_w)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    b, heads, lq, c = q.shape
    qt, qh, qw = q_shape
    kt, kh, kw = k_shape
    lk = k.shape[2]
    r_q = q[:, :, 1:].reshape(b, heads, qt, qh, qw, c)
    # per query row (class token first, its terms zero): (B, heads, 1 + Lq, kt / kh / kw)
    terms = []
    for table, qs, ks, eq in ((rel_t, qt, kt, "bythwc,tkc->bythwk"), (rel_h, qh, kh, "bythwc,hkc->bythwk"),
                              (rel_w, qw, kw, "bythwc,wkc->bythwk")):
        rel = torch.einsum(eq, r_q, rel_pos_for(table, qs, ks)).reshape(b, heads, lq - 1, ks)
        terms.append(F.pad(rel, (0, 0, 1, 0)))
    t, h, w = terms
    rows = max(1, _MASK_CHUNK_BYTES // (4 * b * heads * lk))
    if rows >= lq:
        rows = lq
    buf = q.new_empty(b, heads, rows, lk)
    buf[..., 0] = 0.0  # the class token's column
    outs = []
    for start in range(0, lq, rows):
        end = min(start + rows, lq)
        mask = buf[:, :, : end - start]
        grid = mask[..., 1:].unflatten(3, (kt, kh * kw))  # (B, heads, rows, kt, kh*kw) view
        hw = (h[:, :, start:end, :, None] + w[:, :, start:end, None, :]).flatten(3)  # (B, heads, rows, kh*kw)
        torch.add(t[:, :, start:end, :, None], hw[:, :, :, None, :], out=grid)
        outs.append(F.scaled_dot_product_attention(q[:, :, start:end], k, v, attn_mask=mask, scale=scale))
    return outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)


def _pool_tokens(
    x: Tensor, pool: nn.Module, size: Size3, norm: nn.Module | None = None
) -> tuple[Tensor, Size3]:
    """Pool the space-time tokens of ``x`` ``(B, heads, 1 + T*H*W, C)`` (class token first, kept
    as is) with ``pool`` on the ``(T, H, W)`` grid; then ``norm`` over C on all tokens.

    Returns ``(B, heads, 1 + T'*H'*W', C)`` and ``(T', H', W')``. The grid goes through ``pool`` in
    channels-last memory (a permuted view of the tokens), so no layout copies are made around it.
    """
    b, heads, _, c = x.shape
    cls_tok, x = x[:, :, :1], x[:, :, 1:]
    # (B, heads, T*H*W, C) -> (B*heads, T, H, W, C) -> (B*heads, C, T, H, W) in channels_last_3d memory
    x = x.reshape(b * heads, *size, c).permute(0, 4, 1, 2, 3)
    x = pool(x)
    out: Size3 = (x.shape[2], x.shape[3], x.shape[4])
    # (B*heads, C, T', H', W') -> (B*heads, T', H', W', C) -> (B, heads, T'*H'*W', C)
    x = x.permute(0, 2, 3, 4, 1).reshape(b, heads, -1, c)
    x = torch.cat((cls_tok, x), dim=2)
    if norm is not None:
        x = norm(x)
    return x, out


def _pool_heads(
    x: Tensor, pool: nn.Conv3d, size: Size3, heads: int, norm: nn.Module
) -> tuple[Tensor, Size3]:
    """:func:`_pool_tokens` for the queries, keys or values of all heads at once.

    ``x`` ``(B, 1 + T*H*W, heads * d)`` (class token first, heads in the channel axis, as a linear
    layer writes them); ``pool`` is the per-head depthwise convolution (``d`` channels). Every head
    is pooled by one depthwise convolution over the ``heads * d`` channels (its weight tiled per
    head): the grid is a channels-last view of ``x``, so nothing is copied before the convolution.

    Returns ``(B, heads, 1 + T'*H'*W', d)`` (a view of a ``(B, 1 + T'*H'*W', heads, d)`` tensor)
    and ``(T', H', W')``.
    """
    b, _, c = x.shape
    cls_tok, grid = x[:, :1], x[:, 1:]
    # (B, T*H*W, C) -> (B, T, H, W, C) -> (B, C, T, H, W) in channels_last_3d memory
    grid = grid.reshape(b, *size, c).permute(0, 4, 1, 2, 3)
    weight = pool.weight if heads == 1 else pool.weight.repeat(heads, 1, 1, 1, 1)
    grid = F.conv3d(grid, weight, pool.bias, pool.stride, pool.padding, pool.dilation, groups=c)
    out: Size3 = (grid.shape[2], grid.shape[3], grid.shape[4])
    # (B, C, T', H', W') -> (B, T', H', W', C) -> (B, T'*H'*W', C)
    grid = grid.permute(0, 2, 3, 4, 1).reshape(b, -1, c)
    x = torch.cat((cls_tok, grid), dim=1)
    x = norm(x.reshape(b, x.shape[1], heads, c // heads))  # (B, L, heads, d)
    return x.transpose(1, 2), out


class MultiScaleAttention(nn.Module):
    """Pooling attention with decomposed relative positions and residual pooling.

    Args:
        in_dim: input token width.
        out_dim: attention width (``qkv`` maps ``in_dim -> 3 * out_dim``).
        num_heads: heads; head width ``out_dim / num_heads``.
        input_size: ``(T, H, W)`` token grid the relative position tables are sized for.
        stride_q, stride_kv: pooling strides of queries and of keys/values.
        pool_kernel: kernel of the depthwise pooling convolutions.
        qkv_bias: bias on ``qkv``.
        rel_pos: add decomposed relative position terms.
        residual_pooling: add the pooled queries to the output.
        norm_eps: epsilon of the LayerNorms after pooling.

    Input ``(B, 1 + T*H*W, in_dim)`` with grid ``(T, H, W)``; output ``(B, 1 + T'*H'*W', out_dim)``
    and the pooled grid ``(T', H', W')`` (``H' = H / stride_q``).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        num_heads: int,
        input_size: Size3,
        *,
        stride_q: Size3 = (1, 1, 1),
        stride_kv: Size3 = (1, 1, 1),
        pool_kernel: Size3 = (3, 3, 3),
        qkv_bias: bool = True,
        rel_pos: bool = True,
        residual_pooling: bool = True,
        norm_eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.out_dim = out_dim
        head_dim = out_dim // num_heads
        self.scale = head_dim**-0.5
        self.qkv = nn.Linear(in_dim, out_dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(out_dim, out_dim)
        padding = tuple(k // 2 for k in pool_kernel)

        def pooling(stride: Size3) -> nn.Conv3d:
            return nn.Conv3d(head_dim, head_dim, pool_kernel, stride, padding, groups=head_dim, bias=False)

        self.pool_q, self.norm_q = pooling(stride_q), nn.LayerNorm(head_dim, eps=norm_eps)
        self.pool_k, self.norm_k = pooling(stride_kv), nn.LayerNorm(head_dim, eps=norm_eps)
        self.pool_v, self.norm_v = pooling(stride_kv), nn.LayerNorm(head_dim, eps=norm_eps)
        self.residual_pooling = residual_pooling
        self.rel_pos = rel_pos
        if rel_pos:
            if input_size[1] != input_size[2]:
                raise ValueError(f"relative positions need a square token grid, got {input_size}")
            size = input_size[1]
            rel_dim = 2 * max(size // stride_q[1], size // stride_kv[1]) - 1
            self.rel_pos_h = nn.Parameter(torch.zeros(rel_dim, head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(rel_dim, head_dim))
            self.rel_pos_t = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
            for p in (self.rel_pos_h, self.rel_pos_w, self.rel_pos_t):
                trunc_normal_(p, std=0.02)

    def forward(self, x: Tensor, size: Size3) -> tuple[Tensor, Size3]:
        b = x.shape[0]
        c, heads = self.out_dim, self.num_heads
        weight, bias = self.qkv.weight, self.qkv.bias
        # q, k, v projected one at a time (rows of the fused [q | k | v] weight), each (B, N, out)
        # with the heads in the channel axis: the channels-last grid the pooling convolution reads
        pooled = []
        for i, (pool, norm) in enumerate(((self.pool_q, self.norm_q), (self.pool_k, self.norm_k),
                                          (self.pool_v, self.norm_v))):
            y = F.linear(x, weight[i * c : (i + 1) * c], None if bias is None else bias[i * c : (i + 1) * c])
            pooled.append(_pool_heads(y, pool, size, heads, norm))  # (B, heads, L', d), grid
        (q, q_size), (k, k_size), (v, _) = pooled
        if self.rel_pos:
            out = rel_pos_attention(
                q, k, v, q_size, k_size, self.rel_pos_t, self.rel_pos_h, self.rel_pos_w, self.scale
            )
        else:
            out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        out = out.transpose(1, 2)  # (B, heads, L, d) -> (B, L, heads, d)
        if self.residual_pooling:  # the class token gets no residual
            q = q.transpose(1, 2)
            if inference_fast_path():  # add into the attention output
                out[:, 1:] += q[:, 1:]
            else:
                out = torch.cat((out[:, :1], out[:, 1:] + q[:, 1:]), dim=1)
        return self.proj(out.reshape(b, -1, c)), q_size


class MultiScaleBlock(nn.Module):
    """``skip + DropPath(attention(LN(x)))`` then ``skip + DropPath(MLP(LN(x)))``.

    With ``in_dim != out_dim`` a linear ``proj`` widens the skip path: taken from the normalised
    input of the attention (``dim_mul_in_attention``, MViTv2) or of the MLP (MaskFeat's MViT); with
    a query stride the skip path is max-pooled (kernel stride+1, class token kept).

    Input ``(B, 1 + T*H*W, in_dim)`` and grid; output ``(B, 1 + T'*H'*W', out_dim)`` and grid.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        num_heads: int,
        input_size: Size3,
        *,
        stride_q: Size3 = (1, 1, 1),
        stride_kv: Size3 = (1, 1, 1),
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        dim_mul_in_attention: bool = True,
        rel_pos: bool = True,
        residual_pooling: bool = True,
        norm_eps: float = 1e-6,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.dim_mul_in_attention = dim_mul_in_attention
        attn_dim = out_dim if dim_mul_in_attention else in_dim
        self.norm1 = nn.LayerNorm(in_dim, eps=norm_eps)
        self.attn = MultiScaleAttention(
            in_dim, attn_dim, num_heads, input_size, stride_q=stride_q, stride_kv=stride_kv, qkv_bias=qkv_bias,
            rel_pos=rel_pos, residual_pooling=residual_pooling, norm_eps=norm_eps,
        )  # fmt: skip
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(attn_dim, eps=norm_eps)
        self.mlp = Mlp(attn_dim, int(attn_dim * mlp_ratio), out_dim)
        self.proj = nn.Linear(in_dim, out_dim) if in_dim != out_dim else None
        self.pool_skip: nn.MaxPool3d | None = None
        self.out_size: Size3 = tuple(input_size)  # type: ignore[assignment]
        if any(s > 1 for s in stride_q):
            kernel = tuple(s + 1 if s > 1 else s for s in stride_q)
            self.pool_skip = nn.MaxPool3d(kernel, stride_q, tuple(k // 2 for k in kernel))
            self.out_size = tuple(s // st for s, st in zip(input_size, stride_q))  # type: ignore[assignment]
        self.with_cp = with_cp

    def _inner(self, x: Tensor, size: Size3) -> tuple[Tensor, Size3]:
        x_norm = self.norm1(x)
        x_attn, out_size = self.attn(x_norm, size)
        skip = self.proj(x_norm) if self.dim_mul_in_attention and self.proj is not None else x
        if self.pool_skip is not None:
            skip = _pool_tokens(skip.unsqueeze(1), self.pool_skip, size)[0].squeeze(1)
        x = skip + self.drop_path(x_attn)
        if (self.dim_mul_in_attention or self.proj is None) and inference_fast_path(self):
            return mlp_residual_inference(x, self.norm2, self.mlp), out_size
        x_norm = self.norm2(x)
        skip = self.proj(x_norm) if not self.dim_mul_in_attention and self.proj is not None else x
        return skip + self.drop_path(self.mlp(x_norm)), out_size

    def forward(self, x: Tensor, size: Size3) -> tuple[Tensor, Size3]:
        return maybe_checkpoint(self._inner, x, size, enabled=self.with_cp and self.training)


class MViT(nn.Module):
    """The MViTv2 backbone.

    Args:
        embed_dim: width after the patch embedding.
        num_layers: number of blocks.
        num_heads: heads of the first block (doubled at each downscale block).
        downscale_indices: blocks that pool queries 1x2x2 and double width and heads.
        spatial_size, temporal_size: the input the relative position tables are sized for (other
            sizes work: the tables are interpolated).
        in_channels: input channels.
        drop_path_rate: stochastic depth, rising linearly from 0 over the blocks.
        adaptive_kv_stride: key/value pooling stride of the first stage (halved at each downscale).
        dim_mul_in_attention: double the width in the attention of the downscale block (MViTv2)
            rather than in the MLP of the block before it (MaskFeat's MViT).
        mlp_ratio, qkv_bias, rel_pos, residual_pooling: of every block.
        norm_eps: epsilon of every LayerNorm.
        with_cp: activation checkpointing per block while training (:func:`maybe_checkpoint`).

    Input ``(N, C, T, H, W)``; output ``(patch_tokens (N, C', T/2, H/32, W/32), cls_token (N, C'))``
    after the final LayerNorm ``norm3`` (``C' = 8 * embed_dim``).
    """

    def __init__(
        self,
        embed_dim: int = 96,
        num_layers: int = 16,
        num_heads: int = 1,
        downscale_indices: Sequence[int] = (1, 3, 14),
        *,
        spatial_size: int = 224,
        temporal_size: int = 16,
        in_channels: int = 3,
        drop_path_rate: float = 0.0,
        adaptive_kv_stride: Size3 = (1, 8, 8),
        dim_mul_in_attention: bool = True,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        rel_pos: bool = True,
        residual_pooling: bool = True,
        norm_eps: float = 1e-6,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.projection = nn.Conv3d(in_channels, embed_dim, (3, 7, 7), (2, 4, 4), (1, 3, 3))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        downscale = set(downscale_indices)
        rates = torch.linspace(0, drop_path_rate, num_layers, device="cpu").tolist()
        size: Size3 = ((temporal_size - 1) // 2 + 1, (spatial_size - 1) // 4 + 1, (spatial_size - 1) // 4 + 1)
        heads, stride_kv, dim = num_heads, tuple(adaptive_kv_stride), embed_dim
        self.blocks = nn.ModuleList()
        for i in range(num_layers):
            stride_q: Size3 = (1, 1, 1)
            if i in downscale:
                heads *= 2
                stride_q = (1, 2, 2)
                stride_kv = tuple(max(s // 2, 1) for s in stride_kv)
            widen = (i in downscale) if dim_mul_in_attention else (i + 1 in downscale)
            out_dim = dim * 2 if widen else dim
            block = MultiScaleBlock(
                dim, out_dim, heads, size, stride_q=stride_q, stride_kv=stride_kv, mlp_ratio=mlp_ratio,  # type: ignore[arg-type]
                qkv_bias=qkv_bias, drop_path=rates[i], dim_mul_in_attention=dim_mul_in_attention,
                rel_pos=rel_pos, residual_pooling=residual_pooling, norm_eps=norm_eps, with_cp=with_cp,
            )  # fmt: skip
            self.blocks.append(block)
            size, dim = block.out_size, out_dim
        self.feat_dim = dim
        # MMAction2 names the output norm after its scale index (norm3 for three downscales).
        self.norm_name = f"norm{len(downscale)}"
        self.add_module(self.norm_name, nn.LayerNorm(dim, eps=norm_eps))

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0.02)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 0.02)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(N, C, T, H, W) -> (patch tokens (N, C', T', H', W'), class token (N, C'))."""
        x = self.patch_embed.projection(x)  # (N, D, T/2, H/4, W/4)
        size: Size3 = (x.shape[2], x.shape[3], x.shape[4])
        x = x.flatten(2).transpose(1, 2)  # (N, D, T', H', W') -> (N, T'*H'*W', D)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        for block in self.blocks:
            x, size = block(x, size)
        x = getattr(self, self.norm_name)(x)
        b, _, c = x.shape
        patches = x[:, 1:].transpose(1, 2).reshape(b, c, *size)  # (N, L, C) -> (N, C, T', H', W')
        return patches, x[:, 0]


class MViTHead(nn.Module):
    """Dropout and a linear classifier on MViT's class token (MMAction2's ``MViTHead``).

    Input the backbone's ``(patch_tokens, cls_token (N, C))``; output ``(N, K)`` logits.
    ``init_scale`` scales the initial classifier (MaskFeat fine-tuning uses 0.001).
    """

    def __init__(
        self, num_classes: int, in_channels: int, *, dropout: float = 0.5, init_std: float = 0.02, init_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.init_std = init_std
        self.init_scale = init_scale
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = self._classifier(num_classes)

    def _classifier(self, num_classes: int) -> nn.Linear:
        fc = nn.Linear(self.in_channels, num_classes)
        with torch.no_grad():
            trunc_normal_(fc.weight, std=self.init_std)
            nn.init.constant_(fc.bias, 0.02)
            fc.weight.mul_(self.init_scale)
            fc.bias.mul_(self.init_scale)
        return fc

    def forward(self, x: tuple[Tensor, Tensor]) -> Tensor:
        return self.fc_cls(self.dropout(x[1]))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier by a freshly initialised one with ``num_classes`` outputs."""
        self.num_classes = num_classes
        self.fc_cls = self._classifier(num_classes).to(self.fc_cls.weight.device)


def mvit_backbone(
    arch: str,
    *,
    spatial_size: int = 224,
    temporal_size: int = 16,
    drop_path_rate: float = 0.0,
    dim_mul_in_attention: bool = True,
    with_cp: bool = False,
) -> MViT:
    """MViTv2 ``"tiny"``, ``"small"``, ``"base"`` or ``"large"`` sized for ``temporal_size`` frames of
    ``spatial_size`` pixels."""
    if arch not in MVIT_ARCHS:
        raise ValueError(f"unknown MViT arch {arch!r}; choose from {sorted(MVIT_ARCHS)}")
    dim, layers, heads, downscale = MVIT_ARCHS[arch]
    return MViT(
        dim, layers, heads, downscale, spatial_size=spatial_size, temporal_size=temporal_size,
        drop_path_rate=drop_path_rate, dim_mul_in_attention=dim_mul_in_attention, with_cp=with_cp,
    )  # fmt: skip


#: MMAction2's MViT checkpoints convert as every recognizer's: ``cls_head.`` -> ``head.``.
convert_mmaction_mvit = convert_mmaction_recognizer


# -- presets ---------------------------------------------------------------------------------------

_MVIT_MEAN, _MVIT_STD = (114.75, 114.75, 114.75), (57.375, 57.375, 57.375)


def _mvit(
    arch: str,
    num_classes: int,
    *,
    temporal_size: int = 16,
    spatial_size: int = 224,
    drop_path_rate: float,
    dim_mul_in_attention: bool = True,
    dropout: float = 0.5,
    init_scale: float = 1.0,
    mean: tuple[float, ...] = _MVIT_MEAN,
    std: tuple[float, ...] = _MVIT_STD,
) -> Recognizer:
    backbone = mvit_backbone(
        arch, spatial_size=spatial_size, temporal_size=temporal_size, drop_path_rate=drop_path_rate,
        dim_mul_in_attention=dim_mul_in_attention,
    )  # fmt: skip
    head = MViTHead(num_classes, backbone.feat_dim, dropout=dropout, init_scale=init_scale)
    return Recognizer(backbone, head, mean=mean, std=std, input_layout="NCTHW")


_UNIFORM_NOTE = (
    " Frames as MMAction2's UniformSample (sampling='uniform_sample'): one from each of clip_len "
    "equal segments of the video, a random one in training, the segment's midpoint at test."
)
_MVIT = replace(
    K400_3D,
    mean=_MVIT_MEAN,
    std=_MVIT_STD,
    test_num_clips=5,
    test_crops=1,
    test_crop_size=224,
    convert_mmaction=convert_mmaction_mvit,
)
_STHV2 = replace(_MVIT, dataset="sthv2", num_classes=174, test_num_clips=1, test_crops=3, sampling="uniform_sample")


@register_preset(
    replace(
        _MVIT,
        clip_len=16,
        frame_interval=4,
        mmaction_config="recognition/mvit/mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py",
        notes="MViTv2-S; tested on 5 clips x 1 centre crop (MMAction2 resizes to 224 before that crop).",
    )
)
def mvit_small_p244_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """MViTv2-S, 16 frames 4 apart: 34.54M parameters with 400 classes."""
    return _mvit("small", num_classes, drop_path_rate=0.2)


@register_preset(
    replace(
        _MVIT,
        clip_len=16,
        frame_interval=4,
        test_num_clips=10,
        mmaction_config="recognition/mvit/mvit-small-p244_k400-maskfeat-pre_8xb32-16x4x1-100e_kinetics400-rgb.py",
        notes="MViT-S fine-tuned from MaskFeat pre-training (width doubled in the MLP before each "
        "downscale block); tested on 10 clips x 1 centre crop (resized to 224).",
    )
)
def mvit_small_p244_k400_maskfeat_pre_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """MaskFeat's MViT-S, 16 frames 4 apart: 36.48M parameters with 400 classes."""
    return _mvit("small", num_classes, drop_path_rate=0.1, dim_mul_in_attention=False, dropout=0.0, init_scale=0.001)


@register_preset(
    replace(
        _STHV2,
        clip_len=16,
        mean=K400_3D.mean,
        std=K400_3D.std,
        mmaction_config="recognition/mvit/mvit-small-p244_k400-pre_16xb16-u16-100e_sthv2-rgb.py",
        notes="MViTv2-S fine-tuned from Kinetics-400 on Something-Something V2 (ImageNet mean/std, "
        "no flip in training); 1 clip x 3 crops of 224." + _UNIFORM_NOTE,
    )
)
def mvit_small_p244_k400_pre_u16_sthv2(num_classes: int = 174) -> Recognizer:
    """MViTv2-S on Something-Something V2, 16 frames: 34.36M parameters with 174 classes."""
    return _mvit("small", num_classes, drop_path_rate=0.2, mean=K400_3D.mean, std=K400_3D.std)


@register_preset(
    replace(
        _MVIT,
        clip_len=32,
        frame_interval=3,
        mmaction_config="recognition/mvit/mvit-base-p244_32x3x1_kinetics400-rgb.py",
        notes="MViTv2-B; tested on 5 clips x 1 centre crop (resized to 224).",
    )
)
def mvit_base_p244_32x3x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """MViTv2-B, 32 frames 3 apart: 51.23M parameters with 400 classes."""
    return _mvit("base", num_classes, temporal_size=32, drop_path_rate=0.3)


@register_preset(
    replace(
        _STHV2,
        clip_len=32,
        mmaction_config="recognition/mvit/mvit-base-p244_u32_sthv2-rgb.py",
        notes="MViTv2-B on Something-Something V2 (no flip in training); 1 clip x 3 crops of 224."
        + _UNIFORM_NOTE,
    )
)
def mvit_base_p244_u32_sthv2(num_classes: int = 174) -> Recognizer:
    """MViTv2-B on Something-Something V2, 32 frames: 51.06M parameters with 174 classes."""
    return _mvit("base", num_classes, temporal_size=32, drop_path_rate=0.3)


@register_preset(
    replace(
        _MVIT,
        clip_len=40,
        frame_interval=3,
        short_side=356,
        crop_size=312,
        test_crops=3,
        test_crop_size=312,
        mmaction_config="recognition/mvit/mvit-large-p244_40x3x1_kinetics400-rgb.py",
        notes="MViTv2-L at 312 pixels; tested on 5 clips x 3 crops of 312.",
    )
)
def mvit_large_p244_40x3x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """MViTv2-L, 40 frames 3 apart at 312 pixels: 213.39M parameters with 400 classes."""
    return _mvit("large", num_classes, temporal_size=40, spatial_size=312, drop_path_rate=0.75)


@register_preset(
    replace(
        _STHV2,
        clip_len=40,
        mmaction_config="recognition/mvit/mvit-large-p244_u40_sthv2-rgb.py",
        notes="MViTv2-L on Something-Something V2: built for 312 pixels (its relative position tables) "
        "but trained and tested on 224 crops as MMAction2's config does; 1 clip x 3 crops of 224."
        + _UNIFORM_NOTE,
    )
)
def mvit_large_p244_u40_sthv2(num_classes: int = 174) -> Recognizer:
    """MViTv2-L on Something-Something V2, 40 frames: 213.13M parameters with 174 classes."""
    return _mvit("large", num_classes, temporal_size=40, spatial_size=312, drop_path_rate=0.75)
