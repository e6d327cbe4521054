"""Helpers shared by the annotation readers: line iteration, typed field parsing, atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from vidcore.data.errors import AnnotationError, AnnotationErrors

PathArg = str | PathLike[str]
Source = tuple[str, int]
"""Where a record came from: ``(file path, 1-based line number)``; line 0 for whole-file formats."""


def iter_lines(path: PathArg, *, skip_comments: bool = False) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, stripped_text)`` for every non-blank line of a text file.

    A missing or unreadable file raises ``AnnotationError`` (line ``None``); undecodable bytes raise
    one naming the line.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise AnnotationError(p, None, "file not found") from None
    except OSError as exc:
        raise AnnotationError(p, None, f"cannot read: {exc.strerror or exc}") from None
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise AnnotationError(p, number, f"not UTF-8 text ({exc.reason})") from None
        if number == 1:
            text = text.lstrip("\ufeff")
        if not text or (skip_comments and text.startswith("#")):
            continue
        yield number, text


class LineErrors:
    """Collect the malformed lines of one file, so a reader reports them all at once::

        errors = LineErrors(path)
        for number, text in iter_lines(path):
            with errors.on_line():
                ...  # parse; raise AnnotationError on a bad line
        errors.raise_if_any()

    One bad line re-raises its own ``AnnotationError``; several raise one ``AnnotationErrors``.
    Parsing stops at ``AnnotationErrors.LIMIT`` bad lines.
    """

    def __init__(self, path: PathArg) -> None:
        self.path = path
        self.errors: list[AnnotationError] = []

    @contextmanager
    def on_line(self) -> Iterator[None]:
        try:
            yield
        except AnnotationErrors:
            raise
        except AnnotationError as exc:
            self.errors.append(exc)
            if len(self.errors) >= AnnotationErrors.LIMIT:
                raise AnnotationErrors(self.path, self.errors, stopped=True) from None

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise AnnotationErrors(self.path, self.errors)


def parse_int(token: str, path: PathArg, line: int, what: str, *, minimum: int | None = None) -> int:
    """``int(token)`` or an ``AnnotationError`` that names the field and the value found."""
    try:
        value = int(token)
    except ValueError:
        raise AnnotationError(path, line, f"expected an integer {what}, got {token!r}") from None
    if minimum is not None and value < minimum:
        raise AnnotationError(path, line, f"expected {what} >= {minimum}, got {value}")
    return value


def parse_float(token: str, path: PathArg, line: int, what: str) -> float:
    """``float(token)`` or an ``AnnotationError`` that names the field and the value found."""
    try:
        return float(token)
    except ValueError:
        raise AnnotationError(path, line, f"expected a number {what}, got {token!r}") from None


def check_token(token: str, what: str) -> None:
    """Refuse a value that would not survive a whitespace-separated list (writers call this)."""
    if not token or any(c.isspace() for c in token):
        raise ValueError(f"{what} {token!r} is empty or contains whitespace: a list file cannot hold it")


def atomic_write_text(path: PathArg, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (no half-written lists)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_json(path: PathArg) -> object:
    """Parse a JSON file; a syntax error becomes an ``AnnotationError`` with the line it is on."""
    import json

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnotationError(p, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(p, None, f"cannot read as UTF-8 text: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnotationError(p, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
