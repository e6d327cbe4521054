"""RawFrameReader: MMAction2 rawframe folders (RGB JPEG/PNG, optical-flow x/y pairs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidcore.data.decoders import RawFrameReader, open_video
from vidcore.data.decoders.synthetic import pattern_frame
from vidcore.data.errors import VideoDecodeError


def write_rgb(folder: Path, n: int, tmpl: str = "img_{:05d}.jpg", start: int = 1) -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(pattern_frame(i, 24, 32)).save(folder / tmpl.format(i + start), quality=90)
    # the independent truth: what PIL decodes from the written files
    return [np.asarray(Image.open(folder / tmpl.format(i + start)).convert("RGB")) for i in range(n)]


def test_rgb_jpeg_default_template(tmp_path: Path) -> None:
    truth = write_rgb(tmp_path / "v", 7)
    reader = open_video(tmp_path / "v")  # a folder goes to RawFrameReader with MMAction2 defaults
    assert isinstance(reader, RawFrameReader)
    assert reader.num_frames == 7 and (reader.height, reader.width) == (24, 32)
    idx = [6, 0, 3, 3, 1]
    frames = reader.get_frames(idx)
    assert tuple(frames.shape) == (5, 24, 32, 3)
    for j, i in enumerate(idx):
        assert np.array_equal(frames[j].numpy(), truth[i])


def test_png_start_index_zero_and_printf_template(tmp_path: Path) -> None:
    truth = write_rgb(tmp_path / "p", 4, tmpl="frame{:04d}.png", start=0)
    assert np.array_equal(truth[2], pattern_frame(2, 24, 32))  # PNG is lossless
    reader = RawFrameReader(tmp_path / "p", filename_tmpl="frame%04d.png", start_index=0)
    assert reader.num_frames == 4
    assert np.array_equal(reader.get_frames([2])[0].numpy(), pattern_frame(2, 24, 32))


def test_flow_pairs(tmp_path: Path) -> None:
    folder = tmp_path / "flow"
    folder.mkdir()
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for i in range(3):
        x, y = rng.integers(0, 256, (2, 10, 12), dtype=np.uint8)
        Image.fromarray(x).save(folder / f"x_{i + 1:05d}.png")
        Image.fromarray(y).save(folder / f"y_{i + 1:05d}.png")
        xs.append(x)
        ys.append(y)
    reader = RawFrameReader(folder, modality="Flow", filename_tmpl="{}_{:05d}.png")
    assert reader.num_frames == 3
    frames = reader.get_frames([2, 0]).numpy()
    assert frames.shape == (2, 10, 12, 2)
    assert np.array_equal(frames[0, ..., 0], xs[2]) and np.array_equal(frames[0, ..., 1], ys[2])
    assert np.array_equal(frames[1, ..., 0], xs[0])


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="not found"):
        RawFrameReader(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoDecodeError, match="no frames"):
        RawFrameReader(tmp_path / "empty")
    write_rgb(tmp_path / "v", 3)
    reader = RawFrameReader(tmp_path / "v", num_frames=5)  # annotation claims more than exist
    with pytest.raises(VideoDecodeError, match=r"img_00005\.jpg"):
        reader.get_frames([4])
    with pytest.raises(VideoDecodeError, match=r"\[0, 4\]"):
        reader.get_frames([5])
    (tmp_path / "v" / "img_00002.jpg").write_bytes(b"garbage")
    with pytest.raises(VideoDecodeError, match=r"img_00002\.jpg"):
        reader.get_frames([1])
