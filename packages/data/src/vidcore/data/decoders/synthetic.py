"""Write small test videos with PyAV (tests, benchmarks, bug reports); no ffmpeg binary needed.

Frame ``i`` is a deterministic RGB pattern (moving gradients plus a per-frame block code), so every
frame differs from every other and a wrong frame index shows up as a pixel mismatch.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np


def pattern_frame(i: int, height: int, width: int) -> np.ndarray:
    """The RGB uint8 ``(H, W, 3)`` test image for frame ``i``."""
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = (xx * 3 + i * 5) % 256
    img[..., 1] = (yy * 3 + i * 3) % 256
    img[..., 2] = ((xx + yy) + i * 11) % 256
    # a block whose brightness encodes i, robust to lossy coding
    bh, bw = max(height // 4, 2), max(width // 4, 2)
    img[:bh, :bw] = (i * 37) % 256
    return img


def write_test_video(
    path: str | os.PathLike[str],
    *,
    num_frames: int = 60,
    size: tuple[int, int] = (64, 96),
    fps: int = 30,
    gop: int = 250,
    bframes: int = 2,
    codec: str = "libx264",
    container: str | None = None,
    frame_pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    audio_rate: int | None = None,
    audio_freq: float = 440.0,
    faststart: bool = False,
    x264_options: Mapping[str, str] | None = None,
    pix_fmt: str = "yuv420p",
    open_gop: bool = False,
    display_rotation: int | None = None,
    display_hflip: bool = False,
) -> None:
    """Encode ``num_frames`` pattern frames.

    Args:
        path: output file; the extension picks the container unless ``container`` is given.
        size: ``(height, width)`` in pixels (even numbers for yuv420p).
        fps: nominal frame rate.
        gop: keyframe interval in frames (scene-cut keyframes disabled, so it is exact).
        bframes: max consecutive B-frames (H.264).
        codec: "libx264", "mpeg4", "libvpx-vp9", ...
        frame_pts: explicit pts per frame in ``time_base`` units (variable frame rate files).
        time_base: time base for ``frame_pts`` (default 1/fps).
        audio_rate: add a mono AAC (MP4/MKV) or PCM (AVI) sine track at this sample rate.
        audio_freq: sine frequency in Hz.
        faststart: MP4 with the index (moov) before the data.
        x264_options: libx264 options used instead of the quick test settings (which fix the GOP
            at ``gop`` frames, no scene-cut keyframes, ``bframes`` B-frames, crf 18, preset
            veryfast/ultrafast). ``{"preset": "medium", "crf": "23"}`` with the default ``gop=250``
            and ``bframes=3`` is what ``ffmpeg -c:v libx264`` writes by default.
        pix_fmt: encoder pixel format, e.g. "yuv420p10le" for 10-bit H.264/HEVC.
        open_gop: libx264: open GOPs (``open-gop=1``: keyframes after the first are recovery-point
            I-frames whose leading B-frames reference the GOP before). libx265 always writes open
            GOPs with CRA pictures here (its default).
        display_rotation: write a display matrix turning the frames this many degrees
            counter-clockwise for display (PyAV's ``set_display_rotation``); ``display_hflip``
            mirrors after the rotation. None writes no matrix.
    """
    import av

    h, w = size
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(os.fspath(path), "w", format=container, options=options) as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        vs.codec_context.gop_size = gop
        if display_rotation is not None or display_hflip:
            vs.set_display_rotation(display_rotation or 0, hflip=display_hflip)
        if codec == "libx265":
            params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}:open-gop=1:log-level=error"
            vs.codec_context.options = {"preset": "ultrafast", "crf": "18", "x265-params": params}
        elif codec == "libx264" and x264_options is not None:
            vs.codec_context.options = {"bf": str(bframes), **x264_options}
        elif codec == "libx264":
            vs.codec_context.options = {
                "preset": "ultrafast" if bframes == 0 else "veryfast",
                "bf": str(bframes),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "crf": "18",
                **({"x264-params": "open-gop=1"} if open_gop else {}),
            }
        else:
            vs.codec_context.max_b_frames = bframes
        tb = time_base or Fraction(1, fps)
        vs.codec_context.time_base = tb
        a_stream = None
        if audio_rate:
            acodec = "pcm_s16le" if str(path).endswith(".avi") else "aac"
            a_stream = out.add_stream(acodec, rate=audio_rate)
            a_stream.layout = "mono"
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(i, h, w), format="rgb24")
            frame.pts = int(frame_pts[i]) if frame_pts is not None else i
            frame.time_base = tb
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if a_stream is not None:
            total = round(num_frames / fps * audio_rate)
            t = np.arange(total) / audio_rate
            wave = (0.5 * np.sin(2 * np.pi * audio_freq * t)).astype(np.float32)
            fmt = "s16" if a_stream.codec_context.name == "pcm_s16le" else "fltp"
            chunk = 1024
            for start in range(0, total, chunk):
                piece = wave[start : start + chunk]
                data = (piece * 32767).astype(np.int16)[None] if fmt == "s16" else piece[None]
                af = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
                af.sample_rate = audio_rate
                af.pts = start
                af.time_base = Fraction(1, audio_rate)
                for packet in a_stream.encode(af):
                    out.mux(packet)
            for packet in a_stream.encode():
                out.mux(packet)


def stream_copy_cut(src: str | os.PathLike[str], dst: str | os.PathLike[str], start_seconds: float) -> None:
    """Remux ``src`` from ``start_seconds`` on without re-encoding, like ``ffmpeg -ss T -i src -c copy dst``.

    Packets from the keyframe at or before ``start_seconds`` are copied with timestamps shifted so
    that ``start_seconds`` becomes 0; the frames before it get negative timestamps, which the MP4
    muxer hides behind an edit list (decoded for reference, never shown).
    """
    import av

    with av.open(os.fspath(src)) as inp, av.open(os.fspath(dst), "w") as out:
        ist = inp.streams.video[0]
        ost = out.add_stream_from_template(ist)
        offset = round(start_seconds / ist.time_base)
        inp.seek(offset, stream=ist, backward=True)
        for packet in inp.demux(ist):
            if packet.dts is None:
                continue
            packet.pts -= offset
            packet.dts -= offset
            packet.stream = ost
            out.mux(packet)
