from __future__ import annotations

import math

import av
import numpy as np
import pytest

from vidcore.data.cli import main as data_cli
from vidcore.data.synth import CLASSES, HFLIP_SWAP, SynthConfig, _object_motion, render_video

TINY = SynthConfig(videos_per_class=3, size=32, min_frames=6, max_frames=8, val_fraction=1 / 3)


def _decode_all(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_cli_writes_decodable_videos_and_lists(tmp_path) -> None:
    out = tmp_path / "ds"
    args = ["synth", str(out), "--videos-per-class", "3", "--size", "32", "--min-frames", "6",
            "--max-frames", "8", "--val-fraction", "0.34", "--workers", "1", "--no-progress"]
    assert data_cli(args) == 0
    labels = (out / "label_map.txt").read_text().split()
    assert labels == list(CLASSES)
    train = [line.split() for line in (out / "train.txt").read_text().splitlines()]
    val = [line.split() for line in (out / "val.txt").read_text().splitlines()]
    assert len(train) == 2 * len(CLASSES) and len(val) == len(CLASSES)
    assert not {p for p, _ in train} & {p for p, _ in val}
    for rel, label in train + val:
        assert rel.split("/")[1] == CLASSES[int(label)]
    # Every file is a real H.264 stream of the rendered length; rendering again resumes (no rewrite).
    first = out / train[0][0]
    frames = _decode_all(first)
    assert 6 <= len(frames) <= 8 and frames.shape[1:] == (32, 32, 3)
    with av.open(str(first)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    mtime = first.stat().st_mtime_ns
    assert data_cli(args) == 0
    assert first.stat().st_mtime_ns == mtime


def test_decoded_frames_match_rendered_frames(tmp_path) -> None:
    from vidcore.data.synth import write_h264

    frames = render_video("rotate_clockwise", 0, TINY)
    write_h264(tmp_path / "a.mp4", frames, TINY.fps, crf=12)
    decoded = _decode_all(tmp_path / "a.mp4")
    assert decoded.shape == frames.shape
    # Lossy codec and 4:2:0 chroma: close on average, not bit-exact.
    assert np.abs(decoded.astype(int) - frames.astype(int)).mean() < 12


def test_same_seed_same_video_other_seed_differs() -> None:
    a = render_video("zoom_in", 1, TINY)
    b = render_video("zoom_in", 1, TINY)
    c = render_video("zoom_in", 1, SynthConfig(**{**TINY.__dict__, "seed": 1}))
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


@pytest.mark.parametrize("label", CLASSES)
def test_motion_follows_the_label(label: str) -> None:
    t = np.arange(20, dtype=float)
    for seed in range(5):
        cx, cy, angle, scale = _object_motion(label, np.random.default_rng(seed), t, 96)
        d = {"x": cx[-1] - cx[0], "y": cy[-1] - cy[0], "a": angle[-1] - angle[0], "s": scale[-1] / scale[0]}
        expected = {
            "move_left": d["x"] < -20, "move_right": d["x"] > 20, "move_up": d["y"] < -20,
            "move_down": d["y"] > 20, "rotate_clockwise": d["a"] > math.radians(80),
            "rotate_counterclockwise": d["a"] < -math.radians(80), "zoom_in": d["s"] > 1.6,
            "zoom_out": d["s"] < 1 / 1.6,
        }
        assert expected[label], (label, d)
        # No other cue as large as the label's: the other motions stay small.
        if not label.startswith("move_"):
            assert abs(d["x"]) < 6 and abs(d["y"]) < 6
        if not label.startswith("rotate_"):
            assert abs(d["a"]) < 0.1
        if not label.startswith("zoom_"):
            assert d["s"] == 1.0


def test_hflip_swap_is_an_involution_on_classes() -> None:
    for a, b in HFLIP_SWAP.items():
        assert HFLIP_SWAP[b] == a and a in CLASSES and b in CLASSES


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="min_frames"):
        SynthConfig(min_frames=10, max_frames=5)
