"""VideoMAE masked-autoencoder pre-training (Tong et al., NeurIPS 2022), which MMAction2 does not
ship, as a mode of the recognition experiment: an experiment with a ``pretrain`` section trains
:class:`VideoMAEPretrainer` on the training list (labels unused) with the same trainer, and its
checkpoints initialise fine-tuning (``--set model.pretrained=RUN/epoch_NNNN.pth``).

The pieces, as in the paper and its reference code (MCG-NJU/VideoMAE ``modeling_pretrain.py``):

- tube masking (:func:`tube_mask`): ``int(ratio * h * w)`` random spatial positions per clip,
  masked in every temporal slice (ratio 0.9);
- the encoder is the fine-tuning ViT (:class:`~vidcore.recognition.models.videomae.VideoViT`)
  run on the visible tokens only (fixed sinusoidal table added before masking), then a LayerNorm;
- a lightweight decoder (:class:`MAEDecoder`): a bias-free projection to the decoder width, a
  learned mask token (truncated normal, std 0.02) at every masked position, the decoder's own
  sinusoidal table added to visible and masked tokens, pre-norm blocks, a LayerNorm and a linear
  head to the ``tubelet * patch * patch * 3`` pixels of each masked token;
- the loss (:func:`patch_targets`): mean squared error on the masked tokens only, against each
  token's pixels standardised per channel over the token (``norm_pix_loss``), or the raw
  (mean/std-normalized) pixels without it;
- linear layers of the encoder and decoder start Xavier-uniform with zero biases (the reference's
  pre-training init; fine-tuning models use truncated normal 0.02), AdamW with betas (0.9, 0.95)
  and no weight decay on the position tables and the mask token.

Units: clips are uint8 ``(N, T, C, H, W)``, normalized with ``mean``/``std`` (0-255 units) on the
model's device; tokens are ordered (time, row, column) as in ``VideoViT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from vidcore.core.layers import TransformerBlock, sinusoid_position_table, trunc_normal_

from .models.heads3d import I3DHead
from .models.videomae import _VIDEOMAE, VideoViT
from .recognizer import Recognizer
from .registry import register_preset

__all__ = [
    "MAEDecoder",
    "MaskedPretrainConfig",
    "ReconstructionLossMetric",
    "VideoMAEPretrainer",
    "build_pretrainer",
    "is_pretraining_state_dict",
    "patch_targets",
    "strip_pretraining_keys",
    "tube_mask",
    "videomae_vit_tiny_p8_8x2x1_synth",
]


@dataclass
class MaskedPretrainConfig:
    """The ``pretrain`` section of a recognition experiment: masked pre-training of the preset's
    ViT backbone (only VideoMAE ViT presets have one) instead of classification.

    Attributes:
        mask_ratio: share of the spatial positions hidden in every temporal slice (0.9).
        decoder_dim, decoder_depth, decoder_heads: the decoder's width, blocks and heads (the
            paper's ViT-B: 384, 4, 6).
        norm_pix_loss: standardise each token's pixels per channel in the target (the paper's
            default); ``False``: the raw normalized pixels.
        mlp_ratio: the decoder blocks' MLP expansion.
    """

    mask_ratio: float = 0.9
    decoder_dim: int = 384
    decoder_depth: int = 4
    decoder_heads: int = 6
    norm_pix_loss: bool = True
    mlp_ratio: float = 4.0

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError(f"pretrain.mask_ratio must be in (0, 1), got {self.mask_ratio}")
        if self.decoder_dim % self.decoder_heads:
            raise ValueError(
                f"pretrain.decoder_dim {self.decoder_dim} must be a multiple of decoder_heads {self.decoder_heads}"
            )
        if self.decoder_depth < 1:
            raise ValueError(f"pretrain.decoder_depth must be >= 1, got {self.decoder_depth}")


def tube_mask(
    batch: int, time_tokens: int, grid: tuple[int, int], ratio: float, *, generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """VideoMAE's tube masking: per sample, ``int(ratio * h * w)`` spatial positions drawn without
    replacement are masked in every one of the ``time_tokens`` temporal slices.

    Returns a boolean ``(batch, time_tokens * h * w)`` mask (True = masked) in the token order of
    :class:`VideoViT` (time, then row, then column); every row masks the same number of tokens.
    """
    h, w = grid
    per_frame = h * w
    num_masked = int(ratio * per_frame)
    if not 0 < num_masked < per_frame:
        raise ValueError(f"mask ratio {ratio} masks {num_masked} of {per_frame} positions; need at least one of each")
    scores = torch.rand(batch, per_frame, generator=generator).to(device)
    masked = scores.argsort(dim=1)[:, :num_masked]  # (N, M) random positions
    spatial = torch.zeros(batch, per_frame, dtype=torch.bool, device=scores.device)
    spatial.scatter_(1, masked, True)
    return spatial.repeat(1, time_tokens)  # (N, h*w) -> (N, T' * h*w): the same positions in every slice


def patch_targets(x: Tensor, tubelet: int, patch: int, *, normalize: bool = True, eps: float = 1e-6) -> Tensor:
    """Reconstruction targets of a clip ``(N, C, T, H, W)``: ``(N, L, tubelet * patch * patch * C)``
    in :class:`VideoViT`'s token order, each token's pixels laid out ``(dt, dy, dx, c)``.

    With ``normalize`` (VideoMAE's normalized-pixel loss) every channel of every token is
    standardised over the token's pixels (mean 0, unbiased std 1, ``eps`` added to the std). That is
    unchanged by a per-channel affine map of the input with positive scale, so the model's
    normalized input serves as well as the reference's [0, 1] pixels (up to ``eps``).
    """
    n, c, t, hh, ww = x.shape
    gt, gh, gw = t // tubelet, hh // patch, ww // patch
    # (N, C, T, H, W) -> (N, t', dt, h, dy, w, dx, C) -> (N, t', h, w, dt, dy, dx, C)
    v = x.reshape(n, c, gt, tubelet, gh, patch, gw, patch).permute(0, 2, 4, 6, 3, 5, 7, 1)
    v = v.reshape(n, gt * gh * gw, tubelet * patch * patch, c)  # (N, L, pixels, C)
    if normalize:
        v = (v - v.mean(dim=2, keepdim=True)) / (v.var(dim=2, unbiased=True, keepdim=True).sqrt() + eps)
    return v.flatten(2)  # (N, L, pixels * C)


def _init_pretrain(m: nn.Module) -> None:
    """The reference's pre-training init: Xavier-uniform linear weights, zero biases, LayerNorm 1/0."""
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class MAEDecoder(nn.Module):
    """VideoMAE's lightweight decoder: encoder tokens ``(N, L_vis, encoder_dim)`` and the mask
    ``(N, L)`` in, predicted pixels of the masked tokens ``(N, L_masked, out_dim)`` out.

    ``encoder_norm`` is the encoder's final LayerNorm (the fine-tuning ViT pools through its own
    ``fc_norm`` instead, so it lives here); ``proj`` is the reference's ``encoder_to_decoder``.
    """

    pos_embed: Tensor

    def __init__(
        self, encoder_dim: int, num_tokens: int, out_dim: int, *, dim: int, depth: int, heads: int,
        mlp_ratio: float = 4.0,
    ) -> None:  # fmt: skip
        super().__init__()
        norm = partial(nn.LayerNorm, eps=1e-6)
        self.encoder_norm = norm(encoder_dim)
        self.proj = nn.Linear(encoder_dim, dim, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer("pos_embed", sinusoid_position_table(num_tokens, dim), persistent=False)
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, heads, mlp_ratio=mlp_ratio, qkv_bias="qv", norm_layer=norm) for _ in range(depth)
        )
        self.norm = norm(dim)
        self.head = nn.Linear(dim, out_dim)
        self.apply(_init_pretrain)
        trunc_normal_(self.mask_token, std=0.02)

    def forward(self, visible: Tensor, mask: Tensor) -> Tensor:
        n = visible.shape[0]
        x = self.proj(self.encoder_norm(visible))  # (N, L_vis, D)
        d = x.shape[-1]
        pos = self.pos_embed.to(x.dtype).expand(n, -1, -1)  # (N, L, D)
        pos_vis, pos_mask = pos[~mask].reshape(n, -1, d), pos[mask].reshape(n, -1, d)
        y = torch.cat((x + pos_vis, self.mask_token.to(x.dtype) + pos_mask), dim=1)  # visible first, then masked
        for block in self.blocks:
            y = block(y)
        num_masked = pos_mask.shape[1]
        return self.head(self.norm(y[:, -num_masked:]))  # (N, L_masked, out_dim)


class VideoMAEPretrainer(nn.Module):
    """A :class:`VideoViT` (``backbone``, the weights fine-tuning starts from) and an
    :class:`MAEDecoder` (``decoder``, dropped after pre-training), trained to reconstruct the
    masked tubes. Implements the trainer's ``forward_train``/``forward_eval``.

    State-dict keys are ``backbone.*`` (exactly a recognizer's backbone keys, ``fc_norm`` included
    and untouched: it takes no part here) and ``decoder.*``.
    """

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        backbone: VideoViT,
        *,
        decoder_dim: int = 384,
        decoder_depth: int = 4,
        decoder_heads: int = 6,
        mask_ratio: float = 0.9,
        norm_pix_loss: bool = True,
        mlp_ratio: float = 4.0,
        mean: tuple[float, ...] = (123.675, 116.28, 103.53),
        std: tuple[float, ...] = (58.395, 57.12, 57.375),
    ) -> None:
        super().__init__()
        if isinstance(backbone.pos_embed, nn.Parameter):
            raise ValueError("pre-training uses the fixed sinusoidal table: build the ViT without learnable_pos_embed")
        self.backbone = backbone
        self.mask_ratio = mask_ratio
        self.norm_pix_loss = norm_pix_loss
        for block in backbone.blocks:
            block.apply(_init_pretrain)
        channels = backbone.patch_embed.in_channels
        self.decoder = MAEDecoder(
            backbone.embed_dim, backbone.pos_embed.shape[1], backbone.tubelet_size * backbone.patch_size**2 * channels,
            dim=decoder_dim, depth=decoder_depth, heads=decoder_heads, mlp_ratio=mlp_ratio,
        )  # fmt: skip
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32), persistent=False)

    def preprocess(self, video: Tensor) -> Tensor:
        """``uint8 (N, T, C, H, W)`` -> normalized float ``(N, C, T, H, W)``."""
        x = video.to(self.mean.device).to(self.mean.dtype)
        x = (x - self.mean.view(-1, 1, 1)) / self.std.view(-1, 1, 1)
        return x.permute(0, 2, 1, 3, 4).contiguous()  # (N, T, C, H, W) -> (N, C, T, H, W)

    def token_grid(self, x: Tensor) -> tuple[int, tuple[int, int]]:
        """Temporal slices and spatial grid ``(h, w)`` of the tokens of a clip ``(N, C, T, H, W)``."""
        b = self.backbone
        return x.shape[2] // b.tubelet_size, (x.shape[3] // b.patch_size, x.shape[4] // b.patch_size)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Predicted pixels of the masked tokens ``(N, L_masked, tubelet*p*p*C)`` for a normalized clip
        ``x`` ``(N, C, T, H, W)`` and a boolean ``mask`` ``(N, L)`` with the same count per row."""
        tokens, _ = self.backbone.patchify(x)  # (N, L, C) with position embeddings
        n, length, c = tokens.shape
        if mask.shape != (n, length):
            raise ValueError(f"mask {tuple(mask.shape)} does not match the {length} tokens of each clip")
        visible = tokens[~mask].reshape(n, -1, c)  # (N, L_vis, C)
        for block in self.backbone.blocks:
            visible = block(visible)
        return self.decoder(visible, mask)

    def per_sample_loss(self, x: Tensor, mask: Tensor) -> Tensor:
        """``(N,)`` mean squared error of each clip's masked tokens against :func:`patch_targets`."""
        pred = self.forward(x, mask)
        b = self.backbone
        target = patch_targets(x.float(), b.tubelet_size, b.patch_size, normalize=self.norm_pix_loss)
        target = target[mask].reshape(pred.shape)
        return (pred.float() - target).pow(2).flatten(1).mean(dim=1)

    def loss(self, x: Tensor, mask: Tensor) -> Tensor:
        """The batch loss: mean over clips of :meth:`per_sample_loss` (every clip masks as many tokens)."""
        return self.per_sample_loss(x, mask).mean()

    def forward_train(self, batch: Mapping[str, Any]) -> dict[str, Tensor]:
        """``{"loss", "loss_rec"}`` for a batch ``{"video": uint8 (N, T, C, H, W), ...}`` under a
        fresh tube mask (drawn from the global RNG, so seeded runs repeat); labels are ignored."""
        x = self.preprocess(batch["video"])
        slices, grid = self.token_grid(x)
        mask = tube_mask(x.shape[0], slices, grid, self.mask_ratio, device=x.device)
        loss = self.loss(x, mask)
        return {"loss": loss, "loss_rec": loss.detach()}

    @torch.no_grad()
    def forward_eval(self, batch: Mapping[str, Any]) -> dict[str, Tensor]:
        """``{"loss_rec": (N,)}``: each clip's reconstruction loss under a mask drawn from a generator
        seeded with the clip's dataset index (the same masks in every evaluation)."""
        video = batch["video"]
        if video.dim() == 6:  # (N, V, T, C, H, W) test views: the first view of each clip
            video = video[:, 0]
        x = self.preprocess(video)
        slices, grid = self.token_grid(x)
        index = batch.get("index") if hasattr(batch, "get") else None
        seeds = [int(i) for i in index] if index is not None else list(range(x.shape[0]))
        mask = torch.cat([
            tube_mask(1, slices, grid, self.mask_ratio, generator=torch.Generator().manual_seed(s), device=x.device)
            for s in seeds
        ])  # fmt: skip
        return {"loss_rec": self.per_sample_loss(x, mask)}


class ReconstructionLossMetric:
    """The validation metric of pre-training: ``{"loss_rec"}``, the mean of the per-clip losses of
    ``forward_eval`` over every rank's clips (summed with an all-reduce under ``torchrun``)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._sum, self._count = 0.0, 0

    def update(self, *, loss_rec: Tensor, indices: Any = None, **_: Any) -> None:
        self._sum += float(loss_rec.double().sum())
        self._count += int(loss_rec.numel())

    def compute(self) -> dict[str, float]:
        from vidcore.core.trainer.distributed import all_reduce_sum

        totals = all_reduce_sum(torch.tensor([self._sum, float(self._count)], dtype=torch.float64))
        return {"loss_rec": float(totals[0] / totals[1]) if totals[1] > 0 else float("nan")}


def build_pretrainer(model: nn.Module, cfg: MaskedPretrainConfig) -> VideoMAEPretrainer:
    """The pre-training model around the backbone of a recognizer built from a VideoMAE ViT preset
    (the recognizer's head is discarded: fine-tuning builds a fresh one)."""
    backbone = getattr(model, "backbone", None)
    if not isinstance(backbone, VideoViT):
        raise ValueError(
            f"masked pre-training needs a VideoMAE ViT preset (a VideoViT backbone), got {type(backbone).__name__}"
        )
    mean = tuple(float(v) for v in getattr(model, "mean", torch.tensor((123.675, 116.28, 103.53))).flatten())
    std = tuple(float(v) for v in getattr(model, "std", torch.tensor((58.395, 57.12, 57.375))).flatten())
    return VideoMAEPretrainer(
        backbone, decoder_dim=cfg.decoder_dim, decoder_depth=cfg.decoder_depth, decoder_heads=cfg.decoder_heads,
        mask_ratio=cfg.mask_ratio, norm_pix_loss=cfg.norm_pix_loss, mlp_ratio=cfg.mlp_ratio, mean=mean, std=std,
    )  # fmt: skip


def is_pretraining_state_dict(sd: Mapping[str, Any]) -> bool:
    """Whether ``sd`` is a :class:`VideoMAEPretrainer`'s: ``decoder.mask_token`` and otherwise only
    ``backbone.`` and ``decoder.`` keys."""
    return "decoder.mask_token" in sd and all(k.startswith(("backbone.", "decoder.")) for k in sd)


def strip_pretraining_keys(sd: Mapping[str, Tensor]) -> tuple[dict[str, Tensor], int]:
    """A pre-training state dict reduced to its ``backbone.`` tensors (what a recognizer takes),
    and how many decoder tensors were left out; any other state dict is returned unchanged."""
    if not is_pretraining_state_dict(sd):
        return dict(sd), 0
    kept = {k: v for k, v in sd.items() if k.startswith("backbone.")}
    return kept, len(sd) - len(kept)


# -- the synthetic-set preset ----------------------------------------------------------------------


@register_preset(
    replace(
        _VIDEOMAE, dataset="synth", num_classes=8, clip_len=8, frame_interval=2, short_side=36, crop_size=32,
        test_crop_size=32, test_num_clips=1, test_crops=1, mmaction_config=None, convert_mmaction=None,
        notes="a tiny VideoMAE ViT for the built-in synthetic set (vidcore-data synth): masked pre-training demo",
    )
)  # fmt: skip
def videomae_vit_tiny_p8_8x2x1_synth(num_classes: int = 8) -> Recognizer:
    """A tiny VideoMAE ViT: 8 frames of 32x32, patch 8, tubelet 2 (4 x 4 x 4 = 64 tokens), width
    128, 4 blocks, 2 heads of 64 (ViT-S's head width); linear head with dropout 0.1; 843,144
    parameters with 8 classes."""
    backbone = VideoViT(img_size=32, patch_size=8, tubelet_size=2, num_frames=8, embed_dim=128, depth=4, num_heads=2)
    return Recognizer(backbone, I3DHead(num_classes, 128, spatial_pool=False, dropout=0.1, init_std=0.02))
