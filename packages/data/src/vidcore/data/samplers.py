"""Frame samplers: pure functions from a frame count (and parameters, and a generator) to indices.

Every sampler returns a 1-D ``int64`` numpy array of **0-based** frame indices, clip after clip
(``num_clips * clip_len`` entries, clip-major). Decoders take these directly; for a rawframe folder
whose first file is ``img_00001.jpg`` the *file number* is ``index + start_index`` and
``RawFrameReader(start_index=1)`` adds it for you.

Mapping to MMAction2 1.2.0 (``mmaction/datasets/transforms/loading.py``):

=============================================  ==============================================
MMAction2                                      vidcore
=============================================  ==============================================
``SampleFrames(clip_len, frame_interval,       ``sample_frames(n, clip_len=, frame_interval=,
num_clips, temporal_jitter, twice_sample,      num_clips=, temporal_jitter=, twice_sample=,
out_of_bound_opt, test_mode,                   out_of_bound=, test_mode=, keep_tail_frames=,
keep_tail_frames, target_fps)``                target_fps=, fps=)``
``SampleFrames(clip_len=1, num_clips=8)`` (TSN) ``tsn_sample(n, num_segments=8)``
``DenseSampleFrames(..., sample_range,         ``dense_sample(n, ..., sample_range=,
num_sample_positions)``                        num_sample_positions=)``
``UntrimmedSampleFrames``                      ``untrimmed_sample``
``UniformSample`` (SSv2 style)                 ``uniform_sample``
``SampleAVAFrames``                            ``ava_keyframe_window``
``UniformSampleFrames`` (PoseC3D)              ``uniform_sample_pose``
=============================================  ==============================================

MMAction2 returns ``frame_inds = ours + start_index`` (its ``results['start_index']``). In test mode
the indices are *exactly* MMAction2's (the parity test checks a grid of parameters). In train mode
the distribution is the same but the random stream is a ``numpy.random.Generator`` (``rng``), not
NumPy's global state, so a seed reproduces our draws, not theirs.

``rng`` follows the rule every vidcore-data transform follows (``vidcore.data.transforms.as_generator``):
a ``numpy.random.Generator`` is used and advanced, an ``int`` seeds a new one, a ``torch.Generator``
or ``None`` gives a seed drawn from it or from torch's global generator (fixed by
``torch.manual_seed``). Datasets always pass their own per-item generator.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from vidcore.data._rng import RngLike, as_generator

__all__ = [
    "ava_keyframe_window",
    "dense_sample",
    "sample_frames",
    "tsn_sample",
    "uniform_sample",
    "uniform_sample_pose",
    "untrimmed_sample",
]

OutOfBound = Literal["loop", "repeat_last"]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_num_frames(num_frames: int) -> None:
    if int(num_frames) != num_frames or num_frames < 1:
        raise ValueError(f"num_frames must be a positive integer (frames in the video), got {num_frames!r}")


def _fix_out_of_bound(inds: np.ndarray, num_frames: int, clip_len: int, mode: str) -> np.ndarray:
    """Map indices ``>= num_frames`` back into the video, clip by clip (``inds`` may be float)."""
    clips = inds.reshape(-1, clip_len)  # (num_clips, clip_len)
    if mode == "loop":
        clips = np.mod(clips, num_frames)
    elif mode == "repeat_last":
        inside = clips < num_frames
        # The last in-range index of each clip (0 when none is in range), as MMAction2 does.
        last = np.max(np.where(inside, clips, 0), axis=1, keepdims=True)
        clips = np.where(inside, clips, last)
    else:
        raise ValueError(f"out_of_bound must be 'loop' or 'repeat_last', got {mode!r}")
    return clips.reshape(-1)


def _finish(inds: np.ndarray) -> np.ndarray:
    # MMAction2 truncates (astype int32) after all float arithmetic; do the same.
    return np.asarray(inds).astype(np.int32).astype(np.int64)


def _train_offsets(
    num_frames: int, ori_clip_len: float, num_clips: int, keep_tail_frames: bool, rng: np.random.Generator
) -> np.ndarray:
    if keep_tail_frames:
        avg = (num_frames - ori_clip_len + 1) / float(num_clips)
        if num_frames > ori_clip_len - 1:
            base = np.arange(num_clips) * avg
            return (base + rng.uniform(0, avg, num_clips)).astype(np.int32)
        return np.zeros(num_clips, dtype=np.int32)
    avg = (num_frames - ori_clip_len + 1) // num_clips
    if avg > 0:
        return np.arange(num_clips) * avg + rng.integers(0, int(avg), size=num_clips)
    if num_frames > max(num_clips, ori_clip_len):
        return np.sort(rng.integers(0, int(num_frames - ori_clip_len + 1), size=num_clips))
    if avg == 0:
        ratio = (num_frames - ori_clip_len + 1.0) / num_clips
        return np.around(np.arange(num_clips) * ratio)
    return np.zeros(num_clips, dtype=np.int32)


def _test_offsets(
    num_frames: int,
    ori_clip_len: float,
    clip_len: int,
    num_clips: int,
    twice_sample: bool,
    fixed_fps: bool,
) -> np.ndarray:
    if clip_len == 1:  # TSN-style segments: the centre of each segment (and the start, twice).
        avg = num_frames / float(num_clips)
        base = np.arange(num_clips) * avg
        offsets = base + avg / 2.0
        if twice_sample:
            offsets = np.concatenate([offsets, base])
        return offsets
    max_offset = max(num_frames - ori_clip_len, 0)
    total = num_clips * 2 if twice_sample else num_clips
    if total > 1:
        if num_clips == 1:
            # MMAction2 divides by num_clips - 1 = 0 here and fails.
            raise ValueError("twice_sample with clip_len > 1 needs num_clips >= 2 (as in MMAction2)")
        if fixed_fps:
            step = np.floor(max_offset / float(num_clips - 1))
            return np.arange(total) * step
        step = max_offset / float(num_clips - 1)
        return np.round(np.arange(total) * step)  # numpy rounds half to even, as MMAction2 gets
    return np.array([max_offset // 2])


def sample_frames(
    num_frames: int,
    *,
    clip_len: int,
    frame_interval: int = 1,
    num_clips: int = 1,
    test_mode: bool = False,
    temporal_jitter: bool = False,
    out_of_bound: OutOfBound = "loop",
    twice_sample: bool = False,
    keep_tail_frames: bool = False,
    target_fps: float | None = None,
    fps: float | None = None,
    rng: RngLike = None,
) -> np.ndarray:
    """``num_clips`` clips of ``clip_len`` frames, ``frame_interval`` frames apart (MMAction2 SampleFrames).

    Train mode splits the usable span into ``num_clips`` equal parts and starts one clip at a random
    offset inside each; test mode places clips deterministically: for ``clip_len == 1`` (TSN) at
    the centre of each of ``num_clips`` equal segments (``twice_sample`` adds the segment starts,
    giving ``2 * num_clips`` indices), for longer clips evenly from the first to the last possible
    start (``twice_sample`` doubles the clip count, continuing past the end; the extra clips wrap
    according to ``out_of_bound``).

    Args:
        num_frames: frames in the video (``>= 1``).
        clip_len: frames per clip. ``frame_interval``: stride between frames of a clip, in frames.
        num_clips: clips (TSN segments for ``clip_len == 1``).
        test_mode: deterministic placement (identical to MMAction2 for the same parameters).
        temporal_jitter: add a random ``[0, frame_interval)`` shift to every frame (also in test
            mode, as MMAction2 does).
        out_of_bound: indices past the end either wrap (``"loop"``) or repeat the clip's last
            in-range index (``"repeat_last"``).
        keep_tail_frames: train mode only: let the clips reach the last frames (float segment
            length instead of floor division).
        target_fps, fps: when both are given, a clip spans ``clip_len * frame_interval`` frames at
            ``target_fps``, i.e. ``clip_len * frame_interval * fps / target_fps`` source frames, and
            its ``clip_len`` frames are spread evenly over that span (PySlowFast style).
        rng: ``numpy.random.Generator``, seed, ``torch.Generator`` or None (see the module
            docstring); used in train mode and for ``temporal_jitter`` only.

    Returns:
        ``int64`` array ``(C * clip_len,)`` of 0-based indices, where ``C`` is ``num_clips``, or
        ``2 * num_clips`` with ``test_mode`` and ``twice_sample``.
    """
    _check_num_frames(num_frames)
    _check_positive(clip_len=clip_len, frame_interval=frame_interval, num_clips=num_clips)
    if out_of_bound not in ("loop", "repeat_last"):
        raise ValueError(f"out_of_bound must be 'loop' or 'repeat_last', got {out_of_bound!r}")
    # a generator only when something is drawn: deterministic calls leave torch's global RNG alone
    gen = as_generator(rng) if temporal_jitter or not test_mode else None
    fixed_fps = target_fps is not None
    if fixed_fps:
        ratio = fps / target_fps if fps else 1.0
        ori_clip_len: float = float(np.maximum(1, clip_len * frame_interval * ratio))
    elif test_mode:
        ori_clip_len = (clip_len - 1) * frame_interval + 1
    else:
        ori_clip_len = clip_len * frame_interval

    if test_mode:
        offsets = _test_offsets(num_frames, ori_clip_len, clip_len, num_clips, twice_sample, fixed_fps)
    else:
        offsets = _train_offsets(num_frames, ori_clip_len, num_clips, keep_tail_frames, gen)

    if fixed_fps:
        within = np.linspace(0, ori_clip_len - 1, clip_len).astype(np.int32)
    else:
        within = np.arange(clip_len) * frame_interval
    inds = (offsets[:, None] + within[None, :]).reshape(-1)  # (num_clips, clip_len) -> (num_clips*clip_len,)
    if temporal_jitter:
        inds = inds + gen.integers(0, frame_interval, size=inds.shape[0])
    return _finish(_fix_out_of_bound(inds, num_frames, clip_len, out_of_bound))


def tsn_sample(
    num_frames: int,
    num_segments: int,
    *,
    test_mode: bool = False,
    twice_sample: bool = False,
    rng: RngLike = None,
) -> np.ndarray:
    """TSN segment sampling: one frame per equal segment (``SampleFrames(clip_len=1, num_clips=S)``).

    Train: a random frame in each segment; test: the segment centres. Returns ``(S,)`` int64
    (``(2S,)`` with ``twice_sample`` in test mode).
    """
    return sample_frames(
        num_frames,
        clip_len=1,
        frame_interval=1,
        num_clips=num_segments,
        test_mode=test_mode,
        twice_sample=twice_sample,
        rng=rng,
    )


def dense_sample(
    num_frames: int,
    *,
    clip_len: int,
    frame_interval: int = 1,
    num_clips: int = 1,
    sample_range: int = 64,
    num_sample_positions: int = 10,
    test_mode: bool = False,
    temporal_jitter: bool = False,
    out_of_bound: OutOfBound = "loop",
    rng: RngLike = None,
) -> np.ndarray:
    """Dense sampling (MMAction2 DenseSampleFrames): clip starts ``sample_range // num_clips`` apart.

    The ``num_clips`` starts lie inside a window of ``sample_range`` frames whose own start is
    random in train mode (uniform over ``[0, num_frames - sample_range - 1)``: MMAction2 never
    draws the last position, kept for identical training statistics) and, in test mode, taken at
    ``num_sample_positions`` evenly spaced positions. Starts past the end wrap modulo
    ``num_frames``.

    Returns:
        int64 ``(num_clips * clip_len,)`` in train mode, ``(num_sample_positions * num_clips *
        clip_len,)`` in test mode.
    """
    _check_num_frames(num_frames)
    _check_positive(
        clip_len=clip_len,
        frame_interval=frame_interval,
        num_clips=num_clips,
        sample_range=sample_range,
        num_sample_positions=num_sample_positions,
    )
    gen = as_generator(rng) if temporal_jitter or not test_mode else None
    positions = max(1, 1 + num_frames - sample_range)
    interval = sample_range // num_clips
    base = np.arange(num_clips) * interval
    if test_mode:
        starts = np.linspace(0, positions - 1, num=num_sample_positions, dtype=int)
    else:
        starts = np.array([0 if positions == 1 else int(gen.integers(0, positions - 1))])
    offsets = ((base[None, :] + starts[:, None]) % num_frames).reshape(-1)  # (P, num_clips) -> (P*num_clips,)
    inds = (offsets[:, None] + np.arange(clip_len)[None, :] * frame_interval).reshape(-1)
    if temporal_jitter:
        inds = inds + gen.integers(0, frame_interval, size=inds.shape[0])
    return _finish(_fix_out_of_bound(inds, num_frames, clip_len, out_of_bound))


def untrimmed_sample(
    num_frames: int, *, clip_len: int = 1, clip_interval: int = 16, frame_interval: int = 1
) -> np.ndarray:
    """Clips centred every ``clip_interval`` frames over the whole video (MMAction2 UntrimmedSampleFrames).

    Centres are ``clip_interval // 2, clip_interval // 2 + clip_interval, ...`` below
    ``num_frames``; each clip spans ``clip_len`` frames ``frame_interval`` apart around its centre
    (``clip_len // 2`` before it), clamped to ``[0, num_frames - 1]``. Deterministic.

    Returns:
        int64 ``(num_centres * clip_len,)``; ``num_centres = len(range(clip_interval // 2,
        num_frames, clip_interval))`` (0 for a video shorter than half an interval).
    """
    _check_num_frames(num_frames)
    _check_positive(clip_len=clip_len, clip_interval=clip_interval, frame_interval=frame_interval)
    centres = np.arange(clip_interval // 2, num_frames, clip_interval)
    rel = np.arange(
        -(clip_len // 2) * frame_interval, frame_interval * (clip_len - clip_len // 2), frame_interval
    )
    inds = np.clip(centres[:, None] + rel[None, :], 0, num_frames - 1)  # (num_centres, clip_len)
    return _finish(inds.reshape(-1))


def uniform_sample(
    num_frames: int, *, clip_len: int, num_clips: int = 1, test_mode: bool = False, rng: RngLike = None
) -> np.ndarray:
    """One frame in each of ``clip_len`` equal segments of ``[0, num_frames - 1]`` (MMAction2 UniformSample).

    Train: one clip, a random frame in each segment (``(clip_len,)``). Test: ``num_clips`` clips,
    clip ``k`` taking the frame ``(k + 1) / (num_clips + 1)`` of the way into each segment
    (``(num_clips * clip_len,)``).
    """
    _check_num_frames(num_frames)
    _check_positive(clip_len=clip_len, num_clips=num_clips)
    seg = float(num_frames - 1) / clip_len
    starts = np.round(seg * np.arange(clip_len)).astype(np.int64)
    if not test_mode:
        ends = np.round(seg * np.arange(1, clip_len + 1)).astype(np.int64)
        gen = as_generator(rng)
        return (starts + gen.integers(0, ends - starts + 1)).astype(np.int64)
    duration = seg / (num_clips + 1)
    shift = np.array([int(duration * (k + 1)) for k in range(num_clips)], dtype=np.int64)
    return (shift[:, None] + starts[None, :]).reshape(-1)


def ava_keyframe_window(
    timestamp: float,
    fps: float,
    *,
    clip_len: int,
    frame_interval: int = 2,
    timestamp_start: float = 900,
    num_frames: int | None = None,
    shot: tuple[int, int] | None = None,
    start_index: int = 0,
    test_mode: bool = False,
    rng: RngLike = None,
) -> np.ndarray:
    """A clip centred on an AVA keyframe (MMAction2 SampleAVAFrames).

    The keyframe at ``timestamp`` seconds lies ``fps * (timestamp - timestamp_start)`` frames into
    the frame sequence (AVA: rawframes extracted at 30 fps from second 900). The clip takes
    ``clip_len // 2`` frames before and ``(clip_len + 1) // 2`` from the centre on,
    ``frame_interval`` apart; in train mode each frame moves by a random offset in
    ``[-(frame_interval // 2 + frame_interval % 2), (frame_interval + 1) // 2)`` (MMAction2's
    range). Indices are clamped into ``shot = (first, end)`` (end exclusive), which defaults to
    ``(0, num_frames)``.

    ``start_index``: MMAction2 adds the frame folder's start index to the centre *and* to the
    result; pass it (1 for AVA rawframes) to get MMAction2's frames exactly, i.e. a centre
    ``start_index`` frames after the keyframe's own. The returned indices are 0-based either way.

    Returns:
        int64 ``(clip_len,)``.
    """
    _check_positive(clip_len=clip_len, frame_interval=frame_interval)
    if shot is None:
        if num_frames is None:
            raise ValueError("ava_keyframe_window needs num_frames or shot=(first, end)")
        _check_num_frames(num_frames)
        shot = (0, num_frames)
    if shot[1] <= shot[0]:
        raise ValueError(f"shot must be (first, end) with end > first, got {shot!r}")
    centre = round(float(fps) * (timestamp - timestamp_start)) + start_index
    first = centre - (clip_len // 2) * frame_interval
    inds = first + np.arange(clip_len) * frame_interval
    if not test_mode:
        gen = as_generator(rng)
        inds = inds + gen.integers(-frame_interval // 2, (frame_interval + 1) // 2, size=clip_len)
    return _finish(np.clip(inds, shot[0], shot[1] - 1))


def uniform_sample_pose(
    num_frames: int,
    *,
    clip_len: int,
    num_clips: int = 1,
    test_mode: bool = False,
    seed: int = 255,
    rng: RngLike = None,
) -> np.ndarray:
    """PoseC3D / ST-GCN++ uniform sampling (MMAction2 UniformSampleFrames in pose_transforms.py).

    For each of ``num_clips`` clips: a video shorter than ``clip_len`` gives ``clip_len``
    consecutive frames from a start (random in train; ``i * num_frames // num_clips`` for clip
    ``i`` in test, or ``i`` when ``num_frames < num_clips``), wrapping modulo ``num_frames``; a
    video of ``clip_len`` to ``2 * clip_len - 1`` frames gives ``clip_len`` increasing frames with
    ``num_frames - clip_len`` random gaps of one frame; a longer one splits into ``clip_len`` equal
    bins (``i * num_frames // clip_len``) and takes a random frame in each.

    Test mode is made deterministic, as in MMAction2, by drawing from a legacy ``RandomState(seed)``
    created on every call (MMAction2 reseeds NumPy's *global* generator with ``seed``; we leave the
    global state alone). With the same ``seed`` the indices equal MMAction2's.

    Returns:
        int64 ``(num_clips * clip_len,)``.
    """
    _check_num_frames(num_frames)
    _check_positive(clip_len=clip_len, num_clips=num_clips)
    if test_mode:
        legacy = np.random.RandomState(seed)
        choice = legacy.choice
        bounded = legacy.randint
    else:
        gen = as_generator(rng)
        choice = gen.choice

        def bounded(high: np.ndarray | int) -> np.ndarray | int:
            return gen.integers(0, high)

    clips = []
    for i in range(num_clips):
        if num_frames < clip_len:
            if test_mode:
                start = i if num_frames < num_clips else i * num_frames // num_clips
            else:
                start = int(bounded(num_frames))
            inds = np.arange(start, start + clip_len)
        elif num_frames < 2 * clip_len:
            gaps = choice(clip_len + 1, num_frames - clip_len, replace=False)
            step = np.zeros(clip_len + 1, dtype=np.int64)
            step[gaps] = 1
            inds = np.arange(clip_len) + np.cumsum(step)[:-1]
        else:
            bins = np.array([k * num_frames // clip_len for k in range(clip_len + 1)])
            inds = bins[:clip_len] + bounded(np.diff(bins))
        clips.append(inds)
    return np.mod(np.concatenate(clips), num_frames).astype(np.int64)
