"""VideoMAE's video ViT (Tong et al., "VideoMAE: Masked Autoencoders are Data-Efficient Learners
for Self-Supervised Video Pre-Training", NeurIPS 2022; Wang et al., "VideoMAE V2: Scaling Video
Masked Autoencoders with Dual Masking", CVPR 2023), as fine-tuned for classification.

A plain ViT over space-time "tubelets": a ``tubelet x patch x patch`` (2x16x16) convolution
cuts the clip into ``T/2 * (H/16) * (W/16)`` tokens (1568 for 16x224x224), a fixed sinusoidal
position table is added, pre-norm blocks (joint space-time attention, biases on queries and
values only, GELU MLP) follow, and the mean of the tokens goes through ``fc_norm`` to the linear
head. VideoMAE V2's distilled ViT-S/B are the same network.

Submodule names follow MMAction2's ``VisionTransformer`` (``mmaction/models/backbones/vit_mae.py``)
except ``patch_embed`` (a bare ``Conv3d``, MMAction2 ``patch_embed.projection``) and the MLP
(``mlp.fc1``/``mlp.fc2``, MMAction2 ``mlp.layers.0.0``/``mlp.layers.1``):
:func:`convert_mmaction_videomae` maps them. Parameter counts with 400 classes (MMAction2's, measured):
ViT-S 22,033,936 (V2 distilled), ViT-B 86,534,800, ViT-L 304,270,736.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.core.layers import TransformerBlock, drop_path_rates, sinusoid_position_table, trunc_normal_

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import convert_mmaction_recognizer

__all__ = [
    "VideoMAEPretrainer",
    "VideoViT",
    "convert_mmaction_videomae",
    "interpolate_pos_embed",
    "patch_targets",
    "tube_mask",
    "videomae_recognizer",
    "videomae_vit",
]


def interpolate_pos_embed(table: Tensor, grid: tuple[int, int], size: tuple[int, int]) -> Tensor:
    """Resize a ``(1, T' * gh * gw, C)`` position table to another spatial grid ``size = (h, w)``:
    each of the ``T'`` temporal slices is resized bicubically (``align_corners=False``), as
    MMAction2's VideoMAE does for inputs of another size. Returns ``(1, T' * h * w, C)``."""
    c = table.shape[-1]
    t = table.shape[1] // (grid[0] * grid[1])
    x = table.reshape(t, grid[0], grid[1], c).permute(0, 3, 1, 2)  # (T', gh, gw, C) -> (T', C, gh, gw)
    x = F.interpolate(x, size=size, mode="bicubic", align_corners=False)
    return x.permute(0, 2, 3, 1).reshape(1, t * size[0] * size[1], c)  # (T', C, h, w) -> (1, T'*h*w, C)


class VideoViT(nn.Module):
    """The VideoMAE ViT backbone.

    Args:
        img_size: side of the (square) frames the position table is built for; other sizes are
            accepted and the table is resized (:func:`interpolate_pos_embed`).
        patch_size: spatial side of a patch.
        tubelet_size: frames per token.
        num_frames: frames per clip (fixed: the table has ``num_frames / tubelet_size`` temporal rows).
        in_channels: input channels.
        embed_dim, depth, num_heads, mlp_ratio: width, blocks, heads, MLP expansion.
        qkv_bias: biases on queries and values (``"qv"``, VideoMAE), on all three (True) or none.
        drop_rate, attn_drop_rate, drop_path_rate: dropout after projections / on attention
            probabilities / stochastic depth (rising linearly to ``drop_path_rate``).
        init_values: LayerScale init (0: none, as MMAction2's configs).
        learnable_pos_embed: a learned table (parameter) instead of the fixed sinusoidal one (buffer).
        use_mean_pooling: features = ``fc_norm(mean of tokens)``; otherwise ``norm(tokens)[:, 0]``
            (MMAction2's choice; there is no class token).
        norm_eps: LayerNorm epsilon (1e-6).

    Input ``(N, C, T, H, W)``; output ``(N, embed_dim)``. :meth:`forward_tokens` gives the tokens.
    """

    pos_embed: Tensor

    def __init__(
        self,
        *,
        img_size: int = 224,
        patch_size: int = 16,
        tubelet_size: int = 2,
        num_frames: int = 16,
        in_channels: int = 3,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        qkv_bias: bool | Literal["qv"] = "qv",
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        init_values: float = 0.0,
        learnable_pos_embed: bool = False,
        use_mean_pooling: bool = True,
        norm_eps: float = 1e-6,
    ) -> None:
        super().__init__()
        if num_frames % tubelet_size or img_size % patch_size:
            raise ValueError(
                f"num_frames {num_frames} must be a multiple of tubelet_size {tubelet_size} and "
                f"img_size {img_size} of patch_size {patch_size}"
            )
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.num_frames = num_frames
        self.grid_size = (img_size // patch_size, img_size // patch_size)
        self.feat_dim = embed_dim
        num_patches = (num_frames // tubelet_size) * self.grid_size[0] * self.grid_size[1]
        kernel = (tubelet_size, patch_size, patch_size)
        self.patch_embed = nn.Conv3d(in_channels, embed_dim, kernel, stride=kernel)
        if learnable_pos_embed:
            self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, embed_dim))
            trunc_normal_(self.pos_embed, std=0.02)
        else:
            self.register_buffer("pos_embed", sinusoid_position_table(num_patches, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        norm = partial(nn.LayerNorm, eps=norm_eps)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                embed_dim,
                num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop=drop_rate,
                attn_drop=attn_drop_rate,
                drop_path=rate,
                init_values=init_values,
                norm_layer=norm,
            )
            for rate in drop_path_rates(drop_path_rate, depth)
        )
        self.norm = nn.Identity() if use_mean_pooling else norm(embed_dim)
        self.fc_norm = norm(embed_dim) if use_mean_pooling else None
        self.apply(_init_vit)

    def patchify(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        """Tokens with position embeddings ``(N, L, C)`` of a clip ``(N, C, T, H, W)``, and the
        spatial grid ``(h, w)`` of the tokens (``L = T/tubelet * h * w``, ordered t, y, x)."""
        if x.shape[2] != self.num_frames:
            raise ValueError(
                f"this VideoMAE ViT takes clips of {self.num_frames} frames, got {x.shape[2]} "
                f"(input {tuple(x.shape)}, expected (N, C, T, H, W))"
            )
        x = self.patch_embed(x)  # (N, C, T/2, h, w)
        grid = (x.shape[3], x.shape[4])
        x = x.flatten(2).transpose(1, 2)  # (N, C, T/2, h, w) -> (N, L, C)
        pos = self.pos_embed
        if grid != self.grid_size:
            pos = interpolate_pos_embed(pos, self.grid_size, grid)
        return self.pos_drop(x + pos.to(x.dtype)), grid

    def forward_tokens(self, x: Tensor) -> Tensor:
        """Output tokens ``(N, L, C)`` after the blocks (and ``norm`` when not mean-pooling)."""
        x, _ = self.patchify(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, T, H, W)`` -> ``(N, embed_dim)``."""
        x = self.forward_tokens(x)
        if self.fc_norm is not None:
            return self.fc_norm(x.mean(dim=1))
        return x[:, 0]


def _init_vit(m: nn.Module) -> None:
    """MMAction2's VideoMAE initialisation: linear layers truncated-normal (std 0.02) with zero
    biases, LayerNorms at 1/0; the patch convolution keeps PyTorch's default."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def videomae_vit(size: str, *, num_frames: int = 16, img_size: int = 224) -> VideoViT:
    """VideoMAE's ViT-S/B/L (``"small"``: 384 wide, 12 blocks, 6 heads; ``"base"``: 768, 12, 12;
    ``"large"``: 1024, 24, 16), patch 16, tubelet 2, as MMAction2's configs."""
    dims = {"small": (384, 12, 6), "base": (768, 12, 12), "large": (1024, 24, 16)}
    if size not in dims:
        raise ValueError(f"unknown VideoMAE ViT size {size!r}; expected one of {sorted(dims)}")
    width, depth, heads = dims[size]
    return VideoViT(embed_dim=width, depth=depth, num_heads=heads, num_frames=num_frames, img_size=img_size)


# -- masked pre-training ---------------------------------------------------------------------------


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
    scores = torch.rand(batch, per_frame, generator=generator, device=device)
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
    normalized input serves as well as raw pixels (up to ``eps``).
    """
    n, c, t, hh, ww = x.shape
    gt, gh, gw = t // tubelet, hh // patch, ww // patch
    # (N, C, T, H, W) -> (N, t', dt, h, dy, w, dx, C) -> (N, t', h, w, dt, dy, dx, C)
    v = x.reshape(n, c, gt, tubelet, gh, patch, gw, patch).permute(0, 2, 4, 6, 3, 5, 7, 1)
    v = v.reshape(n, gt * gh * gw, tubelet * patch * patch, c)  # (N, L, pixels, C)
    if normalize:
        v = (v - v.mean(dim=2, keepdim=True)) / (v.var(dim=2, unbiased=True, keepdim=True).sqrt() + eps)
    return v.flatten(2)  # (N, L, pixels * C)


class VideoMAEPretrainer(nn.Module):
    """VideoMAE masked-autoencoder pre-training (the paper's recipe; MMAction2 ships none).

    The encoder (a :class:`VideoViT`, whose weights later initialise fine-tuning) sees only the
    visible tokens of a tube mask (``mask_ratio`` 0.9); a lightweight decoder (``decoder_depth``
    pre-norm blocks of width ``decoder_dim``) gets the encoded visible tokens projected to its
    width (``encoder_to_decoder``), a learned ``mask_token`` at every masked position, and a fixed
    sinusoidal table; its ``head`` predicts the ``tubelet * patch * patch * 3`` pixels of each masked
    token. The loss is the mean squared error against :func:`patch_targets` (normalized pixels)
    on masked tokens only.

    Input of :meth:`forward_train`: ``{"video": uint8 (N, T, C, H, W)}`` (labels are ignored);
    normalization with ``mean``/``std`` (0-255 units) happens on the model's device.
    """

    mean: Tensor
    std: Tensor
    decoder_pos_embed: Tensor

    def __init__(
        self,
        encoder: VideoViT,
        *,
        decoder_dim: int = 384,
        decoder_depth: int = 4,
        decoder_heads: int = 6,
        mask_ratio: float = 0.9,
        norm_pix_loss: bool = True,
        mean: tuple[float, ...] = (123.675, 116.28, 103.53),
        std: tuple[float, ...] = (58.395, 57.12, 57.375),
    ) -> None:
        super().__init__()
        if isinstance(encoder.pos_embed, nn.Parameter):
            raise ValueError("pre-training uses the fixed sinusoidal table: build the encoder without learnable_pos_embed")
        self.encoder = encoder
        self.mask_ratio = mask_ratio
        self.norm_pix_loss = norm_pix_loss
        dim = encoder.embed_dim
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.encoder_to_decoder = nn.Linear(dim, decoder_dim, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        trunc_normal_(self.mask_token, std=0.02)
        self.register_buffer(
            "decoder_pos_embed", sinusoid_position_table(encoder.pos_embed.shape[1], decoder_dim), persistent=False
        )
        norm = partial(nn.LayerNorm, eps=1e-6)
        self.decoder_blocks = nn.ModuleList(
            TransformerBlock(decoder_dim, decoder_heads, qkv_bias="qv", norm_layer=norm) for _ in range(decoder_depth)
        )
        self.decoder_norm = norm(decoder_dim)
        channels = encoder.patch_embed.in_channels
        self.head = nn.Linear(decoder_dim, encoder.tubelet_size * encoder.patch_size**2 * channels)
        for module in (self.encoder_to_decoder, self.decoder_blocks, self.decoder_norm, self.head):
            module.apply(_init_vit)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32), persistent=False)

    def preprocess(self, video: Tensor) -> Tensor:
        """``uint8 (N, T, C, H, W)`` -> normalized float ``(N, C, T, H, W)``."""
        x = video.to(self.mean.device).to(self.mean.dtype)
        x = (x - self.mean.view(-1, 1, 1)) / self.std.view(-1, 1, 1)
        return x.permute(0, 2, 1, 3, 4).contiguous()  # (N, T, C, H, W) -> (N, C, T, H, W)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Predicted pixels of the masked tokens ``(N, L_masked, tubelet*p*p*C)`` for a normalized clip
        ``x`` ``(N, C, T, H, W)`` and a boolean ``mask`` ``(N, L)`` with the same count per row."""
        tokens, _ = self.encoder.patchify(x)  # (N, L, C) with position embeddings
        n, length, c = tokens.shape
        if mask.shape != (n, length):
            raise ValueError(f"mask {tuple(mask.shape)} does not match the {length} tokens of each clip")
        visible = tokens[~mask].reshape(n, -1, c)  # (N, L_vis, C)
        for block in self.encoder.blocks:
            visible = block(visible)
        visible = self.encoder_to_decoder(self.encoder_norm(visible))  # (N, L_vis, D)
        d = visible.shape[-1]
        pos = self.decoder_pos_embed.to(visible.dtype).expand(n, -1, -1)
        pos_vis, pos_mask = pos[~mask].reshape(n, -1, d), pos[mask].reshape(n, -1, d)
        y = torch.cat((visible + pos_vis, self.mask_token + pos_mask), dim=1)  # visible first, then masked
        for block in self.decoder_blocks:
            y = block(y)
        num_masked = pos_mask.shape[1]
        return self.head(self.decoder_norm(y[:, -num_masked:]))

    def loss(self, x: Tensor, mask: Tensor) -> Tensor:
        """Mean squared error of :meth:`forward` against the (normalized) pixels of the masked tokens."""
        pred = self.forward(x, mask)
        target = patch_targets(x, self.encoder.tubelet_size, self.encoder.patch_size, normalize=self.norm_pix_loss)
        target = target[mask].reshape(pred.shape)
        return F.mse_loss(pred, target)

    def forward_train(self, batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``{"loss"}`` for a batch ``{"video": uint8 (N, T, C, H, W), ...}`` under a fresh tube mask."""
        x = self.preprocess(batch["video"])
        grid = (x.shape[3] // self.encoder.patch_size, x.shape[4] // self.encoder.patch_size)
        mask = tube_mask(x.shape[0], x.shape[2] // self.encoder.tubelet_size, grid, self.mask_ratio, device=x.device)
        loss = self.loss(x, mask)
        return {"loss": loss, "loss_rec": loss.detach()}

    def encoder_state_dict(self) -> dict[str, Tensor]:
        """The encoder's weights under :class:`VideoViT` names, to initialise fine-tuning
        (``fc_norm`` is not pre-trained and stays freshly initialised)."""
        return {k: v for k, v in self.encoder.state_dict().items() if not k.startswith("fc_norm.")}


# -- conversion ------------------------------------------------------------------------------------


def convert_mmaction_videomae(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """MMAction2 VideoMAE recognizer state dict -> ours: ``patch_embed.projection.`` ->
    ``patch_embed.``, ``mlp.layers.0.0.`` -> ``mlp.fc1.``, ``mlp.layers.1.`` -> ``mlp.fc2.``,
    ``cls_head.`` -> ``head.``; everything else (``pos_embed``, ``q_bias``/``v_bias``, norms) keeps its name."""
    out: dict[str, Tensor] = {}
    for key, value in convert_mmaction_recognizer(state_dict).items():
        key = key.replace(".patch_embed.projection.", ".patch_embed.")
        key = key.replace(".mlp.layers.0.0.", ".mlp.fc1.").replace(".mlp.layers.1.", ".mlp.fc2.")
        out[key] = value
    return out


# -- presets ---------------------------------------------------------------------------------------


_VIDEOMAE = replace(
    K400_3D,
    clip_len=16,
    frame_interval=4,
    test_num_clips=5,
    test_crops=3,
    test_crop_size=224,
    convert_mmaction=convert_mmaction_videomae,
    notes="MMAction2 ships only the test pipeline (16x4 clips, 5 clips x 3 crops of 224 after a 224 short-side resize).",
)


def videomae_recognizer(size: str, num_classes: int, *, num_frames: int = 16, img_size: int = 224) -> Recognizer:
    """VideoMAE ViT-S/B/L (:func:`videomae_vit`) with MMAction2's head (linear ``fc_cls``, no
    dropout) and ImageNet normalization: what every preset below builds."""
    backbone = videomae_vit(size, num_frames=num_frames, img_size=img_size)
    return Recognizer(backbone, I3DHead(num_classes, backbone.feat_dim, spatial_pool=False, dropout=0.0, init_std=0.02))


@register_preset(
    replace(_VIDEOMAE, mmaction_config="recognition/videomae/vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py")
)
def videomae_vit_base_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE ViT-B/16 fine-tuned on Kinetics-400 (16 frames 4 apart); 86,534,800 parameters."""
    return videomae_recognizer("base", num_classes)


@register_preset(
    replace(_VIDEOMAE, mmaction_config="recognition/videomae/vit-large-p16_videomae-k400-pre_16x4x1_kinetics-400.py")
)
def videomae_vit_large_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE ViT-L/16 fine-tuned on Kinetics-400 (16 frames 4 apart); 304,270,736 parameters."""
    return videomae_recognizer("large", num_classes)


@register_preset(
    replace(
        _VIDEOMAE,
        mmaction_config="recognition/videomaev2/vit-small-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400.py",
    )
)
def videomaev2_vit_small_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE V2 ViT-S/16 distilled from ViT-g (K710), fine-tuned on Kinetics-400; 22,033,936 parameters."""
    return videomae_recognizer("small", num_classes)


@register_preset(
    replace(
        _VIDEOMAE,
        mmaction_config="recognition/videomaev2/vit-base-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400.py",
    )
)
def videomaev2_vit_base_p16_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """VideoMAE V2 ViT-B/16 distilled from ViT-g (K710), fine-tuned on Kinetics-400; 86,534,800 parameters."""
    return videomae_recognizer("base", num_classes)
