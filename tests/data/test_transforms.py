"""Video transforms: one shared, parametrized checker for every transform, then per-transform truths.

The box/keypoint check paints a filled box of a colour that appears nowhere else into every frame,
transforms, and verifies that the transformed box still covers that colour and that the colour
appears nowhere outside it (1 pixel of slack for interpolated edges).
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision import tv_tensors

from vidcore.data import transforms as T
from vidcore.data.transforms import functional as F
from vidcore.data.types import VideoSample

SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: intra-op threads only add contention (DataLoader workers run one thread too)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


COLOUR = torch.tensor([255, 0, 255], dtype=torch.uint8)


def make_sample(
    t: int = 3,
    h: int = 48,
    w: int = 64,
    box: tuple[int, int, int, int] | None = (10, 8, 30, 28),
    seed: int = 0,
) -> VideoSample:
    """Noise frames in [20, 200] with the box ``(x1, y1, x2, y2)`` painted COLOUR, a keypoint at its centre."""
    g = torch.Generator().manual_seed(seed)
    video = torch.randint(20, 201, (t, 3, h, w), dtype=torch.uint8, generator=g)
    boxes = kps = scores = None
    meta: dict = {"id": 7}
    if box is not None:
        x1, y1, x2, y2 = box
        video[:, :, y1:y2, x1:x2] = COLOUR[:, None, None]
        boxes = tv_tensors.BoundingBoxes(
            torch.tensor([box], dtype=torch.float32), format="XYXY", canvas_size=(h, w)
        )
        centre = torch.tensor([(x1 + x2) / 2, (y1 + y2) / 2], dtype=torch.float32)
        kps = centre.expand(1, t, 1, 2).clone()  # (M=1, T, V=1, 2)
        scores = torch.ones(1, t, 1)
        meta["proposals"] = torch.tensor([box], dtype=torch.float32)  # AVA person proposals ride in meta
    return VideoSample(
        video=tv_tensors.Video(video),
        label=2,
        boxes=boxes,
        keypoints=kps,
        keypoint_score=scores,
        meta=meta,
    )


def colour_mask(video: torch.Tensor) -> torch.Tensor:
    """(T, H, W) bool: pixels within 3 levels of COLOUR."""
    diff = (video.int() - COLOUR.int()[:, None, None]).abs()
    return (diff <= 3).all(dim=-3)


def assert_box_marks_colour(out: VideoSample, *, inner: bool = True) -> None:
    h, w = out.video.shape[-2:]
    mask = colour_mask(out.video)
    x1, y1, x2, y2 = out.boxes[0].tolist()
    cols, rows = torch.arange(w) + 0.5, torch.arange(h) + 0.5  # pixel centres
    near = ((rows >= y1 - 1.5) & (rows <= y2 + 1.5))[:, None] & ((cols >= x1 - 1.5) & (cols <= x2 + 1.5))[
        None, :
    ]
    assert not (mask & ~near).any(), "the box colour appears outside the transformed box"
    if inner:
        core = ((rows >= y1 + 1.5) & (rows <= y2 - 1.5))[:, None] & ((cols >= x1 + 1.5) & (cols <= x2 - 1.5))[
            None, :
        ]
        assert mask[:, core].all(), "the transformed box is not covered by the box colour"
    if out.keypoints is not None and (x2 - x1) > 4 and (y2 - y1) > 4:
        kx, ky = out.keypoints[0, 0, 0].tolist()
        if 0 <= kx < w and 0 <= ky < h:
            assert mask[:, int(ky), int(kx)].all(), "the keypoint left the box it marked"


# ---- the shared checker, parametrized over every transform ----

TRANSFORMS: dict[str, Callable[[], T.VideoTransform]] = {
    "Resize-short": lambda: T.Resize((-1, 40)),
    "Resize-fixed": lambda: T.Resize((50, 30), keep_ratio=False),
    "Resize-factor": lambda: T.Resize(1.5),
    "RandomRescale": lambda: T.RandomRescale((30, 60)),
    "RandomResizedCrop": lambda: T.RandomResizedCrop(),
    "RandomResizedCrop-size": lambda: T.RandomResizedCrop((0.3, 1.0), size=(32, 24)),
    "MultiScaleCrop": lambda: T.MultiScaleCrop(32, (1, 0.875, 0.75, 0.66)),
    "MultiScaleCrop-random13": lambda: T.MultiScaleCrop((30, 28), (1, 0.8), random_crop=True),
    "MultiScaleCrop-fixed13": lambda: T.MultiScaleCrop(32, (1, 0.75), num_fixed_crops=13, max_wh_scale_gap=0),
    "RandomCrop": lambda: T.RandomCrop(32),
    "CenterCrop": lambda: T.CenterCrop((40, 30)),
    "Flip-h": lambda: T.Flip(0.5),
    "Flip-v": lambda: T.Flip(0.5, "vertical"),
    "ColorJitter": lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "RandomErasing": lambda: T.RandomErasing(0.7),
    "RandomErasing-rand": lambda: T.RandomErasing(1.0, mode="rand", fill_std=30.0),
    "RandAugment": lambda: T.RandAugment(2, 9),
    "ThreeCrop": lambda: T.ThreeCrop(48),
    "TenCrop": lambda: T.TenCrop(32),
    "Compose": lambda: T.Compose([T.Resize((-1, 40)), T.MultiScaleCrop(32, (1, 0.875)), T.Flip()]),
}
MULTI_VIEW = {"ThreeCrop", "TenCrop"}
GEOMETRIC = {
    k for k in TRANSFORMS if k.split("-")[0] not in {"ColorJitter", "RandomErasing", "RandAugment"}
} - MULTI_VIEW


def _input(name: str, seed: int = 0) -> VideoSample:
    return make_sample(box=None, seed=seed) if name in MULTI_VIEW else make_sample(seed=seed)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_shared_contracts(name, seed):
    transform = TRANSFORMS[name]()
    sample = _input(name, seed % 5)
    before = sample.video.clone()
    boxes_before = None if sample.boxes is None else sample.boxes.clone()
    out = transform(sample, rng=seed)
    # dtype, type, layout
    assert isinstance(out, VideoSample) and isinstance(out.video, tv_tensors.Video)
    assert out.video.dtype == torch.uint8 and out.video.ndim == 4 and out.video.shape[1] == 3
    views = out.meta.get("num_views", 1)
    assert out.video.shape[0] == views * sample.video.shape[0]
    assert out.meta["id"] == 7 and out.meta is not sample.meta
    # input untouched
    assert torch.equal(sample.video, before)
    if boxes_before is not None:
        assert torch.equal(sample.boxes, boxes_before)
    # same seed, same output
    again = transform(sample, rng=seed)
    assert torch.equal(again.video, out.video)
    # frames held channels-last in memory (decoder frames permuted) give the same pixels
    cl = dataclasses.replace(
        sample, video=tv_tensors.Video(sample.video.contiguous(memory_format=torch.channels_last))
    )
    assert torch.equal(transform(cl, rng=seed).video, out.video)
    # boxes stay on their pixels, inside the frame
    if out.boxes is not None:
        assert isinstance(out.boxes, tv_tensors.BoundingBoxes)
        assert tuple(out.boxes.canvas_size) == tuple(out.video.shape[-2:])
        h, w = out.video.shape[-2:]
        b = out.boxes.as_subclass(torch.Tensor)
        assert (
            (b[:, 0::2] >= 0).all()
            and (b[:, 0::2] <= w).all()
            and (b[:, 1::2] >= 0).all()
            and (b[:, 1::2] <= h).all()
        )
        # proposals move exactly like the boxes
        torch.testing.assert_close(out.meta["proposals"], out.boxes.as_subclass(torch.Tensor))
        if name in GEOMETRIC:
            assert_box_marks_colour(out)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_picklable_and_reproducible_after_pickling(name):
    transform = TRANSFORMS[name]()
    clone = pickle.loads(pickle.dumps(transform))
    sample = _input(name)
    assert torch.equal(transform(sample, rng=3).video, clone(sample, rng=3).video)
    assert repr(transform).startswith(type(transform).__name__)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_rng_kinds_and_bare_tensor(name):
    transform = TRANSFORMS[name]()
    sample = _input(name)
    a = transform(sample, rng=np.random.default_rng(5)).video
    b = transform(sample, rng=np.random.default_rng(5)).video
    assert torch.equal(a, b)
    torch.manual_seed(11)
    c = transform(sample).video
    torch.manual_seed(11)
    assert torch.equal(c, transform(sample).video)
    g1, g2 = torch.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    assert torch.equal(transform(sample, rng=g1).video, transform(sample, rng=g2).video)
    bare = transform(sample.video.as_subclass(torch.Tensor), rng=9)
    assert isinstance(bare, torch.Tensor) and torch.equal(bare, transform(sample, rng=9).video)


# ---- identity parameters are the identity ----


IDENTITIES = {
    "Resize": (T.Resize((64, 48)), {}),  # 64x48 frames (w x h): already that size
    "Resize-fixed": (T.Resize((64, 48), keep_ratio=False), {}),
    "Crop-full": (T.RandomCrop((64, 48)), {"top": 0, "left": 0, "height": 48, "width": 64}),
    "CenterCrop-full": (T.CenterCrop((64, 48)), {}),
    "RandomResizedCrop-full": (T.RandomResizedCrop(), {"top": 0, "left": 0, "height": 48, "width": 64}),
    "Flip-no": (T.Flip(), {"flip": False}),
    "ColorJitter-neutral": (
        T.ColorJitter(),
        {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0, "order": [3, 2, 1, 0]},
    ),
    "RandomErasing-no": (T.RandomErasing(), {"erase": False}),
    "RandAugment-identity": (
        T.RandAugment(),
        {"ops": [("Identity", 0.0), ("Rotate", 0.0), ("Brightness", 0.0)]},
    ),
}


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_identity_parameters(name):
    transform, params = IDENTITIES[name]
    sample = make_sample()
    if not params:
        params = transform.make_params(sample, np.random.default_rng(0))
    out = transform.apply(sample, params)
    assert torch.equal(out.video, sample.video)
    assert out is not sample and out.meta is not sample.meta
    assert torch.allclose(out.boxes, sample.boxes) and torch.allclose(out.keypoints, sample.keypoints)
    assert out.label == sample.label


def test_multiscale_crop_identity_on_square_frames():
    sample = make_sample(h=32, w=32, box=(4, 4, 20, 20))
    out = T.MultiScaleCrop(32, (1,))(sample, rng=0)
    assert torch.equal(out.video, sample.video)


# ---- flips ----


@SETTINGS
@given(seed=st.integers(0, 100), direction=st.sampled_from(["horizontal", "vertical"]))
def test_flip_twice_is_identity(seed, direction):
    sample = make_sample(seed=seed % 3)
    sample.label = 1
    flip = T.Flip(1.0, direction, flip_label_map={1: 4, 4: 1}, left_kp=[0], right_kp=[0])
    once = flip(sample, rng=seed)
    assert not torch.equal(once.video, sample.video)
    if direction == "horizontal":
        assert once.label == 4
    twice = flip(once, rng=seed)
    assert torch.equal(twice.video, sample.video)
    assert torch.allclose(twice.boxes, sample.boxes) and torch.allclose(twice.keypoints, sample.keypoints)
    assert twice.label == 1


def test_hflip_hand_computed():
    video = torch.arange(2 * 3 * 2 * 4, dtype=torch.uint8).reshape(2, 3, 2, 4)
    boxes = tv_tensors.BoundingBoxes(torch.tensor([[0.0, 0.0, 1.0, 2.0]]), format="XYXY", canvas_size=(2, 4))
    kps = torch.tensor([[[[0.5, 1.0], [3.0, 0.0]]]])  # (M=1, T=1, V=2, 2)
    scores = torch.tensor([[[0.9, 0.1]]])
    s = VideoSample(video=video, boxes=boxes, keypoints=kps, keypoint_score=scores, label=(3, 5))
    out = F.hflip(s, label_map={3: 5, 5: 3}, left_kp=[0], right_kp=[1])
    assert torch.equal(out.video[0, 0, 0], torch.tensor([3, 2, 1, 0], dtype=torch.uint8))
    assert out.boxes.tolist() == [[3.0, 0.0, 4.0, 2.0]]
    # x -> 4 - x, then joints 0 and 1 swap (with their scores)
    assert out.keypoints.tolist() == [[[[1.0, 0.0], [3.5, 1.0]]]]
    assert out.keypoint_score.flatten().tolist() == pytest.approx([0.1, 0.9])
    assert out.label == (5, 3)


def test_flow_hflip_negates_x():
    flow = torch.tensor([[[[10, 200]], [[30, 40]]]], dtype=torch.uint8)  # (T=1, C=2, H=1, W=2)
    out = T.Flip(1.0)(flow, rng=0)
    assert out[0, 0, 0].tolist() == [255 - 200, 255 - 10]  # x mirrored and inverted
    assert out[0, 1, 0].tolist() == [40, 30]  # y only mirrored


def test_flip_label_kinds_and_map():
    names = [
        "Pushing something from left to right",
        "Pushing something from right to left",
        "Turning the camera Left while filming something",
        "Turning the camera Right while filming something",
        "Holding something",
        "leftover",
    ]
    mapping = T.make_flip_label_map(names)
    assert mapping == {0: 1, 1: 0, 2: 3, 3: 2}
    assert F.flip_label(0, mapping) == 1 and F.flip_label(4, mapping) == 4
    soft = torch.tensor([0.7, 0.3, 0.0, 0.0, 0.0, 0.0])
    assert F.flip_label(soft, mapping).tolist() == pytest.approx([0.3, 0.7, 0, 0, 0, 0])
    assert F.flip_label(torch.tensor([0, 4]), mapping).tolist() == [1, 4]


# ---- crops and sizes against hand-computed truths ----


@pytest.mark.parametrize(
    ("w", "h", "scale", "keep", "expected"),
    [
        (340, 256, (-1, 256), True, (340, 256)),
        (640, 480, (-1, 256), True, (341, 256)),
        (480, 640, (-1, 256), True, (256, 341)),
        (1280, 720, (340, 256), True, (340, 191)),
        (171, 128, (224, 224), False, (224, 224)),
        (100, 50, 0.5, True, (50, 25)),
    ],
)
def test_rescale_size_like_mmcv(w, h, scale, keep, expected):
    assert F.rescale_size(w, h, scale, keep_ratio=keep) == expected


def test_resize_refuses_bare_int():
    with pytest.raises(TypeError, match=r"\(-1, 256\)"):
        T.Resize(256)


def test_multiscale_crop_candidates_tsn():
    # 340x256: base 256, sides int(256 * s) = 256, 224, 192, 168; 224 snaps to the input size.
    msc = T.MultiScaleCrop(224, (1, 0.875, 0.75, 0.66))
    sizes = msc.candidate_sizes(256, 340)
    expected = {(256, 256), (224, 256), (256, 224), (224, 224), (192, 224), (224, 192), (192, 192)}
    expected |= {(168, 192), (192, 168), (168, 168)}
    assert set(sizes) == expected and len(sizes) == 10
    assert msc.fixed_offsets(256, 340, 224, 192) == [(0, 0), (116, 0), (0, 64), (116, 64), (58, 32)]


@SETTINGS
@given(h=st.integers(16, 80), w=st.integers(16, 80), seed=st.integers(0, 10**6))
def test_crops_inside_the_image(h, w, seed):
    sample = make_sample(t=1, h=h, w=w, box=None)
    rng = np.random.default_rng(seed)
    side = min(h, w)
    for transform in (
        T.RandomCrop(side // 2 + 1),
        T.RandomResizedCrop(),
        T.MultiScaleCrop(side, (1, 0.875, 0.75, 0.66), random_crop=bool(seed % 2)),
        T.MultiScaleCrop(side, (1, 0.5), num_fixed_crops=13),
        T.CenterCrop(side),
    ):
        p = transform.make_params(sample, rng)
        assert p["top"] >= 0 and p["top"] + p["height"] <= h and p["height"] >= 1
        assert p["left"] >= 0 and p["left"] + p["width"] <= w and p["width"] >= 1


def test_random_resized_crop_distribution():
    sample = make_sample(t=1, h=100, w=100, box=None)
    rng = np.random.default_rng(0)
    ps = [T.RandomResizedCrop((0.25, 0.25), (1.0, 1.0)).make_params(sample, rng) for _ in range(50)]
    assert {(p["height"], p["width"]) for p in ps} == {(50, 50)}
    assert len({p["left"] for p in ps}) > 10  # positions vary
    assert all(0 <= p["left"] <= 50 for p in ps)


def test_three_crop_and_ten_crop_views():
    sample = make_sample(t=2, h=32, w=56, box=None)
    sample.meta["num_views"] = 2  # two clips of one frame each, say
    three = T.ThreeCrop(32)(sample, rng=0)
    assert three.video.shape == (6, 3, 32, 32) and three.meta["num_views"] == 6
    views = F.split_views(three.video, 3)  # (3, 2, 3, 32, 32): crop-major as MMAction2
    for k, left in enumerate([0, 24, 12]):
        assert torch.equal(views[k], sample.video[..., :, left : left + 32])
    ten = T.TenCrop(24)(sample, rng=0)
    assert ten.video.shape == (20, 3, 24, 24) and ten.meta["num_views"] == 20
    views = F.split_views(ten.video, 10)
    # corners and centre on quarter steps (56-24)//4 = 8, (32-24)//4 = 2; each followed by its mirror
    for k, (left, top) in enumerate([(0, 0), (32, 0), (0, 8), (32, 8), (16, 4)]):
        crop = sample.video[..., top : top + 24, left : left + 24]
        assert torch.equal(views[2 * k], crop)
        assert torch.equal(views[2 * k + 1], crop.flip(-1))
    with pytest.raises(ValueError, match="full height or width"):
        T.ThreeCrop(20)(sample)
    with pytest.raises(ValueError, match="boxes"):
        T.TenCrop(24)(make_sample())


def test_bad_crop_raises_clear_error():
    with pytest.raises(ValueError, match="does not fit"):
        T.CenterCrop(100)(make_sample())
    with pytest.raises(ValueError, match="not inside"):
        F.crop_video(torch.zeros(1, 3, 8, 8), 4, 4, 8, 8)


# ---- photometric ----


def test_color_jitter_same_for_every_frame():
    frame = make_sample(t=1, box=None).video
    sample = VideoSample(video=tv_tensors.Video(frame.repeat(4, 1, 1, 1)))
    out = T.ColorJitter(0.5, 0.5, 0.5, 0.2)(sample, rng=1).video
    assert not torch.equal(out[0], frame[0])
    assert all(torch.equal(out[i], out[0]) for i in range(4))


def test_brightness_hand_computed():
    sample = VideoSample(video=torch.full((1, 3, 2, 2), 100, dtype=torch.uint8))
    out = F.adjust_color(sample, brightness=1.5)
    assert out.video.unique().tolist() == [150]
    out = F.adjust_color(VideoSample(video=torch.full((1, 3, 2, 2), 200, dtype=torch.uint8)), brightness=1.5)
    assert out.video.unique().tolist() == [255]  # saturates, stays uint8


@pytest.mark.parametrize("hue", [-0.5, -0.3, 0.0, 0.05, 0.17, 0.5])
def test_hue_kernel_matches_torchvision(hue):
    from torchvision.transforms.v2 import functional as TVF

    video = torch.randint(
        0, 256, (2, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    ours, ref = F.adjust_hue_video(video, hue), TVF.adjust_hue(video, hue)
    assert ours.dtype == torch.uint8 and (ours.int() - ref.int()).abs().max() <= 1
    grey = torch.full((1, 3, 4, 4), 90, dtype=torch.uint8)
    assert torch.equal(F.adjust_hue_video(grey, hue), grey)
    red = torch.tensor([255, 0, 0], dtype=torch.uint8).reshape(1, 3, 1, 1)
    if abs(hue) == 0.5:  # half a turn: red -> cyan
        assert F.adjust_hue_video(red, hue).flatten().tolist() == [0, 255, 255]


def test_random_erasing_one_window_in_every_frame():
    sample = make_sample(t=3, box=None)
    eraser = T.RandomErasing(1.0, fill_color=(1, 2, 3))
    p = eraser.make_params(sample, np.random.default_rng(0))
    out = eraser.apply(sample, p)
    top, left, h, w = p["top"], p["left"], p["height"], p["width"]
    window = out.video[..., top : top + h, left : left + w]
    assert (window == torch.tensor([1, 2, 3], dtype=torch.uint8)[:, None, None]).all()
    outside = torch.ones(out.video.shape[-2:], dtype=torch.bool)
    outside[top : top + h, left : left + w] = False
    assert torch.equal(out.video[..., outside], sample.video[..., outside])
    area = h * w / (48 * 64)
    assert 0.02 - 0.01 <= area <= 1 / 3 + 0.02


@pytest.mark.parametrize("op", ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"])
@settings(max_examples=10, deadline=None)
@given(sign=st.sampled_from([-1.0, 1.0]), magnitude=st.integers(1, 10))
def test_randaugment_geometric_ops_move_boxes_with_pixels(op, sign, magnitude):
    ra = T.RandAugment(1, magnitude)
    sample = make_sample(h=48, w=64, box=(22, 16, 42, 34))
    mag = sign * ra._magnitude(op, 48, 64)
    out = ra.apply(sample, {"ops": [(op, mag)]})
    assert_box_marks_colour(out, inner=op in ("TranslateX", "TranslateY"))
    torch.testing.assert_close(out.meta["proposals"], out.boxes.as_subclass(torch.Tensor))
    # a rotated/sheared box is enclosed by its new box (checked above); it must stay visible
    assert colour_mask(out.video).sum() > 100


def test_randaugment_same_op_on_every_frame():
    frame = make_sample(t=1, box=None).video
    sample = VideoSample(video=tv_tensors.Video(frame.repeat(3, 1, 1, 1)))
    for seed in range(5):
        out = T.RandAugment(3, 12)(sample, rng=seed).video
        assert all(torch.equal(out[i], out[0]) for i in range(3))


# ---- resize accuracy ----


def test_resize_constant_and_ramp():
    ramp = torch.arange(0, 256, 4, dtype=torch.uint8).repeat(1, 3, 8, 1)  # (1, 3, 8, 64) x-ramp
    up = F.resize_video(ramp, (8, 128))
    # bilinear with half-pixel centres: interior output k samples x = (k + 0.5) / 2 - 0.5
    k = torch.arange(2, 125)
    expected = torch.round(4 * ((k + 0.5) / 2 - 0.5))
    assert (up[0, 0, 0, 2:125].float() - expected).abs().max() <= 1
    const = torch.full((2, 3, 9, 7), 77, dtype=torch.uint8)
    assert F.resize_video(const, (20, 3)).unique().tolist() == [77]


def test_to_video_from_decoder_layout():
    frames = torch.arange(2 * 4 * 5 * 3, dtype=torch.uint8).reshape(2, 4, 5, 3)  # (T, H, W, C)
    video = F.to_video(frames)
    assert isinstance(video, tv_tensors.Video) and video.shape == (2, 3, 4, 5)
    assert video[1, 2, 3, 4] == frames[1, 3, 4, 2]
    with pytest.raises(ValueError, match="T, H, W, C"):
        F.to_video(frames[0])


def test_pipeline_output_shape_tsn():
    pipe = T.Compose(
        [
            T.Resize((-1, 64)),
            T.MultiScaleCrop(56, (1, 0.875, 0.75, 0.66)),
            T.Resize((56, 56), keep_ratio=False),
            T.Flip(0.5),
        ]
    )
    out = pipe(make_sample(h=48, w=64), rng=0)
    assert out.video.shape == (3, 3, 56, 56) and out.video.dtype == torch.uint8
    assert_box_marks_colour(out)


# ---- OpenCV kernels (uint8 on the CPU) ----


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("layout", ["decoder", "planar", "decoder-crop", "planar-crop"])
def test_uint8_resize_is_opencv_inter_linear(channels, layout):
    """Bilinear uint8 resizing is ``cv2.resize(INTER_LINEAR)`` of each frame (MMAction2's
    ``mmcv.imresize``), whatever the memory layout, on crops (views) too, shrinking and growing;
    the output keeps the input's layout."""
    cv2 = pytest.importorskip("cv2")
    frames = torch.randint(0, 256, (3, 37, 53, channels), dtype=torch.uint8, generator=torch.Generator().manual_seed(channels))
    video = frames.permute(0, 3, 1, 2)
    if layout.startswith("planar"):
        video = video.contiguous()
    if layout.endswith("crop"):
        video = video[..., 2:30, 5:50]
    for size in ((24, 24), (61, 90), (37, 10), (1, 1)):
        out = F.resize_video(video, size)
        assert out.shape == (3, channels, *size) and out.dtype == torch.uint8
        for t in range(3):
            src = np.ascontiguousarray(video[t].permute(1, 2, 0).numpy())
            ref = cv2.resize(src, (size[1], size[0]), interpolation=cv2.INTER_LINEAR).reshape(*size, channels)
            np.testing.assert_array_equal(out[t].permute(1, 2, 0).numpy(), ref, err_msg=f"{layout} {size}")
        if layout.startswith("decoder") and channels > 1:
            assert out.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("layout", ["decoder", "planar", "decoder-crop"])
def test_uint8_hflip_equals_torch_flip_and_leaves_input(layout):
    frames = torch.randint(0, 256, (2, 9, 11, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    video = frames.permute(0, 3, 1, 2)
    if layout == "planar":
        video = video.contiguous()
    if layout == "decoder-crop":
        video = video[..., 1:8, 2:10]
    before = video.clone()
    out = F.hflip_video(video)
    assert torch.equal(out, before.flip(-1))
    assert torch.equal(video, before)  # a new tensor: the input is untouched
    flow = torch.randint(0, 256, (2, 2, 5, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(4))
    flipped = F.hflip_video(flow, flow=True)
    assert torch.equal(flipped[:, 1], flow[:, 1].flip(-1))
    assert torch.equal(flipped[:, 0], 255 - flow[:, 0].flip(-1))


def test_expanded_rows_take_the_torchvision_path():
    row = torch.randint(0, 256, (2, 3, 1, 10), dtype=torch.uint8, generator=torch.Generator().manual_seed(5))
    video = row.expand(2, 3, 6, 10)  # every row the same memory (stride 0): not an OpenCV image
    out = F.resize_video(video, (3, 5)).int()
    assert (out - F.resize_video(video.contiguous(), (3, 5)).int()).abs().max() <= 1  # torch vs OpenCV
    assert torch.equal(F.hflip_video(video), video.flip(-1))


def test_other_dtypes_take_the_torchvision_path():
    video = torch.rand(2, 3, 12, 16)
    out = F.resize_video(video, (6, 8))
    assert out.dtype == torch.float32 and out.shape == (2, 3, 6, 8)
    assert torch.allclose(out, torch.nn.functional.interpolate(video, size=(6, 8), mode="bilinear", align_corners=False))
