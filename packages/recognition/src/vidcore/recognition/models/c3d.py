"""C3D (Tran et al., "Learning Spatiotemporal Features with 3D Convolutional Networks", ICCV 2015).

Eight 3x3x3 convolutions with biases (no normalisation), five max-pools and two 4096-wide fully
connected layers. The ``fc6`` input size fixes the clip to 16 frames of 112x112 (``out_dim`` =
512 * 1 * 4 * 4 = 8192). Submodule names follow MMAction2's ``C3D`` (``conv1a.conv``, ``fc6`` ...).
"""

from __future__ import annotations

from dataclasses import replace

from torch import Tensor, nn

from ..meta import UCF101_3D
from ..recognizer import Recognizer
from ..registry import register_preset
from .heads3d import I3DHead
from .resnet3d import ConvBnAct3d, convert_mmaction_recognizer

__all__ = ["C3D"]


class C3D(nn.Module):
    """C3D backbone up to ``fc7``.

    Args:
        in_channels: input channels.
        out_dim: flattened size after ``pool5`` (8192 for 16x112x112 clips).
        dropout: dropout between ``fc6`` and ``fc7`` (training only).
        init_std: std of the normal initialisation of the fully connected layers.

    Input ``(N, C, 16, 112, 112)``; output ``(N, 4096)`` (after ``fc7`` and ReLU).
    """

    def __init__(
        self, *, in_channels: int = 3, out_dim: int = 8192, dropout: float = 0.5, init_std: float = 0.005
    ) -> None:
        super().__init__()

        def conv(cin: int, cout: int) -> ConvBnAct3d:
            return ConvBnAct3d(cin, cout, 3, 1, 1, bias=True, norm=False)

        self.conv1a = conv(in_channels, 64)
        self.pool1 = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
        self.conv2a = conv(64, 128)
        self.pool2 = nn.MaxPool3d(2, 2)
        self.conv3a = conv(128, 256)
        self.conv3b = conv(256, 256)
        self.pool3 = nn.MaxPool3d(2, 2)
        self.conv4a = conv(256, 512)
        self.conv4b = conv(512, 512)
        self.pool4 = nn.MaxPool3d(2, 2)
        self.conv5a = conv(512, 512)
        self.conv5b = conv(512, 512)
        self.pool5 = nn.MaxPool3d(2, 2, (0, 1, 1))
        self.fc6 = nn.Linear(out_dim, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.feat_dim = 4096
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, 16, 112, 112) -> (N, 4096)."""
        x = self.pool1(self.conv1a(x))  # (N, 64, 16, 56, 56)
        x = self.pool2(self.conv2a(x))  # (N, 128, 8, 28, 28)
        x = self.pool3(self.conv3b(self.conv3a(x)))  # (N, 256, 4, 14, 14)
        x = self.pool4(self.conv4b(self.conv4a(x)))  # (N, 512, 2, 7, 7)
        x = self.pool5(self.conv5b(self.conv5a(x)))  # (N, 512, 1, 4, 4)
        x = x.flatten(1)  # (N, 8192)
        x = self.dropout(self.relu(self.fc6(x)))
        return self.relu(self.fc7(x))


# -- presets ---------------------------------------------------------------------------------------


_C3D_MEAN, _C3D_STD = (104.0, 117.0, 128.0), (1.0, 1.0, 1.0)


@register_preset(
    replace(
        UCF101_3D,
        clip_len=16,
        test_num_clips=10,
        short_side=128,
        crop_size=112,
        test_crop_size=112,
        mean=_C3D_MEAN,
        std=_C3D_STD,
        train_crop="random",
        mmaction_config="recognition/c3d/c3d_sports1m-pretrained_8xb30-16x1x1-45e_ucf101-rgb.py",
        convert_mmaction=convert_mmaction_recognizer,
        notes="C3D fine-tuned on UCF101 split 1 from Sports-1M; the 112x112 input size is fixed by fc6.",
    )
)
def c3d_sports1m_16x1x1_ucf101(num_classes: int = 101) -> Recognizer:
    """C3D, 16 consecutive frames of 112x112; 78.41M parameters with 101 classes."""
    return Recognizer(
        C3D(),
        I3DHead(num_classes, 4096, spatial_pool=False),
        mean=_C3D_MEAN,
        std=_C3D_STD,
        input_layout="NCTHW",
    )
