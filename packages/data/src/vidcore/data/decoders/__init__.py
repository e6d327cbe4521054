"""Frame-exact video decoders behind one small interface (see ``base.VideoReader``).

``open_video(source)`` returns a reader; frame ``i`` is always the ``i``-th frame PyAV yields when it
decodes the whole file in presentation order. ``backend="auto"`` goes through ``AUTO_ORDER`` and
takes the first backend that is installed and exact for this file:

- "pyav": always exact (see ``pyav``), so backends after it are only reached through a custom order;
- "torchcodec" (exact seek mode), for files in timestamp mode whose frame count it gives equal to
  PyAV's (see ``torchcodec_backend``);
- "decord", when the file passes ``decord_backend.exactness_from_index`` (no edit list, pts from 0,
  constant rate, consistent counts, closed GOPs, 8-bit yuv420p, no display matrix; otherwise skipped).

Every backend gives frames in display orientation by default: a display matrix (phone videos:
rotated, sometimes mirrored) is applied as players apply it, and ``height``/``width`` are the
shown size; ``rotate=False`` keeps the stored orientation. ``reader.rotation``/``reader.mirrored``
report the matrix. Frames above ``max_pixels`` (default 8K UHD) are refused from the stream
header with ``FrameTooLargeError`` before anything of that size is allocated.

PyAV comes first because it is the fastest here once it skips unwanted non-reference frames.
benchmarks/results/decode-2026-11-22.json (2 cores; train clips, opened per clip, methods taking
turns clip by clip), clips/s for TSN 1x1x8 / SlowFast 32x2, PyAV vs decord vs torchcodec 0.17
(FFmpeg 5.1, one thread): GOP-250 10 s 340x256 file 11.2 / 14.4 vs 6.8 / 8.7 vs 7.5 / 10.3; its
GOP-16 copy 26.7 / 23.4 vs 16.1 / 16.1 vs 20.2 / 21.0; fixture test.mp4 7.3 / 8.3 vs 4.0 / 5.0 vs
4.2 / 5.6. Pass e.g. ``auto_order=("decord", "pyav")`` (or set ``AUTO_ORDER``) to prefer another
backend where it is exact.

Bytes and file objects go to PyAV (or torchcodec). A folder goes to ``RawFrameReader`` with the
MMAction2 defaults (``img_{:05d}.jpg`` from 1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from vidcore.data.decoders.audio import read_audio
from vidcore.data.decoders.base import MAX_PIXELS, VideoReader, VideoSource, describe_source
from vidcore.data.decoders.decord_backend import (
    DecordReader,
    decord_available,
    decord_exactness,
    exactness_from_index,
)
from vidcore.data.decoders.pyav import PyAVReader, StreamIndex, clear_cache
from vidcore.data.decoders.rawframes import RawFrameReader
from vidcore.data.decoders.torchcodec_backend import TorchCodecReader, torchcodec_available
from vidcore.data.errors import VideoDecodeError

BACKENDS = ("auto", "pyav", "decord", "torchcodec", "rawframes")
AUTO_ORDER: tuple[str, ...] = ("pyav", "torchcodec", "decord")


def available_backends() -> list[str]:
    """The video backends that import on this machine (PyAV always)."""
    names = ["pyav"]
    if decord_available():
        names.append("decord")
    if torchcodec_available():
        names.append("torchcodec")
    return names


def open_video(
    source: VideoSource,
    *,
    backend: str = "auto",
    num_threads: int = 1,
    auto_order: Sequence[str] | None = None,
    rotate: bool = True,
    max_pixels: int | None = MAX_PIXELS,
) -> VideoReader:
    """Open a video (path, bytes or binary file object) or a rawframe folder for random access.

    Args:
        source: the video.
        backend: "auto" (see the module docstring), "pyav", "decord" (refuses files where it is not
            exact), "torchcodec" or "rawframes".
        num_threads: decoding threads.
        auto_order: backends "auto" tries, first exact one wins (default ``AUTO_ORDER``).
        rotate: frames in display orientation (the display matrix applied; EXIF orientation for
            rawframe images); False keeps the stored orientation.
        max_pixels: the largest frame accepted, in pixels (default ``MAX_PIXELS``, 8K UHD); None
            for no limit.

    Raises:
        VideoDecodeError: missing, empty, truncated or non-video file (naming the file and cause);
            ``FrameTooLargeError`` (a subclass) for frames above ``max_pixels``.
        ImportError: an explicitly requested optional backend is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    is_path = isinstance(source, (str, os.PathLike))
    if backend == "rawframes" or (backend == "auto" and is_path and Path(source).is_dir()):
        if not is_path:
            raise VideoDecodeError(describe_source(source), "rawframes need a folder path")
        return RawFrameReader(source, rotate=rotate, max_pixels=max_pixels)
    if backend == "pyav":
        return PyAVReader(source, num_threads=num_threads, rotate=rotate, max_pixels=max_pixels)
    if backend == "decord":
        return DecordReader(source, num_threads=num_threads, max_pixels=max_pixels)  # type: ignore[arg-type]
    if backend == "torchcodec":
        return TorchCodecReader(source, num_threads=num_threads, max_pixels=max_pixels)

    # validates the file, builds the index
    reader = PyAVReader(source, num_threads=num_threads, rotate=rotate, max_pixels=max_pixels)
    for name in auto_order or AUTO_ORDER:
        if name == "pyav" or reader.info.mode != "pts":
            return reader
        reader._probe_orientation()
        if reader.info.display_matrix:
            return reader  # the other backends are used only on files without a display matrix
        chosen: VideoReader | None = None
        if name == "torchcodec" and torchcodec_available():
            try:
                chosen = TorchCodecReader(
                    _rewound(source), num_threads=num_threads, max_pixels=max_pixels, _info=reader.info
                )
            except (VideoDecodeError, ImportError):
                chosen = None
            if chosen is not None and chosen.num_frames != reader.num_frames:
                chosen.close()
                chosen = None
        elif name == "decord" and is_path and decord_available() and not exactness_from_index(reader.info):
            try:
                chosen = DecordReader(source, num_threads=num_threads, max_pixels=max_pixels, _info=reader.info)  # type: ignore[arg-type]
            except (VideoDecodeError, ImportError):
                chosen = None
        if chosen is not None:
            reader.close()
            return chosen
    return reader


def _rewound(source: VideoSource) -> VideoSource:
    if hasattr(source, "seek") and not isinstance(source, (str, os.PathLike, bytes)):
        source.seek(0)  # type: ignore[union-attr]
    return source


__all__ = [
    "AUTO_ORDER",
    "BACKENDS",
    "MAX_PIXELS",
    "DecordReader",
    "PyAVReader",
    "RawFrameReader",
    "StreamIndex",
    "TorchCodecReader",
    "VideoReader",
    "VideoSource",
    "available_backends",
    "clear_cache",
    "decord_exactness",
    "open_video",
    "read_audio",
]
