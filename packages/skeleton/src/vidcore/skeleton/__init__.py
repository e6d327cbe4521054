"""vidcore.skeleton: Skeleton-based action recognition (ST-GCN, 2s-AGCN, ST-GCN++, PoseC3D)."""

from __future__ import annotations

__version__ = "0.1.0"
