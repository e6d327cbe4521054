"""``vidcore-detection infer VIDEO``: per-keyframe person boxes and their top actions, as JSON.

Person boxes come from a proposals pickle (``"video_id,TTTT" -> (n, 4|5)`` normalised boxes, read
with vidcore-data's restricted unpickler) or from a torchvision person detector with a local
weights file (nothing is downloaded); one of the two is required.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

EXAMPLES = """examples:
  vidcore-detection infer clip.mp4 --preset slowonly_r50_4x16x1_ava21 --checkpoint slowonly.pth \\
      --proposals proposals.pkl --label-map label_map.txt --top-k 3
  vidcore-detection infer clip.mp4 --preset slowonly_r50_4x16x1_ava21 --checkpoint slowonly.pth \\
      --detector torchvision:fasterrcnn_resnet50_fpn_v2 --detector-weights frcnn_v2.pth --every 1 --out out.json \\
      --video-out annotated.mp4

Keyframes: the proposal keys of the video (its file stem, or --video-id), else every --every
seconds. Timestamps in the keys count from --timestamp-start seconds (0; AVA's files use 900)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "infer",
        help="detect actions in a video (JSON)",
        description="Run a detector on the keyframes of a video: person boxes (normalised x1,y1,x2,y2) and "
        "their top actions with scores.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("video", type=Path, help="video file")
    p.add_argument("--preset", required=True, help="detector preset (see `models`)")
    p.add_argument("--checkpoint", required=True, type=Path, help="vidcore checkpoint (see `convert`)")
    p.add_argument("--num-classes", type=int, default=None, help="classifier outputs (default: the checkpoint's)")
    p.add_argument("--proposals", type=Path, default=None, help="proposals pickle")
    p.add_argument("--video-id", default=None, help="video id of the proposal keys (default: the file stem)")
    p.add_argument("--detector", default=None, help="torchvision:NAME, e.g. torchvision:fasterrcnn_resnet50_fpn_v2")
    p.add_argument("--detector-weights", type=Path, default=None, help="local weights of --detector")
    p.add_argument("--person-thr", type=float, default=0.9, help="person boxes scoring below are dropped (0.9)")
    p.add_argument("--every", type=float, default=1.0, help="seconds between keyframes without proposals (1)")
    p.add_argument("--timestamp-start", type=float, default=0.0, help="second of the video's first frame in keys")
    p.add_argument("--label-map", type=Path, default=None, help="action names (pbtxt or 'id: name' lines)")
    p.add_argument("--top-k", type=int, default=5, help="actions listed per person (5)")
    p.add_argument("--out", type=Path, default=None, help="write the JSON here (default: stdout)")
    p.add_argument("--video-out", type=Path, default=None,
                   help="also write the video (H.264 mp4) with each keyframe's boxes and top action drawn on the "
                   "frames within half a second of it (reads the whole video into memory)")  # fmt: skip
    p.add_argument("--device", default="cpu")
    return p


def _person_detector(spec: str, weights: Path, device: str) -> Any:
    import torchvision

    if not spec.startswith("torchvision:"):
        raise ValueError(f"--detector must be torchvision:NAME, got {spec!r}")
    name = spec.split(":", 1)[1]
    if name not in torchvision.models.list_models(module=torchvision.models.detection):
        raise ValueError(f"unknown torchvision detection model {name!r}")
    model = torchvision.models.get_model(name, weights=None, weights_backbone=None)
    sd = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(sd.get("model", sd) if isinstance(sd, dict) else sd)
    return model.eval().to(device)


def _write_annotated(reader: Any, keyframes: list[dict[str, Any]], fps: float, path: Path) -> None:
    """The whole video with, on every frame, the boxes of the nearest keyframe (if within half a
    second) and each box's top action."""
    from torchvision.utils import draw_bounding_boxes

    from vidcore.data.synth import write_h264

    frames = reader.get_frames(list(range(reader.num_frames))).permute(0, 3, 1, 2).contiguous()  # (T, C, H, W)
    h, w = frames.shape[-2:]
    times = np.array([k["timestamp"] for k in keyframes], dtype=np.float64)
    for i in range(frames.shape[0]):
        if not len(times):
            break
        j = int(np.abs(times - i / fps).argmin())
        people = keyframes[j]["people"]
        if abs(times[j] - i / fps) > 0.5 or not people:
            continue
        boxes = torch.tensor([p["box"] for p in people]) * torch.tensor([w, h, w, h])
        labels = [f"{p['actions'][0]['name']} {p['actions'][0]['score']:.2f}" if p["actions"] else "" for p in people]
        frames[i] = draw_bounding_boxes(frames[i], boxes, labels, colors="yellow", width=2)
    write_h264(path, frames.permute(0, 2, 3, 1).numpy(), max(1, round(fps)))


def run(args: argparse.Namespace) -> int:
    from vidcore.core.checkpoint import extract_state_dict, load_checkpoint
    from vidcore.data.annotations.ava import read_ava_proposals
    from vidcore.data.annotations.labelmap import read_label_map
    from vidcore.data.decoders import open_video
    from vidcore.data.samplers import ava_keyframe_window

    from ..registry import get_model, get_preset

    if args.proposals is None and args.detector is None:
        print("error: give person boxes: --proposals PKL or --detector torchvision:NAME --detector-weights PATH",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.detector is not None and args.detector_weights is None:
        print("error: --detector needs --detector-weights (a local file; nothing is downloaded)", file=sys.stderr)
        return 2
    for path in (args.video, args.checkpoint, args.proposals, args.detector_weights, args.label_map):
        if path is not None and not path.is_file():
            print(f"error: no such file {path}", file=sys.stderr)
            return 2
    preset = get_preset(args.preset)
    sd = extract_state_dict(load_checkpoint(args.checkpoint))
    k = args.num_classes or preset.num_classes_in(sd) or preset.num_classes
    model = get_model(args.preset, num_classes=k)
    model.load_state_dict(sd)
    model.eval().to(args.device)
    names = dict(read_label_map(args.label_map).items()) if args.label_map else {}
    video_id = args.video_id or args.video.stem
    detector = _person_detector(args.detector, args.detector_weights, args.device) if args.detector else None
    proposals = read_ava_proposals(args.proposals) if args.proposals else {}

    from torchvision.transforms.v2 import functional as TF

    out: list[dict[str, Any]] = []
    with open_video(str(args.video)) as reader:
        n, fps = reader.num_frames, float(reader.fps)
        if proposals:
            stamps = sorted(int(key.split(",")[1]) for key in proposals if key.split(",")[0] == video_id)
            if not stamps:
                print(f"error: {args.proposals} has no keys for video id {video_id!r} (use --video-id)",
                      file=sys.stderr)  # fmt: skip
                return 2
        else:
            stamps = list(np.arange(args.every, n / fps - 1e-6, args.every) + args.timestamp_start)
        for ts in stamps:
            inds = ava_keyframe_window(
                float(ts), fps, clip_len=preset.clip_len, frame_interval=preset.frame_interval,
                timestamp_start=args.timestamp_start, num_frames=n, test_mode=True,
            )  # fmt: skip
            frames = reader.get_frames(inds).permute(0, 3, 1, 2)  # (T, H, W, C) -> (T, C, H, W)
            h, w = frames.shape[-2:]
            if detector is not None:
                key = frames[len(inds) // 2].float().div(255).to(args.device)
                with torch.no_grad():
                    det = detector([key])[0]
                keep = (det["labels"] == 1) & (det["scores"] >= args.person_thr)
                boxes = det["boxes"][keep].cpu() / torch.tensor([w, h, w, h])
            else:
                p = proposals.get(f"{video_id},{int(ts):04d}", np.zeros((0, 5), np.float32))
                if p.shape[1] == 5 and len(p):
                    p = p[p[:, 4] >= min(args.person_thr, float(p[:, 4].max()))]
                boxes = torch.from_numpy(np.ascontiguousarray(p[:, :4], dtype=np.float32))
            entry: dict[str, Any] = {"timestamp": float(ts), "people": []}
            if len(boxes):
                scale = preset.short_side / min(h, w)
                size = (round(h * scale), round(w * scale))
                clip = TF.resize(frames, list(size), antialias=False)  # (T, C, H', W')
                pixels = boxes * torch.tensor([size[1], size[0], size[1], size[0]])
                det_out = model.predict(clip[None], [pixels])[0]
                for box, scores in zip(boxes.tolist(), det_out.scores):
                    top = scores[1:].topk(min(args.top_k, scores.numel() - 1))
                    entry["people"].append({
                        "box": [round(v, 4) for v in box],
                        "actions": [{"id": int(i) + 1, "name": names.get(int(i) + 1, str(int(i) + 1)),
                                     "score": round(float(s), 4)} for s, i in zip(top.values, top.indices)],
                    })  # fmt: skip
            out.append(entry)
        if args.video_out is not None:
            _write_annotated(reader, out, fps, args.video_out)
    text = json.dumps({"video": str(args.video), "preset": args.preset, "keyframes": out}, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
        print(f"wrote {args.out}: {len(out)} keyframes")
    else:
        print(text)
    return 0
