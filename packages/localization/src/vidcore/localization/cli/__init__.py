"""The ``vidcore-localization`` command line: one module per verb (``add_parser``/``run``),
dispatched by :mod:`vidcore.core.cli`."""

from __future__ import annotations

import argparse
import sys

from vidcore.core.cli import build_verb_parser, run_verb

# verb -> module in this package
VERBS: dict[str, str] = {
    "models": "models",
    "convert": "convert",
    "train": "train",
    "test": "test",
    "infer": "infer",
    "eval": "evaluate",
    "demo": "demo",
    "export": "export",
}

EPILOG = """examples:
  vidcore-localization models
  vidcore-localization convert mmaction bmn_400x100_9e.pth bmn_vidcore.pth --preset bmn_400x100_9e_activitynet_feature
  vidcore-localization train bmn_400x100_9e_activitynet_feature --set data.annotations=anno.json data.feature_root=feats
  vidcore-localization test work_dirs/bmn_400x100_9e_activitynet_feature
  vidcore-localization infer feats/v_abc.csv --preset bmn_400x100_9e_activitynet_feature --checkpoint best.pth --duration 120
  vidcore-localization eval anet_anno_val.json results.json
  vidcore-localization demo --out demo_loc_out
  vidcore-localization export best.pth --preset bmn_400x100_9e_activitynet_feature --out bmn.pt

run `vidcore-localization VERB --help` for each verb's options."""


def build_parser() -> argparse.ArgumentParser:
    return build_verb_parser(
        "vidcore-localization",
        "Temporal action localization: list presets, import MMAction2 checkpoints, train, test, infer, evaluate, export.",
        EPILOG,
        __name__,
        VERBS.values(),
    )


def main(argv: list[str] | None = None) -> int:
    return run_verb(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
