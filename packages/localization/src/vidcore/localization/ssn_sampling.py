"""SSN's training-proposal sampling (Zhao et al., ICCV 2017) with MMAction2 0.x's rules and its
THUMOS14 settings (``configs/localization/ssn/ssn_r50_450e_thumos14_rgb_train.py``,
``mmaction/datasets/ssn_dataset.py`` and ``SampleProposalFrames`` of the 0.x branch).

Frames are 0-based and a proposal or ground truth is the half-open interval ``[start, end)``.

Labelling (per proposal, against the video's ground truths of any class):

- ``best_iou``: the largest temporal IoU with a ground truth; ``overlap_self``: the largest
  fraction of the proposal's own length inside one ground truth; ``coverage``: its length over
  the video's frame count.
- positive (type 0): ``best_iou > 0.7``; the ground truths themselves are added as positives
  (``add_gt_as_proposals``);
- incomplete (type 1): ``best_iou < 0.3`` and ``overlap_self > 0.01``;
- background (type 2, label 0): not incomplete, ``best_iou < 0.01`` and ``coverage > 0.02``;
- anything else is not used for training.

A proposal's class label is the class of the ground truth with the largest IoU (the first on
ties); with no overlap at all, that of the ground truth with the largest ``overlap_self``.

Sampling: ``num_per_video = 8`` proposals per video in the ratio positive : background :
incomplete = 1 : 1 : 6, i.e. ``int(8 * 1/8) = 1`` positive, ``1`` background and
``8 - 1 - 1 = 6`` incompletes, ordered positives, incompletes, backgrounds (the order
:class:`~vidcore.localization.models.ssn.SSNLoss` expects). A pool with fewer proposals than
requested is drawn with replacement, otherwise without.

Stages: a proposal of ``d`` frames is extended by ``int(d * 0.5)`` frames on each side (clipped
to the video): the starting stage, the course stage (the proposal) and the ending stage, covered
by ``(2, 5, 2)`` snippets (``aug_segments``, ``body_segments``). Each stage is split into equal
bins and one snippet is drawn per bin (TSN's segment sampling). The starting / ending scale
factors that STPP multiplies into the starting / ending features follow MMAction2's formula
``(valid_length + clip_len + 1) / (d * aug_ratio)``.

Regression targets (positives): ``((c_gt - c_p) / d_p, log(d_gt / d_p))`` with the centre
``c = (start + end - 1) / 2`` and length ``d = end - start``, against the ground truth of largest
IoU; other proposals get ``(0, 0)``. MMAction2 then normalises the positives' targets by the
dataset's mean and std (:func:`regression_normalizers`).

Where this differs from MMAction2: a video whose pool of some type is empty raises a
``ValueError`` naming the video (MMAction2 draws from the dataset-wide pool instead); malformed
proposals raise instead of being dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from .models.ssn import SSN, STPP, SSNHead

__all__ = [
    "BACKGROUND",
    "IGNORED",
    "INCOMPLETE",
    "POSITIVE",
    "SSN_R50_450E_THUMOS14_RGB",
    "LabelledProposals",
    "SSNRecipe",
    "SSNSamplingConfig",
    "SSNTrainSample",
    "StageSplit",
    "label_proposals",
    "overlap_matrices",
    "proposal_stages",
    "regression_normalizers",
    "regression_targets",
    "sample_video",
    "ssn_r50_450e_thumos14_rgb",
    "stage_frame_indices",
]

POSITIVE, INCOMPLETE, BACKGROUND, IGNORED = 0, 1, 2, -1


@dataclass(frozen=True, kw_only=True)
class SSNSamplingConfig:
    """The assigner, sampler and stage settings (defaults: MMAction2 0.x's THUMOS14 train config)."""

    positive_iou_threshold: float = 0.7
    background_iou_threshold: float = 0.01
    incomplete_iou_threshold: float = 0.3
    background_coverage_threshold: float = 0.02
    incomplete_overlap_threshold: float = 0.01
    num_per_video: int = 8
    positive_ratio: float = 1
    background_ratio: float = 1
    incomplete_ratio: float = 6
    add_gt_as_proposals: bool = True
    body_segments: int = 5
    aug_segments: tuple[int, int] = (2, 2)
    aug_ratio: tuple[float, float] = (0.5, 0.5)
    clip_len: int = 1
    frame_interval: int = 1

    def __post_init__(self) -> None:
        if self.num_per_video < 1 or self.body_segments < 1 or min(self.aug_segments) < 1:
            raise ValueError("num_per_video, body_segments and aug_segments must be >= 1")
        if min(self.aug_ratio) <= 0 or self.clip_len < 1 or self.frame_interval < 1:
            raise ValueError("aug_ratio must be > 0, clip_len and frame_interval >= 1")
        if self.positive_ratio + self.background_ratio + self.incomplete_ratio <= 0:
            raise ValueError("the sampling ratios must sum to > 0")

    @property
    def per_video(self) -> tuple[int, int, int]:
        """``(positives, incompletes, backgrounds)`` per video: ``(1, 6, 1)`` by default."""
        total = self.positive_ratio + self.background_ratio + self.incomplete_ratio
        pos = int(self.num_per_video * (self.positive_ratio / total))
        bg = int(self.num_per_video * (self.background_ratio / total))
        return pos, self.num_per_video - pos - bg, bg

    @property
    def num_segments(self) -> tuple[int, int, int]:
        """Snippets of the starting, course and ending stages: ``(2, 5, 2)``."""
        return self.aug_segments[0], self.body_segments, self.aug_segments[1]


@dataclass(frozen=True)
class LabelledProposals:
    """One video's proposals with their labelling; arrays of length ``P`` (``segments`` ``(P, 2)``
    int64 frames ``[start, end)``)."""

    segments: np.ndarray
    best_iou: np.ndarray
    overlap_self: np.ndarray
    labels: np.ndarray
    kinds: np.ndarray  # POSITIVE / INCOMPLETE / BACKGROUND / IGNORED


@dataclass(frozen=True)
class StageSplit:
    """A proposal's extension: the valid first frame of the starting stage and the valid last
    position of the ending stage (MMAction2's ``valid_starting`` / ``valid_ending``), and the two
    STPP scale factors."""

    valid_starting: int
    valid_ending: int
    starting_scale: float
    ending_scale: float


@dataclass(frozen=True)
class SSNTrainSample:
    """One video's training batch of ``M = num_per_video`` proposals (positives, incompletes,
    backgrounds in this order).

    Attributes:
        segments: ``(M, 2)`` int64 frames ``[start, end)``.
        proposal_type: ``(M,)`` 0 positive, 1 incomplete, 2 background.
        labels: ``(M,)`` class labels, 1-based (0 for backgrounds).
        reg_targets: ``(M, 2)`` float32 (centre offset, log length ratio); zeros but for positives.
        scale_factors: ``(M, 2)`` float32 starting / ending STPP scale factors.
        frame_indices: ``(M, S * clip_len)`` int64 0-based frames, ``S = sum(num_segments)``
            snippets in stage order (MMAction2 adds its ``start_index``, 1, to name image files).
    """

    video_id: str
    segments: np.ndarray
    proposal_type: np.ndarray
    labels: np.ndarray
    reg_targets: np.ndarray
    scale_factors: np.ndarray
    frame_indices: np.ndarray


def _as_segments(video_id: str, what: str, rows: np.ndarray | Sequence[Sequence[int]], num_frames: int) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 2) if len(rows) else np.zeros((0, 2), np.int64)
    for i, (s, e) in enumerate(arr.tolist()):
        if s < 0 or e <= s or s >= num_frames:
            raise ValueError(
                f"video {video_id}: {what} {i} is [{s}, {e}); expected 0 <= start < end and start < {num_frames} frames"
            )
    arr[:, 1] = np.minimum(arr[:, 1], num_frames)  # MMAction2 clips the end to the video
    return arr


def overlap_matrices(proposals: np.ndarray, gts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P, 2)`` and ``(G, 2)`` intervals ``[start, end)`` -> ``(iou (P, G), overlap_self (P, G))``
    (intersection over union, intersection over the proposal's length)."""
    p = proposals.astype(np.float64)[:, None, :]
    g = gts.astype(np.float64)[None, :, :]
    inter = np.clip(np.minimum(p[..., 1], g[..., 1]) - np.maximum(p[..., 0], g[..., 0]), 0, None)
    len_p = p[..., 1] - p[..., 0]
    union = len_p + (g[..., 1] - g[..., 0]) - inter
    return inter / union, inter / len_p


def label_proposals(
    video_id: str,
    num_frames: int,
    gts: np.ndarray | Sequence[Sequence[int]],
    gt_labels: Sequence[int],
    proposals: np.ndarray | Sequence[Sequence[int]],
    config: SSNSamplingConfig | None = None,
) -> LabelledProposals:
    """Label a video's proposals positive / incomplete / background / ignored (module docstring).

    ``gts`` ``(G, 2)`` and ``proposals`` ``(P, 2)`` are frames ``[start, end)``; ``gt_labels`` are
    1-based classes. The ground truths are not added here (:func:`sample_video` adds them)."""
    cfg = config or SSNSamplingConfig()
    if num_frames < 1:
        raise ValueError(f"video {video_id}: num_frames must be >= 1, got {num_frames}")
    g = _as_segments(video_id, "ground truth", gts, num_frames)
    p = _as_segments(video_id, "proposal", proposals, num_frames)
    if len(g) == 0:
        raise ValueError(f"video {video_id}: no ground truth; SSN trains only on videos with ground truth")
    glab = np.asarray(gt_labels, dtype=np.int64)
    if glab.shape != (len(g),) or (glab < 1).any():
        raise ValueError(f"video {video_id}: expected {len(g)} ground-truth labels >= 1, got {list(gt_labels)}")
    iou, ovl = overlap_matrices(p, g)
    best_iou = iou.max(axis=1) if len(p) else np.zeros(0)
    overlap_self = ovl.max(axis=1) if len(p) else np.zeros(0)
    owner = np.where(best_iou > 0, iou.argmax(axis=1), ovl.argmax(axis=1)) if len(p) else np.zeros(0, np.int64)
    labels = glab[owner]
    coverage = (p[:, 1] - p[:, 0]) / num_frames
    kinds = np.full(len(p), IGNORED, dtype=np.int64)
    incomplete = (best_iou < cfg.incomplete_iou_threshold) & (overlap_self > cfg.incomplete_overlap_threshold)
    background = (
        ~incomplete & (best_iou < cfg.background_iou_threshold) & (coverage > cfg.background_coverage_threshold)
    )
    kinds[background] = BACKGROUND
    kinds[incomplete] = INCOMPLETE
    kinds[best_iou > cfg.positive_iou_threshold] = POSITIVE
    return LabelledProposals(p, best_iou, overlap_self, np.where(kinds == BACKGROUND, 0, labels), kinds)


def regression_targets(proposal: Sequence[int], gt: Sequence[int]) -> tuple[float, float]:
    """SSN's regression target of ``proposal`` toward ``gt`` (both ``[start, end)`` frames):
    ``((c_gt - c_p) / d_p, log(d_gt / d_p))``, ``c = (start + end - 1) / 2``, ``d = end - start``."""
    ps, pe = proposal
    gs, ge = gt
    dp, dg = pe - ps, ge - gs
    return ((gs + ge - 1) / 2 - (ps + pe - 1) / 2) / dp, float(np.log(dg / dp))


def _positive_targets(segments: np.ndarray, gts: np.ndarray) -> np.ndarray:
    iou, _ = overlap_matrices(segments, gts)
    best = gts[iou.argmax(axis=1)]
    return np.array([regression_targets(s, g) for s, g in zip(segments.tolist(), best.tolist())], np.float64)


def regression_normalizers(videos: Sequence[tuple[str, int, np.ndarray, Sequence[int], np.ndarray]],
                           config: SSNSamplingConfig | None = None) -> np.ndarray:  # fmt: skip
    """MMAction2's regression normalisation constants ``[[mean_loc, mean_size], [std_loc,
    std_size]]`` over the positive proposals (ground truths not added) of ``videos``, each
    ``(video_id, num_frames, gts, gt_labels, proposals)``."""
    cfg = config or SSNSamplingConfig()
    rows = []
    for video_id, num_frames, gts, gt_labels, proposals in videos:
        lab = label_proposals(video_id, num_frames, gts, gt_labels, proposals, cfg)
        pos = lab.segments[lab.kinds == POSITIVE]
        if len(pos):
            rows.append(_positive_targets(pos, _as_segments(video_id, "ground truth", gts, num_frames)))
    if not rows:
        raise ValueError("no positive proposal in any video: cannot compute regression normalizers")
    t = np.concatenate(rows)
    return np.stack([t.mean(axis=0), t.std(axis=0)])


def proposal_stages(start: int, end: int, num_frames: int, config: SSNSamplingConfig | None = None) -> StageSplit:
    """The extended proposal's stages (MMAction2's ``_get_stage``)."""
    cfg = config or SSNSamplingConfig()
    d = end - start
    clip = cfg.clip_len * cfg.frame_interval
    valid_starting = max(0, start - int(d * cfg.aug_ratio[0]))
    valid_ending = min(num_frames - clip + 1, end - 1 + int(d * cfg.aug_ratio[1]))
    starting_len = start - valid_starting - clip
    ending_len = (valid_ending - end + 1) - clip
    return StageSplit(
        valid_starting,
        valid_ending,
        (starting_len + clip + 1) / (d * cfg.aug_ratio[0]),
        (ending_len + clip + 1) / (d * cfg.aug_ratio[1]),
    )


def _bins(valid_length: int, n: int, rng: np.random.Generator) -> np.ndarray:
    step = (valid_length + 1) // n
    if step <= 0:
        return np.zeros(n, dtype=np.int64)
    return np.arange(n, dtype=np.int64) * step + rng.integers(0, step, size=n)


def stage_frame_indices(
    start: int, end: int, num_frames: int, rng: np.random.Generator, config: SSNSamplingConfig | None = None
) -> np.ndarray:
    """0-based frame indices ``(sum(num_segments) * clip_len,)`` of one proposal's snippets in
    stage order (starting, course, ending): each stage's valid span is cut into equal bins of
    ``(valid_length + 1) // n`` frames and one snippet start is drawn per bin."""
    cfg = config or SSNSamplingConfig()
    clip = cfg.clip_len * cfg.frame_interval
    st = proposal_stages(start, end, num_frames, cfg)
    n0, n1, n2 = cfg.num_segments
    offsets = np.concatenate([
        _bins(start - st.valid_starting - clip, n0, rng) + st.valid_starting,
        _bins(end - start - clip, n1, rng) + start,
        _bins(st.valid_ending - end + 1 - clip, n2, rng) + end,
    ])  # fmt: skip
    frames = offsets[:, None] + np.arange(cfg.clip_len)[None, :] * cfg.frame_interval  # (S, clip_len)
    return np.mod(frames.reshape(-1), num_frames)


def sample_video(
    video_id: str,
    num_frames: int,
    gts: np.ndarray | Sequence[Sequence[int]],
    gt_labels: Sequence[int],
    proposals: np.ndarray | Sequence[Sequence[int]],
    rng: np.random.Generator,
    config: SSNSamplingConfig | None = None,
    normalizers: np.ndarray | None = None,
) -> SSNTrainSample:
    """Sample one video's SSN training batch (MMAction2's video-centric sampling).

    ``normalizers`` (``[[mean], [std]]`` from :func:`regression_normalizers`) normalise the
    positives' regression targets as MMAction2 does; ``None`` leaves them raw. Raises
    ``ValueError`` naming the video when it has no ground truth or no proposal of a requested type.
    """
    cfg = config or SSNSamplingConfig()
    lab = label_proposals(video_id, num_frames, gts, gt_labels, proposals, cfg)
    g = _as_segments(video_id, "ground truth", gts, num_frames)
    glab = np.asarray(gt_labels, dtype=np.int64)
    pools: list[tuple[np.ndarray, np.ndarray]] = []
    for kind in (POSITIVE, INCOMPLETE, BACKGROUND):
        m = lab.kinds == kind
        seg, lbl = lab.segments[m], lab.labels[m]
        if kind == POSITIVE and cfg.add_gt_as_proposals:
            seg, lbl = np.concatenate([seg, g]), np.concatenate([lbl, glab])
        pools.append((seg, lbl))
    chosen_seg, chosen_type, chosen_lbl = [], [], []
    for kind, (seg, lbl), n in zip((POSITIVE, INCOMPLETE, BACKGROUND), pools, cfg.per_video):
        if n == 0:
            continue
        if len(seg) == 0:
            name = ("positive", "incomplete", "background")[kind]
            raise ValueError(f"video {video_id}: no {name} proposal to sample {n} from")
        idx = rng.choice(len(seg), n, replace=len(seg) < n)
        chosen_seg.append(seg[idx])
        chosen_lbl.append(lbl[idx])
        chosen_type.append(np.full(n, kind, dtype=np.int64))
    segments = np.concatenate(chosen_seg)
    ptype = np.concatenate(chosen_type)
    reg = np.zeros((len(segments), 2), dtype=np.float64)
    pos = ptype == POSITIVE
    if pos.any():
        reg[pos] = _positive_targets(segments[pos], g)
        if normalizers is not None:
            reg[pos] = (reg[pos] - normalizers[0]) / normalizers[1]
    stages = [proposal_stages(int(s), int(e), num_frames, cfg) for s, e in segments.tolist()]
    scales = np.array([[st.starting_scale, st.ending_scale] for st in stages], dtype=np.float32)
    frames = np.stack([stage_frame_indices(int(s), int(e), num_frames, rng, cfg) for s, e in segments.tolist()])
    return SSNTrainSample(
        video_id, segments, ptype, np.concatenate(chosen_lbl), reg.astype(np.float32), scales, frames
    )


@dataclass(frozen=True, kw_only=True)
class SSNRecipe:
    """An SSN training recipe: head settings plus the sampling (the backbone is passed in: this
    package does not depend on the recognition models)."""

    name: str
    mmaction_config: str
    in_channels: int
    num_classes: int
    stpp_stage: tuple[int | tuple[int, ...], ...]
    head_dropout: float
    use_regression: bool
    sampling: SSNSamplingConfig = field(default_factory=SSNSamplingConfig)

    def build_head(self) -> SSNHead:
        stpp = STPP(self.stpp_stage, self.sampling.num_segments)
        return SSNHead(in_channels=self.in_channels, num_classes=self.num_classes, stpp=stpp,
                       dropout_ratio=self.head_dropout, use_regression=self.use_regression)  # fmt: skip


#: MMAction2 0.x ``configs/localization/ssn/ssn_r50_450e_thumos14_rgb_train.py``: ResNet-50
#: (2048-d) features, 20 THUMOS14 classes, STPP ``(1, 1, 1)`` over ``(2, 5, 2)`` snippets, no
#: regression on. The config puts its 0.8 dropout on the backbone features in the model and 0 in
#: the head; :class:`SSN` has no dropout of its own, so the head's (same place: before STPP) is 0.8.
SSN_R50_450E_THUMOS14_RGB = SSNRecipe(
    name="ssn_r50_450e_thumos14_rgb",
    mmaction_config="localization/ssn/ssn_r50_450e_thumos14_rgb_train.py (MMAction2 0.x)",
    in_channels=2048,
    num_classes=20,
    stpp_stage=(1, 1, 1),
    head_dropout=0.8,
    use_regression=True,
)


def ssn_r50_450e_thumos14_rgb(backbone: nn.Module) -> SSN:
    """SSN with :data:`SSN_R50_450E_THUMOS14_RGB`'s head on ``backbone`` (a module mapping
    ``(N * 9, 3, H, W)`` snippets to ``(N * 9, 2048)`` features, e.g. a ResNet-50 trunk with
    global average pooling)."""
    if not isinstance(backbone, nn.Module):
        raise TypeError(f"backbone must be a torch.nn.Module, got {type(backbone).__name__}")
    return SSN(backbone, SSN_R50_450E_THUMOS14_RGB.build_head())
