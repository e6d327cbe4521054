"""vidcore.data: Frame-exact video decoders, annotation formats, datasets, frame samplers, transforms and data-prep tools."""

# No ``from __future__ import annotations`` here: it would bind the name ``annotations`` in this
# package, so ``from vidcore.data import annotations`` would return that flag instead of the
# ``vidcore.data.annotations`` subpackage.

__version__ = "0.1.0"
