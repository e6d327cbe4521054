"""Building blocks shared by the vidcore models (no model lives here)."""

from __future__ import annotations

from .attention import MultiheadSelfAttention
from .conv import ActName, ConvNormAct, make_activation
from .drop import DropPath, drop_path
from .init import constant_init, kaiming_init, normal_init, trunc_normal_, trunc_normal_init, xavier_init
from .mlp import Mlp
from .nonlocal_block import NonLocalBlock
from .pos_embed import LearnablePositionEmbedding, SinusoidalPositionEmbedding, sinusoid_position_table

__all__ = [
    "ActName",
    "ConvNormAct",
    "DropPath",
    "LearnablePositionEmbedding",
    "Mlp",
    "MultiheadSelfAttention",
    "NonLocalBlock",
    "SinusoidalPositionEmbedding",
    "constant_init",
    "drop_path",
    "kaiming_init",
    "make_activation",
    "normal_init",
    "sinusoid_position_table",
    "trunc_normal_",
    "trunc_normal_init",
    "xavier_init",
]
