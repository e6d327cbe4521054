"""The shape every vidcore command line shares: one program, one module per verb.

A verb module exposes ``add_parser(subparsers) -> argparse.ArgumentParser`` and
``run(args) -> int``; a package's CLI lists its verb modules and calls :func:`build_verb_parser`
and :func:`run_verb`. Verb modules are imported when the parser is built, so ``--help`` of the
program lists every verb.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from importlib import import_module


def build_verb_parser(
    prog: str, description: str, epilog: str, package: str, verb_modules: Iterable[str]
) -> argparse.ArgumentParser:
    """A parser with one sub-command per module ``package.<module>`` in ``verb_modules``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for module in verb_modules:
        mod = import_module(f"{package}.{module}")
        mod.add_parser(sub).set_defaults(_run=mod.run)
    return parser


def run_verb(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen verb; without a verb print the help and return 2."""
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)
