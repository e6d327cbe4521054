"""Run the benchmark suite and write JSON, a Markdown table and PNG plots.

examples:
  python -m benchmarks --quick                 # every suite, small sizes (< 3 minutes)
  python -m benchmarks --only data,models      # two suites, full sizes
  hatch run bench --quick                      # the same through hatch
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from benchmarks.common import Result, machine_info

SUITES = {
    "data": "benchmarks.data.bench_pipeline",
    "shards": "benchmarks.data.bench_shards",
    "models": "benchmarks.models.bench_models",
    "training": "benchmarks.training.bench_ddp",
    "localization": "benchmarks.localization.bench_localization",
    "detection": "benchmarks.detection.bench_detection",
    "skeleton": "benchmarks.skeleton.bench_skeleton",
    "audio": "benchmarks.audio.bench_audio",
}


def markdown_table(results: list[Result]) -> str:
    lines = ["| suite | benchmark | value | baseline | ratio |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        base = f"{r.baseline_value:.3g} {r.unit} ({r.baseline_name})" if r.baseline_value else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        lines.append(f"| {r.suite} | {r.name} | {r.value:.3g} {r.unit} | {base} | {ratio} |")
    return "\n".join(lines) + "\n"


def plot(results: list[Result], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rated = [r for r in results if r.ratio is not None]
    if not rated:
        return False
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rated) + 1.5))
    labels = [f"{r.suite}: {r.name}\nvs {r.baseline_name}" for r in rated]
    ax.barh(range(len(rated)), [r.ratio for r in rated], color="tab:blue")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(range(len(rated)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ratio to the same-run baseline (higher is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; the whole suite in < 3 minutes")
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated suites ({', '.join(SUITES)})")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)

    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {list(SUITES)}")
    results: list[Result] = []
    failures: dict[str, str] = {}
    t0 = time.time()
    for suite in chosen:
        print(f"== {suite} ==", flush=True)
        try:
            mod = importlib.import_module(SUITES[suite])
            got = mod.run(quick=args.quick)
        except Exception as e:  # one failing suite must not hide the others' numbers
            traceback.print_exc()
            failures[suite] = f"{type(e).__name__}: {e}"
            continue
        for r in got:
            ratio = f"  ratio {r.ratio:.2f}x vs {r.baseline_name}" if r.ratio is not None else ""
            print(f"  {r.name}: {r.value:.3g} {r.unit}{ratio}", flush=True)
        results.extend(got)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d")
    payload = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine_info(),
        "seconds": round(time.time() - t0, 1),
        "results": [r.to_dict() for r in results],
        "failures": failures,
    }
    json_path = args.out / f"{stamp}.json"
    json_path.write_text(json.dumps(payload, indent=1) + "\n")
    (args.out / f"{stamp}.md").write_text(markdown_table(results))
    plotted = plot(results, args.out / f"{stamp}.png")
    print(f"wrote {json_path}, {stamp}.md" + (f", {stamp}.png" if plotted else ""))
    print(markdown_table(results))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
