"""The face every decoder shares, and the helpers for sources and index checks.

A reader gives frames as uint8 ``(T, H, W, C)`` RGB tensors (C = 3; 2 for optical-flow x/y pairs),
for any list of 0-based frame indices, in the order asked (repeats allowed). Frame ``i`` is, by
definition, the ``i``-th frame that PyAV yields when it decodes the whole stream in presentation
order (FFmpeg's behaviour: edit lists respected, hidden lead-in frames dropped).
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np
import torch

from vidcore.data.errors import VideoDecodeError

VideoSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]
"""A path, the bytes of a whole file, or a readable binary file object (seekable)."""


def describe_source(source: Any) -> str:
    """A short name for a source, used in error messages and ``reader.source``."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<bytes: {len(source)} B>"
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    return f"<{type(source).__name__}>"


def check_path(source: Any) -> None:
    """Raise ``VideoDecodeError`` for a path that does not exist, is a folder or is empty; for bytes, if empty."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise VideoDecodeError(path, "file not found")
        if path.is_dir():
            raise VideoDecodeError(path, "is a directory, not a video file")
        if path.stat().st_size == 0:
            raise VideoDecodeError(path, "file is empty (0 bytes)")
    elif isinstance(source, (bytes, bytearray, memoryview)) and len(source) == 0:
        raise VideoDecodeError(None, "empty bytes given as a video")


def describe_error(exc: BaseException) -> str:
    """``"ErrorType: message"`` for the cause part of a ``VideoDecodeError``."""
    return f"{type(exc).__name__}: {exc}"


def ffmpeg_errors() -> tuple[type[BaseException], ...]:
    """The exceptions PyAV raises on a bad file (FFmpeg errors and what its wrappers turn them into)."""
    import av

    return (av.error.FFmpegError, OSError, EOFError, ValueError, UnicodeDecodeError, MemoryError)


def source_cache_key(source: Any) -> tuple | None:
    """A key identifying the file's content for metadata caches: (path, size, mtime); None if unknown."""
    if isinstance(source, (str, os.PathLike)):
        try:
            st = os.stat(source)
        except OSError:
            return None
        return (os.path.realpath(source), st.st_size, st.st_mtime_ns)
    return None


def open_binary(source: Any) -> Any:
    """What ``av.open`` / decoders accept: a path string, or a file object (bytes are wrapped)."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    return source


def as_index_array(indices: Sequence[int] | np.ndarray | torch.Tensor, num_frames: int, source: str) -> np.ndarray:
    """Validate frame indices: 1-D integers in ``[0, num_frames)``; returns an int64 array.

    Raises ``VideoDecodeError`` naming the file, the bad indices and the valid range.
    """
    if isinstance(indices, torch.Tensor):
        indices = indices.detach().cpu().numpy()
    arr = np.asarray(indices)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise VideoDecodeError(source, f"frame indices must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise VideoDecodeError(source, f"frame indices must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= num_frames)
    if bad.any():
        shown = arr[bad][:5].tolist()
        valid = f"[0, {num_frames - 1}]" if num_frames > 0 else "none (the video has no frames)"
        raise VideoDecodeError(
            source, f"frame index out of range: {shown} (valid range {valid}, {num_frames} frames)"
        )
    return arr


class LRUCache:
    """A small bounded mapping (least recently used entries evicted), for per-file metadata."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        if key is None or key not in self._data:
            return None
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key: Any, value: Any) -> None:
        if key is None:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


class VideoReader(ABC):
    """Random access to the frames of one video.

    Attributes:
        num_frames: number of frames sequential decoding yields.
        fps: frames per second (average rate for variable-rate files).
        height, width: frame size in pixels.
        source: the file name (or a description of bytes / file object) for messages.
        backend: name of the library doing the work ("pyav", "decord", "torchcodec", "rawframes").
    """

    backend: str = "?"
    source: str

    @property
    @abstractmethod
    def num_frames(self) -> int: ...

    @property
    @abstractmethod
    def fps(self) -> float: ...

    @property
    @abstractmethod
    def height(self) -> int: ...

    @property
    @abstractmethod
    def width(self) -> int: ...

    @abstractmethod
    def get_frames(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> torch.Tensor:
        """Frames at 0-based ``indices`` as uint8 ``(T, H, W, C)``, in the order asked."""

    def close(self) -> None:  # noqa: B027 - optional override
        """Release the file; the reader cannot be used afterwards."""

    def __len__(self) -> int:
        return self.num_frames

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.source!r}, frames={self.num_frames}, fps={self.fps:.3f}, "
            f"size={self.width}x{self.height})"
        )


def gather(unique_frames: dict[int, np.ndarray], arr: np.ndarray) -> torch.Tensor:
    """Stack the decoded frames in the order (with repeats) of ``arr``: uint8 ``(T, H, W, C)``."""
    if arr.size == 0:
        raise ValueError("no frames")
    first = next(iter(unique_frames.values()))
    out = np.empty((arr.size, *first.shape), dtype=np.uint8)
    for j, i in enumerate(arr.tolist()):
        out[j] = unique_frames[i]
    return torch.from_numpy(out)
