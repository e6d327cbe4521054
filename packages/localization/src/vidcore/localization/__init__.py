"""vidcore.localization: temporal action localization (BMN, BSN, TCANet, SSN pieces) and ActivityNet evaluation.

Public API (imported lazily)::

    from vidcore.localization import get_model, load_features, bmn_proposals
    model = get_model("bmn_400x100_9e_activitynet_feature").eval()
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "BMN": "models.bmn",
    "TEM": "models.bsn",
    "PEM": "models.bsn",
    "bsp_features": "models.bsn",
    "TCANet": "models.tcanet",
    "SSN": "models.ssn",
    "SSNHead": "models.ssn",
    "SSNLoss": "models.ssn",
    "STPP": "models.ssn",
    "load_localizer": "inference",
    "propose": "inference",
    "run_demo": "demo",
    "Preset": "registry",
    "get_model": "registry",
    "get_preset": "registry",
    "list_presets": "registry",
    "FeatureDataset": "datasets",
    "LocalizationBatch": "datasets",
    "collate_localization": "datasets",
    "load_features": "datasets",
    "convert_mmaction_checkpoint": "convert",
    "average_recall_at_avg_proposals": "evaluation",
    "mean_average_precision": "evaluation",
    "evaluate_files": "evaluation",
    "ProposalEvaluator": "evaluation",
    "DetectionEvaluator": "evaluation",
    "bmn_proposals": "postprocess",
    "soft_nms": "postprocess",
    "nms": "postprocess",
    "write_results_json": "postprocess",
    "bmn_targets": "targets",
    "tem_targets": "targets",
    "BMNLoss": "losses",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
