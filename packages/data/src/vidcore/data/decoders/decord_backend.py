"""decord decoder, used only where it is provably frame-exact for the file (optional dependency).

decord numbers frames by counting packets and maps an index to a timestamp itself. That is wrong on
files with an edit list: on an MP4 cut by stream copy it counts the hidden lead-in frames (392
frames reported for 302 shown) and random access returns other frames than sequential decoding.

The rule (``decord_exactness``), all from PyAV's per-file index, decided per file:

- the container gives reliable timestamps (MP4/MOV, Matroska/WebM) and PyAV reads it in pts mode;
- no packet is flagged discard (no edit-list lead-in) and the first visible frame has pts 0;
- constant frame rate (all visible frames equally spaced in pts);
- packet count == visible frame count == the container's stated frame count (when stated);
- closed GOPs: no packet after a keyframe (in decode order) is shown before it. On an x264
  open-GOP MP4 (``x264-params open-gop=1``) and an x265 MP4 with CRA pictures decord returned wrong
  frames on 78 and 94 of 100 sorted 8-frame index sets here (max pixel error 255);
- 8-bit ``yuv420p``: on 10-bit H.264 and HEVC it differed from PyAV's RGB on every set (max 94,
  255): it converts other pixel formats its own way;
- no display matrix: decord turns rotated files by itself (not mirrored ones) and reports the
  stored size, so its frames are neither the stored nor the displayed ones;
- and, checked on open, decord's own frame count equals PyAV's.

Otherwise ``open_video(backend="auto")`` uses another backend. decord is only ever handed files that
PyAV already opened and indexed, so a broken file raises ``VideoDecodeError`` before decord sees it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from vidcore.data.decoders.base import (
    MAX_PIXELS,
    VideoReader,
    as_index_array,
    check_frame_size,
    check_path,
    describe_source,
)
from vidcore.data.decoders.pyav import StreamIndex, probe_orientation, stream_index
from vidcore.data.errors import VideoDecodeError


@functools.cache
def decord_available() -> bool:
    """Whether ``import decord`` works."""
    try:
        import decord  # noqa: F401
    except Exception:  # decord may fail with OSError on a missing shared library
        return False
    return True


def exactness_from_index(info: StreamIndex) -> str:
    """Empty string when decord is exact for a file with this index, else the reason it is not
    (the display matrix must be known: see ``pyav.probe_orientation``)."""
    if info.mode != "pts":
        return f"timestamps not trustworthy ({info.reason})"
    if not any(f in info.format_name.split(",") for f in ("mov", "mp4", "matroska", "webm")):
        return f"container {info.format_name!r}"
    if info.num_discarded:
        return f"edit list hides {info.num_discarded} lead-in frames"
    if info.frame_pts.size == 0 or int(info.frame_pts[0]) != 0:
        return "the first frame does not start at pts 0"
    if not info.constant_rate:
        return "variable frame rate"
    if info.num_packets != info.num_frames:
        return f"{info.num_packets} packets for {info.num_frames} frames"
    if info.container_frames and info.container_frames != info.num_frames:
        return f"container states {info.container_frames} frames, {info.num_frames} are shown"
    if info.leading_pictures:
        return (
            f"open GOP: {info.leading_pictures} frames are decoded after a keyframe but shown before it"
        )
    if info.pix_fmt != "yuv420p":
        return f"pixel format {info.pix_fmt or 'unknown'} (decord is exact only on 8-bit yuv420p)"
    if info.display_matrix is None:
        return "display matrix not known yet (pyav.probe_orientation reads it)"
    if info.display_matrix:
        mirrored = ", mirrored" if info.mirrored else ""
        return f"display matrix (rotation {info.rotation:g} degrees{mirrored}): decord turns frames its own way"
    return ""


def decord_exactness(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """``(exact, reason)``: whether decord returns the same frames as sequential decoding for this file.

    Reads the file's PyAV index (cached), so broken files raise ``VideoDecodeError``.
    """
    reason = exactness_from_index(probe_orientation(path, stream_index(path)))
    return (not reason), reason


class DecordReader(VideoReader):
    """Random access with decord, for files where it is frame-exact (see the module docstring).

    Args:
        path: a video file path (decord is not used for bytes or file objects).
        num_threads: decord decoding threads (0 lets decord choose).
        require_exact: raise ``VideoDecodeError`` when the exactness rule fails for this file
            (with False, a file with a display matrix comes out as decord turns it).
        max_pixels: refuse larger frames (``FrameTooLargeError``; see ``PyAVReader``).
    """

    backend = "decord"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        num_threads: int = 1,
        require_exact: bool = True,
        max_pixels: int | None = MAX_PIXELS,
        _info: StreamIndex | None = None,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise VideoDecodeError(describe_source(path), "the decord backend needs a file path")
        check_path(path)
        self.source = describe_source(path)
        if _info is None:
            _info = stream_index(path, max_pixels=max_pixels)  # validates the file, gives the exactness facts
        check_frame_size(self.source, _info.width, _info.height, max_pixels)
        self.info = probe_orientation(path, _info)
        self.rotation, self.mirrored = _info.rotation, _info.mirrored
        reason = exactness_from_index(self.info)
        if require_exact and reason:
            raise VideoDecodeError(self.source, f"decord is not frame-exact for this file: {reason}")
        try:
            import decord
        except Exception as exc:
            raise ImportError("backend='decord' needs decord: pip install 'vidcore-data[decord]'") from exc
        self._fd: int | None = None
        name = os.fspath(path)
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: decord cannot take it, a descriptor it can
            if not os.path.isdir("/proc/self/fd"):
                raise VideoDecodeError(self.source, "decord cannot open a file whose name is not UTF-8 here") from None
            self._fd = os.open(name, os.O_RDONLY)
            name = f"/proc/self/fd/{self._fd}"
        try:
            self._vr: Any = decord.VideoReader(name, ctx=decord.cpu(0), num_threads=int(num_threads))
        except Exception as exc:  # decord raises its own DECORDError
            self.close()
            raise VideoDecodeError(self.source, f"decord cannot open the file: {exc}") from exc
        n = len(self._vr)
        if require_exact and n != self.info.num_frames:
            self.close()
            raise VideoDecodeError(
                self.source, f"decord counts {n} frames where sequential decoding yields {self.info.num_frames}"
            )
        self._n = n

    @property
    def num_frames(self) -> int:
        return self._n

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def height(self) -> int:
        return self.info.height

    @property
    def width(self) -> int:
        return self.info.width

    def get_frames(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> torch.Tensor:
        if self._vr is None:
            raise VideoDecodeError(self.source, "the reader is closed")
        arr = as_index_array(indices, self._n, self.source)
        if arr.size == 0:
            return torch.empty((0, self.height, self.width, 3), dtype=torch.uint8)
        try:
            batch = self._vr.get_batch(arr.tolist()).asnumpy()
        except Exception as exc:
            raise VideoDecodeError(self.source, f"decord failed to decode frames: {exc}") from exc
        return torch.from_numpy(batch)

    def close(self) -> None:
        self._vr = None
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            os.close(fd)
