"""``vidcore-data check --speed``: keyframe positions read from real H.264 files, the decoding-cost
model on hand-computed cases, and the report's verdict on files with close and far keyframes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vidcore.data.cli import main
from vidcore.data.cli.check_speed import decode_cost, keyframe_indices, speed_report
from vidcore.data.synth import write_h264


def _smooth_video(path: Path, n: int, gop: int) -> Path:
    """A slowly drifting gradient (no scene cut, so x264 puts keyframes exactly every ``gop``)."""
    y, x = np.mgrid[0:48, 0:64]
    frames = np.stack([np.stack([(x + t) % 256, (y + 2 * t) % 256, np.full_like(x, 128)], -1) for t in range(n)])
    write_h264(path, frames.astype(np.uint8), fps=25, gop=gop)
    return path


@pytest.mark.parametrize(
    ("wanted", "keys", "expected"),
    [
        ([5], [0, 10, 20], 6),  # frames 0..5
        ([5, 7], [0, 10, 20], 8),  # 0..5, then 6..7 without a seek
        ([5, 15], [0, 10, 20], 12),  # 0..5, seek to 10, 10..15
        ([15, 12], [0, 10, 20], 6),  # sorted: seek to 10, 10..12, then 13..15
        ([5, 5, 5], [0, 10, 20], 6),  # repeats decode once
        ([25], [10, 20], 6),  # frame 0 is a keyframe even when not listed: seek to 20, 20..25
        ([3, 40], [], 41),  # one keyframe: everything from the start
    ],
)
def test_decode_cost_hand_computed(wanted: list[int], keys: list[int], expected: int) -> None:
    assert decode_cost(wanted, keys) == expected


def test_keyframes_come_from_the_file_and_the_verdict_follows_them(tmp_path: Path, capsys) -> None:
    close = _smooth_video(tmp_path / "close.mp4", 60, gop=12)
    far = _smooth_video(tmp_path / "far.mp4", 300, gop=300)
    for path in (close, far):  # the keyframes the decoder itself flags, frame by frame
        with av.open(str(path)) as container:
            flagged = [i for i, f in enumerate(container.decode(video=0)) if f.key_frame]
        keys, n = keyframe_indices(path)
        assert n == (60 if path == close else 300) and keys.tolist() == flagged
    close_keys = keyframe_indices(close)[0]
    assert 4 <= len(close_keys) <= 7 and keyframe_indices(far)[0].tolist() == [0]  # x264: g=12 (+ scene cuts)

    one_key = speed_report([keyframe_indices(far)], gop=16)
    for recipe in one_key.decoded_now:  # from the start every time: re-encoding at 16 must save frames
        assert one_key.decoded_now[recipe] > one_key.decoded_reencoded[recipe]
    assert one_key.median_gop == 300.0
    # 8 frames spread over 300: ~all 300 decoded now; at --gop 16 about 8 short runs of <= 16
    assert one_key.speedup("tsn_1x1x8") > 2.5

    (tmp_path / "far.txt").write_text("far.mp4 0\n")
    (tmp_path / "close.txt").write_text("close.mp4 0\n")
    assert main(["check", str(tmp_path / "far.txt"), "--root", str(tmp_path), "--speed", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "median keyframe spacing (GOP) 300.0 frames" in out and "re-encoding helps" in out
    assert main(["check", str(tmp_path / "close.txt"), "--root", str(tmp_path), "--speed", "--gop", "60",
                 "--no-progress"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"GOP) {60 / len(close_keys):.1f} frames" in out and "would not help" in out


def test_speed_needs_a_video_list(tmp_path: Path, capsys) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "frames.txt").write_text("v 3 0\n")
    for i in range(1, 4):
        (tmp_path / "v" / f"img_{i:05d}.jpg").write_bytes(b"")
    rc = main(["check", str(tmp_path / "frames.txt"), "--root", str(tmp_path), "--format", "rawframes", "--speed"])
    assert rc == 1 and "--speed reads video lists" in capsys.readouterr().out
