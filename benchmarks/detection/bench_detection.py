"""Detection benchmarks: the AVA evaluation and a detector forward, against MMAction2 on the same
inputs in the same run when it is importable.

    python -m benchmarks.detection.bench_detection --quick
    /work/mmenv/bin/python -m benchmarks.detection.bench_detection      # + MMAction2 ratios

- ``ava_eval_*``: frame-mAP of a random results csv (``K`` keyframes, 3 people with 1-3 of 60
  actions each; 4 boxes x 60 scores per keyframe, ground truth jittered plus false positives)
  read from the same files: ours in MMAction2's mode (results checked equal first) against
  MMAction2's ``ava_eval`` with its process pool replaced by an in-process map (the same work in
  one process; its ``Pool(32)`` only adds start-up on 2 cores); ours in the official mode alone.
- ``fwd_*``: ``slowonly_r50_4x16x1_ava21``, one 4 x 256 x 320 clip, 8 person boxes, eval mode, one
  thread; MMAction2's backbone and RoI classes (RoIAlign from torchvision, as in the parity tests)
  with the same weights (outputs checked equal to 1e-4 before timing).

Each result holds our time with MMAction2's as baseline (``ratio`` > 1: vidcore is faster).
Writes ``benchmarks/results/detection.json`` and prints it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import Result, machine_info

_PARITY = Path(__file__).resolve().parents[2] / "tests" / "parity"


def _mmaction() -> Any:
    try:
        sys.path.insert(0, str(_PARITY))
        from mm_helpers import _import_mmaction

        return _import_mmaction()
    except Exception:  # not installed here
        return None


def _interleaved(fns: dict[str, Any], repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _write_case(d: Path, keyframes: int, seed: int = 0) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    classes = np.arange(1, 61)
    (d / "lm.pbtxt").write_text("".join(f'item {{\n  name: "a{i}"\n  id: {i}\n}}\n' for i in classes))
    gt_lines, det_lines = [], []
    for k in range(keyframes):
        key = f"vid{k // 100:04d},{902 + k % 100:04d}"
        xy = rng.uniform(0, 0.6, (3, 2))
        people = np.concatenate([xy, xy + rng.uniform(0.15, 0.4, (3, 2))], 1)
        for p, b in enumerate(people):
            for a in rng.choice(classes, size=int(rng.integers(1, 4)), replace=False):
                gt_lines.append(f"{key},{b[0]:.3f},{b[1]:.3f},{b[2]:.3f},{b[3]:.3f},{a},{p}")
        xy = rng.uniform(0, 0.6, (1, 2))
        boxes = np.concatenate([np.clip(people + rng.normal(0, 0.02, people.shape), 0, 1),
                                np.concatenate([xy, xy + 0.3], 1)])  # fmt: skip
        boxes = np.concatenate([boxes[:, :2].clip(max=boxes[:, 2:]), boxes[:, 2:]], 1)
        scores = rng.random((4, 60)) ** 3
        for b, s in zip(boxes, scores):
            for a, sc in zip(classes, s):
                det_lines.append(f"{key},{b[0]:.4f},{b[1]:.4f},{b[2]:.4f},{b[3]:.4f},{a},{sc:.4f}")
    (d / "gt.csv").write_text("\n".join(gt_lines) + "\n")
    (d / "det.csv").write_text("\n".join(det_lines) + "\n")
    return d / "gt.csv", d / "det.csv", d / "lm.pbtxt"


class _SerialPool:
    def __init__(self, processes: int | None = None) -> None:
        pass

    def map(self, fn: Any, items: Any) -> list[Any]:
        return [fn(x) for x in items]


def bench_evaluation(keyframes: int, repeats: int) -> list[Result]:
    from vidcore.detection.evaluation import ava_frame_map

    tmp = Path(tempfile.mkdtemp(prefix="bench_ava_"))
    gt, det, lm = _write_case(tmp, keyframes)
    rows = len(det.read_text().splitlines())
    fns = {
        "vidcore": lambda: ava_frame_map(gt, det, lm, mode="mmaction"),
        "vidcore_official": lambda: ava_frame_map(gt, det, lm, mode="official"),
    }
    have_mm = _mmaction() is not None
    if have_mm:
        from mmaction.evaluation.functional import ava_utils

        ava_utils.multiprocessing.Pool = _SerialPool  # type: ignore[attr-defined]

        def theirs() -> dict[str, float]:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return ava_utils.ava_eval(str(det), "mAP", str(lm), str(gt), None)

        ref = theirs()["overall"]
        ours = ava_frame_map(gt, det, lm, mode="mmaction").mean_ap
        assert abs(ref - ours) < 1e-9, (ref, ours)
        fns["mmaction2"] = theirs
    t = _interleaved(fns, repeats)
    extra = {"keyframes": keyframes, "result_rows": rows, "repeats": repeats}
    return [
        Result("detection", f"ava_eval_mmaction_mode_{keyframes}kf", t["vidcore"], "s",
               "mmaction2" if have_mm else None, t.get("mmaction2"), lower_is_better=True, extra=extra),
        Result("detection", f"ava_eval_official_mode_{keyframes}kf", t["vidcore_official"], "s",
               "mmaction2" if have_mm else None, t.get("mmaction2"), lower_is_better=True, extra=extra),
    ]  # fmt: skip


def bench_forward(repeats: int) -> list[Result]:
    from vidcore.detection.registry import get_model, get_preset

    torch.set_num_threads(1)
    name = "slowonly_r50_4x16x1_ava21"
    ours = get_model(name).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, 4, 256, 320, generator=g)
    xy = torch.rand(8, 2, generator=g) * torch.tensor([200.0, 130.0])
    rois = torch.cat([torch.zeros(8, 1), xy, xy + torch.tensor([100.0, 120.0])], 1)
    fns = {"vidcore": lambda: ours(x, rois)}
    have_mm = False
    if _mmaction() is not None:
        try:
            import types

            from test_detection_parity import _build_mm, _TorchvisionRoIAlign  # type: ignore[import-not-found]

            for mod in ("mmdet", "mmdet.models", "mmdet.models.task_modules", "mmdet.models.task_modules.samplers"):
                sys.modules.setdefault(mod, types.ModuleType(mod))
            sys.modules["mmdet.models.task_modules.samplers"].SamplingResult = object  # type: ignore[attr-defined]
            ops = types.ModuleType("mmcv.ops")
            ops.RoIAlign, ops.RoIPool = _TorchvisionRoIAlign, None  # type: ignore[attr-defined]
            sys.modules["mmcv.ops"] = ops
            from mmaction.models.roi_heads.bbox_heads.bbox_head import BBoxHeadAVA
            from mmaction.models.roi_heads.roi_extractors.single_straight3d import SingleRoIExtractor3D

            classes = {"BBoxHeadAVA": BBoxHeadAVA, "SingleRoIExtractor3D": SingleRoIExtractor3D}
            mm = _build_mm(get_preset(name).mmaction_config, classes, Path(tempfile.mkdtemp()))
            ours.load_state_dict(get_preset(name).convert_mmaction(mm.state_dict()))
            with torch.inference_mode():
                diff = float((ours(x, rois) - mm(x, rois, [{}])).abs().max())
            assert diff <= 1e-4, diff
            fns["mmaction2"] = lambda: mm(x, rois, [{}])
            have_mm = True
        except ImportError as exc:
            print(f"MMAction2 detector pieces unavailable ({exc}); timing ours alone", file=sys.stderr)
    with torch.inference_mode():
        t = _interleaved(fns, repeats)
    return [Result("detection", "fwd_slowonly_r50_4x256x320_8rois_1thread", t["vidcore"], "s",
                   "mmaction2" if have_mm else None, t.get("mmaction2"), lower_is_better=True,
                   extra={"threads": 1, "repeats": repeats})]  # fmt: skip


def run(quick: bool = False) -> list[Result]:
    repeats = 3 if quick else 5
    results = bench_forward(repeats)
    results += bench_evaluation(200 if quick else 1000, 3)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "detection.json")
    args = parser.parse_args(argv)
    results = run(args.quick)
    doc = {"machine": machine_info(), "results": [r.to_dict() for r in results]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
