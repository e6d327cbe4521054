"""Localization model families, one per module (blocks, model, MMAction2 conversion, presets)."""
