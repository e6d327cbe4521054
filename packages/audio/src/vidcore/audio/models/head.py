"""The audio classification head (MMAction2's ``TSNAudioHead``), shared by the audio families:
global average pool over time and frequency -> dropout -> linear.

Key layout: ``fc_cls.weight`` ``(K, C)``, ``fc_cls.bias`` ``(K,)`` (MMAction2's ``cls_head.fc_cls``).
"""

from __future__ import annotations

from torch import Tensor, nn

from vidcore.core.layers import normal_init

__all__ = ["AudioHead"]


class AudioHead(nn.Module):
    """``(B, C, t, f)`` features -> ``(B, K)`` logits.

    Args:
        in_channels: feature channels ``C`` (512 for ResNet-18, 1024 for ResNetAudio-50).
        num_classes: classes ``K``.
        dropout: dropout probability before the classifier (0.5 in both MMAction2 configs).
        init_std: std of the normal initialisation of the classifier weight (bias 0).
    """

    def __init__(self, in_channels: int, num_classes: int, *, dropout: float = 0.5, init_std: float = 0.01) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        normal_init(self.fc_cls, std=init_std)

    @property
    def num_classes(self) -> int:
        return self.fc_cls.out_features

    def reset_classifier(self, num_classes: int) -> None:
        self.fc_cls = nn.Linear(self.in_channels, num_classes).to(self.fc_cls.weight.device)
        normal_init(self.fc_cls, std=self.init_std)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"AudioHead expects features (B, C, t, f), got {tuple(x.shape)}")
        x = x.mean(dim=(2, 3))  # (B, C, t, f) -> (B, C)
        return self.fc_cls(self.dropout(x))
