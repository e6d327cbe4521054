"""vidcore-data check: format detection on MMAction2's own files, --deep decoding, and list entries
that leave --root, loop, or have names that are not UTF-8 (also through datasets and decord)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import numpy as np
import pytest

from vidcore.data.cli import main
from vidcore.data.cli.check import NotAnnotations, guess_format
from vidcore.data.decoders import available_backends, open_video
from vidcore.data.decoders.synthetic import write_test_video

# every list-like file among MMAction2's test data and tools: the format it is, or what it is instead
FIXTURE_FORMATS = {
    "data/annotations/action_test_anno.json": "activitynet",
    "data/annotations/audio_feature_test_list.txt": "audio-features",
    "data/annotations/audio_test_list.txt": "audio",
    "data/annotations/proposal_normalized_list.txt": "proposals",
    "data/annotations/proposal_test_list.txt": "proposals",
    "data/annotations/rawframe_test_list.txt": "rawframes",
    "data/annotations/rawframe_test_list_multi_label.txt": "rawframes",
    "data/annotations/rawframe_test_list_with_offset.txt": "rawframes-offset",
    "data/annotations/rawvideo_test_anno.json": "rawvideo",
    "data/annotations/rawvideo_test_anno.txt": "rawvideo",
    "data/annotations/video_test_list.txt": "video",
    "data/annotations/video_test_list_multi_label.txt": "video",
    "data/ava_dataset/ava_sample.csv": "ava",
    "data/eval_detection/gt.csv": "ava",
    "data/eval_localization/gt.json": "activitynet",
    "data/activitynet_features/v_test1.csv": "feature file",
    "data/activitynet_features/v_test2.csv": "feature file",
    "data/ava_dataset/action_list.txt": "AVA label map",
    "data/eval_detection/action_list.txt": "AVA label map",
    "data/ava_dataset/ava_excluded_timestamps_sample.csv": "AVA excluded timestamps",
    "data/eval_detection/pred.csv": "AVA detection results",
    "data/eval_localization/result.json": "localization results",
    "data/proposals/v_test1.csv": "BSN proposal results",
    "data/proposals/v_test2.csv": "BSN proposal results",
    "data/tem_results/v_test1.csv": "BSN temporal evaluation results",
    "data/tem_results/v_test2.csv": "BSN temporal evaluation results",
    "tools/data/activitynet/label_map.txt": "label map (one class name a line)",
    "tools/data/ava/label_map.txt": "label map ('id name' lines)",
    "tools/data/hmdb51/label_map.txt": "label map (one class name a line)",
    "tools/data/kinetics/label_map_k400.txt": "label map (one class name a line)",
    "tools/data/skeleton/label_map_gym99.txt": "label map (one class name a line)",
    "tools/data/skeleton/label_map_ntu60.txt": "label map (one class name a line)",
    "tools/data/sthv2/label_map.txt": "label map (one class name a line)",
    "tools/data/ucf101/label_map.txt": "label map (one class name a line)",
}
FORMATS = {"activitynet", "audio-features", "audio", "proposals", "rawframes", "rawframes-offset", "rawvideo", "video", "ava"}


@pytest.mark.conformance
def test_format_detection_on_every_fixture_list(conformance_root: Path) -> None:
    found = {
        str(p.relative_to(conformance_root))
        for ext in ("txt", "csv", "json")
        for p in conformance_root.rglob(f"*.{ext}")
        if "LICENSE" not in p.name and "README" not in p.name
    }
    assert found <= set(FIXTURE_FORMATS), sorted(found - set(FIXTURE_FORMATS))  # none left out
    root = conformance_root / "data"
    for name, expected in FIXTURE_FORMATS.items():
        if expected in FORMATS:
            fmt, reason = guess_format(conformance_root / name, root)
            assert fmt == expected, (name, fmt, reason)
        else:
            with pytest.raises(NotAnnotations, match=re.escape(expected)):
                guess_format(conformance_root / name, root)


@pytest.mark.conformance
def test_check_reads_offset_and_feature_lists_as_mmaction2_writes_them(
    conformance_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ann, root = conformance_root / "data" / "annotations", conformance_root / "data"
    assert main(["check", str(ann / "rawframe_test_list_with_offset.txt"), "--root", str(root), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "as rawframes-offset" in out and "(rawframes-offset): 2 record(s) OK" in out
    assert main(["check", str(ann / "audio_feature_test_list.txt"), "--root", str(root), "--no-progress"]) == 1
    out = capsys.readouterr().out  # read as features: the 'test.npy' files are not among the fixtures
    assert "as audio-features" in out and "feature file " in out and "test.npy not found" in out
    assert main(["check", str(ann / "rawframe_test_list_multi_label.txt"), "--root", str(root), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "pass --multi-label" in out and "multi_label=True" not in out.split("pass --multi-label")[0]
    label_map = conformance_root / "tools/data/kinetics/label_map_k400.txt"
    assert main(["check", str(label_map), "--root", str(root), "--no-progress"]) == 1
    assert "looks like a label map (one class name a line), not a list of samples; give it with --label-map" in (
        capsys.readouterr().out
    )


# ------------------------------------------------------------------------------------- --deep


def test_deep_finds_a_corrupt_middle_that_the_plain_check_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "damaged.mp4"
    write_test_video(path, num_frames=120, size=(240, 320), gop=30, x264_options={"preset": "veryfast", "crf": "10"})
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    assert len(data) > 200_000  # the 20 KB lie well inside the video data
    data[mid - 10_240 : mid + 10_240] = np.random.default_rng(0).integers(0, 256, 20_480, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    good_until = 0  # the reference: how far plain sequential decoding gets
    with av.open(str(path)) as container, pytest.raises(av.error.FFmpegError):
        for _ in container.decode(video=0):
            good_until += 1
    assert 0 < good_until < 120
    lst = tmp_path / "list.txt"
    lst.write_text("damaged.mp4 0\n")
    assert main(["check", str(lst), "--root", str(tmp_path), "--no-progress"]) == 0  # first and last frame decode
    capsys.readouterr()
    assert main(["check", str(lst), "--root", str(tmp_path), "--deep", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert f"{lst}:1: frame {good_until} does not decode (frames 0-{good_until - 1} do; InvalidDataError" in out


def test_deep_passes_a_sound_video_and_rawframes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    write_test_video(tmp_path / "ok.mp4", num_frames=30, gop=10)
    (tmp_path / "v.txt").write_text("ok.mp4 1\n")
    assert main(["check", str(tmp_path / "v.txt"), "--root", str(tmp_path), "--deep", "--no-progress"]) == 0
    (tmp_path / "clip").mkdir()
    for i in range(1, 5):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "clip" / f"img_{i:05d}.jpg")
    (tmp_path / "clip" / "img_00003.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (tmp_path / "f.txt").write_text("clip 4 0\n")
    assert main(["check", str(tmp_path / "f.txt"), "--root", str(tmp_path), "--no-progress"]) == 0
    assert main(["check", str(tmp_path / "f.txt"), "--root", str(tmp_path), "--deep", "--no-progress"]) == 1
    assert f"{tmp_path / 'f.txt'}:1: frame 2 does not decode" in capsys.readouterr().out


# -------------------------------------------------------------------- list entries and --root


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """root/ with a video, a link out of the root, a link loop; a real video outside root/."""
    root = tmp_path / "root"
    root.mkdir()
    write_test_video(root / "in.mp4", num_frames=12, gop=6)
    write_test_video(tmp_path / "outside.mp4", num_frames=12, gop=6)
    os.symlink(tmp_path / "outside.mp4", root / "link_out.mp4")
    os.symlink(root / "loop_b.mp4", root / "loop_a.mp4")
    os.symlink(root / "loop_a.mp4", root / "loop_b.mp4")
    return root


def test_entries_outside_root_are_refused_unless_allowed(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lst = tree.parent / "list.txt"
    lst.write_text("in.mp4 0\n../outside.mp4 0\nlink_out.mp4 0\n../root/in.mp4 0\n")
    assert main(["check", str(lst), "--root", str(tree), "--no-progress"]) == 1
    out = capsys.readouterr().out
    real_out, real_root = (tree.parent / "outside.mp4").resolve(), tree.resolve()
    for line, entry in ((2, "../outside.mp4"), (3, "link_out.mp4")):
        assert (
            f"{lst}:{line}: {entry} resolves to {real_out}, outside the root {real_root}; "
            "pass --allow-outside-root (allow_outside_root=True) if that is intended"
        ) in out
    assert f"{lst}:1:" not in out and f"{lst}:4:" not in out and "2 problem(s) in 4 record(s)" in out
    assert main(["check", str(lst), "--root", str(tree), "--allow-outside-root", "--no-progress"]) == 0


def test_symlink_loop_is_named(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lst = tree.parent / "loop.txt"
    lst.write_text("loop_a.mp4 0\nmissing.mp4 0\n")
    for extra in ([], ["--allow-outside-root"]):
        assert main(["check", str(lst), "--root", str(tree), "--no-progress", *extra]) == 1
        out = capsys.readouterr().out
        assert re.search(rf"{re.escape(str(lst))}:1: .*loop_a\.mp4: symlink loop", out), out
        assert f"{lst}:2: {tree / 'missing.mp4'}: file not found" in out
    with pytest.raises(Exception, match="symlink loop"):
        open_video(tree / "loop_a.mp4")


def test_dataset_refuses_entries_outside_root(tree: Path) -> None:
    from vidcore.data.annotations import VideoRecord
    from vidcore.data.datasets import VideoDataset
    from vidcore.data.errors import AnnotationError

    records = [VideoRecord("in.mp4", (0,), ("l.txt", 1)), VideoRecord("../outside.mp4", (0,), ("l.txt", 2))]
    ds = VideoDataset(records, tree, on_error="raise")
    assert ds[0].video.shape[0] == 12
    with pytest.raises(AnnotationError, match=r"l\.txt:2: \.\./outside\.mp4 resolves to .*, outside the root"):
        ds[1]
    assert VideoDataset(records, tree, on_error="raise", allow_outside_root=True)[1].video.shape[0] == 12


@pytest.mark.parametrize("backend", ["pyav", "decord"])
def test_non_utf8_file_names_work_through_lists_datasets_and_decord(
    tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    from vidcore.data.datasets import VideoDataset

    root = tmp_path / "videos"
    root.mkdir()
    raw_name = b"caf\xe9 clip.mp4".replace(b" ", b"_")  # Latin-1: not UTF-8
    write_test_video(tmp_path / "src.mp4", num_frames=10, gop=5)
    os.rename(tmp_path / "src.mp4", os.fsencode(root) + b"/" + raw_name)
    lst = tmp_path / "list.txt"
    lst.write_bytes(raw_name + b" 1\n")
    assert main(["check", str(lst), "--root", str(root), "--backend", backend, "--no-progress"]) == 0
    assert "(video): 1 record(s) OK" in capsys.readouterr().out
    ds = VideoDataset(lst, root, backend=backend, on_error="raise")
    assert ds.records[0].path == os.fsdecode(raw_name) and ds[0].video.shape[0] == 10
    with open_video(root / os.fsdecode(raw_name), backend=backend) as reader:
        assert reader.backend == backend and reader.num_frames == 10
