"""Checkpoint files: atomic saving, safe loading, rotation, and key remapping for converters.

A checkpoint is a ``dict`` written with ``torch.save``. Saving goes through a temporary file in the
destination directory that is flushed and fsynced before ``os.replace`` puts it in place (and the
directory is fsynced after), so a crash or ``SIGKILL`` at any moment leaves either the previous
file or the new one, never a truncated mix.

Loading uses ``torch.load(weights_only=True)`` by default: tensors, numbers, strings and containers
load; a pickled object that would import and call arbitrary code is refused with a
:class:`CheckpointError` that names the file and the offending globals. Any other file that does
not load is looked at to say what it is (one line naming the file): empty; truncated (a zip
archive without its end record, a pickle that stops early); a zip archive or pickle that is not a
``torch.save`` file; or not a checkpoint at all ("looks like a JPEG image", "looks like text"). Only
a real ``torch.save`` file whose sole fault is a global the safe unpickler refuses gets the hint
that ``weights_only=False`` exists, worded as a choice for files from a trusted source.

Checkpoints say what they are: the trainer stores a plain ``"meta"`` dict (task, preset, class
count, label names, vidcore versions, the resolved config); :func:`check_checkpoint_metadata`
compares it with what a user asks for and warns (:class:`CheckpointMismatchWarning`) or, strict,
refuses.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickletools
import re
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

__all__ = [
    "CheckpointError",
    "CheckpointManager",
    "CheckpointMismatchWarning",
    "KeyReport",
    "add_prefix",
    "atomic_write_bytes",
    "check_checkpoint_metadata",
    "checkpoint_metadata",
    "extract_state_dict",
    "load_checkpoint",
    "load_model_weights",
    "remap_keys",
    "save_checkpoint",
    "strip_prefix",
    "vidcore_versions",
    "warnings_as_lines",
]

PathLike = str | os.PathLike[str]

# mkstemp creates files with mode 0600; checkpoints get the usual 0666 & ~umask instead.
_UMASK = os.umask(0)
os.umask(_UMASK)


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read, is unsafe to read, or does not fit a model."""


# ----------------------------------------------------------------------------- atomic writing


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Not every platform can open a directory (Windows).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _atomic_open(path: Path):
    """Yield a binary file object whose content replaces ``path`` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, fsync, rename)."""
    with _atomic_open(Path(path)) as f:
        f.write(data)


def save_checkpoint(state: Mapping[str, Any], path: PathLike) -> Path:
    """Save ``state`` with ``torch.save`` to ``path`` atomically; returns the path.

    Keep ``state`` to tensors, numbers, strings, ``None`` and lists/tuples/dicts of them so that
    :func:`load_checkpoint` can read it back with ``weights_only=True``.
    """
    path = Path(path)
    with _atomic_open(path) as f:
        torch.save(dict(state), f)
    return path


# ----------------------------------------------------------------------------- loading


def load_checkpoint(
    path: PathLike, *, weights_only: bool = True, map_location: str | torch.device | None = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint file.

    Args:
        path: the ``.pth`` file.
        weights_only: refuse pickled objects that would run code (the default). Pass ``False``
            only for files from a source you trust (e.g. MMAction2 checkpoints that pickle numpy
            objects or config classes in their ``meta``).
        map_location: where tensors land (default CPU).

    Raises:
        CheckpointError: one line naming the file and what is wrong with it: missing, empty,
            truncated, not a ``torch.save`` file (and what it looks like instead), or (with
            ``weights_only``) holding objects that would run code when unpickled.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} is a directory, not a checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (0 bytes)")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=weights_only)
    except Exception as exc:  # torch raises anything on foreign bytes (IndexError, KeyError, ...)
        raise CheckpointError(_diagnose(path, exc, weights_only)) from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(obj).__name__}, expected a dict")
    return obj


# ----------------------------------------------------------------------------- what a bad file is

_TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy (pre-1.6, non-zip) torch.save file

# (offset, bytes, what the file is): well-known signatures of files mistaken for checkpoints
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"GIF8", "a GIF image"),
    (0, b"BM", "a BMP image"),
    (4, b"ftyp", "an MP4/MOV video"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
    (0, b"OggS", "an Ogg media file"),
    (0, b"fLaC", "a FLAC audio file"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"%PDF", "a PDF document"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (257, b"ustar", "a tar archive"),
    (0, b"\x89HDF\r\n\x1a\n", "an HDF5 file (e.g. Keras weights)"),
    (0, b"\x93NUMPY", "a NumPy .npy array"),
    (0, b"\x7fELF", "an executable (ELF)"),
    (0, b"<!DOCTYPE html", "an HTML page (a download that returned an error page?)"),
    (0, b"<html", "an HTML page (a download that returned an error page?)"),
)
_RIFF = {b"WAVE": "a WAV audio file", b"AVI ": "an AVI video", b"WEBP": "a WebP image"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _looks_like(head: bytes, size: int) -> str:
    """What a file that is neither a zip archive nor a pickle looks like, from its first bytes."""
    for offset, magic, what in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return what
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if len(head) >= 10 and head[8:9] == b"{":
        header_len = int.from_bytes(head[:8], "little")
        if 0 < header_len < size and b'"dtype"' in head[8 : 8 + min(header_len, 2048)]:
            return "a safetensors file (load it with safetensors.torch.load_file, not as a torch.save checkpoint)"
    sample = head[:1024]
    for cut in range(4):  # a multi-byte character may be split at the end of the sample
        try:
            text = sample[: len(sample) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        text = None
    if text is not None and "\x00" not in text:
        printable = sum(c.isprintable() or c in "\n\r\t" for c in text)
        if text and printable >= 0.95 * len(text):
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            return f"text (first line {first[:60]!r})"
    shown = " ".join(f"{b:02x}" for b in head[:8])
    return f"unknown binary data (first bytes {shown}; random or encrypted?)"


def _pickle_globals(data: Any) -> tuple[str, list[str]]:
    """Walk one pickle from ``data``'s position statically (nothing is executed).

    Returns ``(status, globals it imports)``; status is "complete", "truncated" (the data ends before
    the pickle's STOP opcode) or "invalid" (bytes that are not pickle opcodes)."""
    found: list[str] = []
    strings: list[str] = []
    memo: dict[int, Any] = {}
    try:
        for op, arg, _ in pickletools.genops(data):
            name = op.name
            if name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
                          "BINSTRING", "SHORT_BINSTRING"):  # fmt: skip
                strings.append(str(arg))
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[int(arg)] = strings[-1] if strings else None
            elif name == "MEMOIZE":
                memo[len(memo)] = strings[-1] if strings else None
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                value = memo.get(int(arg))
                if isinstance(value, str):
                    strings.append(value)
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
    except (ValueError, EOFError, UnicodeDecodeError):
        # the data ran out (the reader stands at its end) or held bytes that are no pickle opcodes
        return ("truncated" if not data.read(1) else "invalid"), found
    return "complete", found


def _unsafe(found: list[str]) -> list[str]:
    """The globals in ``found`` that ``torch.load(weights_only=True)`` does not allow."""
    try:
        from torch import _weights_only_unpickler as wo

        allowed = set(wo._get_allowed_globals()) | set(wo._get_user_allowed_globals())
    except Exception:  # private API: without it, report every global
        allowed = set()
    return sorted({g for g in found if g not in allowed})


def _refusal(path: Path, names: list[str], torch_says: str) -> str:
    """The message for a real torch.save file that only the safe unpickler refuses."""
    if names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        why = f"it is a torch.save file containing code ({shown}) that would run when unpickled"
    else:
        why = f"it is a torch.save file that the safe unpickler cannot read ({torch_says})"
    return (
        f"refusing to load checkpoint {path}: {why}, which safe loading (weights_only=True) refuses; "
        "only if you trust the file's source you may choose load_checkpoint(path, weights_only=False)"
    )


def _unreadable(path: Path, kind: str, exc: BaseException, torch_says: str) -> str:
    """The message for a complete torch.save file whose loading failed for another reason."""
    if isinstance(exc, ImportError | AttributeError):  # weights_only=False: a pickled class is missing
        return f"checkpoint {path} pickles objects whose code is not installed here ({torch_says})"
    return f"checkpoint {path} is corrupt: {kind} that torch cannot read ({torch_says})"


def _diagnose(path: Path, exc: BaseException, weights_only: bool) -> str:
    """One line naming ``path`` and saying what it is, for a file ``torch.load`` failed on."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4096)
    torch_says = _first_line(exc)
    safe_refused = weights_only and "weights only load failed" in str(exc).lower()
    if head[:4] == b"PK\x03\x04":  # a zip archive: torch.save's format since PyTorch 1.6
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            return (
                f"checkpoint {path} is truncated: it starts as a zip archive (torch.save's format) "
                f"but has no end-of-archive record, so the file ends early ({size} bytes); "
                "copy or download it again"
            )
        with archive:
            names = archive.namelist()
            pkl = next((n for n in names if n == "data.pkl" or n.endswith("/data.pkl")), None)
            if pkl is None:
                shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
                return (
                    f"checkpoint {path} is not a torch.save checkpoint: it is a zip archive without "
                    f"data.pkl (it holds {len(names)} file(s): {shown or 'none'})"
                )
            try:
                bad_member = archive.testzip()
            except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as err:
                bad_member = f"? ({_first_line(err)})"
            if bad_member is not None:
                return f"checkpoint {path} is corrupt: its zip member {bad_member} fails the CRC check"
            status, found = _pickle_globals(io.BytesIO(archive.read(pkl)))
        if safe_refused and status == "complete":
            names = _unsafe(found) or re.findall(r"GLOBAL ([\w.]+)", str(exc))
            return _refusal(path, names, torch_says)
        return _unreadable(path, "a torch.save zip archive", exc, torch_says)
    if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:  # a pickle (PROTO 2-5 opcode)
        return _diagnose_pickle(path, exc, size, safe_refused, torch_says)
    return f"checkpoint {path} is not a zip or pickle checkpoint: it looks like {_looks_like(head, size)}"


def _diagnose_pickle(path: Path, exc: BaseException, size: int, safe_refused: bool, torch_says: str) -> str:
    """``_diagnose`` for a file that starts as a pickle: legacy torch.save (magic number, protocol
    version, system info, the object, its storage keys, then raw tensor data) or a plain pickle."""
    with open(path, "rb") as f:
        status, found = _pickle_globals(f)
        if status == "truncated":
            return f"checkpoint {path} is truncated: its first pickle ends early ({size} bytes)"
        if status == "invalid":
            return f"checkpoint {path} is corrupt: it starts as a pickle but holds invalid pickle data"
        f.seek(0)
        ops = list(pickletools.genops(f))  # the first pickle again (complete), to its STOP
        if not any(op.name in ("LONG1", "LONG4") and arg == _TORCH_MAGIC for op, arg, _ in ops):
            unsafe = _unsafe(found)
            code = f"; it imports {', '.join(unsafe[:5])}, code that safe loading refuses" if unsafe else ""
            return (
                f"checkpoint {path} is not a torch.save checkpoint: it is a plain pickle "
                f"(written by pickle.dump, not torch.save){code}"
            )
        found = []
        for part in ("protocol version", "system info", "object", "storage keys"):
            status, more = _pickle_globals(f)
            found += more
            if status == "truncated":
                return f"checkpoint {path} is truncated: a legacy torch.save file whose {part} pickle ends early ({size} bytes)"
            if status == "invalid":
                return f"checkpoint {path} is corrupt: a legacy torch.save file whose {part} pickle is damaged"
    if safe_refused:
        return _refusal(path, _unsafe(found) or re.findall(r"GLOBAL ([\w.]+)", str(exc)), torch_says)
    if isinstance(exc, EOFError | IndexError) or "eof" in str(exc).lower():
        return f"checkpoint {path} is truncated: a legacy torch.save file whose tensor data ends early ({size} bytes)"
    return _unreadable(path, "a legacy torch.save file", exc, torch_says)


def extract_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The model weights inside a checkpoint dict.

    Looks for ``"model"`` (vidcore), then ``"state_dict"`` (MMEngine/MMAction2, Lightning), and
    otherwise takes the dict itself when all its values are tensors.
    """
    for key in ("model", "state_dict"):
        value = checkpoint.get(key)
        if isinstance(value, Mapping):
            return dict(value)
    if checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return dict(checkpoint)
    raise CheckpointError(
        f"no model weights found: expected key 'model' or 'state_dict', got keys {sorted(checkpoint)[:10]}"
    )


# ----------------------------------------------------------------------------- metadata


class CheckpointMismatchWarning(UserWarning):
    """A checkpoint's metadata disagrees with what it is loaded as (preset, classes, labels)."""


def vidcore_versions() -> dict[str, str]:
    """``{distribution: version}`` of every installed ``vidcore*`` distribution (for ``meta``)."""
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") or ""
        if name.lower().replace("_", "-").startswith("vidcore"):
            found[name] = dist.version
    return dict(sorted(found.items()))


def checkpoint_metadata(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The ``"meta"`` dict of a loaded checkpoint (``{}`` when it has none). vidcore's trainer
    writes ``task``, ``preset``, ``num_classes``, ``labels`` (class names by id, ``None`` for ids
    without one; only with a label map), ``versions`` and ``config``; ``vidcore-<task> convert``
    writes ``preset``, ``num_classes`` and the source file. Other toolboxes' ``meta`` is returned
    as it is."""
    meta = checkpoint.get("meta") if isinstance(checkpoint, Mapping) else None
    return dict(meta) if isinstance(meta, Mapping) else {}


def _shown_labels(labels: Sequence[Any]) -> str:
    head = ", ".join(repr(x) for x in list(labels)[:4])
    return f"[{head}{', ...' if len(labels) > 4 else ''}] ({len(labels)})"


def check_checkpoint_metadata(
    meta: Mapping[str, Any],
    *,
    where: str,
    preset: str | None = None,
    num_classes: int | None = None,
    labels: Sequence[str | None] | None = None,
    strict: bool = False,
) -> list[str]:
    """Compare a checkpoint's ``meta`` with what the user asked for; returns the disagreements.

    Only what both sides state is compared (a checkpoint without metadata, e.g. MMAction2's,
    passes). ``labels`` are class names by id. Disagreements are reported as one
    :class:`CheckpointMismatchWarning` line, or with ``strict`` raised as a :class:`CheckpointError`.
    """
    problems: list[str] = []
    saved_preset = meta.get("preset")
    if preset is not None and isinstance(saved_preset, str) and saved_preset != preset:
        problems.append(f"it was trained as preset {saved_preset}, loaded as {preset}")
    saved_k = meta.get("num_classes")
    if num_classes is not None and isinstance(saved_k, int) and saved_k != num_classes:
        problems.append(f"it has {saved_k} classes, {num_classes} were asked for")
    saved_labels = meta.get("labels")
    if labels is not None and isinstance(saved_labels, (list, tuple)) and list(saved_labels) != list(labels):
        first = next(
            (i for i, (a, b) in enumerate(zip(saved_labels, labels)) if a != b), min(len(saved_labels), len(labels))
        )
        problems.append(
            f"its label names {_shown_labels(saved_labels)} differ from the label map's "
            f"{_shown_labels(labels)} (first at class {first})"
        )
    if problems:
        text = f"checkpoint {where} does not match what it is loaded as: " + "; ".join(problems)
        if strict:
            raise CheckpointError(text + "; refused (strict)")
        warnings.warn(text + " (loading it anyway; --strict refuses)", CheckpointMismatchWarning, stacklevel=2)
    return problems


@contextlib.contextmanager
def warnings_as_lines():
    """Within the block, a :class:`CheckpointMismatchWarning` is printed as one ``warning: ...``
    line on stderr, every time (what the CLIs do); other warnings are shown as usual."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", CheckpointMismatchWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, CheckpointMismatchWarning):
                print(f"warning: {message}", file=sys.stderr, flush=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


# ----------------------------------------------------------------------------- key remapping


def strip_prefix(state_dict: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Remove ``prefix`` from the keys that start with it (e.g. ``"module."``); others are kept."""
    n = len(prefix)
    return {(k[n:] if k.startswith(prefix) else k): v for k, v in state_dict.items()}


def add_prefix(state_dict: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Prepend ``prefix`` to every key."""
    return {prefix + k: v for k, v in state_dict.items()}


def remap_keys(
    state_dict: Mapping[str, Any],
    rules: Sequence[tuple[str, str]],
    *,
    drop: Sequence[str] = (),
) -> dict[str, Any]:
    """Rename keys with regular-expression rules, in order.

    Args:
        rules: ``(pattern, replacement)`` pairs for ``re.sub``, applied one after another to
            every key (so a later rule sees the result of the earlier ones), e.g.
            ``[(r"^backbone\\.", ""), (r"\\.conv\\.weight$", ".weight")]``.
        drop: patterns (``re.search``) of original keys to leave out.

    Raises:
        CheckpointError: two keys would be renamed to the same name.
    """
    compiled = [(re.compile(p), r) for p, r in rules]
    dropped = [re.compile(p) for p in drop]
    out: dict[str, Any] = {}
    source: dict[str, str] = {}
    for key, value in state_dict.items():
        if any(p.search(key) for p in dropped):
            continue
        new = key
        for pattern, repl in compiled:
            new = pattern.sub(repl, new)
        if new in out:
            raise CheckpointError(f"keys {source[new]!r} and {key!r} are both renamed to {new!r}")
        out[new] = value
        source[new] = key
    return out


@dataclass
class KeyReport:
    """How a state dict matched a model: keys the model lacks, keys it missed, shape mismatches."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        def some(keys: Iterable[str]) -> str:
            keys = list(keys)
            head = ", ".join(keys[:8])
            return head + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")

        parts = []
        if self.missing:
            parts.append(f"missing in the checkpoint: {some(self.missing)}")
        if self.unexpected:
            parts.append(f"not used by the model: {some(self.unexpected)}")
        if self.mismatched:
            parts.append(
                "shape mismatch: "
                + some(f"{k} (checkpoint {tuple(a)}, model {tuple(b)})" for k, a, b in self.mismatched)
            )
        return "; ".join(parts) or "all keys match"


def load_model_weights(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], *, strict: bool = True
) -> KeyReport:
    """Copy ``state_dict`` into ``model`` and report missing/unused/mis-shaped keys.

    With ``strict`` any mismatch raises :class:`CheckpointError` (listing them all) before the
    model is touched; otherwise the matching tensors are loaded and the report is returned.
    """
    own = model.state_dict()
    report = KeyReport(
        missing=[k for k in own if k not in state_dict],
        unexpected=[k for k in state_dict if k not in own],
    )
    usable = {}
    for k, v in state_dict.items():
        if k in own:
            if tuple(v.shape) != tuple(own[k].shape):
                report.mismatched.append((k, tuple(v.shape), tuple(own[k].shape)))
            else:
                usable[k] = v
    if strict and not report.ok:
        raise CheckpointError(f"state dict does not fit {type(model).__name__}: {report}")
    model.load_state_dict(usable, strict=False)
    return report


# ----------------------------------------------------------------------------- rotation


_PERIODIC = re.compile(r"(iter|epoch)_\d+\.pth")


class CheckpointManager:
    """Writes checkpoints into one directory, keeps the newest ``keep_last``, and tracks the best.

    Files: periodic checkpoints under the names the caller gives (e.g. ``iter_00000100.pth``,
    ``epoch_0003.pth``; only names of the form ``(iter|epoch)_<digits>.pth`` are rotated, so other
    ``.pth`` files in the directory are never deleted), ``latest`` (a text file holding the newest file name, written atomically
    after the checkpoint itself), and ``best.pth`` (the checkpoint with the best ``best_metric``
    so far, never rotated away).

    Args:
        directory: where the files go (created if needed).
        keep_last: how many periodic checkpoints to keep (``0`` or less keeps all).
        best_metric: the metric key that ranks checkpoints (``None`` disables ``best.pth``).
        mode: ``"max"`` if larger is better, ``"min"`` otherwise.
    """

    LATEST = "latest"
    BEST = "best.pth"

    def __init__(
        self,
        directory: PathLike,
        keep_last: int = 3,
        best_metric: str | None = "top1",
        mode: Literal["max", "min"] = "max",
    ) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.best_metric = best_metric
        self.mode = mode
        self.best_value: float | None = None
        self.best_file: str | None = None
        self.directory.mkdir(parents=True, exist_ok=True)

    # -- pointers
    def latest_path(self) -> Path | None:
        """The newest complete checkpoint, or ``None`` if there is none yet."""
        pointer = self.directory / self.LATEST
        if not pointer.is_file():
            return None
        name = pointer.read_text().strip()
        path = self.directory / name
        return path if name and path.is_file() else None

    def best_path(self) -> Path | None:
        path = self.directory / self.BEST
        return path if path.is_file() else None

    def _periodic(self) -> list[Path]:
        files = [p for p in self.directory.glob("*.pth") if _PERIODIC.fullmatch(p.name)]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def is_better(self, value: float) -> bool:
        if self.best_value is None:
            return True
        return value > self.best_value if self.mode == "max" else value < self.best_value

    # -- writing
    def save(
        self, state: Mapping[str, Any], name: str | None, metrics: Mapping[str, float] | None = None
    ) -> Path | None:
        """Save ``state`` as ``name``, move ``latest`` to it, rotate old files, update ``best.pth``.

        ``metrics`` (e.g. the evaluation just run) decides whether this checkpoint is the new best;
        the manager's own state (best value) is stored inside the checkpoint under ``"checkpointer"``.
        With ``name=None`` only ``best.pth`` is written, and only if ``metrics`` improve on it.
        Returns the path written (``None`` if nothing was).
        """
        new_best = False
        if self.best_metric is not None and metrics is not None and self.best_metric in metrics:
            value = float(metrics[self.best_metric])
            if self.is_better(value):
                self.best_value, self.best_file, new_best = value, name or self.BEST, True
        state = {**state, "checkpointer": self.state_dict()}
        if name is None:
            if not new_best:
                return None
            return save_checkpoint(state, self.directory / self.BEST)
        path = self.directory / name
        save_checkpoint(state, path)
        atomic_write_bytes(self.directory / self.LATEST, (name + "\n").encode())
        if new_best:
            self._link_best(path)
        if self.keep_last > 0:
            for old in self._periodic()[: -self.keep_last]:
                if old != path:
                    old.unlink(missing_ok=True)
        return path

    def _link_best(self, path: Path) -> None:
        # A hard link is instant and survives rotation of the periodic file; copy where links fail.
        tmp = self.directory / f".{self.BEST}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, self.directory / self.BEST)
        _fsync_dir(self.directory)

    def remove_stale_temp_files(self) -> list[Path]:
        """Delete temp files left by a writer that was killed; call only when no writer runs."""
        stale = sorted(self.directory.glob(".*.pth.*.tmp")) + sorted(
            self.directory.glob(f".{self.LATEST}.*.tmp")
        )
        for p in stale:
            p.unlink(missing_ok=True)
        return stale

    # -- state
    def state_dict(self) -> dict[str, Any]:
        return {"best_metric": self.best_metric, "best_value": self.best_value, "best_file": self.best_file}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state.get("best_metric") == self.best_metric:
            self.best_value = state.get("best_value")
            self.best_file = state.get("best_file")
