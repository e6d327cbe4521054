"""vidcore.data: Frame-exact video decoders, annotation formats, datasets, frame samplers, transforms and data-prep tools."""

from __future__ import annotations

__version__ = "0.1.0"
