"""Pieces the transformer backbones share (TimeSformer, Video Swin, VideoMAE, MViTv2, UniFormer V1/V2).

- :func:`maybe_checkpoint`: per-block activation checkpointing (``torch.utils.checkpoint``,
  non-reentrant), the ``with_cp`` option of every transformer backbone. It is applied only while
  training with gradients recorded: evaluation and inference run the block directly.
- :func:`attend`: attention of a few query tokens over all tokens with a
  :class:`~vidcore.core.layers.MultiheadSelfAttention`'s fused ``[q | k | v]`` weights, i.e. the
  rows of ``attn(tokens)`` at the query positions when the queries are some of the tokens. The
  backbones whose output is the class token use it in their last block (only the class token's
  row is needed there), and UniFormerV2's query decoder for its cross-attention.
- :func:`inference_fast_path` / :func:`mlp_residual_inference`: ``x + mlp(norm(x))`` at inference
  in chunks of rows, the hidden activations of a chunk staying in cache (GELU applied in place).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from vidcore.core.layers import Mlp, MultiheadSelfAttention

__all__ = ["CHUNK_BYTES", "attend", "inference_fast_path", "maybe_checkpoint", "mlp_residual_inference"]

#: Working-set bytes per chunk of the inference rewrites (the hidden activations of a row chunk
#: of :func:`mlp_residual_inference`, TimeSformer's spatial ``qkv`` output of a group of frames):
#: small enough to stay in a 32 MiB L3 between being written and read.
CHUNK_BYTES = 1 << 23


def maybe_checkpoint(fn: Callable[..., Any], *args: Any, enabled: bool) -> Any:
    """``fn(*args)``, through ``torch.utils.checkpoint.checkpoint(use_reentrant=False)`` when
    ``enabled`` and autograd is recording: the block's activations are then dropped after the
    forward and recomputed in the backward (same random draws: the RNG state is restored), so
    gradients are unchanged and the peak memory of a training step falls. Callers pass
    ``enabled=self.with_cp and self.training``."""
    if enabled and torch.is_grad_enabled():
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def attend(attn: MultiheadSelfAttention, queries: Tensor, tokens: Tensor) -> Tensor:
    """``queries`` ``(N, Lq, C)`` attend over ``tokens`` ``(N, L, C)`` with ``attn``'s weights.

    Queries are projected with the first ``C`` rows of ``attn.qkv`` and the tokens with the other
    ``2C`` (keys, values), then SDPA, ``attn.proj`` and its dropout: ``(N, Lq, C)``. With the
    queries taken from the tokens, the result equals those rows of ``attn(tokens)``.
    """
    c = queries.shape[-1]
    weight = attn.qkv.weight
    bias = attn.qkv.bias
    if attn.q_bias is not None and attn.v_bias is not None:
        bias = torch.cat((attn.q_bias, torch.zeros_like(attn.q_bias), attn.v_bias))
    q = F.linear(queries, weight[:c], None if bias is None else bias[:c])
    kv = F.linear(tokens, weight[c:], None if bias is None else bias[c:])  # (N, L, 2C)
    n, lq, lk = queries.shape[0], queries.shape[1], tokens.shape[1]
    heads, d = attn.num_heads, attn.head_dim
    q = q.reshape(n, lq, heads, d).transpose(1, 2)  # (N, heads, Lq, d)
    kv = kv.reshape(n, lk, 2, heads, d).permute(2, 0, 3, 1, 4)  # (2, N, heads, L, d)
    out = F.scaled_dot_product_attention(
        q, kv[0], kv[1], dropout_p=attn.attn_drop if attn.training else 0.0, scale=attn.scale
    )
    out = out.transpose(1, 2).reshape(n, lq, c)  # (N, heads, Lq, d) -> (N, Lq, C)
    return attn.proj_drop(attn.proj(out))


def inference_fast_path(*modules: nn.Module) -> bool:
    """Whether the inference-only rewrites may run: autograd not recording, every module in eval
    mode, and eager execution (not under ONNX export, TorchScript tracing or ``torch.compile`` /
    ``torch.export``, which get the plain module path)."""
    if torch.is_grad_enabled() or any(m.training for m in modules):
        return False
    return not (torch.onnx.is_in_onnx_export() or torch.jit.is_tracing() or torch.compiler.is_compiling())


def mlp_residual_inference(x: Tensor, norm: nn.Module, mlp: nn.Module) -> Tensor:
    """``x + mlp(norm(x))`` for ``x`` ``(..., C)`` at inference (see :func:`inference_fast_path`).

    For an :class:`~vidcore.core.layers.Mlp` with a GELU the rows go through in chunks of
    :data:`CHUNK_BYTES` of hidden activations: ``fc1`` (bias added by ``addmm``), GELU in place,
    ``fc2`` accumulated into ``x + fc2.bias`` by ``addmm_``. The same sums as the plain expression
    in another order (float rounding only), without writing two full-size hidden tensors to memory
    and reading them back. Other MLPs run the plain expression.
    """
    if not (isinstance(mlp, Mlp) and isinstance(mlp.act, nn.GELU) and mlp.fc1.bias is not None
            and mlp.fc2.bias is not None):
        return x + mlp(norm(x))
    c = x.shape[-1]
    flat = x.reshape(-1, c)
    out = flat + mlp.fc2.bias
    hidden = mlp.fc1.out_features
    rows = max(1, CHUNK_BYTES // (hidden * x.element_size()))
    w1, b1, w2 = mlp.fc1.weight.t(), mlp.fc1.bias, mlp.fc2.weight.t()
    for start in range(0, flat.shape[0], rows):
        h = torch.addmm(b1, norm(flat[start : start + rows]), w1)
        torch._C._nn.gelu_(h, approximate=mlp.act.approximate)
        out[start : start + rows].addmm_(h, w2)
    return out.reshape(*x.shape[:-1], mlp.fc2.out_features)
