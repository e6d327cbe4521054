"""Frame samplers: hand-computed index lists (MMAction2 arithmetic worked out by hand) and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidcore.data import samplers

SETTINGS = settings(max_examples=40, deadline=None)


# ---- hand-computed cases ----


def test_tsn_test_mode_takes_segment_centres():
    # 100 frames, 8 segments of 12.5 frames: centres 6.25, 18.75, ... truncated.
    np.testing.assert_array_equal(
        samplers.tsn_sample(100, 8, test_mode=True), [6, 18, 31, 43, 56, 68, 81, 93]
    )
    twice = samplers.tsn_sample(100, 8, test_mode=True, twice_sample=True)
    np.testing.assert_array_equal(twice[8:], [0, 12, 25, 37, 50, 62, 75, 87])


def test_sample_frames_single_clip_is_centred():
    # clip spans (32-1)*2+1 = 63 frames; 100-63 = 37 free, start at 37 // 2 = 18.
    out = samplers.sample_frames(100, clip_len=32, frame_interval=2, test_mode=True)
    np.testing.assert_array_equal(out, np.arange(18, 18 + 64, 2))
    assert out.dtype == np.int64


def test_sample_frames_ten_clips_evenly_spread():
    # span 57, last start 43, starts round(k * 43 / 9) with numpy's round-half-even.
    out = samplers.sample_frames(100, clip_len=8, frame_interval=8, num_clips=10, test_mode=True)
    starts = out.reshape(10, 8)[:, 0]
    np.testing.assert_array_equal(starts, [0, 5, 10, 14, 19, 24, 29, 33, 38, 43])
    np.testing.assert_array_equal(np.diff(out.reshape(10, 8), axis=1), 8)


def test_out_of_bound_options():
    loop = samplers.sample_frames(10, clip_len=4, frame_interval=4, test_mode=True)
    np.testing.assert_array_equal(loop, [0, 4, 8, 2])
    last = samplers.sample_frames(
        10, clip_len=4, frame_interval=4, test_mode=True, out_of_bound="repeat_last"
    )
    np.testing.assert_array_equal(last, [0, 4, 8, 8])


def test_untrimmed_sample_centres():
    np.testing.assert_array_equal(
        samplers.untrimmed_sample(40, clip_len=3, clip_interval=16), [7, 8, 9, 23, 24, 25]
    )
    assert samplers.untrimmed_sample(5, clip_interval=16).shape == (0,)


def test_dense_sample_test_positions():
    # 100 frames, window 64: 37 start positions, 3 evenly spaced (0, 18, 36), clips 32 apart.
    out = samplers.dense_sample(
        100, clip_len=1, num_clips=2, sample_range=64, num_sample_positions=3, test_mode=True
    )
    np.testing.assert_array_equal(out, [0, 32, 18, 50, 36, 68])


def test_uniform_sample_test_mode():
    # 9 frames, 4 segments of 2 frames (starts 0, 2, 4, 6); 1 clip: shift int(2/2) = 1.
    np.testing.assert_array_equal(samplers.uniform_sample(9, clip_len=4, test_mode=True), [1, 3, 5, 7])


def test_ava_window_centred_on_keyframe():
    # second 902 at 30 fps from 900 -> frame 60; 4 frames 2 apart, 2 before the centre.
    out = samplers.ava_keyframe_window(
        902, 30, clip_len=4, frame_interval=2, num_frames=27000, test_mode=True
    )
    np.testing.assert_array_equal(out, [56, 58, 60, 62])
    edge = samplers.ava_keyframe_window(
        900, 30, clip_len=4, frame_interval=2, num_frames=27000, test_mode=True
    )
    np.testing.assert_array_equal(edge, [0, 0, 0, 2])  # clamped at the start of the shot
    shifted = samplers.ava_keyframe_window(
        902, 30, clip_len=4, frame_interval=2, num_frames=27000, start_index=1, test_mode=True
    )
    np.testing.assert_array_equal(shifted, [57, 59, 61, 63])


def test_uniform_sample_pose_short_video_wraps():
    np.testing.assert_array_equal(
        samplers.uniform_sample_pose(3, clip_len=5, test_mode=True), [0, 1, 2, 0, 1]
    )
    # Two clips of a 4-frame video: starts 0 and 4 * 1 // 2 = 2.
    np.testing.assert_array_equal(
        samplers.uniform_sample_pose(4, clip_len=6, num_clips=2, test_mode=True),
        [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
    )


def test_uniform_sample_pose_test_mode_is_seeded_and_leaves_global_state():
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    a = samplers.uniform_sample_pose(100, clip_len=8, num_clips=3, test_mode=True)
    b = samplers.uniform_sample_pose(100, clip_len=8, num_clips=3, test_mode=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert not np.array_equal(
        a, samplers.uniform_sample_pose(100, clip_len=8, num_clips=3, test_mode=True, seed=0)
    )
    bins = np.arange(9) * 100 // 8
    for clip in a.reshape(3, 8):  # one frame in each of the 8 equal bins
        assert np.all((clip >= bins[:-1]) & (clip < bins[1:]))


@pytest.mark.parametrize(
    "call",
    [
        lambda: samplers.sample_frames(0, clip_len=4),
        lambda: samplers.sample_frames(10, clip_len=0),
        lambda: samplers.sample_frames(10, clip_len=4, out_of_bound="wrap"),  # type: ignore[arg-type]
        lambda: samplers.sample_frames(10, clip_len=4, num_clips=1, twice_sample=True, test_mode=True),
        lambda: samplers.ava_keyframe_window(901, 30, clip_len=4),
        lambda: samplers.dense_sample(10, clip_len=2, sample_range=0),
    ],
)
def test_bad_parameters_raise(call):
    with pytest.raises(ValueError):
        call()


# ---- properties ----

params = st.fixed_dictionaries(
    {
        "num_frames": st.integers(1, 400),
        "clip_len": st.integers(1, 16),
        "frame_interval": st.integers(1, 6),
        "num_clips": st.integers(1, 6),
        "test_mode": st.booleans(),
        "temporal_jitter": st.booleans(),
        "out_of_bound": st.sampled_from(["loop", "repeat_last"]),
        "keep_tail_frames": st.booleans(),
    }
)


@SETTINGS
@given(p=params, seed=st.integers(0, 2**32 - 1))
def test_sample_frames_properties(p, seed):
    out = samplers.sample_frames(**p, rng=seed)
    assert out.dtype == np.int64
    assert out.shape == (p["num_clips"] * p["clip_len"],)
    assert out.min() >= 0 and out.max() < p["num_frames"]
    np.testing.assert_array_equal(out, samplers.sample_frames(**p, rng=seed))  # same seed, same indices
    if p["temporal_jitter"]:
        return
    n, clip_len, stride, num_clips = p["num_frames"], p["clip_len"], p["frame_interval"], p["num_clips"]
    clips = out.reshape(num_clips, clip_len)
    if p["out_of_bound"] == "loop":
        # every clip is its first frame plus whole strides, taken modulo the video length (a clip that
        # runs past the end, or starts at num_frames, wraps around as in MMAction2)
        np.testing.assert_array_equal(clips, (clips[:, :1] + np.arange(clip_len) * stride) % n)
    else:
        # repeat_last: whole strides until the video ends, then the clip's last in-range frame again
        steps = np.diff(clips, axis=1)
        assert np.isin(steps, (0, stride)).all() and (np.diff(steps, axis=1) <= 0).all()
    # A clip fits in the video (exact stride, nothing wrapped) only where MMAction2's arithmetic
    # leaves room for every clip: e.g. sample_frames(2, clip_len=2, num_clips=3) puts the third clip
    # at frame 1 and wraps it to [1, 0], in MMAction2 too.
    span = clip_len * stride
    if p["test_mode"]:
        fits = n >= (clip_len - 1) * stride + 1  # clips placed evenly from 0 to the last start
    elif p["keep_tail_frames"]:
        fits = n >= span  # float segments of (n - span + 1) / num_clips frames
    else:
        fits = (n - span + 1) // num_clips > 0 or n > max(num_clips, span)
    if fits:
        np.testing.assert_array_equal(np.diff(clips, axis=1), stride)


@SETTINGS
@given(num_frames=st.integers(1, 300), segments=st.integers(1, 16), seed=st.integers(0, 2**32 - 1))
def test_tsn_train_one_frame_per_segment(num_frames, segments, seed):
    out = samplers.tsn_sample(num_frames, segments, rng=seed)
    assert out.shape == (segments,)
    assert out.min() >= 0 and out.max() < num_frames
    if num_frames >= segments:  # segments in temporal order (shorter videos wrap, as in MMAction2)
        assert np.all(np.diff(out) >= 0)
    if num_frames >= 2 * segments:  # floor-sized segments: frame i lies in [i * seg, (i + 1) * seg)
        seg = num_frames // segments
        starts = np.arange(segments) * seg
        assert np.all((out >= starts) & (out < starts + seg))


@SETTINGS
@given(
    num_frames=st.integers(1, 300),
    clip_len=st.integers(1, 64),
    num_clips=st.integers(1, 4),
    test_mode=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_uniform_sample_pose_properties(num_frames, clip_len, num_clips, test_mode, seed):
    out = samplers.uniform_sample_pose(
        num_frames, clip_len=clip_len, num_clips=num_clips, test_mode=test_mode, rng=seed
    )
    assert out.shape == (num_clips * clip_len,) and out.dtype == np.int64
    assert out.min() >= 0 and out.max() < num_frames
    if num_frames >= clip_len:  # strictly increasing within a clip, no frame twice
        assert np.all(np.diff(out.reshape(num_clips, clip_len), axis=1) > 0)


@SETTINGS
@given(
    num_frames=st.integers(1, 300),
    clip_len=st.integers(1, 16),
    frame_interval=st.integers(1, 4),
    num_clips=st.integers(1, 4),
    test_mode=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dense_sample_properties(num_frames, clip_len, frame_interval, num_clips, test_mode, seed):
    out = samplers.dense_sample(
        num_frames,
        clip_len=clip_len,
        frame_interval=frame_interval,
        num_clips=num_clips,
        test_mode=test_mode,
        rng=seed,
    )
    views = 10 if test_mode else 1
    assert out.shape == (views * num_clips * clip_len,)
    assert out.min() >= 0 and out.max() < num_frames


def test_uniform_sample_test_mode_clips_by_hand():
    # 9 frames, 4 segments of 8/4 = 2 (starts 0, 2, 4, 6); 3 clips shift by int(k * 2/4), k = 1..3: 0, 1, 1.
    np.testing.assert_array_equal(
        samplers.uniform_sample(9, clip_len=4, num_clips=3, test_mode=True), [0, 2, 4, 6, 1, 3, 5, 7, 1, 3, 5, 7]
    )
    # 100 frames, 8 segments of 99/8 = 12.375: starts round(12.375 i) = 0 12 25 37 50 62 74 87 (49.5
    # rounds half to even, to 50); one clip shifts by int(12.375 / 2) = 6.
    np.testing.assert_array_equal(
        samplers.uniform_sample(100, clip_len=8, test_mode=True), [6, 18, 31, 43, 56, 68, 80, 93]
    )
    # 3 frames for 8: segments of 2/8 frame, starts round(0.25 i) (0.5 -> 0, 1.5 -> 2); frames repeat.
    np.testing.assert_array_equal(samplers.uniform_sample(3, clip_len=8, test_mode=True), [0, 0, 0, 1, 1, 1, 2, 2])


def test_uniform_sample_train_mode_draws_within_each_segment():
    # 9 frames, 4 segments: frame i is drawn from round(2i) .. round(2i + 2), both ends included.
    rng = np.random.default_rng(0)
    draws = np.stack([samplers.uniform_sample(9, clip_len=4, rng=rng) for _ in range(300)])
    assert draws.shape == (300, 4)
    assert [sorted(set(col.tolist())) for col in draws.T] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]
    # the same seed gives the same clip
    np.testing.assert_array_equal(
        samplers.uniform_sample(50, clip_len=8, rng=3), samplers.uniform_sample(50, clip_len=8, rng=3)
    )
