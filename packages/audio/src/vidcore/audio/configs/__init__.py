"""Experiment configs shipped with vidcore-audio, one file per experiment (``config = Experiment(...)``).

    vidcore-audio train --list-configs
    vidcore-audio train tsn_r18_8xb320_64x1x1_100e_kinetics400_audio_feature --set data.root=...
"""

from __future__ import annotations

from vidcore.core.shipped_configs import shipped_configs

__all__ = ["config_path", "list_configs"]

config_path, list_configs = shipped_configs(__file__)
