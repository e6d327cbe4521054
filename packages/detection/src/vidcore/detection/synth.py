"""The synthetic detection set now lives in vidcore-data (:mod:`vidcore.data.synth_detection`,
``vidcore-data synth --detection OUT``); this module re-exports it under its old name."""

from __future__ import annotations

from vidcore.data.synth_detection import ACTIONS, SynthDetectionConfig, render_detection_set

__all__ = ["ACTIONS", "SynthDetectionConfig", "render_detection_set"]
