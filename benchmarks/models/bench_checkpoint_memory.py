"""Memory of one training step with and without activation checkpointing per block (``with_cp``).

    python -m benchmarks.models.bench_checkpoint_memory                      # VideoMAE ViT-B, 16x224x224
    python -m benchmarks.models.bench_checkpoint_memory --batch 2 --size 160

Each variant runs in its own Python process (the resident-set high-water mark, ``ru_maxrss``,
never goes down, so two variants cannot share one), on CPU with 1 thread: build the preset's
recognizer (random weights) with ``with_cp`` off or on, make a random normalized input, then one
training step (``model.train()``, forward, cross-entropy on random labels, backward; no optimizer).
Two figures per variant:

- ``peak_step_mib``: peak resident memory during the step minus the resident memory before it
  (``ru_maxrss`` after the step minus the process's RSS from ``/proc/self/statm`` just before it):
  the activations kept for the backward, the backward's temporaries and the new gradients
  (the same parameter gradients in both variants). CPU peak RSS, not torch's allocator.
- ``saved_mib``: bytes of the activations autograd keeps for the backward, counted through
  ``torch.autograd.graph.saved_tensors_hooks`` (each storage once, parameters left out). Under checkpointing the
  blocks' own saved tensors are held by the checkpoint and are not counted: only the block inputs
  and the layers outside the blocks remain, which is what checkpointing keeps.

The ratio is plain / checkpointed (above 1: checkpointing saves memory); ``step_s`` shows what the
recomputation costs in time (a loaded machine makes it rough).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SUITE = "models"
DEFAULT_PRESET = "videomae_vit_base_p16_16x4x1_kinetics400"


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def one_variant(preset_name: str, with_cp: bool, batch: int, size: int | None) -> dict[str, Any]:
    """Build, one training step, and the figures of the module docstring (run in a fresh process)."""
    import torch
    import torch.nn.functional as F

    from vidcore.recognition.registry import get_model, get_preset

    torch.set_num_threads(1)
    preset = get_preset(preset_name)
    side = size or preset.crop_size
    torch.manual_seed(0)
    model = get_model(preset_name)
    backbone = model.backbone
    if not hasattr(backbone, "with_cp"):
        raise SystemExit(f"{preset_name}: its backbone {type(backbone).__name__} has no with_cp option")
    backbone.with_cp = with_cp
    for m in backbone.modules():  # Swin/MViT/UniFormer keep the flag per block too
        if hasattr(m, "with_cp"):
            m.with_cp = with_cp
    model.train()
    x = torch.randn(batch, preset.channels, preset.frames_per_clip, side, side, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(0, preset.num_classes, (batch,), generator=torch.Generator().manual_seed(2))
    storages: dict[int, int] = {}
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}  # saved too, but not activations

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in weights:
            storages[s.data_ptr()] = s.nbytes()
        return t

    rss0 = _rss_mib()
    t0 = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(model(x), labels)
    loss.backward()
    step_s = time.perf_counter() - t0
    return {
        "preset": preset_name,
        "with_cp": with_cp,
        "batch": batch,
        "clip": f"T={preset.frames_per_clip} {side}x{side}",
        "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
        "rss_before_step_mib": round(rss0, 1),
        "peak_step_mib": round(_max_rss_mib() - rss0, 1),
        "saved_mib": round(sum(storages.values()) / 2**20, 1),
        "step_s": round(step_s, 1),
        "threads": 1,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def run(preset: str = DEFAULT_PRESET, batch: int = 1, size: int | None = None, log: Any = print) -> list[Any]:
    """Both variants, each in a subprocess; returns :class:`benchmarks.common.Result` records."""
    from benchmarks.common import Result

    got: dict[bool, dict[str, Any]] = {}
    for with_cp in (False, True):
        cmd = [sys.executable, "-m", "benchmarks.models.bench_checkpoint_memory", "--variant",
               "cp" if with_cp else "plain", "--preset", preset, "--batch", str(batch)]  # fmt: skip
        if size:
            cmd += ["--size", str(size)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[2])
        if out.returncode != 0:
            raise RuntimeError(f"variant with_cp={with_cp} failed:\n{out.stderr[-3000:]}")
        got[with_cp] = json.loads(out.stdout.strip().splitlines()[-1])
        log(f"  with_cp={with_cp}: {got[with_cp]}")
    plain, cp = got[False], got[True]
    results = []
    for key in ("peak_step_mib", "saved_mib"):
        results.append(Result(
            SUITE, f"{preset} train step {key} with_cp", cp[key], "MiB", baseline_name=f"{key} without with_cp",
            baseline_value=plain[key], lower_is_better=True, extra={"plain": plain, "with_cp": cp},
        ))  # fmt: skip
    results.append(Result(
        SUITE, f"{preset} train step time with_cp", cp["step_s"], "s", baseline_name="step time without with_cp",
        baseline_value=plain["step_s"], lower_is_better=True,
    ))  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.models.bench_checkpoint_memory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=None, help="spatial side (default: the preset's crop)")
    parser.add_argument("--variant", choices=("plain", "cp"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.variant is not None:  # the child process: one variant, one JSON line
        print(json.dumps(one_variant(args.preset, args.variant == "cp", args.batch, args.size)))
        return 0
    t0 = time.time()
    results = run(args.preset, args.batch, args.size)
    for r in results:
        print(f"{r.name}: {r.value:.4g} {r.unit} (without: {r.baseline_value:.4g})")
    out = args.out or Path(__file__).resolve().parent.parent / "results" / (
        f"models-checkpoint-memory-{dt.date.today().isoformat()}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "seconds": round(time.time() - t0, 1),
        "measure": "CPU peak RSS (ru_maxrss) minus RSS before the step; autograd saved-tensor bytes",
        "results": [r.to_dict() for r in results],
    }, indent=1) + "\n")  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
