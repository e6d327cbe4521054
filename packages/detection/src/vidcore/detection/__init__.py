"""vidcore.detection: Spatio-temporal action detection (AVA) with SlowOnly/SlowFast and RoI heads."""

from __future__ import annotations

__version__ = "0.1.0"
