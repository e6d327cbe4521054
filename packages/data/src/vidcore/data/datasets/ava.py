"""AVA spatio-temporal action detection: keyframe-centred clips with person boxes and multi-label targets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vidcore.data.annotations._common import PathArg
from vidcore.data.annotations.ava import (
    AVAKeyframe,
    group_keyframes,
    read_ava_csv,
    read_ava_proposals,
    read_excluded_timestamps,
)
from vidcore.data.datasets.base import OnError, SkippingDataset, Transform
from vidcore.data.errors import AnnotationError, VideoDecodeError
from vidcore.data.types import VideoSample


class AVADataset(SkippingDataset):
    """One item per annotated keyframe of an AVA csv.

    Args:
        ann_file: ground-truth csv (``video_id,timestamp,x1,y1,x2,y2,action_id,person_id``).
        root: folder holding one frame folder per video (``root/video_id/img_00001.jpg``...), or
            video files ``root/video_id{video_ext}`` when ``video_ext`` is given.
        exclude_file: csv of ``video_id,timestamp`` keyframes to drop.
        proposal_file: pickle ``"video_id,TTTT" -> (n, 4 | 5)`` normalised person boxes (with
            scores). Boxes scoring at least ``min(person_det_score_thr, best score)`` are kept (the
            best one always survives), at most ``num_max_proposals``; a keyframe absent from the
            file gets the whole frame ``[0, 0, 1, 1]`` (MMAction2's rules).
        num_classes: length of the multi-hot target (81 for AVA: ids 1..80 plus an unused 0).
        custom_classes: train on a subset of action ids; targets are then indexed 1..len(subset)
            in the given order (0 unused) and ``num_classes`` must be ``len(custom_classes) + 1``.
        clip_len, frame_interval: the clip around the keyframe (``ava_keyframe_window``).
        fps: frame rate of the frame folders / videos (30 for AVA).
        timestamp_start: time in seconds of frame 0 (AVA's frame folders start at second 900).
        timestamp_range: keyframes outside ``[first, last]`` seconds are dropped (AVA annotates
            902..1798).
        centre_shift: frames added to the keyframe's index; MMAction2 1.x adds the folder's
            ``start_index`` to the centre as well as to the indices, so 1 reproduces its frames.
        test_mode: no random jitter of the frame positions.
        filename_tmpl, start_index: the frame files (``img_{:05d}.jpg`` from 1).

    Items are ``VideoSample``s: ``video`` uint8 ``(clip_len, C, H, W)``, ``boxes`` the ground-truth
    person boxes as ``tv_tensors.BoundingBoxes`` XYXY in pixels, ``box_labels`` float32 multi-hot
    ``(N, num_classes)``, ``label`` -1; ``meta`` has ``video_id``, ``timestamp``, ``img_key``,
    ``frame_inds``, ``proposals`` (``(P, 4)`` float32 pixels, when a proposal file is given),
    ``proposal_scores``, ``person_ids``, ``original_shape``, ``index``.
    """

    def __init__(
        self,
        ann_file: PathArg,
        root: PathArg = "",
        *,
        exclude_file: PathArg | None = None,
        proposal_file: PathArg | None = None,
        person_det_score_thr: float = 0.9,
        num_max_proposals: int = 1000,
        num_classes: int = 81,
        custom_classes: Sequence[int] | None = None,
        clip_len: int = 32,
        frame_interval: int = 2,
        fps: float = 30,
        timestamp_start: float = 900,
        timestamp_range: tuple[int, int] = (902, 1798),
        centre_shift: int = 0,
        test_mode: bool = False,
        video_ext: str | None = None,
        filename_tmpl: str = "img_{:05d}.jpg",
        start_index: int = 1,
        transform: Transform | None = None,
        on_error: OnError = "skip",
        seed: int | None = None,
    ) -> None:
        super().__init__(transform=transform, on_error=on_error, seed=seed)
        if not 0.0 <= person_det_score_thr <= 1.0:
            raise ValueError(f"person_det_score_thr must be in [0, 1], got {person_det_score_thr}")
        self.class_index: dict[int, int] | None = None
        if custom_classes is not None:
            if 0 in custom_classes:
                raise ValueError("custom_classes must not contain 0 (the unused background id)")
            if num_classes != len(custom_classes) + 1:
                raise ValueError(
                    f"num_classes must be len(custom_classes) + 1 = {len(custom_classes) + 1}, got {num_classes}"
                )
            self.class_index = {c: i + 1 for i, c in enumerate(custom_classes)}
        records = read_ava_csv(ann_file, kind="gt")
        for r in records:
            if self.class_index is None and r.action_id >= num_classes:
                src = r.source or (str(ann_file), None)
                raise AnnotationError(
                    src[0], src[1], f"expected action_id < num_classes={num_classes}, got {r.action_id}"
                )
        if self.class_index is not None:
            records = [r for r in records if r.action_id in self.class_index]
        excluded = set()
        if exclude_file is not None:
            excluded = {(e.video_id, e.timestamp) for e in read_excluded_timestamps(exclude_file)}
        first, last = timestamp_range
        self.keyframes: list[AVAKeyframe] = [
            k
            for k in group_keyframes(records)
            if (k.video_id, k.timestamp) not in excluded and first <= k.timestamp <= last
        ]
        self.proposals = None if proposal_file is None else read_ava_proposals(proposal_file)
        self.root = Path(root)
        self.person_det_score_thr = person_det_score_thr
        self.num_max_proposals = num_max_proposals
        self.num_classes = num_classes
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.fps = fps
        self.timestamp_start = timestamp_start
        self.centre_shift = centre_shift
        self.test_mode = test_mode
        self.video_ext = video_ext
        self.filename_tmpl = filename_tmpl
        self.start_index = start_index

    def __len__(self) -> int:
        return len(self.keyframes)

    def describe(self, index: int) -> str:
        k = self.keyframes[index]
        src = f" ({k.sources[0][0]}:{k.sources[0][1]})" if k.sources else ""
        return f"{k.img_key}{src}"

    def select_proposals(self, key: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Normalised ``(P, 4)`` proposals and their scores for a keyframe (MMAction2's rules)."""
        assert self.proposals is not None
        if key not in self.proposals:
            return np.array([[0, 0, 1, 1]], dtype=np.float32), np.ones(1, dtype=np.float32)
        p = self.proposals[key]
        if p.shape[1] == 5 and p.shape[0] > 0:
            thr = min(self.person_det_score_thr, float(p[:, 4].max()))
            p = p[p[:, 4] >= thr][: self.num_max_proposals]
            return p[:, :4], p[:, 4]
        p = p[: self.num_max_proposals]
        return p[:, :4], None

    def _targets(self, k: AVAKeyframe) -> torch.Tensor:
        target = torch.zeros(len(k.actions), self.num_classes, dtype=torch.float32)
        for i, acts in enumerate(k.actions):
            for a in acts:
                target[i, self.class_index[a] if self.class_index is not None else a] = 1.0
        return target

    def load(self, index: int, rng: np.random.Generator) -> VideoSample:
        from torchvision import tv_tensors

        from vidcore.data.samplers import ava_keyframe_window

        k = self.keyframes[index]
        if self.video_ext is None:
            from vidcore.data.decoders import RawFrameReader

            directory = self.root / k.video_id
            if not directory.is_dir():
                raise VideoDecodeError(directory, "frame folder not found")
            reader = RawFrameReader(directory, filename_tmpl=self.filename_tmpl, start_index=self.start_index)
            source = str(directory)
        else:
            from vidcore.data.decoders import open_video

            source = str(self.root / f"{k.video_id}{self.video_ext}")
            reader = open_video(source)
        with reader:
            n = reader.num_frames
            if n <= 0:
                raise VideoDecodeError(source, "has no frames")
            inds = ava_keyframe_window(
                k.timestamp, self.fps, clip_len=self.clip_len, frame_interval=self.frame_interval,
                timestamp_start=self.timestamp_start, num_frames=n, start_index=self.centre_shift,
                test_mode=self.test_mode, rng=rng,
            )  # fmt: skip
            frames = reader.get_frames(inds)
        h, w = int(frames.shape[1]), int(frames.shape[2])
        scale = torch.tensor([w, h, w, h], dtype=torch.float32)
        boxes = tv_tensors.BoundingBoxes(torch.from_numpy(k.boxes) * scale, format="XYXY", canvas_size=(h, w))
        meta: dict[str, Any] = {
            "source": source, "video_id": k.video_id, "timestamp": k.timestamp, "img_key": k.img_key,
            "frame_inds": inds, "num_frames": n, "original_shape": (h, w), "person_ids": k.person_ids,
            "record": k.sources[0] if k.sources else None,
        }  # fmt: skip
        if self.proposals is not None:
            props, scores = self.select_proposals(k.img_key)
            meta["proposals"] = torch.from_numpy(np.ascontiguousarray(props, dtype=np.float32)) * scale
            meta["proposal_scores"] = (
                None if scores is None else torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32))
            )
        video = tv_tensors.Video(frames.permute(0, 3, 1, 2))  # (T, H, W, C) -> (T, C, H, W)
        return VideoSample(video=video, label=-1, boxes=boxes, box_labels=self._targets(k), meta=meta)
