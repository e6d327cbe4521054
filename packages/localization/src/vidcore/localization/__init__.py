"""vidcore.localization: Temporal action localization (BMN, BSN, SSN) and ActivityNet evaluation."""

from __future__ import annotations

__version__ = "0.1.0"
