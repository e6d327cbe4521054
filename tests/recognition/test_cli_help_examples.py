"""Every example command in every vidcore ``--help`` parses against its own parser (issue 16 item 6).

The examples are read from the epilogs of each program and each verb (the ``examples:`` block:
indented lines starting with the program name, or ``torchrun ... -m vidcore.<task>.cli``;
a trailing backslash continues a line, ``#`` starts a comment) and given to ``parse_args``
of the program's parser, exactly as a shell would split them. A flag that does not exist, a
missing required option or a wrong choice makes argparse exit, and the test names the line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import pkgutil
import shlex

import pytest

import vidcore


def _programs() -> dict[str, argparse.ArgumentParser]:
    """``{prog: parser}`` for every installed ``vidcore.<package>.cli`` with ``build_parser()``."""
    found = {}
    for info in sorted(pkgutil.iter_modules(vidcore.__path__), key=lambda m: m.name):
        try:
            cli = importlib.import_module(f"vidcore.{info.name}.cli")
        except ImportError:
            continue
        build = getattr(cli, "build_parser", None)
        if callable(build):
            parser = build()
            found[parser.prog] = parser
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _example_lines(epilog: str | None, prog: str, module: str) -> list[str]:
    """The command lines of an epilog (continuations joined), without the program name."""
    if not epilog:
        return []
    physical = epilog.splitlines()
    joined: list[str] = []
    buf = ""
    for line in physical:
        text = line.strip()
        if buf:
            buf += " " + text
        else:
            buf = text
        if buf.endswith("\\"):
            buf = buf[:-1].rstrip()
            continue
        joined.append(buf)
        buf = ""
    out = []
    for line in joined:
        if line.split()[:1] not in ([prog], ["torchrun"]):
            continue  # prose
        words = shlex.split(line, comments=True)
        if words[:1] == [prog]:
            out.append(shlex.join(words[1:]))
        elif words[:1] == ["torchrun"] and module in words:
            out.append(shlex.join(words[words.index(module) + 1 :]))
    return out


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for prog, parser in _programs().items():
        module = f"vidcore.{prog.removeprefix('vidcore-')}.cli"
        texts = [("", parser.epilog)] + [(verb, p.epilog) for verb, p in _subparsers(parser).items()]
        for verb, text in texts:
            for line in _example_lines(text, prog, module):
                cases.append((prog, verb, line))
    return cases


CASES = _cases()


def test_every_program_and_verb_has_examples():
    programs = _programs()
    assert {"vidcore-recognition", "vidcore-data"} <= set(programs)
    for prog, parser in programs.items():
        verbs = _subparsers(parser)
        with_examples = {verb for p_, verb, _ in CASES if p_ == prog}
        assert "" in with_examples, f"{prog} --help has no example"
        missing = sorted(set(verbs) - with_examples)
        assert not missing, f"{prog}: verbs without an example in --help: {missing}"


@pytest.mark.parametrize(("prog", "verb", "line"), CASES, ids=[f"{p} {v}: {x}"[:90] for p, v, x in CASES])
def test_help_example_parses(prog, verb, line):
    parser = _programs()[prog]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(shlex.split(line))
        except SystemExit as exc:
            pytest.fail(f"`{prog} {line}` (from the --help of {prog} {verb}) does not parse: {err.getvalue().strip()}")
            raise AssertionError from exc
    assert args.verb is not None  # every example names a verb


def test_a_flag_that_does_not_exist_is_caught():
    """The check itself can fail: the example the audit found (`--params` is `--no-params`)."""
    parser = _programs()["vidcore-recognition"]
    (line,) = _example_lines("examples:\n  vidcore-recognition models --filter tsm --params", "vidcore-recognition", "")
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        parser.parse_args(shlex.split(line))
