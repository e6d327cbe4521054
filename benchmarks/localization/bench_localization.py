"""Localization benchmarks: BMN forward and the ActivityNet evaluation, against MMAction2 on the
same inputs in the same run when it is importable.

    python -m benchmarks.localization.bench_localization --quick
    /work/mmenv/bin/python -m benchmarks.localization.bench_localization      # + MMAction2 ratios

- ``bmn_fwd``: BMN (ActivityNet config, 400 x 100 features), batch 1, eval mode, one thread,
  MMAction2's weights converted into ours (outputs checked equal to 1e-4 before timing). Our
  boundary-matching layer is fused with the 3D convolution (see ``vidcore.localization.models.bmn``).
- ``ar_an`` / ``ap``: AR@AN (max 100 proposals per video) and one class's AP at tIoU 0.5:0.95
  on random ground truth (1-4 instances) and ``num_proposals`` proposals for each of
  ``num_videos`` videos (1,000 x 100; ``--quick``: 200 x 100, AP on the first 50 videos).

Each :class:`~benchmarks.common.Result` holds our time (lower is better) with MMAction2's as
baseline, so ``ratio`` > 1 means vidcore is faster. Variants are timed in interleaved rounds.
Writes ``benchmarks/results/localization.json`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import Result, machine_info


def _mmaction() -> Any:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "parity"))
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


def bench_bmn(repeats: int) -> list[Result]:
    from vidcore.localization.registry import get_model, get_preset

    torch.set_num_threads(1)
    ours = get_model("bmn_400x100_9e_activitynet_feature").eval()
    x = torch.randn(1, 400, 100, generator=torch.Generator().manual_seed(0))
    fns = {"vidcore": lambda: ours(x)}
    mm = None
    if _mmaction() is not None:
        from mm_helpers import load_mm_config
        from mmaction.registry import MODELS

        mm = MODELS.build(load_mm_config(get_preset("bmn_400x100_9e_activitynet_feature").mmaction_config).model).eval()
        ours.load_state_dict(get_preset("bmn_400x100_9e_activitynet_feature").convert_mmaction(mm.state_dict()))
        with torch.inference_mode():
            diff = float((ours(x).confidence - mm._forward(x)[0]).abs().max())
        assert diff <= 1e-4, diff
        fns["mmaction2"] = lambda: mm._forward(x)
    with torch.inference_mode():
        t = _interleaved(fns, repeats)
    return [Result("localization", "bmn_fwd_400x100_batch1_1thread", t["vidcore"], "s", "mmaction2" if mm else None,
                   t.get("mmaction2"), lower_is_better=True, extra={"threads": 1, "repeats": repeats})]  # fmt: skip


def _random_eval_case(num_videos: int, num_proposals: int, seed: int = 0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    gt, props = {}, {}
    for v in range(num_videos):
        n = int(rng.integers(1, 5))
        s = rng.uniform(0, 100, n)
        gt[f"{v:06d}"] = np.stack([s, s + rng.uniform(2, 60, n)], 1)
        s = rng.uniform(0, 120, num_proposals)
        props[f"{v:06d}"] = np.stack([s, s + rng.uniform(1, 80, num_proposals), rng.uniform(0, 1, num_proposals)], 1)
    return gt, props


def bench_evaluation(num_videos: int, num_proposals: int, ap_videos: int, repeats: int) -> list[Result]:
    from vidcore.localization import evaluation as ev

    gt, props = _random_eval_case(num_videos, num_proposals)
    total = sum(len(p) for p in props.values())
    preds = [(v, p[0], p[1], p[2]) for v in list(props)[:ap_videos] for p in props[v]]
    gt_ap = {v: gt[v] for v in list(gt)[:ap_videos]}
    ar = {"vidcore": lambda: ev.average_recall_at_avg_proposals(gt, props, max_avg_proposals=100)}
    ap = {"vidcore": lambda: ev.average_precision_at_temporal_iou(gt_ap, preds)}
    have_mm = _mmaction() is not None
    if have_mm:
        from mmaction.evaluation.functional.accuracy import (
            average_precision_at_temporal_iou,
            average_recall_at_avg_proposals,
        )

        mm_preds = [[v, 0, s, e, c] for v, s, e, c in preds]
        ar["mmaction2"] = lambda: average_recall_at_avg_proposals(gt, props, total, max_avg_proposals=100)
        ap["mmaction2"] = lambda: average_precision_at_temporal_iou(gt_ap, mm_preds)
        ours, theirs = ar["vidcore"](), ar["mmaction2"]()
        assert abs(ours.auc - theirs[3]) < 1e-9
    out = []
    for name, fns, extra in (
        (f"ar_an_{num_videos}x{num_proposals}", ar, {"videos": num_videos, "proposals_per_video": num_proposals}),
        (f"ap_{ap_videos}x{num_proposals}", ap, {"videos": ap_videos, "predictions": len(preds)}),
    ):
        t = _interleaved(fns, repeats)
        out.append(Result("localization", name, t["vidcore"], "s", "mmaction2" if have_mm else None,
                          t.get("mmaction2"), lower_is_better=True, extra={**extra, "repeats": repeats}))  # fmt: skip
    return out


def run(quick: bool = False) -> list[Result]:
    repeats = 3 if quick else 5
    results = bench_bmn(repeats)
    if quick:
        results += bench_evaluation(200, 100, 50, repeats)
    else:
        results += bench_evaluation(1000, 100, 1000, 3)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "localization.json")
    args = parser.parse_args(argv)
    results = run(args.quick)
    doc = {"machine": machine_info(), "results": [r.to_dict() for r in results]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
