"""torchcodec decoder (optional extra ``vidcore-data[torchcodec]``; needs FFmpeg shared libraries).

Opened in torchcodec's "exact" seek mode, which scans the file and numbers frames in presentation
order like sequential decoding. It is used only for files whose PyAV index is in timestamp mode
(MP4, MKV, WebM) and whose frame count torchcodec reports equal to PyAV's; anything else raises
``VideoDecodeError`` saying why. Measured with torchcodec 0.17 on FFmpeg 5.1 (Debian 12): the
same pixels as sequential decoding on every MP4 fixture; on the AVI fixture (``data/test.avi``,
packed DivX) it reports 164 frames, returns a wrong frame 163 and fails to decode it in a batch
of all frames, so AVI is refused. Files with a display matrix (rotated phone videos) are refused
too: how torchcodec orients them has not been checked here, so ``open_video`` reads them with PyAV.
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
    VideoSource,
    as_index_array,
    check_frame_size,
    check_path,
    describe_source,
)
from vidcore.data.decoders.pyav import StreamIndex, probe_orientation, stream_index
from vidcore.data.errors import VideoDecodeError


@functools.cache
def torchcodec_available() -> bool:
    """Whether torchcodec imports and finds its FFmpeg libraries."""
    try:
        from torchcodec.decoders import VideoDecoder  # noqa: F401
    except Exception:  # ImportError, or RuntimeError/OSError when FFmpeg libraries are missing
        return False
    return True


class TorchCodecReader(VideoReader):
    """Random access with ``torchcodec.decoders.VideoDecoder(seek_mode="exact")``.

    Args:
        source: path, bytes or binary file object.
        num_threads: FFmpeg threads (0 lets FFmpeg choose).

    Raises:
        VideoDecodeError: the file is unreadable, or torchcodec is not frame-exact for it (see the
            module docstring).
    """

    backend = "torchcodec"

    def __init__(
        self,
        source: VideoSource,
        *,
        num_threads: int = 1,
        max_pixels: int | None = MAX_PIXELS,
        _info: StreamIndex | None = None,
    ) -> None:
        check_path(source)
        self.source = describe_source(source)
        if _info is None:
            _info = stream_index(source, max_pixels=max_pixels)  # validates the file; are its timestamps sound?
        check_frame_size(self.source, _info.width, _info.height, max_pixels)
        if _info.mode != "pts":
            raise VideoDecodeError(
                self.source, f"torchcodec is not frame-exact for this file ({_info.reason}); use backend='pyav'"
            )
        if probe_orientation(source, _info).display_matrix:
            raise VideoDecodeError(
                self.source,
                f"torchcodec is not frame-exact for this file (display matrix, rotation {_info.rotation:g} "
                "degrees: its orientation handling is unverified); use backend='pyav'",
            )
        try:
            from torchcodec.decoders import VideoDecoder
        except Exception as exc:
            raise ImportError(
                "backend='torchcodec' needs torchcodec and FFmpeg shared libraries: "
                "pip install 'vidcore-data[torchcodec]'"
            ) from exc
        src: Any = os.fspath(source) if isinstance(source, (str, os.PathLike)) else source
        if isinstance(src, (bytearray, memoryview)):
            src = bytes(src)
        try:
            self._dec: Any = VideoDecoder(
                src, seek_mode="exact", dimension_order="NHWC", num_ffmpeg_threads=int(num_threads)
            )
            md = self._dec.metadata
        except Exception as exc:
            raise VideoDecodeError(self.source, f"torchcodec cannot open the file: {exc}") from exc
        self._n = int(md.num_frames or 0)
        if self._n != _info.num_frames:
            raise VideoDecodeError(
                self.source,
                f"torchcodec is not frame-exact for this file: it counts {self._n} frames, sequential "
                f"decoding gives {_info.num_frames}; use backend='pyav'",
            )
        self._fps = float(md.average_fps or 0.0)
        self._h, self._w = int(md.height or 0), int(md.width or 0)

    @property
    def num_frames(self) -> int:
        return self._n

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def height(self) -> int:
        return self._h

    @property
    def width(self) -> int:
        return self._w

    def get_frames(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> torch.Tensor:
        if self._dec is None:
            raise VideoDecodeError(self.source, "the reader is closed")
        arr = as_index_array(indices, self._n, self.source)
        if arr.size == 0:
            return torch.empty((0, self._h, self._w, 3), dtype=torch.uint8)
        try:
            return self._dec.get_frames_at(indices=arr.tolist()).data
        except Exception as exc:
            raise VideoDecodeError(self.source, f"torchcodec failed to decode frames: {exc}") from exc

    def close(self) -> None:
        self._dec = None
