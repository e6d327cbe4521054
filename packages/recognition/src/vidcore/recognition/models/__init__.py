"""Model families, one architecture family per module (blocks, model, MMAction2 conversion, presets).

Import a family module directly (``from vidcore.recognition.models.tsm import tsm_r50_1x1x8_kinetics400``)
or look presets up by name through :mod:`vidcore.recognition.registry`.
"""
