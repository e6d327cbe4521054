"""Imports every detector family of this package, so that all presets are registered.

The detection preset registry imports this module on its first lookup (and it is this
distribution's ``vidcore.detection.presets`` entry point). A test checks that every module under
:mod:`vidcore.detection.models` that registers presets is listed here.
"""

from __future__ import annotations

from .models import acrn, lfb, slowfast, slowonly, vit

#: The model modules whose import registers presets.
FAMILIES = (acrn, lfb, slowfast, slowonly, vit)
