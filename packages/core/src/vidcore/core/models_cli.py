"""The ``models`` verb every task CLI shares: list a task's presets with their metadata and
parameter counts (models built on the meta device: no memory, no initialisation).

A task's verb module::

    from vidcore.core.models_cli import ModelsVerb
    from ..registry import PRESETS
    add_parser, run = ModelsVerb(PRESETS, "vidcore-audio", columns=describe).bind()

where ``describe(preset) -> dict`` gives the task's own columns (clip shape, sampling, ...).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from typing import Any

import torch

from vidcore.core.presets import ModelPreset, PresetRegistry

__all__ = ["ModelsVerb", "count_parameters"]


def count_parameters(preset: ModelPreset) -> int:
    """Parameters of the preset's model at its default class count."""
    with torch.device("meta"):
        model = preset.build()
    return sum(p.numel() for p in model.parameters())


class ModelsVerb:
    """``PROG models [--filter TEXT] [--json] [--no-params]``.

    Args:
        registry: the task's presets.
        prog: the command (``vidcore-recognition``), for the help examples.
        columns: the task's columns for one preset, shown after ``name`` (``dataset``,
            ``num_classes`` and ``mmaction_config`` are added for every task).
        example_filter: a substring for the ``--filter`` example in the help.
    """

    def __init__(
        self,
        registry: PresetRegistry[Any],
        prog: str,
        *,
        columns: Callable[[Any], Mapping[str, Any]] = lambda p: {},
        example_filter: str = "",
    ) -> None:
        self.registry = registry
        self.prog = prog
        self.columns = columns
        self.example_filter = example_filter

    def bind(self) -> tuple[Callable[[Any], argparse.ArgumentParser], Callable[[argparse.Namespace], int]]:
        return self.add_parser, self.run

    def describe(self, preset: ModelPreset, *, params: bool = True) -> dict[str, Any]:
        info: dict[str, Any] = {"name": preset.name, **self.columns(preset)}
        info.update(dataset=preset.dataset, num_classes=preset.num_classes, mmaction_config=preset.mmaction_config)
        if params:
            info["params"] = count_parameters(preset)
        return info

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        flt = self.example_filter or (self.registry.names()[0].split("_")[0] if len(self.registry) else "x")
        p = subparsers.add_parser(
            "models",
            help="list model presets",
            description=f"List the {self.registry.kind}s with their data layout, label set and parameter count.",
            epilog=f"examples:\n  {self.prog} models\n  {self.prog} models --filter {flt} --json\n"
            f"  {self.prog} models --no-params",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--filter", default=None, metavar="TEXT", help="only presets whose name contains TEXT")
        p.add_argument("--json", action="store_true", help="print one JSON object per preset")
        p.add_argument("--no-params", action="store_true", help="skip counting parameters")
        return p

    def run(self, args: argparse.Namespace) -> int:
        presets = [p for p in self.registry.list() if not args.filter or args.filter in p.name]
        if not presets:
            print(f"no preset matches {args.filter!r}; `{self.prog} models` lists them all")
            return 1
        rows = [self.describe(p, params=not args.no_params) for p in presets]
        if args.json:
            for row in rows:
                print(json.dumps(row))
            return 0
        cols = [c for c in rows[0] if c != "mmaction_config"]
        table = [[f"{r[c] / 1e6:.2f}M" if c == "params" else str(r[c]) for c in cols] for r in rows]
        widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
        print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
        for t in table:
            print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
        return 0
