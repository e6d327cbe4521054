"""Decoders: display rotation applied like players do, decord kept off files where it is not exact
(open GOP, pixel formats other than 8-bit yuv420p, display matrix), and the pixel limit."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.decoders import (
    DecordReader,
    PyAVReader,
    RawFrameReader,
    available_backends,
    decord_exactness,
    open_video,
)
from vidcore.data.decoders.synthetic import write_test_video
from vidcore.data.errors import FrameTooLargeError, VideoDecodeError

HAS_DECORD = "decord" in available_backends()


def _block_corner(frame: np.ndarray, value: int) -> str:
    """Which corner of ``frame`` holds the pattern's frame-index block (brightness ``value``)."""
    h, w = frame.shape[:2]
    corners = {
        "top-left": frame[: h // 8, : w // 8],
        "top-right": frame[: h // 8, -(w // 8) :],
        "bottom-left": frame[-(h // 8) :, : w // 8],
        "bottom-right": frame[-(h // 8) :, -(w // 8) :],
    }
    return min(corners, key=lambda k: float(np.abs(corners[k].astype(float) - value).mean()))


# ------------------------------------------------------------------------------------ rotation

# (degrees counter-clockwise, mirror after it) -> where the stored top-left corner is shown.
# The geometry follows the display matrix's meaning (PyAV's set_display_rotation: turn
# counter-clockwise, then mirror left-right); ffmpeg 5.1's autorotation showed every one of these
# files so (checked by hand, frame for frame, identical pixels).
ORIENTATIONS = {
    (90, False): "bottom-left",
    (-90, False): "top-right",
    (180, False): "bottom-right",
    (0, True): "top-right",
    (90, True): "bottom-right",
    (-90, True): "top-left",
    (180, True): "bottom-left",
}


@pytest.mark.parametrize(("degrees", "hflip"), list(ORIENTATIONS))
def test_display_matrix_is_applied_like_players(tmp_path: Path, degrees: int, hflip: bool, reference_frames) -> None:
    path = tmp_path / "phone.mp4"
    write_test_video(path, num_frames=6, gop=3, size=(64, 96), display_rotation=degrees, display_hflip=hflip)
    stored = reference_frames(path)  # raw PyAV: the stored orientation
    with open_video(path) as reader:
        turned = degrees % 180 != 0
        assert (reader.height, reader.width) == ((96, 64) if turned else (64, 96))
        assert reader.rotate and reader.mirrored == hflip
        if not hflip:  # (a mirrored matrix's angle is FFmpeg's decomposition: hflip alone reads as 180)
            assert reader.rotation % 360 == degrees % 360
        frames = reader.get_frames([5, 0, 3]).numpy()
        for j, i in enumerate([5, 0, 3]):
            assert _block_corner(frames[j], (i * 37) % 256) == ORIENTATIONS[(degrees, hflip)]
            assert _block_corner(stored[i], (i * 37) % 256) == "top-left"
        assert "rotation=" in repr(reader) and "(applied)" in repr(reader)
    with open_video(path, rotate=False) as reader:  # the stored orientation on request
        assert (reader.height, reader.width) == (64, 96) and not reader.rotate
        frames = reader.get_frames([5, 0, 3]).numpy()
        for j, i in enumerate([5, 0, 3]):
            assert np.array_equal(frames[j], stored[i])


def test_rotated_file_random_access_matches_turned_sequential_frames(generated_videos, reference_frames) -> None:
    path = generated_videos["rotated"]  # 90 degrees counter-clockwise
    truth = [np.rot90(f) for f in reference_frames(path)]
    idx = np.array([29, 0, 15, 15, 7, 22, 3])
    for backend, threads in (("auto", 1), ("pyav", 1), ("pyav", 3)):
        with open_video(path, backend=backend, num_threads=threads) as reader:
            assert reader.backend == "pyav" and (reader.height, reader.width) == (96, 64)
            frames = reader.get_frames(idx).numpy()
            for j, i in enumerate(idx.tolist()):
                assert np.array_equal(frames[j], truth[i]), (backend, threads, i)
    with open_video(path.read_bytes()) as reader:
        assert np.array_equal(reader.get_frames([4]).numpy()[0], truth[4])


@pytest.mark.parametrize("ext", ["jpg", "png"])  # torchvision's JPEG decoder, PIL for PNG
def test_rawframes_apply_exif_orientation(tmp_path: Path, ext: str) -> None:
    from PIL import Image

    from vidcore.data.decoders.synthetic import pattern_frame

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        exif = Image.Exif()
        exif[0x0112] = 6  # EXIF orientation 6: shown turned 90 degrees clockwise
        Image.fromarray(pattern_frame(i, 32, 48)).save(folder / f"img_{i + 1:05d}.{ext}", exif=exif, quality=95)
    tmpl = f"img_{{:05d}}.{ext}"
    with RawFrameReader(folder, filename_tmpl=tmpl) as reader:
        frames = reader.get_frames([0, 2]).numpy()
        assert frames.shape == (2, 48, 32, 3)  # (T, H, W, C): portrait once turned
        assert _block_corner(frames[1], (2 * 37) % 256) == "top-right"  # clockwise: top-left -> top-right
    with RawFrameReader(folder, filename_tmpl=tmpl, rotate=False) as reader:
        stored = reader.get_frames([2]).numpy()[0]
        assert stored.shape == (32, 48, 3) and _block_corner(stored, (2 * 37) % 256) == "top-left"
        if ext == "png":  # lossless: the very pixels written
            assert np.array_equal(stored, pattern_frame(2, 32, 48))


# ------------------------------------------------------------------------------ decord's rule


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("open_gop", r"open GOP: \d+ frames are decoded after a keyframe but shown before it"),
        ("hevc_cra", r"open GOP"),
        ("h264_10bit", r"pixel format yuv420p10le \(decord is exact only on 8-bit yuv420p\)"),
        ("rotated", r"display matrix \(rotation 90 degrees\)"),
    ],
)
def test_decord_rule_refuses_open_gop_deep_pixels_and_display_matrix(generated_videos, name: str, reason: str) -> None:
    if name not in generated_videos:
        pytest.skip(f"{name}: this PyAV has no encoder for it")
    path = generated_videos[name]
    exact, why = decord_exactness(path)
    assert not exact and re.search(reason, why), why
    with open_video(path, auto_order=("decord", "torchcodec", "pyav")) as reader:
        assert reader.backend == "pyav"
    if HAS_DECORD:
        with pytest.raises(VideoDecodeError, match="decord is not frame-exact for this file: " + reason):
            DecordReader(path)
    assert decord_exactness(generated_videos["short_gop"]) == (True, "")  # closed GOP, 8-bit, upright


# ------------------------------------------------------------------------------- pixel limit


def _exp_golomb(v: int) -> str:
    bits = bin(v + 1)[2:]
    return "0" * (len(bits) - 1) + bits


def _giant_h264(path: Path, width_mbs: int = 1000, height_mbs: int = 1000) -> None:
    """A raw H.264 stream of a tiny encoded clip whose SPS is replaced by one claiming
    ``16 * width_mbs`` x ``16 * height_mbs`` pixels (baseline profile, no cropping, no VUI)."""
    import av

    from vidcore.data.decoders.synthetic import pattern_frame

    buf = io.BytesIO()
    with av.open(buf, "w", format="h264") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 32, 32, "yuv420p"
        vs.codec_context.options = {"profile": "baseline", "preset": "ultrafast"}
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(pattern_frame(i, 32, 32), format="rgb24")
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    data = buf.getvalue()
    # profile_idc 66, constraints 0, level 51, sps id 0, log2_max_frame_num-4 0, poc type 2,
    # 1 reference frame, no gaps, width/height in macroblocks - 1, frame_mbs_only, direct_8x8,
    # no cropping, no VUI, stop bit
    bits = "".join(
        [format(66, "08b"), "00000000", format(51, "08b"), _exp_golomb(0), _exp_golomb(0), _exp_golomb(2),
         _exp_golomb(1), "0", _exp_golomb(width_mbs - 1), _exp_golomb(height_mbs - 1), "1", "1", "0", "0", "1"]
    )  # fmt: skip
    bits += "0" * (-len(bits) % 8)
    rbsp = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    payload, zeros = bytearray(), 0
    for b in rbsp:  # emulation prevention bytes
        if zeros >= 2 and b <= 3:
            payload.append(3)
            zeros = 0
        payload.append(b)
        zeros = zeros + 1 if b == 0 else 0
    sps = b"\x00\x00\x00\x01\x67" + bytes(payload)
    starts = [m.start() for m in re.finditer(b"\x00\x00\x01", data)]
    nals = [data[s + 3 : (starts[j + 1] if j + 1 < len(starts) else len(data))].rstrip(b"\x00") for j, s in enumerate(starts)]
    path.write_bytes(b"".join(sps if (n[0] & 0x1F) == 7 else b"\x00\x00\x00\x01" + n for n in nals))


def test_giant_frame_header_is_refused_before_allocating(tmp_path: Path) -> None:
    """A 779-byte stream whose SPS claims 16000x16000: refused from the header, in a child process
    whose peak memory shows that no such frame (384 MB as YUV 4:2:0) was allocated."""
    path = tmp_path / "giant.h264"
    _giant_h264(path)
    code = (
        "import resource, sys\n"
        "from vidcore.data.decoders import open_video\n"
        "from vidcore.data.errors import FrameTooLargeError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    open_video(sys.argv[1])\n"
        "    print('OPENED')\n"
        "except FrameTooLargeError as exc:\n"
        "    print('REFUSED', exc.width, exc.height, exc.limit)\n"
        "    print(exc)\n"
        "print('GREW_MB', (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"REFUSED 16000 16000 {7680 * 4320}", out.stdout
    assert lines[1] == (
        f"{path}: frame size 16000x16000 (256.0 megapixels) is above the limit of 33177600 pixels "
        "(8K UHD, 7680x4320, is 33177600); if the file is genuine, open it with a larger max_pixels"
    )
    assert int(lines[2].split()[1]) < 300, out.stdout  # without the limit FFmpeg's probe alone took ~1.2 GB


def test_pixel_limit_is_configurable_on_every_backend(generated_videos, tmp_path: Path) -> None:
    path = generated_videos["short_gop"]  # 96x64 = 6144 pixels
    backends = ["auto", "pyav"] + (["decord"] if HAS_DECORD else [])
    for backend in backends:
        with pytest.raises(FrameTooLargeError, match=r"frame size 96x64 \(0\.0 megapixels\) is above the limit of 6143 pixels") as info:
            open_video(path, backend=backend, max_pixels=6143)
        assert info.value.path == str(path)
        with open_video(path, backend=backend, max_pixels=6144) as reader:
            assert reader.get_frames([0]).shape == (1, 64, 96, 3)
    from PIL import Image

    from vidcore.data.decoders.synthetic import pattern_frame

    for ext in ("jpg", "png"):  # sizes from the JPEG SOF and the PNG IHDR headers
        folder = tmp_path / ext
        folder.mkdir()
        for i in range(2):
            Image.fromarray(pattern_frame(i, 64, 96)).save(folder / f"img_{i + 1:05d}.{ext}")
        tmpl = f"img_{{:05d}}.{ext}"
        small = RawFrameReader(folder, filename_tmpl=tmpl, max_pixels=6143)
        with small, pytest.raises(FrameTooLargeError, match=r"img_00002\.\w+: frame size 96x64"):
            small.get_frames([1])
        with open_video(folder, max_pixels=6144) if ext == "jpg" else RawFrameReader(folder, filename_tmpl=tmpl) as reader:
            assert reader.get_frames([0, 1]).shape == (2, 64, 96, 3)
    with PyAVReader(path, max_pixels=None) as reader:  # no limit
        assert reader.num_frames == 60
