"""Imports every model family of this package, so that all presets are registered.

The skeleton preset registry imports this module on its first lookup (and it is this
distribution's ``vidcore.skeleton.presets`` entry point). Each family is imported by name: a test
checks that every module under :mod:`vidcore.skeleton.models` that registers presets is listed
here, so a family cannot drop out of the registry unnoticed.
"""

from __future__ import annotations

from .models import aagcn, posec3d, rgbposeconv3d, stgcn

#: The model modules whose import registers presets.
FAMILIES = (aagcn, posec3d, rgbposeconv3d, stgcn)
