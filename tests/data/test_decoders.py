"""Decoders: random access returns exactly the frame sequential decoding yields, on fixture files,
generated edge cases (edit list from a stream-copy cut, VFR, AVI, Matroska, long and short GOP),
for every installed backend; typed errors for bad files and indices."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from vidcore.data.decoders import (
    DecordReader,
    PyAVReader,
    available_backends,
    decord_exactness,
    open_video,
)
from vidcore.data.errors import VideoDecodeError

FIXTURES = (
    "demo/demo.mp4",
    "demo/demo_skeleton.mp4",
    "demo/demo_spatiotemporal_det.mp4",
    "data/test.mp4",
    "data/test.avi",
    "data/rawvideo_dataset/part_0.mp4",
    "data/rawvideo_dataset/part_1.mp4",
)
GENERATED = ("long_gop", "cut", "short_gop", "mkv", "avi", "vfr", "open_gop", "h264_10bit") + (
    ("hevc_cra",) if "libx265" in __import__("av").codecs_available else ()
)


def probe_indices(n: int, seed: int = 0) -> np.ndarray:
    """First, last, a backwards run, a repeat, and random indices (unsorted) in [0, n)."""
    rng = np.random.default_rng(seed)
    fixed = [n - 1, 0, n // 2, n // 2, max(n - 3, 0), n - 2 if n > 1 else 0]
    return np.concatenate([np.asarray(fixed), rng.integers(0, n, size=10)]).astype(np.int64)


def assert_exact(reader, truth: list[np.ndarray], indices: np.ndarray) -> None:
    frames = reader.get_frames(indices)
    assert frames.dtype.__str__() == "torch.uint8"
    assert tuple(frames.shape) == (len(indices), *truth[0].shape)
    for j, i in enumerate(indices.tolist()):
        assert np.array_equal(frames[j].numpy(), truth[i]), f"{reader.source}: frame {i} differs ({reader.backend})"


def torchcodec_exact(path: Path) -> bool:
    """Whether ``TorchCodecReader`` accepts the file (it refuses where it is not exact)."""
    from vidcore.data.decoders import TorchCodecReader

    try:
        TorchCodecReader(path).close()
    except VideoDecodeError as exc:
        assert "not frame-exact" in str(exc), exc
        return False
    return True


def backends_for(path: Path) -> list[str]:
    """Each installed backend that should be exact on this file (auto, in any order, picks one)."""
    names = ["pyav"]
    if "torchcodec" in available_backends() and torchcodec_exact(path):
        names.append("torchcodec")
    if "decord" in available_backends() and decord_exactness(path)[0]:
        names.append("decord")
    for order in (None, ("decord", "torchcodec", "pyav")):
        with open_video(path, auto_order=order) as reader:
            assert reader.backend in names, f"auto picked {reader.backend} for {path}"
    return names


@pytest.mark.conformance
@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_videos_frame_exact(conformance_root: Path, name: str, reference_frames) -> None:
    path = conformance_root / name
    truth = reference_frames(path)
    for backend in backends_for(path):
        with open_video(path, backend=backend) as reader:
            assert reader.num_frames == len(truth), backend
            assert (reader.height, reader.width) == truth[0].shape[:2]
            assert_exact(reader, truth, probe_indices(len(truth)))


@pytest.mark.parametrize("name", GENERATED)
def test_generated_videos_frame_exact(generated_videos: dict[str, Path], name: str, reference_frames) -> None:
    path = generated_videos[name]
    truth = reference_frames(path)
    for backend in backends_for(path):
        with open_video(path, backend=backend) as reader:
            assert reader.num_frames == len(truth), backend
            assert_exact(reader, truth, probe_indices(len(truth), seed=1))
            # a TSN-like sorted sweep and a dense clip, as the samplers ask for them
            assert_exact(reader, truth, np.linspace(0, len(truth) - 1, 8).astype(np.int64))
            assert_exact(reader, truth, np.arange(len(truth) // 3, len(truth) // 3 + 16) % len(truth))
    with PyAVReader(path, skip_nonref=False) as reader:  # the plain decode path gives the same frames
        assert_exact(reader, truth, probe_indices(len(truth), seed=4))


def test_stream_copy_cut_hides_lead_in(generated_videos: dict[str, Path], reference_frames) -> None:
    cut = generated_videos["cut"]
    truth = reference_frames(cut)
    # 200 frames, cut at 3 s = frame 90 of 30 fps with one keyframe at 0: 110 frames remain visible
    assert len(truth) == 110
    src_truth = reference_frames(generated_videos["long_gop"])
    assert np.array_equal(truth[0], src_truth[90]) and np.array_equal(truth[-1], src_truth[-1])
    with PyAVReader(cut) as reader:
        assert reader.info.num_discarded == 90 and reader.info.num_packets == 200
        assert reader.num_frames == 110
    exact, reason = decord_exactness(cut)
    assert not exact and "edit list" in reason
    with open_video(cut, auto_order=("decord", "pyav")) as reader:
        assert reader.backend == "pyav"


@pytest.mark.skipif("decord" not in available_backends(), reason="decord is not installed")
def test_auto_prefers_decord_only_where_exact(generated_videos: dict[str, Path]) -> None:
    with open_video(generated_videos["short_gop"], auto_order=("decord", "pyav")) as reader:
        assert reader.backend == "decord"
    with open_video(generated_videos["vfr"], auto_order=("decord", "pyav")) as reader:
        assert reader.backend == "pyav"


@pytest.mark.skipif("decord" not in available_backends(), reason="decord is not installed")
def test_decord_refused_where_not_exact(generated_videos: dict[str, Path]) -> None:
    for name in ("cut", "vfr", "avi"):
        with pytest.raises(VideoDecodeError, match="not frame-exact"):
            DecordReader(generated_videos[name])
    assert decord_exactness(generated_videos["short_gop"]) == (True, "")


def test_bytes_and_file_objects(generated_videos: dict[str, Path], reference_frames) -> None:
    path = generated_videos["cut"]
    truth = reference_frames(path)
    idx = probe_indices(len(truth), seed=2)
    with open_video(path.read_bytes()) as reader:
        assert reader.num_frames == len(truth)
        assert_exact(reader, truth, idx)
    with open(path, "rb") as fh, open_video(fh) as reader:
        assert_exact(reader, truth, idx)
    with open_video(io.BytesIO(path.read_bytes())) as reader:
        assert_exact(reader, truth, idx)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("name", ["short_gop", "mkv", "vfr", "cut", "avi"])
def test_threads_give_same_frames(
    generated_videos: dict[str, Path], name: str, threads: int, reference_frames
) -> None:
    path = generated_videos[name]
    truth = reference_frames(path)
    with open_video(path, backend="pyav", num_threads=threads) as reader:
        for seed in (3, 4):
            assert_exact(reader, truth, probe_indices(len(truth), seed=seed))
    with open_video(path.read_bytes(), backend="pyav", num_threads=threads) as reader:
        assert_exact(reader, truth, probe_indices(len(truth), seed=5))
    with open(path, "rb") as fh, open_video(fh, backend="pyav", num_threads=threads) as reader:
        assert_exact(reader, truth, probe_indices(len(truth), seed=6))  # one decoder: not reopenable


def test_thread_groups_are_whole_keyframe_runs_of_similar_work(generated_videos: dict[str, Path]) -> None:
    from vidcore.data.decoders import PyAVReader

    with PyAVReader(generated_videos["short_gop"], num_threads=3) as reader:  # 60 frames, keyframe every 12
        info = reader.info
        assert len(info.key_pts) == 5
        frames = np.array([1, 2, 13, 25, 26, 37, 49, 59])
        groups = reader._thread_groups(info.frame_pts[frames])
        # runs (by keyframe): {1, 2} {13} {25, 26} {37} {49, 59}; work from each keyframe to its
        # last wanted frame: 3, 2, 3, 2, 12. No split beats 12 for the largest group, and two
        # groups reach it: {3, 2, 3, 2} and {12}
        assert groups == [(0, 6), (6, 8)]
        # four runs of work 2: three threads cannot beat two groups of 4
        assert reader._thread_groups(info.frame_pts[[1, 13, 25, 37]]) == [(0, 2), (2, 4)]
        assert reader._thread_groups(info.frame_pts[[1, 13, 25]]) == [(0, 1), (1, 2), (2, 3)]
        assert reader._thread_groups(info.frame_pts[[3, 5, 7]]) == [(0, 3)]  # one run: one thread
    with PyAVReader(generated_videos["short_gop"], num_threads=1) as reader:
        assert reader._thread_groups(info.frame_pts[frames]) == [(0, 8)]


@pytest.mark.skipif("torchcodec" not in available_backends(), reason="torchcodec is not installed")
def test_torchcodec_refused_where_not_exact(generated_videos: dict[str, Path]) -> None:
    from vidcore.data.decoders import TorchCodecReader

    with pytest.raises(VideoDecodeError, match=r"not frame-exact.*backend='pyav'"):
        TorchCodecReader(generated_videos["avi"])  # AVI: no trustworthy timestamps
    with open(generated_videos["avi"], "rb") as fh, pytest.raises(VideoDecodeError, match="not frame-exact"):
        TorchCodecReader(fh)
    with open(generated_videos["cut"], "rb") as fh, TorchCodecReader(fh) as reader:  # rewound after indexing
        assert reader.num_frames == 110
    with open_video(generated_videos["short_gop"], auto_order=("torchcodec", "pyav")) as reader:
        assert reader.backend == "torchcodec"
    with open_video(generated_videos["avi"], auto_order=("torchcodec", "pyav")) as reader:
        assert reader.backend == "pyav"
    with open_video(generated_videos["short_gop"]) as reader:  # the default order prefers PyAV
        assert reader.backend == "pyav"


@pytest.mark.skipif("torchcodec" in available_backends(), reason="torchcodec is installed")
def test_missing_optional_backend_says_how_to_install(generated_videos: dict[str, Path]) -> None:
    with pytest.raises(ImportError, match=r"vidcore-data\[torchcodec\]"):
        open_video(generated_videos["short_gop"], backend="torchcodec")


def test_metadata(generated_videos: dict[str, Path]) -> None:
    with open_video(generated_videos["short_gop"], backend="pyav") as reader:
        assert reader.fps == pytest.approx(30.0)
        assert (reader.height, reader.width) == (64, 96)
        assert len(reader) == 60
        assert len(reader.info.key_pts) == 5  # keyframes at 0, 12, 24, 36, 48
    with open_video(generated_videos["avi"], backend="pyav") as reader:
        assert reader.info.mode == "sequential" and reader.num_frames == 40


def test_empty_index_list(generated_videos: dict[str, Path]) -> None:
    with open_video(generated_videos["short_gop"]) as reader:
        assert tuple(reader.get_frames([]).shape) == (0, 64, 96, 3)


@pytest.mark.parametrize("bad", [[60], [-1], [0, 75]])
def test_out_of_range_names_valid_range(generated_videos: dict[str, Path], bad: list[int]) -> None:
    path = generated_videos["short_gop"]
    for backend in backends_for(path):
        with open_video(path, backend=backend) as reader, pytest.raises(VideoDecodeError) as info:
            reader.get_frames(bad)
        assert "[0, 59]" in str(info.value) and str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------------
# bad files: one typed error naming the file and the cause; never a crash or a hang


def _bad_files(tmp: Path, generated: dict[str, Path]) -> dict[str, tuple[Path, str]]:
    import av

    data = generated["long_gop"].read_bytes()  # moov at the end
    fast = generated["short_gop"].read_bytes()  # moov first
    files = {
        "missing": (tmp / "missing.mp4", "not found"),
        "empty": (tmp / "empty.mp4", "empty"),
        "truncated_no_index": (tmp / "trunc_end.mp4", "cannot open"),
        "truncated_data": (tmp / "trunc_data.mp4", "truncated"),
        "text": (tmp / "notes.mp4", "cannot open"),
        "audio_only": (tmp / "tone.wav", "no video stream"),
        "folder": (tmp / "adir.mp4", "directory"),
    }
    files["empty"][0].write_bytes(b"")
    files["truncated_no_index"][0].write_bytes(data[: len(data) // 2])
    files["truncated_data"][0].write_bytes(fast[: int(len(fast) * 0.6)])
    files["text"][0].write_text("this is not a video\n" * 20)
    files["folder"][0].mkdir()
    with av.open(str(files["audio_only"][0]), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return files


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, generated_videos: dict[str, Path]):
    return _bad_files(tmp_path_factory.mktemp("bad"), generated_videos)


@pytest.mark.parametrize(
    "kind", ["missing", "empty", "truncated_no_index", "truncated_data", "text", "audio_only", "folder"]
)
def test_bad_file_raises_typed_error(bad_files, kind: str) -> None:
    path, cause = bad_files[kind]
    # (a folder given to backend="auto" is read as a rawframe folder; that error is tested there)
    for backend in ("pyav",) if kind == "folder" else ("pyav", "auto"):
        with pytest.raises(VideoDecodeError) as info:
            open_video(path, backend=backend)
        assert str(path) in str(info.value) and cause in str(info.value)
        assert info.value.path == str(path)


def test_empty_bytes_raise() -> None:
    with pytest.raises(VideoDecodeError, match="empty"):
        open_video(b"")
    with pytest.raises(VideoDecodeError, match="cannot open"):
        open_video(b"\x00" * 1000)


@pytest.mark.skipif("decord" not in available_backends(), reason="decord is not installed")
def test_decord_bad_files_in_subprocess(bad_files) -> None:
    """decord is a C++ library that may abort on bad input: prove in a child process (with a
    timeout) that asking for the decord backend on each bad file ends in our typed error."""
    import subprocess
    import sys

    paths = [str(p) for p, _ in bad_files.values()]
    code = (
        "import sys\n"
        "from vidcore.data.decoders import open_video\n"
        "from vidcore.data.errors import VideoDecodeError\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        open_video(p, backend='decord')\n"
        "        print('OPENED', p)\n"
        "    except VideoDecodeError:\n"
        "        print('TYPED', p)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split().count("TYPED") == len(paths), proc.stdout


@pytest.mark.parametrize("threads", [1, 2])
def test_index_disagreement_falls_back_to_sequential(
    generated_videos: dict[str, Path], reference_frames, threads: int
) -> None:
    """If the decoder produces a timestamp the packet index lacks, the reader must notice and
    switch the file to sequential mode, still returning the right frames (with 2 threads the
    disagreement surfaces in a helper thread decoding the last keyframe run)."""
    from vidcore.data.decoders import clear_cache

    path = generated_videos["short_gop"]
    truth = reference_frames(path)
    clear_cache()
    try:
        reader = PyAVReader(path, num_threads=threads)
        reader.info.pts_set = frozenset(sorted(reader.info.pts_set)[:-10])  # corrupt the cached index
        if threads > 1:
            assert len(reader._thread_groups(reader.info.frame_pts[[3, 40, 55]])) == 2
        assert_exact(reader, truth, np.array([55, 3, 40]))
        assert reader.info.mode == "sequential" and "disagreed" in reader.info.reason
        assert reader.num_frames == len(truth)
        reader.close()
    finally:
        clear_cache()


def test_stream_index_is_cached_and_leaves_file_objects_where_they_were(generated_videos: dict[str, Path]) -> None:
    from vidcore.data.decoders import clear_cache
    from vidcore.data.decoders.pyav import stream_index

    path = generated_videos["cut"]
    clear_cache()
    first = stream_index(path)
    assert first.num_frames == 110 and first.num_discarded == 90
    assert stream_index(path) is first  # the cached index, no second demux pass
    with open(path, "rb") as fh:  # a reader reads a file object from its position: it is given back
        info = stream_index(fh)
        assert fh.tell() == 0
        assert info.num_frames == 110 and info is not first  # file objects are not cached by content
        with open_video(fh, backend="pyav") as reader:
            assert reader.num_frames == 110


def test_truncated_avi_raises_instead_of_yielding_fewer_frames(generated_videos: dict[str, Path], tmp_path: Path) -> None:
    data = generated_videos["avi"].read_bytes()  # 40 frames
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])  # loses the second half and the idx1 index at the end
    with pytest.raises(VideoDecodeError, match=r"truncated: the AVI header lists 40 video frames, only \d+ are readable"):
        open_video(cut)
    with open_video(generated_videos["avi"]) as reader:  # the whole file is fine
        assert reader.num_frames == 40


def _mkv_with_longer_audio(path: Path, video_frames: int = 30, audio_seconds: float = 2.0) -> None:
    """A legitimate MKV whose audio runs a second past its video (the header's duration is the audio's)."""
    from fractions import Fraction

    import av

    from vidcore.data.decoders.synthetic import pattern_frame

    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 96, 64, "yuv420p"
        aus = out.add_stream("aac", rate=16000)
        aus.layout = "mono"
        for i in range(video_frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(i, 64, 96), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 30)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        total = int(audio_seconds * 16000)
        for start in range(0, total, 1024):
            n = min(1024, total - start)
            af = av.AudioFrame.from_ndarray(np.zeros((1, n), np.float32), format="fltp", layout="mono")
            af.sample_rate, af.pts, af.time_base = 16000, start, Fraction(1, 16000)
            for packet in aus.encode(af):
                out.mux(packet)
        for packet in aus.encode():
            out.mux(packet)


def test_truncated_matroska_raises_but_longer_audio_is_fine(generated_videos: dict[str, Path], tmp_path: Path) -> None:
    from vidcore.data.decoders import clear_cache

    longer_audio = tmp_path / "longer_audio.mkv"
    _mkv_with_longer_audio(longer_audio)
    with open_video(longer_audio) as reader:
        assert reader.num_frames == 30
    data = generated_videos["mkv"].read_bytes()  # 60 frames, 2 s, video only
    for fraction in (0.5, 0.9):
        cut = tmp_path / f"cut_{fraction}.mkv"
        cut.write_bytes(data[: int(len(data) * fraction)])
        clear_cache()
        with pytest.raises(VideoDecodeError, match=r"truncated: the Matroska header states 2\.00 s, the streams end at"):
            open_video(cut)
