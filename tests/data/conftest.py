"""Fixtures for the data tests: small generated videos (PyAV) and a cached sequential-decode reference."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.decoders.synthetic import stream_copy_cut, write_test_video


def _has_x265() -> bool:
    import av

    return "libx265" in av.codecs_available


HAS_X265 = _has_x265()


def decode_all(path: str | Path) -> list[np.ndarray]:
    """The reference: every frame PyAV yields decoding the file from the start, as RGB arrays."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]


@pytest.fixture(scope="session")
def reference_frames():
    """``reference_frames(path) -> list of (H, W, 3) uint8``: ``decode_all``, cached per path."""
    cache: dict[str, list[np.ndarray]] = {}

    def get(path: str | Path) -> list[np.ndarray]:
        key = str(path)
        if key not in cache:
            cache[key] = decode_all(key)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def generated_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small videos covering the container / GOP / timestamp cases the decoders must get right.

    - ``long_gop``: 200 frames H.264, one keyframe (GOP 250) and B-frames, 30 fps, with AAC audio;
    - ``cut``: ``long_gop`` remuxed from 3 s by stream copy: an edit list hides 90 lead-in frames;
    - ``short_gop``: 60 frames, keyframe every 12, B-frames, moov first (faststart);
    - ``mkv``: Matroska, keyframe every 12; ``avi``: MPEG-4 Part 2 in AVI with B-frames;
    - ``vfr``: variable frame rate MP4 (pts steps of 1, 2, 3 ticks of 1/90 s), keyframe every 10.
    - ``open_gop``: x264 open GOPs (recovery-point I-frames every 12 with leading B-frames);
    - ``h264_10bit``: 10-bit 4:2:0 H.264 (High 10), keyframe every 12;
    - ``hevc_cra``: x265 HEVC with CRA keyframes every 12 (open GOP), when libx265 is bundled;
    - ``rotated``: a display matrix turning the frames 90 degrees counter-clockwise (phone video).
    """
    d = tmp_path_factory.mktemp("videos")
    out = {
        "long_gop": d / "long_gop.mp4",
        "cut": d / "cut.mp4",
        "short_gop": d / "short_gop.mp4",
        "mkv": d / "clip.mkv",
        "avi": d / "clip.avi",
        "vfr": d / "vfr.mp4",
        "open_gop": d / "open_gop.mp4",
        "h264_10bit": d / "h264_10bit.mp4",
        "rotated": d / "rotated.mp4",
    }
    write_test_video(out["long_gop"], num_frames=200, gop=250, bframes=2, audio_rate=16000)
    stream_copy_cut(out["long_gop"], out["cut"], 3.0)
    write_test_video(out["short_gop"], num_frames=60, gop=12, faststart=True)
    write_test_video(out["mkv"], num_frames=60, gop=12)
    write_test_video(out["avi"], num_frames=40, gop=12, codec="mpeg4")
    pts = np.cumsum([0] + [1 + (i % 3) for i in range(59)])
    write_test_video(out["vfr"], num_frames=60, gop=10, frame_pts=pts.tolist(), time_base=Fraction(1, 90))
    write_test_video(out["open_gop"], num_frames=60, gop=12, open_gop=True)
    write_test_video(out["h264_10bit"], num_frames=40, gop=12, pix_fmt="yuv420p10le")
    write_test_video(out["rotated"], num_frames=30, gop=10, display_rotation=90)
    if HAS_X265:
        out["hevc_cra"] = d / "hevc_cra.mp4"
        write_test_video(out["hevc_cra"], num_frames=48, gop=12, codec="libx265")
    return out
