"""vidcore.recognition: Action recognition models (TSN, TSM, I3D, SlowFast, X3D, ...), presets and MMAction2 checkpoint import."""

from __future__ import annotations

__version__ = "0.1.0"
