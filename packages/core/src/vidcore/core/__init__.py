"""vidcore.core: Layers, losses, metrics, config loading, checkpoints and the distributed trainer shared by every vidcore package."""

from __future__ import annotations

__version__ = "0.1.0"
