"""Samplers (and the resize kernel) against MMAction2 1.2.0, run where ``import mmaction`` works.

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity/test_data_parity.py``.
Test mode must give exactly MMAction2's indices; train mode is compared by distribution properties
(range, clip structure, the set of reachable values), since the random streams differ.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("mmaction", reason="MMAction2 is not installed in this environment")
loading = pytest.importorskip("mmaction.datasets.transforms.loading")
pose_transforms = pytest.importorskip("mmaction.datasets.transforms.pose_transforms")

from vidcore.data import samplers  # noqa: E402

pytestmark = pytest.mark.parity

FRAME_COUNTS = (1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 101, 300)


def _mm(transform, num_frames: int, start_index: int = 0) -> np.ndarray:
    out = transform.transform({"total_frames": num_frames, "start_index": start_index})
    return np.asarray(out["frame_inds"]).astype(np.int64) - start_index


SAMPLE_FRAMES_GRID = list(
    itertools.product(
        (1, 2, 4, 8, 32),  # clip_len
        (1, 2, 5),  # frame_interval
        (1, 3, 8, 10),  # num_clips
        (False, True),  # twice_sample
        ("loop", "repeat_last"),
    )
)


@pytest.mark.parametrize(("clip_len", "frame_interval", "num_clips", "twice", "oob"), SAMPLE_FRAMES_GRID)
def test_sample_frames_test_mode_exact(clip_len, frame_interval, num_clips, twice, oob):
    mm = loading.SampleFrames(
        clip_len,
        frame_interval,
        num_clips,
        twice_sample=twice,
        out_of_bound_opt=oob,
        test_mode=True,
    )
    if twice and clip_len > 1 and num_clips == 1:  # MMAction2 divides by num_clips - 1 = 0
        with pytest.raises(ZeroDivisionError):
            _mm(mm, 100)
        with pytest.raises(ValueError, match="num_clips >= 2"):
            samplers.sample_frames(100, clip_len=clip_len, num_clips=1, twice_sample=True, test_mode=True)
        return
    for n in FRAME_COUNTS:
        ours = samplers.sample_frames(
            n,
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=num_clips,
            twice_sample=twice,
            out_of_bound=oob,
            test_mode=True,
        )
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize("start_index", [0, 1])
def test_start_index_is_an_offset(start_index):
    mm = loading.SampleFrames(8, 8, 3, test_mode=True)
    out = mm.transform({"total_frames": 100, "start_index": start_index})["frame_inds"]
    np.testing.assert_array_equal(
        samplers.sample_frames(100, clip_len=8, frame_interval=8, num_clips=3, test_mode=True) + start_index,
        out,
    )


@pytest.mark.parametrize(("clip_len", "target_fps", "fps"), [(8, 30, 25.0), (16, 15, 30.0), (4, 30, 60.0)])
def test_sample_frames_target_fps_test_mode_exact(clip_len, target_fps, fps):
    mm = loading.SampleFrames(clip_len, 2, 3, test_mode=True, target_fps=target_fps)
    for n in FRAME_COUNTS:
        out = mm.transform({"total_frames": n, "start_index": 0, "avg_fps": fps})["frame_inds"]
        ours = samplers.sample_frames(
            n,
            clip_len=clip_len,
            frame_interval=2,
            num_clips=3,
            test_mode=True,
            target_fps=target_fps,
            fps=fps,
        )
        np.testing.assert_array_equal(ours, out, err_msg=f"num_frames={n}")


@pytest.mark.parametrize(
    ("clip_len", "frame_interval", "num_clips", "sample_range", "positions"),
    [(32, 2, 1, 64, 10), (8, 8, 1, 64, 10), (1, 1, 8, 32, 5), (4, 1, 4, 16, 3)],
)
def test_dense_sample_test_mode_exact(clip_len, frame_interval, num_clips, sample_range, positions):
    mm = loading.DenseSampleFrames(
        clip_len,
        frame_interval,
        num_clips,
        sample_range=sample_range,
        num_sample_positions=positions,
        test_mode=True,
    )
    for n in FRAME_COUNTS:
        ours = samplers.dense_sample(
            n,
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=num_clips,
            sample_range=sample_range,
            num_sample_positions=positions,
            test_mode=True,
        )
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize(("clip_len", "clip_interval", "frame_interval"), [(1, 16, 1), (8, 16, 2), (5, 3, 1)])
def test_untrimmed_sample_exact(clip_len, clip_interval, frame_interval):
    mm = loading.UntrimmedSampleFrames(clip_len, clip_interval, frame_interval)
    for n in FRAME_COUNTS:
        ours = samplers.untrimmed_sample(
            n, clip_len=clip_len, clip_interval=clip_interval, frame_interval=frame_interval
        )
        if n <= clip_interval // 2:  # no clip centre inside the video: MMAction2 fails, we return none
            assert ours.shape == (0,)
            continue
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize(("clip_len", "num_clips"), [(8, 1), (16, 2), (3, 5)])
def test_uniform_sample_test_mode_exact(clip_len, num_clips):
    mm = loading.UniformSample(clip_len, num_clips, test_mode=True)
    for n in FRAME_COUNTS:
        ours = samplers.uniform_sample(n, clip_len=clip_len, num_clips=num_clips, test_mode=True)
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize(("clip_len", "num_clips"), [(48, 1), (48, 10), (100, 1), (10, 5), (4, 3)])
def test_uniform_sample_pose_test_mode_exact(clip_len, num_clips):
    mm = pose_transforms.UniformSampleFrames(clip_len, num_clips, test_mode=True)
    for n in FRAME_COUNTS:
        ours = samplers.uniform_sample_pose(n, clip_len=clip_len, num_clips=num_clips, test_mode=True)
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize(
    ("clip_len", "frame_interval", "start_index", "timestamp"),
    [(32, 2, 0, 902), (4, 16, 1, 1000), (16, 4, 1, 901), (8, 8, 0, 1798)],
)
def test_ava_window_test_mode_exact(clip_len, frame_interval, start_index, timestamp):
    mm = loading.SampleAVAFrames(clip_len, frame_interval, test_mode=True)
    results = {
        "fps": 30,
        "timestamp": timestamp,
        "timestamp_start": 900,
        "start_index": start_index,
        "shot_info": (0, 27000),
    }
    out = mm.transform(dict(results))["frame_inds"].astype(np.int64) - start_index
    ours = samplers.ava_keyframe_window(
        timestamp,
        30,
        clip_len=clip_len,
        frame_interval=frame_interval,
        shot=(0, 27000),
        start_index=start_index,
        test_mode=True,
    )
    np.testing.assert_array_equal(ours, out)


# ---- train mode: same support and structure (random streams differ) ----


def _support_mm(transform, n: int, draws: int) -> set[tuple[int, ...]]:
    np.random.seed(0)
    return {tuple(_mm(transform, n)) for _ in range(draws)}


@pytest.mark.parametrize(
    ("clip_len", "frame_interval", "num_clips", "keep_tail", "n"),
    [
        (1, 1, 3, False, 10),
        (2, 2, 2, False, 9),
        (4, 1, 1, False, 6),
        (1, 1, 2, True, 7),
        (3, 1, 2, True, 9),
        (2, 1, 3, False, 4),
    ],
)
def test_sample_frames_train_same_support(clip_len, frame_interval, num_clips, keep_tail, n):
    """On small videos, enough draws enumerate every reachable index list: the sets must agree."""
    mm = loading.SampleFrames(clip_len, frame_interval, num_clips, keep_tail_frames=keep_tail)
    theirs = _support_mm(mm, n, 3000)
    rng = np.random.default_rng(0)
    ours = {
        tuple(
            samplers.sample_frames(
                n,
                clip_len=clip_len,
                frame_interval=frame_interval,
                num_clips=num_clips,
                keep_tail_frames=keep_tail,
                rng=rng,
            )
        )
        for _ in range(3000)
    }
    assert ours == theirs


@pytest.mark.parametrize(("clip_len", "n"), [(4, 3), (4, 6), (4, 13)])
def test_uniform_sample_pose_train_same_support(clip_len, n):
    mm = pose_transforms.UniformSampleFrames(clip_len, 1)
    theirs = _support_mm(mm, n, 2000)
    rng = np.random.default_rng(0)
    ours = {tuple(samplers.uniform_sample_pose(n, clip_len=clip_len, rng=rng)) for _ in range(2000)}
    assert ours == theirs


def test_dense_and_ava_train_same_support():
    mm = loading.DenseSampleFrames(2, 1, 2, sample_range=4)
    theirs = _support_mm(mm, 8, 1000)
    rng = np.random.default_rng(0)
    ours = {
        tuple(samplers.dense_sample(8, clip_len=2, num_clips=2, sample_range=4, rng=rng)) for _ in range(1000)
    }
    assert ours == theirs
    ava = loading.SampleAVAFrames(2, 4)
    np.random.seed(0)
    results = {"fps": 30, "timestamp": 901, "timestamp_start": 900, "start_index": 0, "shot_info": (0, 27000)}
    theirs = {tuple(ava.transform(dict(results))["frame_inds"]) for _ in range(500)}
    ours = {
        tuple(samplers.ava_keyframe_window(901, 30, clip_len=2, frame_interval=4, shot=(0, 27000), rng=rng))
        for _ in range(500)
    }
    assert ours == theirs


# ---- transforms: geometry and the resize kernel ----

processing = pytest.importorskip("mmaction.datasets.transforms.processing")


def _mm_geometry(transform, h: int, w: int, imgs: bool = False) -> dict:
    results = {"img_shape": (h, w), "modality": "RGB"}
    if imgs:
        results["imgs"] = [np.zeros((h, w, 3), np.uint8)]
    return transform.transform(results)


@pytest.mark.parametrize(("w", "h"), [(340, 256), (256, 340), (171, 128), (640, 480), (100, 100)])
@pytest.mark.parametrize(
    ("scale", "keep"),
    [((-1, 256), True), ((340, 256), True), ((224, 224), False), (0.5, True), ((-1, 128), True)],
)
def test_resize_output_size_matches(w, h, scale, keep):
    from vidcore.data.transforms import Resize

    out = _mm_geometry(processing.Resize(scale, keep_ratio=keep), h, w)
    assert Resize(scale, keep_ratio=keep).output_size(h, w) == tuple(out["img_shape"])


@pytest.mark.parametrize(("w", "h"), [(340, 256), (256, 320), (171, 128)])
@pytest.mark.parametrize("num_fixed_crops", [5, 13])
def test_multiscale_crop_reaches_the_same_windows(w, h, num_fixed_crops):
    import random

    from vidcore.data.transforms import MultiScaleCrop

    kwargs = {"scales": (1, 0.875, 0.75, 0.66), "max_wh_scale_gap": 1, "num_fixed_crops": num_fixed_crops}
    mm = processing.MultiScaleCrop(112, **kwargs)
    random.seed(0)
    theirs = {tuple(_mm_geometry(mm, h, w)["crop_bbox"].tolist()) for _ in range(3000)}
    ours_t = MultiScaleCrop(112, **kwargs)
    ours = set()
    for cw, ch in ours_t.candidate_sizes(h, w):
        for left, top in ours_t.fixed_offsets(h, w, cw, ch):
            ours.add((left, top, left + cw, top + ch))
    assert ours == theirs


@pytest.mark.parametrize(
    ("w", "h", "crop"), [(340, 256, 224), (256, 256, 224), (300, 256, 256), (256, 300, 256)]
)
def test_fixed_crops_match(w, h, crop):
    import torch

    from vidcore.data import transforms as T
    from vidcore.data.types import VideoSample

    sample = VideoSample(video=torch.zeros(1, 3, h, w, dtype=torch.uint8))
    rng = np.random.default_rng(0)
    p = T.CenterCrop(crop).make_params(sample, rng)
    mm = _mm_geometry(processing.CenterCrop(crop), h, w)["crop_bbox"].tolist()
    assert [p["left"], p["top"], p["left"] + p["width"], p["top"] + p["height"]] == mm
    ten = _mm_geometry(processing.TenCrop(crop), h, w, imgs=True)["crop_bbox"][::2].tolist()
    ours = [[x, y, x + cw, y + ch] for y, x, ch, cw in T.TenCrop(crop).make_params(sample, rng)["windows"]]
    assert ours == ten
    if crop == min(h, w):
        three = _mm_geometry(processing.ThreeCrop(crop), h, w, imgs=True)["crop_bbox"].tolist()
        ours = [
            [x, y, x + cw, y + ch] for y, x, ch, cw in T.ThreeCrop(crop).make_params(sample, rng)["windows"]
        ]
        assert ours == three


@pytest.mark.parametrize(("w", "h"), [(224, 224), (171, 128), (398, 300), (292, 220)])
@pytest.mark.parametrize("crop", [False, True])
def test_resize_equals_mmcv(w, h, crop):
    """uint8 bilinear resizing gives MMAction2's pixels (mmcv.imresize), bit for bit, on whole
    frames and on crops (views), in the decoder's channels-last layout and in planar layout."""
    mmcv = pytest.importorskip("mmcv")
    import torch

    from vidcore.data.transforms.functional import resize_video

    frames = np.random.default_rng(0).integers(0, 256, (2, 256, 340, 3), dtype=np.uint8)
    if crop:
        frames = frames[:, 17:230, 41:300]
    video = torch.from_numpy(frames).permute(0, 3, 1, 2)  # (T, C, H, W), channels-last memory
    for layout in (video, video.contiguous()):
        ours = resize_video(layout, (h, w)).permute(0, 2, 3, 1).numpy()
        for t in range(2):
            ref = mmcv.imresize(np.ascontiguousarray(frames[t]), (w, h), interpolation="bilinear")
            np.testing.assert_array_equal(ours[t], ref)


# Random video lengths (seeded) for UniformSample, short ones included.
UNIFORM_LENGTHS = tuple(int(n) for n in np.random.default_rng(10).integers(1, 400, size=24))


@pytest.mark.parametrize(("clip_len", "num_clips"), [(8, 4), (8, 1), (16, 2), (32, 4), (40, 1)])
def test_uniform_sample_test_mode_exact_random_lengths(clip_len, num_clips):
    mm = loading.UniformSample(clip_len, num_clips, test_mode=True)
    for n in UNIFORM_LENGTHS:
        ours = samplers.uniform_sample(n, clip_len=clip_len, num_clips=num_clips, test_mode=True)
        np.testing.assert_array_equal(ours, _mm(mm, n), err_msg=f"num_frames={n}")


@pytest.mark.parametrize("clip_len", [8, 16])
def test_uniform_sample_train_mode_same_range_per_frame(clip_len):
    """Train mode draws from NumPy's global state in MMAction2 and from a Generator here, so the
    draws differ; the set of frames each output position can take must be the same. Lengths up
    to 120 keep every segment at most 16 frames wide, so 400 draws reach every frame of it."""
    mm = loading.UniformSample(clip_len, 1, test_mode=False)
    np.random.seed(0)
    rng = np.random.default_rng(0)
    for n in UNIFORM_LENGTHS[:12]:
        n = n % 120 + 1
        theirs = np.stack([_mm(mm, n) for _ in range(400)])
        ours = np.stack([samplers.uniform_sample(n, clip_len=clip_len, rng=rng) for _ in range(400)])
        assert ours.shape == theirs.shape == (400, clip_len)
        for pos in range(clip_len):
            assert set(ours[:, pos].tolist()) == set(theirs[:, pos].tolist()), f"num_frames={n} position {pos}"
