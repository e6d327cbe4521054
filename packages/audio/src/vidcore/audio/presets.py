"""Imports every model family of this package, so that all presets are registered.

The audio preset registry imports this module on its first lookup (and it is this distribution's
``vidcore.audio.presets`` entry point). A test checks that every module under
:mod:`vidcore.audio.models` that registers presets is listed here.
"""

from __future__ import annotations

from .models import resnet_audio, tsn

#: The model modules whose import registers presets.
FAMILIES = (resnet_audio, tsn)
