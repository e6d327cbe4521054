"""``vidcore-data pack`` + ``ShardVideoDataset``: a clip streamed from a tar shard equals the clip
``VideoDataset`` reads from the file (same frame indices, same pixels), shards split over
DataLoader workers without loss or repetition, and a corrupt member is a skipped sample."""

from __future__ import annotations

import io
import tarfile
from functools import partial
from pathlib import Path

import pytest
import torch

from vidcore.data import samplers
from vidcore.data.cli import main
from vidcore.data.datasets import ShardVideoDataset, VideoDataset, collate_samples
from vidcore.data.datasets.base import SkippedSample
from vidcore.data.errors import DataError

pytest.importorskip("webdataset", reason="shards need the 'shards' extra (webdataset)")


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from vidcore.data.synth import SynthConfig, render_dataset

    root = render_dataset(
        tmp_path_factory.mktemp("synth"), SynthConfig(videos_per_class=2, size=32, min_frames=12, max_frames=16),
        progress=False,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("shards") / "train"
    assert main(["pack", str(root / "train.txt"), str(out), "--root", str(root), "--maxcount", "3", "--no-progress"]) == 0
    return root, out


def _shards(out: Path) -> list[str]:
    return sorted(str(p) for p in out.parent.glob(f"{out.name}-*.tar"))


def test_a_clip_from_a_shard_equals_the_clip_from_the_file(packed: tuple[Path, Path]) -> None:
    root, out = packed
    sampler = partial(samplers.sample_frames, clip_len=4, frame_interval=2, num_clips=1, test_mode=True)
    files = VideoDataset(root / "train.txt", root, sampler=sampler, backend="pyav")
    stream = list(ShardVideoDataset(_shards(out), sampler=sampler))
    assert len(stream) == len(files) and len(_shards(out)) == -(-len(files) // 3)
    for i, s in enumerate(stream):
        f = files[i]
        assert s.meta["path"] == str(files.records[i].path)
        assert s.label == f.label
        assert s.meta["frame_inds"].tolist() == f.meta["frame_inds"].tolist()
        assert torch.equal(s.video, f.video)


def test_workers_split_the_shards_without_loss_or_repeats(packed: tuple[Path, Path]) -> None:
    _, out = packed
    ds = ShardVideoDataset(_shards(out), sampler=partial(samplers.sample_frames, clip_len=2, test_mode=True))
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate_samples)
    seen = [m["path"] for batch in loader for m in batch.meta]
    single = [s.meta["path"] for s in ds]
    assert sorted(seen) == sorted(single) and len(set(seen)) == len(seen)


def test_a_corrupt_member_is_a_skipped_sample(tmp_path: Path) -> None:
    shard = tmp_path / "bad-000000.tar"
    with tarfile.open(shard, "w") as tar:
        for name, data in (("000000001.mp4", b"not a video"), ("000000001.cls", b"3")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (item,) = list(ShardVideoDataset([str(shard)]))
    assert isinstance(item, SkippedSample) and "bad-000000.tar#000000001" in str(item)
    with pytest.raises(DataError):
        list(ShardVideoDataset([str(shard)], on_error="raise"))
