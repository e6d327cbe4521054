"""Datasets: they return the frames the sampler asked for, and survive bad samples."""

from __future__ import annotations

import pickle
import wave
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.data.annotations import AudioRecord, RawframeRecord, VideoRecord
from vidcore.data.datasets import (
    ActivityNetDataset,
    AudioDataset,
    AudioFeatureDataset,
    AVADataset,
    ConcatDataset,
    PoseDataset,
    RawframeDataset,
    RepeatDataset,
    RepeatedSamples,
    SkippedSample,
    VideoDataset,
    collate_samples,
    skipped_summary,
)
from vidcore.data.errors import VideoDecodeError
from vidcore.data.types import PoseSample, VideoSample

decoders = pytest.importorskip("vidcore.data.decoders")
samplers = pytest.importorskip("vidcore.data.samplers")

STEP = 8  # frame i is a solid grey of level STEP * i + 4: robust to lossy coding


def make_video(path: Path, num_frames: int, size: int = 32) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "2"}
        for i in range(num_frames):
            img = np.full((size, size, 3), STEP * i + 4, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_frames(
    folder: Path, num_frames: int, tmpl: str = "img_{:05d}.jpg", start: int = 1, size: int = 16
) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(num_frames):
        Image.fromarray(np.full((size, size, 3), STEP * i + 4, np.uint8)).save(
            folder / tmpl.format(i + start), quality=95
        )
    return folder


def frame_ids(video: torch.Tensor) -> list[int]:
    """Frame numbers encoded in a ``(T, C, H, W)`` clip."""
    return [round((float(f.float().mean()) - 4) / STEP) for f in video]


def fixed(inds: list[int]):
    def sampler(num_frames: int, *, rng: np.random.Generator) -> np.ndarray:
        return np.array(inds, dtype=np.int64)

    return sampler


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    make_video(root / "a.mp4", 20)
    make_video(root / "b.mp4", 12)
    (root / "corrupt.mp4").write_bytes(b"this is not a video at all" * 40)
    return root


def test_video_dataset_returns_the_sampled_frames(videos: Path) -> None:
    ds = VideoDataset(
        [VideoRecord("a.mp4", (3,)), VideoRecord("b.mp4", (1,))], videos, sampler=fixed([3, 0, 7, 7])
    )
    s = ds[0]
    assert isinstance(s, VideoSample) and s.video.dtype == torch.uint8 and s.video.shape == (4, 3, 32, 32)
    assert frame_ids(s.video) == [3, 0, 7, 7]
    assert (
        s.label == 3
        and s.meta["index"] == 0
        and s.meta["num_frames"] == 20
        and s.meta["fps"] == pytest.approx(25)
    )
    # MMAction2 SampleFrames test mode, clip_len=4, interval=2, 1 clip on 20 frames: offset
    # int((20 - 8 + 1) / 2) = 6 -> frames 6, 8, 10, 12 (hand-computed)
    ds = VideoDataset(
        [VideoRecord("a.mp4", (3,))],
        videos,
        sampler=partial(samplers.sample_frames, clip_len=4, frame_interval=2, test_mode=True),
    )
    assert frame_ids(ds[0].video) == [6, 8, 10, 12]


def test_multi_view_and_multi_label_collate(videos: Path) -> None:
    ds = VideoDataset(
        [VideoRecord("a.mp4", (0, 2)), VideoRecord("b.mp4", (1,))], videos,
        sampler=fixed([0, 1, 5, 6]), num_views=2, num_classes=4, multi_label=True,
    )  # fmt: skip
    batch = collate_samples([ds[0], ds[1]])
    assert batch["video"].shape == (2, 2, 2, 3, 32, 32) and type(batch["video"]) is torch.Tensor
    assert frame_ids(batch["video"][1, 1]) == [5, 6]
    assert batch["label"].tolist() == [[1, 0, 1, 0], [0, 1, 0, 0]]
    assert batch["index"].tolist() == [0, 1] and batch.skipped == ()


def test_seeded_sampling_is_reproducible(videos: Path) -> None:
    sampler = partial(samplers.sample_frames, clip_len=2, frame_interval=1, num_clips=3)
    ds = VideoDataset([VideoRecord("a.mp4", (0,))], videos, sampler=sampler, seed=7)
    first = ds[0].meta["frame_inds"]
    np.testing.assert_array_equal(ds[0].meta["frame_inds"], first)
    draws = set()
    for epoch in range(6):
        ds.set_epoch(epoch)
        draws.add(tuple(ds[0].meta["frame_inds"]))
    assert len(draws) > 1


def test_rawframe_dataset_offset_and_start_index(tmp_path: Path) -> None:
    make_frames(tmp_path / "clip", 10)
    recs = [RawframeRecord("clip", 5, (1,), offset=2)]
    ds = RawframeDataset(recs, tmp_path, sampler=fixed([0, 4, 1]))
    # index i -> file img_{i + offset + 1}, i.e. frame i + 2 of the folder
    assert frame_ids(ds[0].video) == [2, 6, 3]
    assert ds[0].meta["offset"] == 2
    flow = tmp_path / "flow"
    make_frames(flow, 4, tmpl="x_{:05d}.jpg")
    make_frames(flow, 4, tmpl="y_{:05d}.jpg")
    fds = RawframeDataset([RawframeRecord("flow", 4, (0,))], tmp_path, sampler=fixed([1, 3]), modality="Flow")
    assert fds[0].video.shape[:2] == (2, 2)


def test_bad_samples_are_skipped_counted_and_named(videos: Path, tmp_path: Path) -> None:
    lst = tmp_path / "list.txt"
    lst.write_text("a.mp4 0\nmissing.mp4 1\ncorrupt.mp4 2\nb.mp4 1\na.mp4 5\n")
    ds = VideoDataset(lst, videos, sampler=fixed([0, 2]), num_classes=4)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate_samples)
    indices, skipped = [], []
    for batch in loader:
        indices += batch["index"].tolist()
        skipped += list(batch.skipped)
        if "video" in batch:
            assert batch["video"].shape[1:] == (2, 3, 32, 32)
    assert indices == [0, 3]
    assert len(skipped) == 3 and ds.num_skipped == 3
    text = "\n".join(skipped)
    assert "missing.mp4" in text and "list.txt:2" in text
    assert "corrupt.mp4" in text and "list.txt:3" in text and "VideoDecodeError" in text
    assert "list.txt:5" in text and "label 5 out of range" in text
    assert "3 sample(s) skipped" in skipped_summary(skipped)
    strict = VideoDataset(lst, videos, sampler=fixed([0]), on_error="raise")
    with pytest.raises(VideoDecodeError, match=r"corrupt\.mp4"):
        strict[2]


def test_pose_dataset(tmp_path: Path) -> None:
    kp = np.arange(2 * 6 * 3 * 2, dtype=np.float32).reshape(2, 6, 3, 2)
    ann = {
        "split": {"train": ["p0"], "val": ["p1"]},
        "annotations": [
            {
                "frame_dir": "p0",
                "label": 4,
                "total_frames": 6,
                "img_shape": (10, 20),
                "keypoint": kp,
                "keypoint_score": kp[..., 0],
            },
            {"frame_dir": "p1", "label": 2, "total_frames": 6, "keypoint": kp + 1},
        ],
    }
    (tmp_path / "pose.pkl").write_bytes(pickle.dumps(ann))
    ds = PoseDataset(tmp_path / "pose.pkl", split="train", sampler=fixed([5, 0]))
    assert len(ds) == 1
    s = ds[0]
    assert isinstance(s, PoseSample) and s.label == 4 and s.img_shape == (10, 20)
    np.testing.assert_array_equal(s.keypoint, kp[:, [5, 0]])
    np.testing.assert_array_equal(s.keypoint_score, kp[..., 0][:, [5, 0]])
    val = PoseDataset(tmp_path / "pose.pkl", split="val")
    batch = collate_samples([val[0], val[0]])
    assert batch["keypoint"].shape == (2, 2, 6, 3, 2) and batch["label"].tolist() == [2, 2]


def test_audio_feature_dataset(tmp_path: Path) -> None:
    feats = np.arange(10 * 4, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "f.npy", feats)
    ds = AudioFeatureDataset(
        [AudioRecord("f", 10, (1,)), AudioRecord("gone", 10, (1,))], tmp_path, sampler=fixed([9, 2])
    )
    np.testing.assert_array_equal(ds[0].audio.numpy(), feats[[9, 2]])
    assert isinstance(ds[1], SkippedSample) and "feature file not found" in ds[1].reason


def test_audio_waveform_dataset(tmp_path: Path) -> None:
    rate = 8000
    t = np.arange(rate) / rate  # 1 s of a 440 Hz tone at amplitude 0.5
    pcm = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(tmp_path / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    ds = AudioDataset([AudioRecord("tone.wav", 0, (3,))], tmp_path, clip_seconds=0.5, test_mode=True)
    s = ds[0]
    assert s.sample_rate == rate and s.audio.shape == (4000,) and s.label == 3
    np.testing.assert_allclose(s.audio.numpy(), pcm[2000:6000] / 32768, atol=1e-3)


def test_ava_dataset(tmp_path: Path) -> None:
    make_frames(tmp_path / "vidA", 24)
    (tmp_path / "gt.csv").write_text(
        "vidA,0902,0.1,0.2,0.5,0.6,3,0\n"
        "vidA,0902,0.1,0.2,0.5,0.6,7,0\n"
        "vidA,0902,0.5,0.5,1.0,1.0,7,1\n"
        "vidA,0903,0.1,0.2,0.5,0.6,3,0\n"
        "vidA,0904,0.1,0.2,0.5,0.6,3,0\n"
        "vidA,1799,0.1,0.2,0.5,0.6,3,0\n"
    )
    (tmp_path / "excl.csv").write_text("vidA,0903\n")
    props = {"vidA,0902": np.array([[0, 0, 0.5, 0.5, 0.95], [0.5, 0.5, 1, 1, 0.3], [0, 0, 1, 1, 0.92]])}
    (tmp_path / "props.pkl").write_bytes(pickle.dumps(props))
    ds = AVADataset(
        tmp_path / "gt.csv", tmp_path, exclude_file=tmp_path / "excl.csv", proposal_file=tmp_path / "props.pkl",
        num_classes=10, clip_len=4, frame_interval=2, fps=4, test_mode=True,
    )  # fmt: skip
    # 0903 excluded, 1799 outside 902..1798 -> keyframes 0902 and 0904
    assert [k.timestamp for k in ds.keyframes] == [902, 904]
    s = ds[0]
    # keyframe 902 s at 4 fps from 900 s -> frame 8; 4 frames 2 apart centred: 4, 6, 8, 10
    assert frame_ids(s.video) == [4, 6, 8, 10]
    np.testing.assert_allclose(s.boxes.numpy(), [[1.6, 3.2, 8, 9.6], [8, 8, 16, 16]], rtol=1e-5)
    assert s.box_labels.shape == (2, 10) and s.box_labels[0].nonzero().flatten().tolist() == [3, 7]
    assert s.box_labels[1].nonzero().flatten().tolist() == [7]
    # scores >= 0.9 kept: first and third proposal, in pixels of the 16x16 frames
    np.testing.assert_allclose(s.meta["proposals"].numpy(), [[0, 0, 8, 8], [0, 0, 16, 16]])
    assert ds[1].meta["proposals"].tolist() == [[0, 0, 16, 16]]  # absent key: whole frame
    # with frame 904 -> index 16: 12, 14, 16, 18
    assert frame_ids(ds[1].video) == [12, 14, 16, 18]
    batch = collate_samples([ds[0], ds[1]])
    assert batch["video"].shape == (2, 4, 3, 16, 16) and len(batch["boxes"]) == 2


def test_activitynet_dataset(conformance_root: Path) -> None:
    d = conformance_root / "data"
    ds = ActivityNetDataset(d / "annotations" / "action_test_anno.json", d / "activitynet_features")
    s = ds[1]
    assert s.features.shape == (400, 5)  # csv: header f0..f399 and 5 rows -> (C, T)
    np.testing.assert_allclose(s.gt_segments.numpy(), [[0.5, 1.0]])
    assert s.gt_labels.tolist() == [-1]
    batch = collate_samples([ds[0], s])
    assert batch["features"].shape == (2, 400, 5) and batch["index"].tolist() == [0, 1]


def test_repeat_and_concat(videos: Path) -> None:
    a = VideoDataset([VideoRecord("a.mp4", (0,))], videos, sampler=fixed([1]))
    b = VideoDataset(
        [VideoRecord("b.mp4", (1,)), VideoRecord("missing.mp4", (1,))], videos, sampler=fixed([2])
    )
    rep = RepeatDataset(a, 3)
    assert len(rep) == 3 and rep[2].meta["index"] == 2 and frame_ids(rep[2].video) == [1]
    cat = ConcatDataset([a, b])
    assert len(cat) == 3 and cat.locate(2) == (1, 1)
    s = cat[1]
    assert s.meta["index"] == 1 and s.meta["dataset_index"] == 1 and s.label == 1
    bad = cat[2]
    assert isinstance(bad, SkippedSample) and bad.index == 2 and cat.num_skipped == 1


def test_fixture_lists_through_datasets(conformance_root: Path) -> None:
    from PIL import Image

    d = conformance_root / "data"
    # with_offset list "imgs 2 5 127": sampled index 0 is file img_00003.jpg (start_index 1 + offset 2)
    ds = RawframeDataset(
        d / "annotations" / "rawframe_test_list_with_offset.txt", d, with_offset=True, sampler=fixed([0, 4])
    )
    s = ds[0]
    for t, name in enumerate(("img_00003.jpg", "img_00007.jpg")):
        expected = torch.from_numpy(np.array(Image.open(d / "imgs" / name).convert("RGB"))).permute(2, 0, 1)
        assert torch.equal(s.video[t].as_subclass(torch.Tensor), expected)
    assert s.label == 127
    vds = VideoDataset(d / "annotations" / "video_test_list.txt", d, sampler=fixed([0]))
    assert vds[1].video.shape[:2] == (1, 3) and vds[1].label == 0
    ads = AudioDataset(
        d / "annotations" / "audio_test_list.txt", d, sample_rate=16000, clip_seconds=0.25, test_mode=True
    )
    assert ads[0].audio.shape == (4000,) and ads[0].sample_rate == 16000
    # sample.pkl holds detections without keypoints: every item is a named, skipped sample
    pds = PoseDataset(d / "annotations" / "sample.pkl", split="train")
    bad = pds[0]
    assert isinstance(bad, SkippedSample) and "jf7RDuUTrsQ" in bad.source and "no 'keypoint'" in bad.reason


def test_dataset_pickles_for_workers_and_copies(videos: Path) -> None:
    ds = VideoDataset([VideoRecord("missing.mp4", (0,))], videos, seed=1)
    assert isinstance(ds[0], SkippedSample) and ds.num_skipped == 1
    copy = pickle.loads(pickle.dumps(ds))  # outside process start: the shared counter becomes local
    assert copy.num_skipped == 1 and len(copy.skipped) == 1
    assert isinstance(copy[0], SkippedSample) and copy.num_skipped == 2 and ds.num_skipped == 1


# ---------------------------------------------------------------- repeated augmentation


class _CountingOpen:
    """Wraps ``open_video`` and records every ``get_frames`` call's indices."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls: list[list[int]] = []

    def __call__(self, *args, **kwargs):
        reader = self.real(*args, **kwargs)
        get = reader.get_frames

        def counted(inds):
            self.calls.append([int(i) for i in np.asarray(inds)])
            return get(inds)

        reader.get_frames = counted
        return reader


def _random_draw(num_frames: int, *, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(num_frames, size=4, replace=False)).astype(np.int64)


class _MarkDraw:
    """A transform with its own random draw, recorded in the sample's meta."""

    def __call__(self, sample: VideoSample) -> VideoSample:
        from vidcore.data.transforms.base import as_generator

        sample.meta["draw"] = int(as_generator(None).integers(1 << 40))
        return sample


def test_repeated_augmentation_decodes_once_and_transforms_each_repeat(
    videos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vidcore.data.decoders as dec

    counting = _CountingOpen(dec.open_video)
    monkeypatch.setattr(dec, "open_video", counting)
    ds = VideoDataset(
        [VideoRecord("a.mp4", (3,)), VideoRecord("b.mp4", (1,))], videos,
        sampler=_random_draw, transform=_MarkDraw(), num_repeats=3, seed=11,
    )  # fmt: skip
    item = ds[0]
    assert isinstance(item, RepeatedSamples) and len(item) == 3
    # each repeat has its own draw of indices, and its frames are exactly those frames
    draws = [s.meta["frame_inds"].tolist() for s in item]
    for s in item:
        assert frame_ids(s.video) == s.meta["frame_inds"].tolist()
        assert s.label == 3 and s.meta["index"] == 0
    assert len({tuple(d) for d in draws}) > 1  # 4 of 20 frames three times: C(20,4)=4845 choices
    # one decode, of the distinct indices of all draws, in increasing order
    assert counting.calls == [sorted({i for d in draws for i in d})]
    # the transform ran once per repeat, each with its own randomness
    assert len({s.meta["draw"] for s in item}) == 3

    # sample_once: one draw shared by every repeat, still transformed separately
    once = VideoDataset(
        [VideoRecord("a.mp4", (3,))], videos, sampler=_random_draw, transform=_MarkDraw(),
        num_repeats=2, sample_once=True, seed=11,
    )[0]  # fmt: skip
    assert once[0].meta["frame_inds"].tolist() == once[1].meta["frame_inds"].tolist()
    assert frame_ids(once[0].video) == frame_ids(once[1].video) == once[0].meta["frame_inds"].tolist()
    assert once[0].meta["draw"] != once[1].meta["draw"]
    # the repeats do not share storage: an in-place change to one leaves the other
    once[0].video.zero_()
    assert frame_ids(once[1].video) == once[1].meta["frame_inds"].tolist()


def test_repeated_samples_collate_into_consecutive_rows(videos: Path) -> None:
    ds = VideoDataset(
        [VideoRecord("a.mp4", (3,)), VideoRecord("b.mp4", (1,)), VideoRecord("corrupt.mp4", (2,))], videos,
        sampler=fixed([0, 5]), num_repeats=2,
    )  # fmt: skip
    items = [ds[0], ds[1], ds[2]]
    assert isinstance(items[2], SkippedSample)  # a bad video is one skipped item, not one per repeat
    batch = collate_samples(items)
    assert batch["video"].shape == (4, 2, 3, 32, 32)
    assert batch["label"].tolist() == [3, 3, 1, 1]
    assert batch["index"].tolist() == [0, 0, 1, 1]
    assert len(batch.skipped) == 1 and "corrupt.mp4" in batch.skipped[0]
    assert [frame_ids(v) for v in batch["video"]] == [[0, 5]] * 4
    with pytest.raises(ValueError, match="num_repeats"):
        VideoDataset([VideoRecord("a.mp4", (3,))], videos, num_repeats=0)


def test_repeated_augmentation_on_rawframes_and_multi_label(tmp_path: Path) -> None:
    make_frames(tmp_path / "clip", 10)
    ds = RawframeDataset(
        [RawframeRecord("clip", 10, (0, 2))], tmp_path, sampler=_random_draw, num_repeats=2,
        num_classes=3, multi_label=True, seed=3,
    )  # fmt: skip
    item = ds[0]
    assert isinstance(item, RepeatedSamples) and len(item) == 2
    for s in item:
        assert frame_ids(s.video) == s.meta["frame_inds"].tolist()
        assert s.label.tolist() == [1.0, 0.0, 1.0]
    assert item[0].label is not item[1].label  # each repeat owns its target
