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


def iter_lines(
    path: PathArg, *, skip_comments: bool = False, bytes_safe: bool = False
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, stripped_text)`` for every non-blank line of a text file.

    A missing or unreadable file raises ``AnnotationError`` (line ``None``); undecodable bytes raise
    one naming the line, unless ``bytes_safe``: then bytes that are not UTF-8 become lone
    surrogates (``surrogateescape``, as Python spells such file names), so a list naming files whose
    names are not UTF-8 reads, and the names open the very files (``os.fsencode`` gives the bytes back).
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
            text = line.decode("utf-8", "surrogateescape" if bytes_safe else "strict").strip()
        except UnicodeDecodeError as exc:
            raise AnnotationError(p, number, f"not UTF-8 text ({exc.reason})") from None
        if number == 1:
            text = text.lstrip("\ufeff")
        if not text or (skip_comments and text.startswith("#")):
            continue
        yield number, text


def printable(text: str) -> str:
    """``text`` safe to print: undecodable file-name bytes (lone surrogates) shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def resolve_entry(
    root: PathArg, entry: str, *, allow_outside_root: bool = False, source: Source | None = None
) -> Path:
    """The file or folder a list entry names: ``root / entry``, checked to stay inside ``root``.

    With a ``root`` (not ``""``) the path is resolved (``..`` and symlinks) and must lie under the
    resolved root, so an entry like ``../../etc/passwd`` or a link out of the dataset is refused with
    an ``AnnotationError`` naming the list line, unless ``allow_outside_root``. A symlink loop
    raises ``DataError("...: symlink loop")``. Returns ``root / entry`` unresolved (messages show
    the path as listed)."""
    from vidcore.data.errors import DataError

    base = Path(root)
    path = base / entry
    if allow_outside_root or str(root) in ("", "."):
        return path
    try:
        real = path.resolve()
        real_root = base.resolve()
    except RuntimeError as exc:  # Python < 3.13 reports a symlink loop so
        raise DataError(f"{printable(str(path))}: symlink loop ({exc})") from None
    except OSError as exc:
        if getattr(exc, "errno", None) == 40:  # ELOOP
            raise DataError(f"{printable(str(path))}: symlink loop") from None
        raise DataError(f"{printable(str(path))}: cannot resolve ({exc.strerror or exc})") from None
    if real != real_root and real_root not in real.parents:
        file, line = source if source is not None else (None, None)
        raise AnnotationError(
            file,
            line,
            f"{printable(entry)!s} resolves to {printable(str(real))}, outside the root {printable(str(real_root))}; "
            "pass --allow-outside-root (allow_outside_root=True) if that is intended",
        )
    return path


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
