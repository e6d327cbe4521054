"""PyAV (bundled FFmpeg) video decoder: exact random access by presentation timestamps (audio: ``audio.py``).

How a clip is read (``PyAVReader.get_frames``):

1. On open, the video stream's packets are demuxed once (no decoding: a few ms for a 10 s clip)
   into a per-file index, cached by (path, size, mtime): the sorted presentation timestamps (pts)
   of the visible frames (packets FFmpeg marks as discarded, the hidden lead-in of an edit list,
   are left out, as the decoder drops them too) and the keyframes with their seek timestamps.
   A file cut short raises ``VideoDecodeError``: MP4 when fewer packets are readable than its
   sample table lists, AVI than its header lists, Matroska when every stream ends well before the
   duration its header states. Frame ``i`` is the frame whose pts is the ``i``-th smallest; so
   frames are identified by pts, never by counting after a seek, which makes B-frame reordering,
   edit lists and variable frame rates harmless.
2. The wanted frames are sorted; for each one the reader seeks to the last keyframe at or before it
   (only when that keyframe lies beyond the current decoding position; otherwise decoding on is
   cheaper), decodes forward, converts to RGB only the frames it keeps, and stops after the last
   wanted frame. Unwanted non-reference frames (most B-frames) are not decoded at all. The RGB
   conversion goes through one ``VideoReformatter`` per reader, on one thread, and lands straight
   in the clip's buffer (in sorted index order; that buffer is the clip when the indices are
   sorted and distinct, as most samplers give them). Same pixels as
   ``frame.to_ndarray(format="rgb24")``, which sets up a new (multi-threaded) scaler for every
   frame and so costs 5-10x more per 340x256 frame (0.4-1.5 ms against 0.05-0.13 ms here).
3. Self-checks: if a seek lands after the wanted frame, it steps back one keyframe; if the decoder
   produces a timestamp the index does not know or skips one it lists, the file's pts are not
   trustworthy and the reader falls back to sequential mode for that file.

Sequential mode (containers without reliable timestamps, e.g. AVI, whose pts FFmpeg derives from
decode order; or after a failed self-check): decode from the start, counting frames. The frame
count then needs one full decode (no RGB conversion), cached per file.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vidcore.data.decoders.audio import read_audio  # moved to audio.py; importable from here as before
from vidcore.data.decoders.base import (
    MAX_PIXELS,
    LRUCache,
    VideoReader,
    VideoSource,
    as_index_array,
    check_frame_size,
    check_path,
    describe_source,
    display_orientation,
    open_binary,
    orient,
    quarter_turns,
    source_cache_key,
)
from vidcore.data.decoders.base import describe_error as _wrap
from vidcore.data.decoders.base import ffmpeg_errors as _ffmpeg_errors
from vidcore.data.errors import VideoDecodeError

# Containers whose demuxers give each packet a real presentation timestamp, and which FFmpeg seeks by
# timestamp (sample tables / cues). Anything else is read in sequential mode.
_PTS_FORMATS = ("mov", "mp4", "matroska", "webm")


@dataclass
class StreamIndex:
    """Per-file metadata of the first video stream (cached; see the module docstring).

    Attributes:
        mode: "pts" (random access by timestamps) or "sequential".
        reason: why sequential mode was chosen ("" in pts mode).
        frame_pts: int64 ``(N,)`` sorted pts of the visible frames (pts mode), stream time base.
        key_pts: int64 ``(K,)`` sorted pts of keyframe packets (discarded ones included).
        key_seek: int64 ``(K,)`` default timestamp to pass to the seek for each keyframe (its pts);
            ``seek_ts`` caches the calibrated one (see ``PyAVReader._seek_ts``).
        num_frames: frames sequential decoding yields; None until counted in sequential mode.
        fps: average frame rate in frames per second.
        time_base: seconds per pts tick.
        num_packets: video packets demuxed; num_discarded: those flagged discard (edit-list lead-in).
        container_frames: frame count the container header states (0 if none).
        constant_rate: whether consecutive visible frames are equally spaced in pts.
        format_name: FFmpeg demuxer name.
        width, height: the stored frame size in pixels (before any display rotation).
        pix_fmt: the decoder's pixel format (e.g. "yuv420p", "yuv420p10le"; "" if unknown).
        leading_pictures: packets that follow a keyframe in decode order but are shown before it
            (open GOP: H.264 recovery points, HEVC CRA pictures); 0 for closed GOPs.
        rotation, mirrored: the display matrix of the first decoded frame (counter-clockwise
            degrees, and whether it flips); ``display_matrix`` says whether there is one (None
            until a frame was decoded: ``probe_orientation`` decodes one where it is needed first,
            otherwise the first ``get_frames`` reads it from the frames it decodes anyway).
    """

    mode: str
    reason: str
    frame_pts: np.ndarray
    key_pts: np.ndarray
    key_seek: np.ndarray
    num_frames: int | None
    fps: float
    width: int
    height: int
    time_base: float
    num_packets: int
    num_discarded: int
    container_frames: int
    constant_rate: bool
    format_name: str
    pix_fmt: str = ""
    leading_pictures: int = 0
    display_matrix: bool | None = None
    rotation: float = 0.0
    mirrored: bool = False
    pts_set: frozenset[int] = field(default_factory=frozenset, repr=False)
    seek_ts: dict[int, int] = field(default_factory=dict, repr=False)  # calibrated, per keyframe


_INDEX_CACHE = LRUCache(4096)
_POOL: ThreadPoolExecutor | None = None  # decoding threads for num_threads > 1, made on first use
_POOL_LOCK = threading.Lock()


def _thread_pool(size: int) -> ThreadPoolExecutor:
    """The process's decoding thread pool, grown to ``size`` threads."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < size:
            _POOL = ThreadPoolExecutor(max_workers=size, thread_name_prefix="vidcore-decode")
        return _POOL


def _forget_pool_after_fork() -> None:  # a forked DataLoader worker has none of the parent's threads
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _pack(work: list[int], limit: int) -> list[int]:
    """Greedy contiguous packing of ``work`` items into groups of total <= ``limit`` (an item larger
    than the limit gets its own group); returns the index of each group's first item."""
    firsts, acc = [0], 0
    for r, w in enumerate(work):
        if acc and acc + w > limit:
            firsts.append(r)
            acc = 0
        acc += w
    return firsts


def stream_index(source: VideoSource, *, max_pixels: int | None = MAX_PIXELS) -> StreamIndex:
    """The file's ``StreamIndex``: from the cache when the file is unchanged, else by opening it
    (which validates it and raises ``VideoDecodeError`` for a bad file, ``FrameTooLargeError`` for
    frames above ``max_pixels``). A file object is left at the position it had."""
    cached = _INDEX_CACHE.get(source_cache_key(source))
    if cached is not None:
        return cached
    start = source.tell() if hasattr(source, "tell") and not isinstance(source, (str, os.PathLike)) else None
    with PyAVReader(source, max_pixels=max_pixels, rotate=False) as reader:
        info = reader.info
    if start is not None:
        source.seek(start)  # type: ignore[union-attr]
    return info


def clear_cache() -> None:
    """Forget cached per-file indexes (e.g. after rewriting a file in place within one mtime tick)."""
    _INDEX_CACHE.clear()


class _Untrusted(Exception):
    """The decoder disagreed with the pts index: switch to sequential mode."""


def _check_matroska_length(container: Any, stream: Any, pts_list: list[int | None], source: str) -> None:
    """Matroska lists no packet count, but its header states the segment's duration (the longest
    track's, written when the file was closed). If the video ends well before it, read every
    track's packets; when none of them reaches it either, the file was cut short."""
    known = [p for p in pts_list if p is not None]
    if not container.duration or not known or not stream.time_base:
        return
    declared = container.duration / 1e6
    start = max(container.start_time or 0, 0) / 1e6
    rate = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
    slack = 3.0 / rate + 0.01 * declared  # a legitimate file ends within a frame of it
    video_end = float(max(known) * stream.time_base) + 1.0 / rate - start
    if video_end >= declared - slack:
        return
    ends = [video_end]
    try:
        container.seek(0)
        for packet in container.demux():
            if packet.pts is not None and packet.stream.time_base:
                ends.append(float((packet.pts + (packet.duration or 0)) * packet.stream.time_base) - start)
    except _ffmpeg_errors() as exc:
        raise VideoDecodeError(source, f"cannot read the packets (truncated or corrupt?): {_wrap(exc)}") from exc
    if max(ends) < declared - slack:
        raise VideoDecodeError(
            source, f"truncated: the Matroska header states {declared:.2f} s, the streams end at {max(ends):.2f} s"
        )


def _build_index(container: Any, stream: Any, source: str) -> StreamIndex:
    fmt = container.format.name
    tb = stream.time_base
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    cc = stream.codec_context
    pts_list: list[int | None] = []
    keys: list[tuple[int, int]] = []
    n_packets = 0
    n_discard = 0
    n_leading = 0
    last_key: int | None = None
    try:
        for packet in container.demux(stream):
            if packet.size == 0 and packet.dts is None:
                continue  # the flush packet at end of stream
            n_packets += 1
            if packet.is_discard:
                n_discard += 1
            else:
                pts_list.append(packet.pts)
            if packet.is_keyframe and packet.pts is not None:
                keys.append((packet.pts, packet.pts))
                last_key = packet.pts
            elif last_key is not None and packet.pts is not None and packet.pts < last_key:
                n_leading += 1  # decoded after the keyframe, shown before it: an open GOP
    except _ffmpeg_errors() as exc:
        raise VideoDecodeError(source, f"cannot read the video packets (truncated or corrupt?): {_wrap(exc)}") from exc
    if n_packets == 0:
        raise VideoDecodeError(source, "the video stream has no packets (empty or truncated file)")
    if fmt.startswith("mov"):
        expected = len(stream.index_entries)
        if expected and n_packets < expected:
            raise VideoDecodeError(
                source, f"truncated: the container lists {expected} video packets, only {n_packets} are readable"
            )
    if fmt.startswith("matroska"):
        _check_matroska_length(container, stream, pts_list, source)
    if fmt == "avi":
        expected = int(stream.frames or 0)  # the stream header's frame count, written when the file was closed
        if expected and n_packets < expected:
            raise VideoDecodeError(
                source, f"truncated: the AVI header lists {expected} video frames, only {n_packets} are readable"
            )
    reason = ""
    if not any(name in fmt.split(",") for name in _PTS_FORMATS):
        reason = f"container {fmt!r} has no reliable presentation timestamps"
    elif any(p is None for p in pts_list):
        reason = "some packets have no pts"
    elif len(set(pts_list)) != len(pts_list):
        reason = "duplicate packet pts"
    elif not keys:
        reason = "no keyframe flagged in the container"
    frame_pts = np.sort(np.asarray([p for p in pts_list if p is not None], dtype=np.int64))
    keys.sort()
    key_pts = np.asarray([k[0] for k in keys], dtype=np.int64)
    key_seek = np.asarray([k[1] for k in keys], dtype=np.int64)
    diffs = np.diff(frame_pts)
    constant = bool(diffs.size == 0 or (diffs.min() == diffs.max()))
    mode = "sequential" if reason else "pts"
    return StreamIndex(
        mode=mode,
        reason=reason,
        frame_pts=frame_pts,
        key_pts=key_pts,
        key_seek=key_seek,
        num_frames=len(frame_pts) if mode == "pts" else None,
        fps=fps,
        width=int(cc.width),
        height=int(cc.height),
        time_base=float(tb) if tb else 0.0,
        num_packets=n_packets,
        num_discarded=n_discard,
        container_frames=int(stream.frames or 0),
        constant_rate=constant,
        format_name=fmt,
        pts_set=frozenset(frame_pts.tolist()) if mode == "pts" else frozenset(),
        pix_fmt=cc.format.name if cc.format is not None else "",
        leading_pictures=n_leading,
    )


def _note_orientation(info: StreamIndex, frame: Any) -> None:
    """Record the display matrix a decoded ``frame`` carries in ``info`` (first call only).

    FFmpeg hands the container's display matrix (MP4 ``tkhd``, Matroska projection) to every
    decoded frame as side data, and PyAV exposes it only there."""
    if info.display_matrix is not None:
        return
    import struct

    for item in frame.side_data:
        if "DISPLAYMATRIX" in str(getattr(item, "type", "")).upper():
            raw = bytes(item)
            if len(raw) >= 36:
                info.rotation, info.mirrored = display_orientation(struct.unpack("<9i", raw[:36]))
                info.display_matrix = True
                return
    info.display_matrix = False


def probe_orientation(source: VideoSource, info: StreamIndex) -> StreamIndex:
    """Fill ``info``'s display-matrix fields by decoding the first frame, if no frame was decoded
    yet (a file object is left where it was). A first frame that does not decode counts as no
    matrix; the error surfaces when frames are read."""
    if info.display_matrix is None:
        start = source.tell() if hasattr(source, "tell") and not isinstance(source, (str, os.PathLike)) else None
        with PyAVReader(source, rotate=False, max_pixels=None, _info=info) as reader:
            reader._probe_orientation()
        if start is not None:
            source.seek(start)  # type: ignore[union-attr]
    return info


class PyAVReader(VideoReader):
    """Frame-exact random access with PyAV. See the module docstring for the method.

    Args:
        source: path, bytes of a whole file, or a seekable binary file object.
        num_threads: decoding threads. In random-access (pts) mode a request whose frames lie after
            several keyframes is split into up to ``num_threads`` groups of keyframe runs, each
            decoded by its own single-threaded decoder on its own thread (file paths and bytes;
            a file object is read by one decoder). In sequential mode (AVI and the like) they
            are FFmpeg's decoding threads. 1 (the default) is the cheapest per clip; more only
            shortens the wall time where CPUs would otherwise idle (few DataLoader workers,
            multi-clip test sampling, inference).
        skip_nonref: do not decode unwanted non-reference frames (see ``_decode_iter``). Off gives
            the same frames, slower; it exists for measurements.
        rotate: return frames (and report ``height``/``width``) in display orientation, the file's
            display matrix applied as players do (``base.orient``); False keeps the stored one.
        max_pixels: refuse a stream whose frames have more pixels than this (``FrameTooLargeError``,
            from the header, before a frame is allocated; the decoder also refuses larger frames
            appearing mid-stream). Default ``MAX_PIXELS`` (8K UHD); None for no limit.
    """

    backend = "pyav"

    def __init__(
        self,
        source: VideoSource,
        *,
        num_threads: int = 1,
        skip_nonref: bool = True,
        rotate: bool = True,
        max_pixels: int | None = MAX_PIXELS,
        _info: StreamIndex | None = None,
    ) -> None:
        check_path(source)
        self.skip_nonref = bool(skip_nonref)
        self.max_pixels = max_pixels
        self.source = describe_source(source)
        self._src = source
        self._num_threads = max(1, int(num_threads))
        self._start_pos = source.tell() if hasattr(source, "tell") and not isinstance(source, (str, os.PathLike)) else 0
        self._container: Any = None
        self._stream: Any = None
        self._reformatter: Any = None  # made on first use, kept for every frame of this reader
        self._rgb_options: dict[str, Any] = {"format": "rgb24", "threads": 1}
        key = source_cache_key(source)
        info = _info if _info is not None else _INDEX_CACHE.get(key)
        self.info: StreamIndex | None = info  # type: ignore[assignment]
        self._open()
        if info is None:
            try:
                info = _build_index(self._container, self._stream, self.source)
            except VideoDecodeError:
                self.close()
                raise
            _INDEX_CACHE.put(key, info)
            self.info = info
            # No reopen: every decode seeks first (pts mode) or reopens itself (sequential mode).
        if info.width <= 0 or info.height <= 0:
            self.close()
            raise VideoDecodeError(self.source, "the video stream has no frame size (not a decodable video)")
        self._rotate = bool(rotate)

    # -- container handling -------------------------------------------------------------------
    def _open(self) -> None:
        import av

        src = self._src
        if not isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview)):
            try:
                src.seek(self._start_pos)
            except (AttributeError, OSError) as exc:
                raise VideoDecodeError(self.source, f"file object is not seekable: {exc}") from exc
        # max_pixels reaches the decoders FFmpeg runs while probing the streams, so a header that
        # claims a giant frame is refused before such a frame is allocated. FFmpeg checks the width
        # padded to its stride alignment (up to 128 pixels wider), so it gets twice the limit plus
        # slack: a backstop against frames that grow mid-stream; the exact check is ours, below.
        limit = {"max_pixels": str(2 * self.max_pixels + (1 << 22))} if self.max_pixels is not None else {}
        try:
            container = av.open(open_binary(src), mode="r", metadata_errors="ignore", options=limit)
        except _ffmpeg_errors() as exc:
            raise VideoDecodeError(self.source, f"cannot open as a video (not a video or corrupt): {_wrap(exc)}") from exc
        if not container.streams.video:
            container.close()
            raise VideoDecodeError(self.source, "no video stream in the file")
        stream = container.streams.video[0]
        try:
            check_frame_size(self.source, stream.codec_context.width, stream.codec_context.height, self.max_pixels)
        except VideoDecodeError:
            container.close()
            raise
        if limit:
            stream.codec_context.options = limit  # a larger frame later in the stream: refused too
        if self._ffmpeg_threads() > 1:
            stream.codec_context.thread_count = self._ffmpeg_threads()
            stream.codec_context.thread_type = "AUTO"
        else:
            stream.codec_context.thread_count = 1
        self._container, self._stream = container, stream

    def _ffmpeg_threads(self) -> int:
        """FFmpeg's threads for this reader's decoder: 1 in pts mode (threads decode keyframe runs
        side by side instead, see ``_collect``), ``num_threads`` in sequential mode."""
        info = self.info
        return 1 if info is None or info.mode == "pts" else self._num_threads

    def _reopen(self) -> None:
        if self._container is not None:
            self._container.close()
        self._open()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    # -- orientation ----------------------------------------------------------------------------
    def _probe_orientation(self) -> None:
        """Decode the first frame to learn the display matrix (only when no frame was decoded yet)."""
        if self.info.display_matrix is not None:
            return
        frames = self._decode_iter(None)
        try:
            frame = next(frames, None)
        except _ffmpeg_errors():
            frame = None
        finally:
            frames.close()
        if frame is None:
            self.info.display_matrix = False
        else:
            _note_orientation(self.info, frame)

    @property
    def rotation(self) -> float:  # type: ignore[override]
        self._probe_orientation()
        return self.info.rotation

    @property
    def mirrored(self) -> bool:  # type: ignore[override]
        self._probe_orientation()
        return self.info.mirrored

    @property
    def rotate(self) -> bool:  # type: ignore[override]
        self._probe_orientation()
        return self._rotate and bool(self.info.display_matrix)

    def _turns(self) -> int:
        return quarter_turns(self.source, self.info.rotation) if self.rotate else 0

    # -- metadata -------------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        if self.info.num_frames is None:
            self.info.num_frames = self._count_frames()
        return self.info.num_frames

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def height(self) -> int:
        return self.info.width if self._turns() % 2 else self.info.height

    @property
    def width(self) -> int:
        return self.info.height if self._turns() % 2 else self.info.width

    # -- decoding -------------------------------------------------------------------------------
    def _decode_iter(self, seek_ts: int | None, keep_pts: set[int] | None = None) -> Iterator[Any]:
        """Frames in presentation order, after seeking to ``seek_ts`` (None: from the very start).

        With ``keep_pts`` (single-threaded decoding only), packets whose pts is not wanted are
        decoded with ``skip_frame="NONREF"``: a non-reference frame nobody needs is not decoded at
        all (30-45% of the decode time of x264 files with B-frames). Wanted frames and every
        reference frame are decoded as usual, so the pixels are the same.
        """
        if self._container is None:
            raise VideoDecodeError(self.source, "the reader is closed")
        if seek_ts is None:
            self._reopen()
        else:
            self._container.seek(int(seek_ts), stream=self._stream, backward=True, any_frame=False)
        cc = self._stream.codec_context
        skipping = keep_pts is not None and self._ffmpeg_threads() == 1
        state = "DEFAULT"
        try:
            for packet in self._container.demux(self._stream):
                if skipping:
                    want = "DEFAULT" if (packet.pts is None or packet.pts in keep_pts) else "NONREF"
                    if want != state:
                        cc.skip_frame = state = want
                yield from packet.decode()
        finally:
            if state != "DEFAULT":
                cc.skip_frame = "DEFAULT"

    def _first_packet_pts(self, ts: int) -> int | None:
        self._container.seek(int(ts), stream=self._stream, backward=True, any_frame=False)
        for packet in self._container.demux(self._stream):
            if packet.size:
                return packet.pts
        return None

    def _seek_ts(self, k: int) -> int:
        """A seek timestamp that lands exactly on keyframe ``k`` (found once per keyframe, cached).

        What FFmpeg compares the seek target with differs by demuxer and file (MP4: dts plus a
        composition shift that an edit list changes), so a target equal to the keyframe's pts may
        land one keyframe early. Probe a few targets just after it (a seek and one packet read
        each, no decoding) and keep the first that lands on it; landing early is only slower.
        """
        info = self.info
        cached = info.seek_ts.get(k)
        if cached is not None:
            return cached
        key = int(info.key_pts[k])
        limit = int(info.key_pts[k + 1]) if k + 1 < len(info.key_pts) else None
        step = int(np.median(np.diff(info.frame_pts))) if info.frame_pts.size > 1 else 1
        chosen = int(info.key_seek[k])
        for mult in (0, 1, 2, 3, 4, 6, 8, 16):
            cand = key + mult * max(step, 1)
            if limit is not None and cand >= limit:
                break
            landed = self._first_packet_pts(cand)
            if landed == key:
                chosen = cand
                break
            if landed is None or landed > key:
                break
        info.seek_ts[k] = chosen
        return chosen

    def _rgb_into(self, frame: Any, out: np.ndarray) -> None:
        """Convert a decoded frame to RGB straight into ``out`` (uint8 ``(H, W, 3)``; step 2 of the
        module docstring). The converted frame is a view of the converter's output, copied once."""
        if self._reformatter is None:
            from av.video.reformatter import VideoReformatter

            self._reformatter = VideoReformatter()
            try:
                rgb = self._reformatter.reformat(frame, **self._rgb_options)
            except TypeError:  # PyAV < 14 has no thread option (and converts on one thread)
                self._rgb_options = {"format": "rgb24"}
                rgb = self._reformatter.reformat(frame, **self._rgb_options)
        else:
            rgb = self._reformatter.reformat(frame, **self._rgb_options)
        _note_orientation(self.info, frame)
        if rgb.height != out.shape[0] or rgb.width != out.shape[1]:
            raise VideoDecodeError(
                self.source,
                f"the frame size changes inside the stream (from {out.shape[1]}x{out.shape[0]} to "
                f"{rgb.width}x{rgb.height} at pts {frame.pts}); re-encode it at one size, e.g. with "
                "`vidcore-data resize-videos`",
            )
        out[...] = rgb.to_ndarray()

    def _count_frames(self) -> int:
        n = 0
        try:
            for _ in self._decode_iter(None):
                n += 1
        except _ffmpeg_errors() as exc:
            raise VideoDecodeError(self.source, f"decoding failed after {n} frames: {_wrap(exc)}") from exc
        return n

    def get_frames(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> torch.Tensor:
        arr = as_index_array(indices, self.num_frames, self.source)
        if arr.size == 0:
            return torch.empty((0, self.height, self.width, 3), dtype=torch.uint8)
        wanted = np.unique(arr)
        # Kept frames are written into one buffer in sorted order: ``buf[k]`` is frame ``wanted[k]``
        # (stored orientation; turned at the end where the display matrix asks for it).
        buf = np.empty((wanted.size, self.info.height, self.info.width, 3), dtype=np.uint8)
        try:
            if self.info.mode == "pts":
                try:
                    self._get_by_pts(wanted, buf)
                except _Untrusted as exc:
                    self._fall_back(str(exc))
                    as_index_array(arr, self.num_frames, self.source)  # the recounted frames may be fewer
                    self._get_sequential(wanted, buf)
            else:
                self._get_sequential(wanted, buf)
        except _ffmpeg_errors() as exc:
            raise VideoDecodeError(self.source, f"decoding failed: {_wrap(exc)}") from exc
        if arr.size == wanted.size and bool((arr == wanted).all()):
            out = torch.from_numpy(buf)  # sorted without repeats (most samplers): no second copy
        else:
            out = torch.from_numpy(buf[np.searchsorted(wanted, arr)])
        return orient(out, self._turns(), self.mirrored and self.rotate)

    def _fall_back(self, why: str) -> None:
        self.info.mode = "sequential"
        self.info.reason = f"pts index disagreed with the decoder: {why}"
        self.info.num_frames = None
        self.info.num_frames = self._count_frames()

    def _key_for(self, pts: int) -> int:
        return max(int(np.searchsorted(self.info.key_pts, pts, side="right")) - 1, 0)

    def _get_by_pts(self, wanted: np.ndarray, buf: np.ndarray) -> None:
        info = self.info
        want_pts = info.frame_pts[wanted]
        try:
            self._collect(want_pts, buf, skip_nonref=self.skip_nonref)
        except _Untrusted:
            if not self.skip_nonref:
                raise
            self._collect(want_pts, buf, skip_nonref=False)  # rule out the skipping first

    def _collect(self, want_pts: np.ndarray, buf: np.ndarray, skip_nonref: bool) -> None:
        groups = self._thread_groups(want_pts)
        if len(groups) > 1:
            self._collect_threaded(groups, want_pts, buf, skip_nonref)
        else:
            self._collect_serial(want_pts, buf, skip_nonref)

    def _thread_groups(self, want_pts: np.ndarray) -> list[tuple[int, int]]:
        """Split the sorted wanted frames into at most ``num_threads`` slices ``[j0, j1)`` of whole
        keyframe runs with about equal decoding work each (frames from a run's keyframe to its last
        wanted frame); one slice when threads cannot help."""
        info = self.info
        n = min(self._num_threads, len(want_pts))
        if n < 2 or not isinstance(self._src, (str, os.PathLike, bytes, bytearray, memoryview)):
            return [(0, len(want_pts))]
        keys = np.searchsorted(info.key_pts, want_pts, side="right") - 1
        starts = np.flatnonzero(np.diff(keys)) + 1  # first wanted frame of every run but the first
        if starts.size == 0:
            return [(0, len(want_pts))]
        bounds = [0, *starts.tolist(), len(want_pts)]
        frame_of = np.searchsorted(info.frame_pts, want_pts)
        key_frame = np.searchsorted(info.frame_pts, info.key_pts[np.maximum(keys, 0)])
        work = [int(frame_of[b - 1] - key_frame[a]) + 1 for a, b in itertools.pairwise(bounds)]
        # the smallest largest-group work over contiguous splits into <= n groups (binary search)
        lo, hi = max(work), sum(work)
        while lo < hi:
            mid = (lo + hi) // 2
            if len(_pack(work, mid)) <= n:
                hi = mid
            else:
                lo = mid + 1
        firsts = _pack(work, lo)  # index of each group's first run
        edges = [bounds[r] for r in firsts] + [len(want_pts)]
        return list(itertools.pairwise(edges))

    def _collect_threaded(
        self, groups: list[tuple[int, int]], want_pts: np.ndarray, buf: np.ndarray, skip_nonref: bool
    ) -> None:
        """Decode each slice of ``groups`` on its own thread with its own decoder (this reader's for
        the first); each writes only its rows of ``buf``. Every thread is finished before this
        returns or raises."""
        helpers = [PyAVReader(self._src, num_threads=1, skip_nonref=self.skip_nonref, max_pixels=self.max_pixels,
                              _info=self.info) for _ in groups[1:]]  # fmt: skip
        try:
            pool = _thread_pool(len(groups) - 1)
            futures = [
                pool.submit(h._collect_serial, want_pts[a:b], buf[a:b], skip_nonref)
                for h, (a, b) in zip(helpers, groups[1:], strict=True)
            ]
            first_error: BaseException | None = None
            try:
                a, b = groups[0]
                self._collect_serial(want_pts[a:b], buf[a:b], skip_nonref)
            except BaseException as exc:  # re-raised once the other threads are done
                first_error = exc
            for fut in futures:
                exc = fut.exception()  # waits
                if exc is not None and first_error is None:
                    first_error = exc
            if first_error is not None:
                raise first_error
        finally:
            for h in helpers:
                h.close()

    def _collect_serial(self, want_pts: np.ndarray, buf: np.ndarray, skip_nonref: bool) -> None:
        keep = set(want_pts.tolist()) if skip_nonref else None
        j = 0
        while j < len(want_pts):
            k = self._key_for(int(want_pts[j]))
            j = self._decode_run(k, want_pts, j, buf, keep)

    def _decode_run(self, k: int, want_pts: np.ndarray, j: int, buf: np.ndarray, keep: set[int] | None) -> int:
        """Seek to keyframe ``k`` and write the wanted frames from ``j`` on into ``buf``; return the
        next ``j`` to fetch."""
        info = self.info
        target = int(want_pts[j])
        seen_before_target = False
        for frame in self._decode_iter(self._seek_ts(k), keep):
            p = frame.pts
            if p is None:
                raise _Untrusted("a decoded frame has no pts")
            if p < int(info.key_pts[k]):
                continue  # leading pictures of an open GOP: not ours to judge
            if p not in info.pts_set:
                raise _Untrusted(f"decoded pts {p} is not in the index")
            if p < target:
                seen_before_target = True
                continue
            if p > target:
                if not seen_before_target and k > 0:
                    return self._decode_run(k - 1, want_pts, j, buf, keep)  # the seek landed late
                raise _Untrusted(f"the decoder skipped pts {target}")
            self._rgb_into(frame, buf[j])
            seen_before_target = True
            j += 1
            if j == len(want_pts):
                return j
            target = int(want_pts[j])
            if self._key_for(target) > self._key_for(p):
                return j  # a keyframe lies between here and the next frame: seeking is cheaper
        raise _Untrusted(f"the stream ended before pts {target}")

    def _get_sequential(self, wanted: np.ndarray, buf: np.ndarray) -> None:
        position = {int(i): k for k, i in enumerate(wanted.tolist())}
        last = int(wanted[-1])
        n = 0
        for frame in self._decode_iter(None):
            k = position.get(n)
            if k is not None:
                self._rgb_into(frame, buf[k])
                if n == last:
                    return
            n += 1
        raise VideoDecodeError(self.source, f"only {n} frames could be decoded, frame {last} was asked for")


__all__ = ["PyAVReader", "StreamIndex", "clear_cache", "probe_orientation", "read_audio", "stream_index"]
