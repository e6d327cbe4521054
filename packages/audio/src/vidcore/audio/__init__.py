"""vidcore.audio: Audio action recognition: log-mel spectrograms and audio ResNets."""

from __future__ import annotations

__version__ = "0.1.0"
