"""Loading pickles without running code: only numpy arrays, dtypes, scalars and plain containers.

Annotation pickles (skeletons, AVA proposals) come from the internet. ``pickle.load`` on them runs
whatever callable the file names; ``safe_load_pickle`` admits the handful of globals a numpy array
needs and refuses every other one with an ``AnnotationError`` that names it, before anything runs.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from vidcore.data.annotations._common import PathArg
from vidcore.data.errors import AnnotationError

# (module, name) pairs a pickle of numpy arrays and builtin containers needs. numpy moved its
# internals from numpy.core to numpy._core in 2.0; pickles written by either name them differently.
_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    [(m, n) for m in ("numpy.core.multiarray", "numpy._core.multiarray") for n in ("_reconstruct", "scalar")]
    + [(m, "_frombuffer") for m in ("numpy.core.numeric", "numpy._core.numeric")]  # protocol 5 arrays
    + [
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # protocol 2 stores bytes as _codecs.encode(str, "latin1")
        ("collections", "OrderedDict"),
    ]
    # protocols < 3 name the builtins module "__builtin__" (Python 2 spelling)
    + [
        (m, n)
        for m in ("builtins", "__builtin__")
        for n in ("set", "frozenset", "slice", "complex", "bytearray")
    ]
)


def _allowed_dtype_class(module: str, name: str) -> bool:
    # numpy >= 1.25 pickles some dtypes through their classes, numpy.dtypes.Float64DType etc.
    return module == "numpy.dtypes" and name.endswith("DType") and name.isidentifier()


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, path: str) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED or _allowed_dtype_class(module, name):
            return super().find_class(module, name)
        raise AnnotationError(
            self._path,
            None,
            f"pickle refers to {module}.{name}; only numpy arrays, dtypes and plain containers are "
            "allowed (the file may run code when unpickled: refusing it)",
        )

    def persistent_load(self, pid: Any) -> Any:
        raise AnnotationError(self._path, None, "pickle uses persistent ids; refusing it")


def safe_load_pickle(path: PathArg) -> Any:
    """Unpickle ``path`` admitting only numpy arrays/dtypes/scalars and builtin containers.

    Raises ``AnnotationError`` naming the file when the file is missing, truncated or not a pickle,
    and naming the refused global when it references anything else (e.g. ``os.system``).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise AnnotationError(p, None, "file not found") from None
    except OSError as exc:
        raise AnnotationError(p, None, f"cannot read: {exc.strerror or exc}") from None
    return safe_loads_pickle(data, str(p))


def safe_loads_pickle(data: bytes, name: str = "<bytes>") -> Any:
    """``safe_load_pickle`` for bytes already in memory; ``name`` is used in error messages."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data), name).load()
    except AnnotationError:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
    ) as exc:
        raise AnnotationError(name, None, f"not a readable pickle: {type(exc).__name__}: {exc}") from None


def dump_pickle(obj: Any, path: PathArg) -> None:
    """Pickle ``obj`` (protocol 4, readable by Python >= 3.4) atomically."""
    import os
    import tempfile

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=4)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
