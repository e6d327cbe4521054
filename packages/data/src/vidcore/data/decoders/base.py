"""The face every decoder shares, and the helpers for sources and index checks.

A reader gives frames as uint8 ``(T, H, W, C)`` RGB tensors (C = 3; 2 for optical-flow x/y pairs),
for any list of 0-based frame indices, in the order asked (repeats allowed). Frame ``i`` is, by
definition, the ``i``-th frame that PyAV yields when it decodes the whole stream in presentation
order (FFmpeg's behaviour: edit lists respected, hidden lead-in frames dropped).
"""

from __future__ import annotations

import errno
import io
import os
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np
import torch

from vidcore.data.errors import FrameTooLargeError, VideoDecodeError

MAX_PIXELS = 7680 * 4320
"""Default pixel limit of a frame (8K UHD): larger frames are refused before they are allocated."""

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


def missing_reason(path: str | os.PathLike[str]) -> str:
    """Why ``path`` cannot be reached: "symlink loop", "broken symlink (to ...)" or "file not found"."""
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "symlink loop"
            return f"broken symlink (it points to {os.readlink(path)!r}, which does not exist)"
    return "file not found"


def check_path(source: Any) -> None:
    """Raise ``VideoDecodeError`` for a path that does not exist (saying why: not found, broken
    symlink, symlink loop), is a folder or is empty; for bytes, if empty."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise VideoDecodeError(path, missing_reason(path))
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


def check_frame_size(source: Any, width: int, height: int, max_pixels: int | None) -> None:
    """Raise ``FrameTooLargeError`` when ``width * height`` exceeds ``max_pixels`` (None: no limit)."""
    if max_pixels is not None and int(width) * int(height) > int(max_pixels):
        raise FrameTooLargeError(describe_source(source), width, height, int(max_pixels))


def display_orientation(matrix: Sequence[int]) -> tuple[float, bool]:
    """``(rotation, mirrored)`` of an FFmpeg display matrix (9 int32, 16.16 fixed point, row-major).

    ``rotation`` is FFmpeg's ``av_display_rotation_get``: counter-clockwise degrees in (-180, 180];
    ``mirrored`` says the matrix also flips the picture (negative determinant)."""
    import math

    a, b, c, d = (float(matrix[i]) / 65536.0 for i in (0, 1, 3, 4))
    scale_x, scale_y = math.hypot(a, c), math.hypot(b, d)
    if scale_x == 0.0 or scale_y == 0.0:
        return 0.0, False
    rotation = -math.degrees(math.atan2(b / scale_y, a / scale_x))
    return (rotation + 0.0 if rotation != -180.0 else 180.0), a * d - b * c < 0


def quarter_turns(source: Any, rotation: float) -> int:
    """``rotation`` (counter-clockwise degrees) as a number of quarter turns 0-3; a display matrix
    at another angle raises ``VideoDecodeError`` (players resample such frames; we do not)."""
    k = round(rotation / 90.0)
    if abs(rotation - 90.0 * k) > 1.0:
        raise VideoDecodeError(
            describe_source(source),
            f"the display matrix rotates by {rotation:.1f} degrees, not a multiple of 90; open it with "
            "rotate=False to get the stored orientation",
        )
    return k % 4


def orient(frames: torch.Tensor, turns: int, mirrored: bool) -> torch.Tensor:
    """Frames ``(T, H, W, C)`` in display orientation, as FFmpeg's players show them: mirrored
    files are flipped top to bottom first, then every frame is turned ``turns`` quarter turns
    counter-clockwise (checked against ``ffmpeg`` 5.1's autorotation for the eight orientations)."""
    if mirrored:
        frames = torch.flip(frames, dims=(1,))
    if turns:
        frames = torch.rot90(frames, turns, dims=(1, 2))
    return frames.contiguous() if (mirrored or turns) else frames


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
        rotation, mirrored, rotate: the display orientation (see the attributes' docstrings).
    """

    backend: str = "?"
    source: str
    rotation: float = 0.0
    """Counter-clockwise degrees the file's display matrix turns its frames by (0 without one)."""
    mirrored: bool = False
    """Whether the display matrix also mirrors the frames."""
    rotate: bool = False
    """Whether frames (and ``height``/``width``) are in display orientation: the display matrix
    applied, as players show them (the default for files that have one), or as stored."""

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
        turned = ""
        if self.rotation or self.mirrored:
            how = "applied" if self.rotate else "not applied"
            turned = f", rotation={self.rotation:g}{' mirrored' if self.mirrored else ''} ({how})"
        return (
            f"{type(self).__name__}({self.source!r}, frames={self.num_frames}, fps={self.fps:.3f}, "
            f"size={self.width}x{self.height}{turned})"
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
