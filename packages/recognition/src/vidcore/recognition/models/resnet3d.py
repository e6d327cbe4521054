"""Inflated 3D ResNets: I3D, C2D and the SlowOnly pathway.

One backbone class, :class:`ResNet3d`, covers the family: a ResNet whose convolutions carry a
temporal extent chosen per stage and per block ("inflation"). I3D (Carreira & Zisserman, CVPR 2017)
inflates alternate blocks to 3x1x1 temporal kernels and strides the stem in time; C2D runs a 2D
ResNet-50 on every frame with one temporal max-pool after stage 1; SlowOnly (Feichtenhofer et al.,
ICCV 2019) inflates only stages 4 and 5 and never strides in time.

Submodule names follow MMAction2's ``ResNet3d`` (``conv1.conv``, ``conv1.bn``, ``layer1.0.conv2.conv``,
``layerX.0.downsample.conv``, ``...non_local_block.g.0.conv``), so its ``backbone.`` keys load
unchanged (:func:`convert_mmaction_recognizer` only renames ``cls_head.`` to ``head.``); C2D
checkpoints hold 2D kernels, which :func:`convert_mmaction_c2d` turns into 1xkxk 3D kernels.
:func:`inflate_from_2d` initialises any of these from an ImageNet 2D ResNet.

Input ``(N, C, T, H, W)`` float; output the features of the stages named by ``out_indices``, each
``(N, C_i, T_i, H_i, W_i)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from vidcore.core.layers import ConvNormAct, NonLocalSpec

from ..meta import K400_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead

__all__ = [
    "BasicBlock3d",
    "Bottleneck3d",
    "ConvBnAct3d",
    "NonLocalSpec",
    "ResNet3d",
    "c2d_r50_backbone",
    "convert_mmaction_c2d",
    "convert_mmaction_recognizer",
    "i3d_r50_backbone",
    "inflate_from_2d",
    "slowonly_backbone",
]

Triple = tuple[int, int, int]
ConvLayer = Callable[..., nn.Module]


def _triple(v: int | Sequence[int]) -> Triple:
    if isinstance(v, int):
        return (v, v, v)
    t = tuple(int(x) for x in v)
    if len(t) != 3:
        raise ValueError(f"expected an int or 3 ints, got {v!r}")
    return t  # type: ignore[return-value]


class ConvBnAct3d(ConvNormAct):
    """:class:`vidcore.core.layers.ConvNormAct` in 3D with this family's defaults: the arguments
    it takes as booleans (``norm``, ``act``), ints expanded to triples (so a ``conv_layer`` such
    as R(2+1)D's factorised conv always sees 3-tuples). Submodules ``conv``, ``bn`` (MMCV's names,
    so state-dict keys match), ``activate``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        *,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = False,
        norm: bool = True,
        norm_eps: float = 1e-5,
        act: bool = True,
        conv_layer: ConvLayer = nn.Conv3d,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            _triple(kernel_size),
            _triple(stride),
            _triple(padding),
            dims=3,
            dilation=_triple(dilation),
            groups=groups,
            bias=bias,
            conv_layer=conv_layer,
            norm_layer=nn.BatchNorm3d if norm else None,
            act_layer=partial(nn.ReLU, inplace=True) if act else None,
            norm_eps=norm_eps,
        )


class _ResidualBlock(nn.Module):
    """Common forward of the residual blocks: ``relu(f(x) + shortcut(x))`` then non-local."""

    downsample: nn.Module | None
    non_local_block: nn.Module | None
    with_cp: bool

    def _residual(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        def inner(x: Tensor) -> Tensor:
            identity = x if self.downsample is None else self.downsample(x)
            return self._residual(x) + identity

        if self.with_cp and x.requires_grad:
            out = checkpoint(inner, x, use_reentrant=False)
        else:
            out = inner(x)
        out = F.relu(out, inplace=True)
        if self.non_local_block is not None:
            out = self.non_local_block(out)
        return out


class BasicBlock3d(_ResidualBlock):
    """Two 3x3 convolutions (3x3x3 when inflated, 1x3x3 otherwise); ResNet-18/34."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        spatial_stride: int = 1,
        temporal_stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
        style: Literal["pytorch", "caffe"] = "pytorch",
        inflate: bool = True,
        inflate_style: Literal["3x1x1", "3x3x3"] = "3x1x1",
        non_local: nn.Module | None = None,
        norm_eps: float = 1e-5,
        conv_layer: ConvLayer = nn.Conv3d,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        del style, inflate_style  # the basic block strides its first conv either way
        kt, pt = (3, 1) if inflate else (1, 0)
        self.conv1 = ConvBnAct3d(
            inplanes,
            planes,
            (kt, 3, 3),
            (temporal_stride, spatial_stride, spatial_stride),
            (pt, dilation, dilation),
            dilation=(1, dilation, dilation),
            norm_eps=norm_eps,
            conv_layer=conv_layer,
        )
        self.conv2 = ConvBnAct3d(
            planes,
            planes * self.expansion,
            (kt, 3, 3),
            1,
            (pt, 1, 1),
            norm_eps=norm_eps,
            act=False,
            conv_layer=conv_layer,
        )
        self.downsample = downsample
        self.non_local_block = non_local
        self.with_cp = with_cp

    def _residual(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x))


class Bottleneck3d(_ResidualBlock):
    """1x1 -> 3x3 -> 1x1 bottleneck with temporal kernels placed by ``inflate_style``.

    "3x1x1" (I3D, SlowOnly): the first conv is 3x1x1 and the middle one 1x3x3; "3x3x3" (CSN): the
    first conv is 1x1x1 and the middle one 3x3x3. Not inflated: 1x1x1 and 1x3x3. ``style="pytorch"``
    strides the middle conv, ``"caffe"`` the first.
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        spatial_stride: int = 1,
        temporal_stride: int = 1,
        dilation: int = 1,
        downsample: nn.Module | None = None,
        style: Literal["pytorch", "caffe"] = "pytorch",
        inflate: bool = True,
        inflate_style: Literal["3x1x1", "3x3x3"] = "3x1x1",
        non_local: nn.Module | None = None,
        norm_eps: float = 1e-5,
        conv_layer: ConvLayer = nn.Conv3d,
        with_cp: bool = False,
    ) -> None:
        super().__init__()
        if style not in ("pytorch", "caffe"):
            raise ValueError(f"style must be 'pytorch' or 'caffe', got {style!r}")
        if inflate_style not in ("3x1x1", "3x3x3"):
            raise ValueError(f"inflate_style must be '3x1x1' or '3x3x3', got {inflate_style!r}")
        stride = (temporal_stride, spatial_stride, spatial_stride)
        s1, s2 = ((1, 1, 1), stride) if style == "pytorch" else (stride, (1, 1, 1))
        if inflate and inflate_style == "3x1x1":
            k1, p1, k2, p2 = (3, 1, 1), (1, 0, 0), (1, 3, 3), (0, dilation, dilation)
        elif inflate:
            k1, p1, k2, p2 = (1, 1, 1), (0, 0, 0), (3, 3, 3), (1, dilation, dilation)
        else:
            k1, p1, k2, p2 = (1, 1, 1), (0, 0, 0), (1, 3, 3), (0, dilation, dilation)
        self.conv1 = ConvBnAct3d(inplanes, planes, k1, s1, p1, norm_eps=norm_eps, conv_layer=conv_layer)
        self.conv2: nn.Module = ConvBnAct3d(
            planes,
            planes,
            k2,
            s2,
            p2,
            dilation=(1, dilation, dilation),
            norm_eps=norm_eps,
            conv_layer=conv_layer,
        )
        self.conv3 = ConvBnAct3d(
            planes, planes * self.expansion, 1, norm_eps=norm_eps, act=False, conv_layer=conv_layer
        )
        self.downsample = downsample
        self.non_local_block = non_local
        self.with_cp = with_cp

    def _residual(self, x: Tensor) -> Tensor:
        return self.conv3(self.conv2(self.conv1(x)))


_ARCH: dict[int, tuple[type[BasicBlock3d] | type[Bottleneck3d], tuple[int, int, int, int]]] = {
    18: (BasicBlock3d, (2, 2, 2, 2)),
    34: (BasicBlock3d, (3, 4, 6, 3)),
    50: (Bottleneck3d, (3, 4, 6, 3)),
    101: (Bottleneck3d, (3, 4, 23, 3)),
    152: (Bottleneck3d, (3, 8, 36, 3)),
}


def _per_block(pattern: int | Sequence[int], blocks: int, what: str, stage: int) -> list[bool]:
    if isinstance(pattern, int):
        return [bool(pattern)] * blocks
    if len(pattern) != blocks:
        raise ValueError(f"{what} of stage {stage + 1} lists {len(pattern)} blocks, the stage has {blocks}")
    return [bool(p) for p in pattern]


class ResNet3d(nn.Module):
    """3D ResNet backbone (stem, optional temporal pool after stage 1, four residual stages).

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input channels (3 for RGB).
        base_channels: stem width; stage ``i`` has ``base_channels * 2**i`` planes.
        num_stages: how many residual stages to build (1-4).
        out_indices: stages whose outputs ``forward`` returns (a tensor when one, else a tuple).
        spatial_strides / temporal_strides / dilations: per stage, applied in its first block.
        conv1_kernel: stem kernel ``(t, h, w)``; padding is ``(k - 1) // 2`` per axis.
        conv1_stride_s / conv1_stride_t: stem strides. pool1_stride_s / pool1_stride_t: stem
            1x3x3 max-pool strides; ``pool1_padding_s`` its spatial padding (1; 0 in C2D).
        with_pool1: apply the stem max-pool. with_pool2: 2x1x1 temporal max-pool after stage 1.
        style: "pytorch" strides the 3x3 conv of a bottleneck, "caffe" the first 1x1.
        inflate: per stage, an int for all blocks or one int per block (1 = temporal kernel 3).
        inflate_style: "3x1x1" or "3x3x3" (see :class:`Bottleneck3d`).
        non_local: per stage, an int or one int per block (1 = non-local after that block).
        non_local_spec: settings of those non-local blocks.
        norm_eps: BatchNorm epsilon (1e-5; CSN and R(2+1)D use 1e-3).
        conv_layer: convolution factory used in the residual stages and the stem.
        lateral_inplanes: extra input channels per stage (SlowFast's lateral concatenation).
        frozen_stages: freeze the stem and stages ``1..frozen_stages`` (-1: none).
        norm_eval: keep BatchNorm in eval mode while training.
        with_cp: gradient checkpointing inside each residual block.
        zero_init_residual: zero the last BN scale of each block at init.
    """

    def __init__(
        self,
        depth: int = 50,
        *,
        in_channels: int = 3,
        base_channels: int = 64,
        num_stages: int = 4,
        stage_blocks: Sequence[int] | None = None,
        out_indices: Sequence[int] = (3,),
        spatial_strides: Sequence[int] = (1, 2, 2, 2),
        temporal_strides: Sequence[int] = (1, 1, 1, 1),
        dilations: Sequence[int] = (1, 1, 1, 1),
        conv1_kernel: Sequence[int] = (3, 7, 7),
        conv1_stride_s: int = 2,
        conv1_stride_t: int = 1,
        pool1_stride_s: int = 2,
        pool1_stride_t: int = 1,
        pool1_padding_s: int = 1,
        with_pool1: bool = True,
        with_pool2: bool = True,
        style: Literal["pytorch", "caffe"] = "pytorch",
        inflate: Sequence[int | Sequence[int]] = (1, 1, 1, 1),
        inflate_style: Literal["3x1x1", "3x3x3"] = "3x1x1",
        non_local: Sequence[int | Sequence[int]] = (0, 0, 0, 0),
        non_local_spec: NonLocalSpec | None = None,
        norm_eps: float = 1e-5,
        conv_layer: ConvLayer = nn.Conv3d,
        lateral_inplanes: Sequence[int] = (0, 0, 0, 0),
        frozen_stages: int = -1,
        norm_eval: bool = False,
        with_cp: bool = False,
        zero_init_residual: bool = True,
    ) -> None:
        super().__init__()
        if depth not in _ARCH:
            raise ValueError(f"depth must be one of {sorted(_ARCH)}, got {depth}")
        if not 1 <= num_stages <= 4:
            raise ValueError(f"num_stages must be in 1..4, got {num_stages}")
        if max(out_indices) >= num_stages:
            raise ValueError(f"out_indices {tuple(out_indices)} reach past {num_stages} stages")
        for name, seq in (
            ("spatial_strides", spatial_strides),
            ("temporal_strides", temporal_strides),
            ("dilations", dilations),
        ):
            if len(seq) < num_stages:
                raise ValueError(f"{name} needs {num_stages} entries, got {tuple(seq)}")
        block_cls, default_blocks = self._block_type(depth)
        blocks = tuple(stage_blocks) if stage_blocks is not None else default_blocks[:num_stages]
        if len(blocks) != num_stages:
            raise ValueError(f"stage_blocks needs {num_stages} entries, got {tuple(blocks)}")
        self.depth = depth
        self.block_cls = block_cls
        self.stage_blocks = blocks
        self.out_indices = tuple(out_indices)
        self.base_channels = base_channels
        self.with_pool1 = with_pool1
        self.with_pool2 = with_pool2
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual
        self.non_local_spec = non_local_spec or NonLocalSpec()

        k = _triple(conv1_kernel)
        self.conv1 = ConvBnAct3d(
            in_channels,
            base_channels,
            k,
            (conv1_stride_t, conv1_stride_s, conv1_stride_s),
            tuple((x - 1) // 2 for x in k),
            norm_eps=norm_eps,
            conv_layer=conv_layer,
        )
        self.maxpool = nn.MaxPool3d(
            (1, 3, 3), (pool1_stride_t, pool1_stride_s, pool1_stride_s), (0, pool1_padding_s, pool1_padding_s)
        )
        self.pool2 = nn.MaxPool3d((2, 1, 1), (2, 1, 1))

        self.res_layers: list[str] = []
        inplanes = base_channels
        for i, n in enumerate(blocks):
            planes = base_channels * 2**i
            layer = self._make_layer(
                inplanes + lateral_inplanes[i],
                planes,
                n,
                spatial_stride=spatial_strides[i],
                temporal_stride=temporal_strides[i],
                dilation=dilations[i],
                style=style,
                inflate=_per_block(inflate[i], n, "inflate", i),
                inflate_style=inflate_style,
                non_local=_per_block(non_local[i], n, "non_local", i),
                norm_eps=norm_eps,
                conv_layer=conv_layer,
                with_cp=with_cp,
            )
            inplanes = planes * block_cls.expansion
            self.add_module(f"layer{i + 1}", layer)
            self.res_layers.append(f"layer{i + 1}")
        self.feat_dim = inplanes
        self.reset_parameters()

    # -- construction -----------------------------------------------------------------------
    def _block_type(self, depth: int) -> tuple[type[nn.Module], tuple[int, ...]]:
        return _ARCH[depth]

    def _block_extra_kwargs(self) -> dict[str, object]:
        return {}

    def _make_layer(
        self,
        inplanes: int,
        planes: int,
        blocks: int,
        *,
        spatial_stride: int,
        temporal_stride: int,
        dilation: int,
        style: Literal["pytorch", "caffe"],
        inflate: list[bool],
        inflate_style: Literal["3x1x1", "3x3x3"],
        non_local: list[bool],
        norm_eps: float,
        conv_layer: ConvLayer,
        with_cp: bool,
    ) -> nn.Sequential:
        expansion = self.block_cls.expansion  # type: ignore[attr-defined]
        downsample = None
        # MMAction2 keys the projection shortcut on spatial stride and width only.
        if spatial_stride != 1 or inplanes != planes * expansion:
            downsample = ConvBnAct3d(
                inplanes,
                planes * expansion,
                1,
                (temporal_stride, spatial_stride, spatial_stride),
                norm_eps=norm_eps,
                act=False,
                conv_layer=conv_layer,
            )
        layers = []
        for j in range(blocks):
            layers.append(
                self.block_cls(
                    inplanes if j == 0 else planes * expansion,
                    planes,
                    spatial_stride=spatial_stride if j == 0 else 1,
                    temporal_stride=temporal_stride if j == 0 else 1,
                    dilation=dilation,
                    downsample=downsample if j == 0 else None,
                    style=style,
                    inflate=inflate[j],
                    inflate_style=inflate_style,
                    non_local=self.non_local_spec.build(planes * expansion) if non_local[j] else None,
                    norm_eps=norm_eps,
                    conv_layer=conv_layer,
                    with_cp=with_cp,
                    **self._block_extra_kwargs(),
                )
            )
        return nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        """Kaiming-normal (fan_out) convolutions, unit BatchNorm; zero last BN per block if asked."""
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.zero_init_residual:
            for m in self.modules():
                last = None
                if isinstance(m, Bottleneck3d):
                    last = m.conv3.bn
                elif isinstance(m, BasicBlock3d):
                    last = m.conv2.bn
                if last is not None:
                    nn.init.zeros_(last.weight)

    # -- forward -----------------------------------------------------------------------------
    def forward_stem(self, x: Tensor) -> Tensor:
        """(N, C, T, H, W) -> stem features (N, base_channels, T', H/4, W/4)."""
        x = self.conv1(x)
        if self.with_pool1:
            x = self.maxpool(x)
        return x

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        """(N, C, T, H, W) -> features of ``out_indices`` stages, (N, C_i, T_i, H_i, W_i) each."""
        x = self.forward_stem(x)
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i == 0 and self.with_pool2:
                x = self.pool2(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    # -- training-time behaviour ----------------------------------------------------------
    def _frozen_modules(self) -> list[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [self.conv1] + [getattr(self, f"layer{i}") for i in range(1, self.frozen_stages + 1)]

    def train(self, mode: bool = True) -> ResNet3d:
        super().train(mode)
        for m in self._frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self


# -- checkpoint conversion -----------------------------------------------------------------------


def convert_mmaction_recognizer(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """An MMAction2 recognizer state dict -> ours: ``cls_head.`` becomes ``head.``; ``backbone.`` and
    ``neck.`` keys are kept (our submodule names are MMAction2's); ``data_preprocessor.`` entries,
    if any, are dropped (our :class:`~vidcore.recognition.recognizer.Recognizer` normalizes itself)."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("data_preprocessor."):
            continue
        if key.startswith("cls_head."):
            key = "head." + key[len("cls_head.") :]
        out[key] = value
    return out


def convert_mmaction_c2d(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """:func:`convert_mmaction_recognizer`, and C2D's 2D conv kernels ``(O, I, k, k)`` become
    ``(O, I, 1, k, k)`` (backbone weights with 4 dimensions)."""
    out: dict[str, Tensor] = {}
    for key, value in convert_mmaction_recognizer(state_dict).items():
        if key.startswith("backbone.") and key.endswith(".weight") and value.dim() == 4:
            value = value.unsqueeze(2)  # (O, I, kh, kw) -> (O, I, 1, kh, kw)
        out[key] = value
    return out


def _key_2d(name_3d: str) -> tuple[str, str]:
    """Torchvision and MMAction2-2D names of the conv and BN behind our ``ConvBnAct3d`` ``name_3d``."""
    if name_3d.endswith(".downsample"):
        return f"{name_3d}.0", f"{name_3d}.1"
    if name_3d == "conv1":
        return "conv1", "bn1"
    head, _, conv = name_3d.rpartition(".")  # layerX.Y.convN -> layerX.Y.bnN
    return name_3d, f"{head}.{conv.replace('conv', 'bn')}"


@torch.no_grad()
def inflate_from_2d(model: ResNet3d, state_dict_2d: Mapping[str, Tensor]) -> list[str]:
    """Initialise a 3D ResNet from a 2D ResNet of the same depth (I3D-style inflation).

    Each ``(O, I, kh, kw)`` kernel is repeated over the ``kt`` temporal taps and divided by
    ``kt``, so a clip of identical frames gives the 2D activations away from the temporal borders;
    BatchNorm tensors are copied; extra input channels of a 3D conv (SlowFast's lateral inputs)
    get zero weights. ``state_dict_2d`` may use torchvision names (``conv1.weight``, ``bn1.*``,
    ``layer1.0.bn2.*``, ``downsample.0/1``) or MMAction2's (``conv1.conv.weight``,
    ``conv1.bn.*``), with or without a ``backbone.`` prefix. Lateral convs and non-local blocks
    keep their initialisation.

    Returns the 2D keys that were not used (e.g. ``fc.weight``). Raises ``KeyError`` when a conv
    of ``model`` has no 2D counterpart and ``ValueError`` on incompatible shapes.
    """
    sd = {k.removeprefix("backbone."): v for k, v in state_dict_2d.items()}
    used: set[str] = set()

    def take(*names: str) -> Tensor | None:
        for n in names:
            if n in sd:
                used.add(n)
                return sd[n]
        return None

    for name, module in model.named_modules():
        if not isinstance(module, ConvBnAct3d) or "lateral" in name or "non_local" in name:
            continue
        conv_2d, bn_2d = _key_2d(name)
        w2 = take(f"{conv_2d}.weight", f"{name}.conv.weight")
        if w2 is None:
            raise KeyError(f"no 2D weight for {name} (looked for {conv_2d}.weight and {name}.conv.weight)")
        w3 = module.conv.weight
        if not isinstance(module.conv, nn.Conv3d) or w2.dim() != 4:
            raise ValueError(f"{name}: can only inflate (O, I, kh, kw) kernels into a Conv3d")
        o, i, kh, kw = w2.shape
        if (w3.shape[0], w3.shape[3], w3.shape[4]) != (o, kh, kw) or w3.shape[1] < i:
            raise ValueError(f"{name}: 2D kernel {tuple(w2.shape)} does not fit 3D kernel {tuple(w3.shape)}")
        kt = w3.shape[2]
        w3.zero_()
        # (O, I, kh, kw) -> (O, I, kt, kh, kw), divided by kt
        w3[:, :i].copy_(w2.unsqueeze(2).expand(o, i, kt, kh, kw) / kt)
        if module.bn is not None:
            for attr in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
                t = take(f"{bn_2d}.{attr}", f"{name}.bn.{attr}")
                if t is None:
                    if attr == "num_batches_tracked":
                        continue
                    raise KeyError(f"no 2D BatchNorm {attr} for {name} (looked for {bn_2d}.{attr})")
                getattr(module.bn, attr).copy_(t)
    return sorted(set(sd) - used)


# -- named backbones -------------------------------------------------------------------------


def i3d_r50_backbone(*, non_local_spec: NonLocalSpec | None = None) -> ResNet3d:
    """I3D ResNet-50 as in MMAction2's ``i3d_r50`` (5x7x7 stem strided 2 in time, inflate pattern
    (1,1,1)/(1,0,1,0)/(1,0,1,0,1,0)/(0,1,0)); with ``non_local_spec`` the NL blocks of the
    ``i3d ... nl`` configs are added to stages 2 and 3. 2048-channel output at T/4, H/32."""
    return ResNet3d(
        50,
        conv1_kernel=(5, 7, 7),
        conv1_stride_t=2,
        pool1_stride_t=2,
        inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0)),
        non_local=(0, (0, 1, 0, 1), (0, 1, 0, 1, 0, 1), 0) if non_local_spec else (0, 0, 0, 0),
        non_local_spec=non_local_spec,
        zero_init_residual=False,
    )


def c2d_r50_backbone() -> ResNet3d:
    """C2D ResNet-50: a 2D ResNet-50 on every frame (1x7x7 stem, unpadded 1x3x3 max-pool, no
    temporal kernels) with one 2x1x1 temporal max-pool after stage 1, as MMAction2's ``C2D``."""
    return ResNet3d(
        50,
        conv1_kernel=(1, 7, 7),
        pool1_padding_s=0,
        inflate=(0, 0, 0, 0),
        with_pool2=True,
    )


def slowonly_backbone(
    depth: int = 50, *, out_indices: Sequence[int] = (3,), non_local_spec: NonLocalSpec | None = None
) -> ResNet3d:
    """SlowOnly ResNet (50 or 101): 1x7x7 stem, no temporal striding or pool2, stages 4-5 inflated
    3x1x1; with ``non_local_spec`` the NL blocks of MMAction2's ``slowonly ... nl`` configs
    (res3 blocks 0, 2; res4 blocks 0, 2, 4)."""
    return ResNet3d(
        depth,
        out_indices=out_indices,
        conv1_kernel=(1, 7, 7),
        inflate=(0, 0, 1, 1),
        with_pool2=False,
        non_local=(0, (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), 0) if non_local_spec else (0, 0, 0, 0),
        non_local_spec=non_local_spec,
    )


# -- presets ---------------------------------------------------------------------------------------


_I3D = replace(K400_3D, clip_len=32, frame_interval=2, convert_mmaction=convert_mmaction_recognizer)
_SLOWONLY_8X8 = replace(K400_3D, clip_len=8, frame_interval=8, convert_mmaction=convert_mmaction_recognizer)
_K400_3D = replace(K400_3D, convert_mmaction=convert_mmaction_recognizer)
_C2D = replace(K400_3D, test_crop_size=224, convert_mmaction=convert_mmaction_c2d)


@register_preset(
    replace(
        _I3D,
        mmaction_config="recognition/i3d/i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.py",
        notes="I3D ResNet-50; MMAction2 reports 73.47 top-1 (10x3 views).",
    )
)
def i3d_r50_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """I3D-R50, 32 frames 2 apart, 224 crops; 28.04M parameters with 400 classes."""
    return Recognizer(i3d_r50_backbone(), I3DHead(num_classes, 2048), input_layout="NCTHW")


def _i3d_nl(mode: Literal["embedded_gaussian", "dot_product", "gaussian"], num_classes: int) -> Recognizer:
    spec = NonLocalSpec(mode=mode, sub_sample=True, use_scale=False)
    return Recognizer(i3d_r50_backbone(non_local_spec=spec), I3DHead(num_classes, 2048), input_layout="NCTHW")


_I3D_NL_CONFIG = "recognition/i3d/i3d_imagenet-pretrained-r50-nl-{}_8xb8-32x2x1-100e_kinetics400-rgb.py"


@register_preset(
    replace(
        _I3D,
        mmaction_config=_I3D_NL_CONFIG.format("embedded-gaussian"),
        notes="I3D-R50 with 5 embedded-gaussian non-local blocks in res3/res4 (use_scale=False); 35.40M parameters.",
    )
)
def i3d_r50_nl_embedded_gaussian_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """I3D-R50 + non-local blocks (embedded gaussian, sub-sampled, BN on the output)."""
    return _i3d_nl("embedded_gaussian", num_classes)


@register_preset(
    replace(
        _I3D,
        mmaction_config=_I3D_NL_CONFIG.format("dot-product"),
        notes="I3D-R50 with 5 dot-product non-local blocks in res3/res4.",
    )
)
def i3d_r50_nl_dot_product_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """I3D-R50 + non-local blocks (dot product)."""
    return _i3d_nl("dot_product", num_classes)


@register_preset(
    replace(
        _I3D,
        mmaction_config=_I3D_NL_CONFIG.format("gaussian"),
        notes="I3D-R50 with 5 gaussian non-local blocks in res3/res4.",
    )
)
def i3d_r50_nl_gaussian_32x2x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """I3D-R50 + non-local blocks (gaussian, no embeddings)."""
    return _i3d_nl("gaussian", num_classes)


@register_preset(
    replace(
        _C2D,
        clip_len=8,
        frame_interval=8,
        mmaction_config="recognition/c2d/c2d_r50-in1k-pre_8xb32-8x8x1-100e_kinetics400-rgb.py",
        notes="C2D ResNet-50 (2D per frame, one temporal pool); tested on 224 crops of 224-short-side frames.",
    )
)
def c2d_r50_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """C2D-R50, 8 frames 8 apart; 24.33M parameters with 400 classes."""
    return Recognizer(c2d_r50_backbone(), I3DHead(num_classes, 2048), input_layout="NCTHW")


@register_preset(
    replace(
        _SLOWONLY_8X8,
        mmaction_config="recognition/slowonly/slowonly_r50_8xb16-8x8x1-256e_kinetics400-rgb.py",
        notes="SlowOnly-R50 8x8 from scratch; 32.45M parameters with 400 classes.",
    )
)
def slowonly_r50_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowOnly-R50, 8 frames 8 apart."""
    return Recognizer(slowonly_backbone(), I3DHead(num_classes, 2048), input_layout="NCTHW")


@register_preset(
    replace(
        _K400_3D,
        clip_len=4,
        frame_interval=16,
        mmaction_config="recognition/slowonly/slowonly_r50_8xb16-4x16x1-256e_kinetics400-rgb.py",
        notes="SlowOnly-R50 4x16 from scratch.",
    )
)
def slowonly_r50_4x16x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowOnly-R50, 4 frames 16 apart."""
    return Recognizer(slowonly_backbone(), I3DHead(num_classes, 2048), input_layout="NCTHW")


@register_preset(
    replace(
        _C2D,
        clip_len=16,
        frame_interval=4,
        mmaction_config="recognition/c2d/c2d_r50-in1k-pre_8xb32-16x4x1-100e_kinetics400-rgb.py",
        notes="C2D ResNet-50 on 16 frames 4 apart.",
    )
)
def c2d_r50_16x4x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """C2D-R50, 16 frames 4 apart."""
    return Recognizer(c2d_r50_backbone(), I3DHead(num_classes, 2048), input_layout="NCTHW")


@register_preset(
    replace(
        _SLOWONLY_8X8,
        mmaction_config="recognition/slowonly/slowonly_r101_8xb16-8x8x1-196e_kinetics400-rgb.py",
        notes="SlowOnly-R101 8x8 from scratch.",
    )
)
def slowonly_r101_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowOnly-R101, 8 frames 8 apart."""
    return Recognizer(slowonly_backbone(101), I3DHead(num_classes, 2048), input_layout="NCTHW")


@register_preset(
    replace(
        _SLOWONLY_8X8,
        mmaction_config="recognition/slowonly/"
        "slowonly_r50-in1k-pre-nl-embedded-gaussian_8xb16-8x8x1-steplr-150e_kinetics400-rgb.py",
        notes="SlowOnly-R50 8x8 with embedded-gaussian non-local blocks (use_scale=True), ImageNet-initialised.",
    )
)
def slowonly_r50_nl_embedded_gaussian_8x8x1_kinetics400(num_classes: int = 400) -> Recognizer:
    """SlowOnly-R50 + non-local blocks in res3 (blocks 0, 2) and res4 (blocks 0, 2, 4)."""
    spec = NonLocalSpec(mode="embedded_gaussian", sub_sample=True, use_scale=True)
    return Recognizer(
        slowonly_backbone(non_local_spec=spec), I3DHead(num_classes, 2048), input_layout="NCTHW"
    )
