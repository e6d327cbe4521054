"""Imports every model family of this package, so that all presets are registered.

The localization preset registry imports this module on its first lookup (and it is this
distribution's ``vidcore.localization.presets`` entry point). A test checks that every module
under :mod:`vidcore.localization.models` that registers presets is listed here.
"""

from __future__ import annotations

from .models import bmn, bsn, tcanet

#: The model modules whose import registers presets.
FAMILIES = (bmn, bsn, tcanet)
