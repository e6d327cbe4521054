"""``--shard I/N`` on the per-video data-prep verbs: N shard runs together equal one full run,
file for file and byte for byte, and each video lands in exactly one shard."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from vidcore.data.cli import main
from vidcore.data.cli._jobs import in_shard, parse_shard


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def video_tree(tmp_path: Path, generated_videos: dict[str, Path]) -> Path:
    root = tmp_path / "videos"
    for i, name in enumerate(["short_gop", "cut", "avi", "short_gop", "cut", "avi"]):
        src = generated_videos[name]
        dst = root / f"class_{i % 2}" / f"clip{i}{src.suffix}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    return root


@pytest.mark.parametrize("verb, extra", [("extract-frames", ["--new-size", "48", "32"]), ("resize-videos", ["--short-side", "32"])])
def test_four_shards_equal_one_run(verb: str, extra: list[str], video_tree: Path, tmp_path: Path) -> None:
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    rc_whole = main([verb, str(video_tree), str(whole), *extra])
    rcs = [main([verb, str(video_tree), str(sharded), *extra, "--shard", f"{i}/4"]) for i in range(4)]
    assert rcs == [rc_whole] * 4 or (rc_whole != 0 and all(rc in (0, rc_whole) for rc in rcs))
    expected = _tree(whole)
    assert expected, "the full run wrote nothing"
    assert _tree(sharded) == expected


def test_every_name_is_in_exactly_one_shard() -> None:
    names = [f"class_{i % 7}/video_{i}.mp4" for i in range(500)]
    for n in (1, 2, 3, 8):
        owners = [[i for i in range(n) if in_shard(name, (i, n))] for name in names]
        assert all(len(o) == 1 for o in owners)
    counts = [sum(in_shard(name, (i, 4)) for name in names) for i in range(4)]
    assert min(counts) > 500 / 4 * 0.7  # the hash spreads the work


@pytest.mark.parametrize("bad", ["4/4", "-1/4", "1", "a/b", "0/0"])
def test_bad_shard_names_the_rule(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="--shard"):
        parse_shard(bad)
