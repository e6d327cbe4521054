"""``--engine ray``: the per-file prep jobs as Ray tasks on a local Ray instance (2 CPUs, started
once for this module) write the same files, byte for byte, as a local 1-shard run; a file that
fails once is retried by Ray and succeeds, one that always fails is reported after its retries."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidcore.data.cli import main
from vidcore.data.cli._jobs import Job, run_jobs

ray = pytest.importorskip("ray", reason="--engine ray needs the 'ray' extra (pip install 'vidcore-data[ray]')")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def video_tree(tmp_path_factory: pytest.TempPathFactory, generated_videos: dict[str, Path]) -> Path:
    root = tmp_path_factory.mktemp("ray") / "videos"
    for i, name in enumerate(["short_gop", "cut", "avi", "long_gop", "vfr"]):
        src = generated_videos[name]
        dst = root / f"class_{i % 2}" / f"clip{i}{src.suffix}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    return root


@pytest.mark.parametrize("verb, extra", [
    ("extract-frames", ["--new-size", "48", "32"]),
    ("resize-videos", ["--short-side", "32"]),
    ("mel", ["--workers", "1", "--no-progress", "--retries", "0"]),  # 3 of the 5 have no audio: fail fast
])  # fmt: skip
def test_a_ray_run_equals_a_one_shard_run(
    verb: str, extra: list[str], video_tree: Path, tmp_path: Path, local_ray: None
) -> None:
    whole, on_ray = tmp_path / "whole", tmp_path / "ray"
    rc = main([verb, str(video_tree), str(whole), *extra, "--shard", "0/1"])
    assert main([verb, str(video_tree), str(on_ray), *extra, "--engine", "ray"]) == rc
    expected = _tree(whole)
    assert len(expected) >= 5 if verb != "mel" else len(expected) >= 1
    assert _tree(on_ray) == expected


def flaky_copy(job: Job, *, marker_dir: str) -> str:
    """Fails on the first attempt per file (an OSError, as a flaky network file system gives), then
    copies the file."""
    marker = Path(marker_dir) / job.src.name
    if not marker.exists():
        marker.touch()
        raise OSError(f"{job.src}: transient read error")
    shutil.copyfile(job.src, job.dst)
    return "copied"


def test_ray_retries_a_failed_file_and_reports_what_still_fails(
    video_tree: Path, tmp_path: Path, local_ray: None, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = sorted(video_tree.rglob("*.mp4"))[:3]
    jobs = [Job(v, tmp_path / "out" / v.name) for v in videos]
    (tmp_path / "out").mkdir()
    for attempt, retries in (("once", 0), ("twice", 1)):
        marks = tmp_path / attempt
        marks.mkdir()
        rc = run_jobs(flaky_copy, jobs, workers=1, overwrite=True, desc="copy", engine="ray", retries=retries,
                      marker_dir=str(marks))  # fmt: skip
        captured = capsys.readouterr()
        if retries == 0:  # no second attempt: every file is reported with its cause
            assert rc == 1
            assert captured.err.count("transient read error (after 1 attempts)") == 3
            assert "3 videos, 0 already done, 3 failed" in captured.out
        else:
            assert rc == 0, captured.err
            assert "3 videos, 0 already done, 3 copied" in captured.out
    assert all(j.dst.read_bytes() == j.src.read_bytes() for j in jobs)
