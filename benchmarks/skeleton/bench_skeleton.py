"""Skeleton benchmarks: forward of ST-GCN, 2s-AGCN, ST-GCN++ and PoseC3D at one thread, against
MMAction2 on the same input in the same run when it is importable.

    python -m benchmarks.skeleton.bench_skeleton --quick
    /work/mmenv/bin/python -m benchmarks.skeleton.bench_skeleton      # + MMAction2 ratios

Inputs are MMAction2's test shapes for one clip: GCNs ``(1, 2, 100, 17, 3)`` (2 people, 100 frames,
COCO-17, x/y/score), PoseC3D ``(1, 17, 48, 64, 64)``. MMAction2's weights (re-initialised from a
seed) are converted into ours and the outputs checked equal (<= 1e-4) before timing; both sides run
eval mode under ``torch.inference_mode`` at one thread, interleaved, median of ``repeats``.

Timing is CPU time of the calling thread (``time.thread_time``: with one intra-op thread every
kernel runs there), which a busy shared machine does not inflate; wall time is reported too.
Each :class:`~benchmarks.common.Result` holds our time with MMAction2's as baseline (``ratio`` > 1:
vidcore is faster). Writes ``benchmarks/results/skeleton.json`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import Result, machine_info

CASES = {
    "stgcn": ("stgcn_joint_80e_ntu60_xsub_keypoint_2d", (1, 2, 100, 17, 3)),
    "2s-agcn": ("agcn_joint_80e_ntu60_xsub_keypoint_2d", (1, 2, 100, 17, 3)),
    "stgcn++": ("stgcnpp_joint_80e_ntu60_xsub_keypoint_2d", (1, 2, 100, 17, 3)),
    "posec3d": ("posec3d_slowonly_r50_ntu60_xsub_keypoint", (1, 17, 48, 64, 64)),
}


def _mmaction() -> Any:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "parity"))
        from mm_helpers import _import_mmaction

        return _import_mmaction()
    except Exception:  # not installed here
        return None


def _interleaved(fns: dict[str, Any], repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    wall: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(repeats):
        for k, fn in fns.items():
            c0, w0 = time.thread_time(), time.perf_counter()
            fn()
            cpu[k].append(time.thread_time() - c0)
            wall[k].append(time.perf_counter() - w0)
    return {k: statistics.median(v) for k, v in cpu.items()}, {k: statistics.median(v) for k, v in wall.items()}


def bench_model(label: str, preset_name: str, shape: tuple[int, ...], repeats: int) -> Result:
    from vidcore.skeleton.registry import get_preset

    torch.set_num_threads(1)
    preset = get_preset(preset_name)
    ours = preset.build().eval()
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    fns = {"vidcore": lambda: ours(x)}
    have_mm = _mmaction() is not None
    if have_mm:
        from mm_helpers import build_mm_model, reinit_

        mm = build_mm_model(preset.mmaction_config)
        reinit_(mm, seed=1, skip={n for n, _ in mm.named_buffers() if n.endswith(".A") or n == "backbone.A"})
        ours.load_state_dict(preset.convert_mmaction(mm.state_dict()), strict=True)
        xm = x.unsqueeze(1)  # (N, clips, ...)
        with torch.inference_mode():
            diff = float((ours(x) - mm(xm, mode="tensor", stage="head")).abs().max())
        assert diff <= 1e-4, f"{label}: outputs differ by {diff}"
        fns["mmaction2"] = lambda: mm(xm, mode="tensor", stage="head")
    with torch.inference_mode():
        cpu, wall = _interleaved(fns, repeats)
    return Result(
        "skeleton",
        f"{label}_fwd_{'x'.join(map(str, shape))}_1thread",
        cpu["vidcore"] * 1e3,
        "ms",
        "mmaction2" if have_mm else None,
        cpu.get("mmaction2", 0) * 1e3 or None,
        lower_is_better=True,
        extra={
            "threads": 1,
            "repeats": repeats,
            "clock": "thread CPU time",
            "wall_ms": {k: v * 1e3 for k, v in wall.items()},
        },
    )


def run(quick: bool = False, cases: list[str] | None = None) -> list[Result]:
    repeats = 3 if quick else 7
    chosen = cases or list(CASES)
    return [bench_model(label, *CASES[label], repeats) for label in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="only these models (default: all)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "skeleton.json")
    args = parser.parse_args(argv)
    results = run(args.quick, args.cases)
    doc = {"machine": machine_info(), "results": [r.to_dict() for r in results]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
