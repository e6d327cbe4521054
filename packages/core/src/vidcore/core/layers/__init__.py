"""Building blocks shared by the vidcore models (no model lives here)."""

from __future__ import annotations

from .attention import MultiheadSelfAttention
from .conv import ActName, ConvNormAct, QuickGELU, make_activation
from .drop import DropPath, drop_path, set_drop_path_rate
from .init import constant_init, kaiming_init, normal_init, trunc_normal_, trunc_normal_init, xavier_init
from .mlp import Mlp
from .nonlocal_block import NonLocalBlock, NonLocalSpec
from .pos_embed import LearnablePositionEmbedding, SinusoidalPositionEmbedding, sinusoid_position_table
from .transformer import TransformerBlock, drop_path_rates

__all__ = [
    "ActName",
    "ConvNormAct",
    "DropPath",
    "LearnablePositionEmbedding",
    "Mlp",
    "MultiheadSelfAttention",
    "NonLocalBlock",
    "NonLocalSpec",
    "QuickGELU",
    "SinusoidalPositionEmbedding",
    "TransformerBlock",
    "constant_init",
    "drop_path",
    "drop_path_rates",
    "kaiming_init",
    "make_activation",
    "normal_init",
    "set_drop_path_rate",
    "sinusoid_position_table",
    "trunc_normal_",
    "trunc_normal_init",
    "xavier_init",
]
