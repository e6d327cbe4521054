"""Model throughput per recognition preset on CPU: eager against ``torch.compile`` and
channels-last, and against MMAction2 where it is importable, all measured in the same run.

    python -m benchmarks.models.bench_models --quick                        # a few small presets
    python -m benchmarks.models.bench_models --presets x3d_s_13x6x1_kinetics400 --size 112
    python -m benchmarks.models.bench_models                                # every preset, real shapes
    /work/mmenv/bin/python -m benchmarks.models.bench_models --quick        # + MMAction2 ratio

What one preset costs (random weights, random float input already normalized and laid out as the
model takes it, so decoding and preprocessing are not part of it):

- ``fwd``: ``model.eval()`` under ``torch.inference_mode()``, batch 1 clip;
- ``train``: ``model.train()``, forward, cross-entropy on random labels, backward, batch 2 clips
  (no optimizer step); gradients are dropped between steps;

each in eager mode (the baseline), through ``torch.compile`` (default mode; the first call, which
compiles, is timed separately as ``compile_s`` and excluded), and eager with a copy of the model
and the input in channels-last memory format (``channels_last_3d`` for 5-D inputs,
``channels_last`` for the 2D models' 4-D inputs). Each variant is a :class:`Result` whose baseline
is the same preset's eager figure. With MMAction2 importable, its recognizer is built from the
preset's ``mmaction_config`` and run with ``model(inputs, mode='tensor', stage='head')`` on the
same input, forward and training step alike; those :class:`Result` records have our eager figure
as value and MMAction2's as baseline, so a ratio above 1 means vidcore is faster.

Figures are clips/s, median of ``repeats`` timed runs after ``warmup`` runs, with a fixed thread
count (recorded in ``extra``). The variants of one kind are timed in interleaved rounds (eager,
channels-last, MMAction2, compiled, eager, ...), so a change of machine load during the run hits
them alike and the ratios stay meaningful on a busy machine. ``max_rss_mib`` is the process's
resident-set high-water mark after the preset ran and ``rss_growth_mib`` how much this preset
raised it (0 when an earlier, larger preset already reached it): a cheap upper bound, not a
per-model measurement. A variant that fails (compile error, a layer refusing channels-last input)
is recorded as ``*_error`` in the eager records' ``extra`` instead of stopping the run.

``--transformers`` times the transformer presets of ``TRANSFORMER_PRESETS`` forward only, at
their real clip shape, 1 thread, batch 1, against MMAction2 (``--compile`` adds torch.compile):

    /work/mmenv/bin/python -m benchmarks.models.bench_models --transformers

``--quick`` uses two presets (TSM-R50, X3D-S) at a reduced spatial size (112 pixels; noted as
``size`` and ``reduced_size`` in ``extra``), 1 thread, fewer repeats, and skips ``torch.compile``
unless ``--compile`` is given (compiling one preset took 1-6 minutes of a busy 2-core machine;
recorded as ``compile_skipped``). The full run (every preset at its real shape, with compile)
takes hours on 2 CPU cores; pick presets with ``--presets``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import gc
import json
import os
import resource
import statistics
import sys
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.common import Result, machine_info

SUITE = "models"

#: Presets of ``--quick`` (those that exist are used): a 2D and a 3D one with an MMAction2 config.
QUICK_PRESETS: tuple[str, ...] = ("tsm_r50_1x1x8_kinetics400", "x3d_s_13x6x1_kinetics400")
#: Spatial size of ``--quick`` runs (presets with a smaller crop keep theirs).
QUICK_SIZE = 112
#: Presets of ``--transformers`` (issue 10 item 5; those registered are used): forward only, one
#: thread, batch 1, one view at the preset's real clip shape, eager against MMAction2 eager.
TRANSFORMER_PRESETS: tuple[str, ...] = (
    "timesformer_divst_8x32x1_kinetics400",
    "swin_tiny_p244_w877_32x2x1_kinetics400",
    "videomae_vit_base_p16_16x4x1_kinetics400",
    "mvit_small_p244_16x4x1_kinetics400",
    "uniformerv2_base_p16_res224_clip_u8_kinetics400",
)


@dataclass(frozen=True)
class Settings:
    """What one run measures.

    Attributes:
        size: spatial side of the input in pixels, ``None`` for each preset's ``crop_size``.
        threads: ``torch.set_num_threads`` value.
        warmup, repeats: untimed and timed calls per figure (the figure is the median).
        fwd_batch, train_batch: clips per forward / per training step.
        compile, channels_last, train: which variants to run.
        mmaction: measure MMAction2 when importable.
    """

    size: int | None = None
    threads: int = 2
    warmup: int = 2
    repeats: int = 5
    fwd_batch: int = 1
    train_batch: int = 2
    compile: bool = True
    channels_last: bool = True
    train: bool = True
    mmaction: bool = True


def default_threads(quick: bool = False) -> int:
    """1 thread for ``--quick`` (a busy machine makes multi-threaded OpenMP figures erratic: with
    2 threads on 2 cores shared with other work, one forward was 5-20x slower than with 1), else
    every core this process may use. ``VIDCORE_BENCH_THREADS`` overrides both."""
    if os.environ.get("VIDCORE_BENCH_THREADS"):
        return int(os.environ["VIDCORE_BENCH_THREADS"])
    if quick:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _max_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _load_avg() -> float | None:
    """The 1-minute load average (runnable processes; compare with the core count), ``None`` where
    the OS has none: recorded with every preset, since the figures of a shared machine depend on it."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


# ---------------------------------------------------------------------------- MMAction2
_MM: dict[str, Any] = {}


def mmaction_status() -> str | None:
    """``None`` when ``mmaction.models`` imports (after the wheel workaround), else the reason."""
    if "error" in _MM:
        return _MM["error"]
    if "ok" in _MM:
        return None
    try:
        import mmaction

        # The mmaction2 1.2.0 wheel omits models/localizers/drn but localizers/__init__ imports
        # it (see shared/PARITY.md): give it stand-in modules before importing the models.
        for modname in ("mmaction.models.localizers.drn", "mmaction.models.localizers.drn.drn"):
            if modname not in sys.modules:
                stub = types.ModuleType(modname)
                stub.DRN = type("DRN", (), {})  # type: ignore[attr-defined]
                sys.modules[modname] = stub
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mmaction.models  # noqa: F401
            from mmaction.utils import register_all_modules

            register_all_modules()
    except Exception as e:  # ImportError or a broken install: a reason, not a crash
        _MM["error"] = f"mmaction not importable: {type(e).__name__}: {e}"
        return _MM["error"]
    _MM["ok"] = True
    return None


def build_mmaction(config_relpath: str) -> nn.Module:
    """MMAction2's recognizer of a stock config (shipped in the wheel), random weights, eval mode."""
    import mmaction
    from mmaction.registry import MODELS
    from mmengine import Config

    path = Path(mmaction.__file__).parent / ".mim" / "configs" / config_relpath
    if not path.is_file():
        raise FileNotFoundError(f"no MMAction2 config {config_relpath} at {path}")
    cfg = Config.fromfile(str(path)).model
    if "pretrained" in cfg.backbone:
        cfg.backbone.pretrained = None  # nothing can be downloaded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MODELS.build(cfg)
    return model.eval()


# ---------------------------------------------------------------------------- measuring
def make_input(preset: Any, batch: int, size: int) -> Tensor:
    """Random model input: ``(B*T, C, H, W)`` for NCHW presets, ``(B, C, T, H, W)`` for NCTHW."""
    t, c = preset.frames_per_clip, preset.channels
    gen = torch.Generator().manual_seed(0)
    if preset.input_layout == "NCHW":
        return torch.randn(batch * t, c, size, size, generator=gen)
    return torch.randn(batch, c, t, size, size, generator=gen)


def to_mmaction_input(x: Tensor, preset: Any) -> Tensor:
    """Our layout -> MMAction2's recognizer input: 3D ``(N, 1 view, C, T, H, W)``, 2D ``(N, T, C, H, W)``."""
    if preset.input_layout == "NCTHW":
        return x.unsqueeze(1)
    t = preset.frames_per_clip
    return x.reshape(-1, t, *x.shape[1:])


def memory_format_for(preset: Any) -> torch.memory_format:
    return torch.channels_last if preset.input_layout == "NCHW" else torch.channels_last_3d


def _forward_fn(model: Callable[[Tensor], Tensor], x: Tensor) -> Callable[[], Any]:
    def step() -> Any:
        with torch.inference_mode():
            return model(x)

    return step


def _train_fn(model: nn.Module, call: Callable[[Tensor], Tensor], x: Tensor, labels: Tensor) -> Callable[[], Any]:
    def step() -> Any:
        model.zero_grad(set_to_none=True)
        loss = F.cross_entropy(call(x), labels)
        loss.backward()
        return loss

    return step


def measure_interleaved(fns: dict[str, Callable[[], Any]], *, repeats: int, warmup: int) -> dict[str, Any]:
    """Median seconds per call of each function, timed in interleaved rounds (one call of each per
    round, in turn) so that a change in machine load during the run hits every variant alike.
    Also the median CPU time of the calling thread per call under ``"<name>@cpu"`` (with one
    intra-op thread every kernel runs on it; a busy machine inflates wall time, not this).
    A function that raises is dropped and its error returned under ``"<name>_error"`` (a str)."""
    live = dict(fns)
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    failed: dict[str, Any] = {}

    def call(name: str) -> tuple[float, float] | None:
        try:
            c0, t0 = time.thread_time(), time.perf_counter()
            live[name]()
            return time.perf_counter() - t0, time.thread_time() - c0
        except Exception as e:
            failed[f"{name}_error"] = f"{type(e).__name__}: {str(e)[:500]}"
            del live[name]
            return None

    for _ in range(warmup):
        for name in list(live):
            call(name)
    for _ in range(repeats):
        for name in list(live):
            gc.collect()
            got = call(name)
            if got is not None:
                times[name].append(got[0])
                cpu[name].append(got[1])
    out: dict[str, Any] = {k: statistics.median(v) for k, v in times.items() if k in live and v}
    out.update({f"{k}@cpu": statistics.median(v) for k, v in cpu.items() if k in live and v})
    out.update(failed)
    return out


@contextlib.contextmanager
def _fresh_dynamo() -> Iterator[None]:
    # Many presets share block classes (one forward code object): without a reset, dynamo's
    # per-code-object recompile limit would silently send later presets back to eager.
    torch._dynamo.reset()
    try:
        yield
    finally:
        torch._dynamo.reset()


def _timed_first_call(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_preset(name: str, st: Settings) -> list[Result]:
    """Every figure of one preset (see the module docstring); never raises for a failing variant.

    The variants of one kind (``fwd`` or ``train``) are timed in interleaved rounds; compiling
    happens before, outside the timing.
    """
    from vidcore.recognition.registry import get_model, get_preset

    preset = get_preset(name)
    size = st.size if st.size is not None else preset.crop_size
    size = min(size, preset.crop_size)
    rss0 = _max_rss_mib()
    torch.manual_seed(0)
    model = get_model(name)
    n_params = sum(p.numel() for p in model.parameters())
    x_fwd = make_input(preset, st.fwd_batch, size)
    x_tr = make_input(preset, st.train_batch, size)
    labels = torch.randint(0, preset.num_classes, (st.train_batch,), generator=torch.Generator().manual_seed(1))
    t = preset.frames_per_clip
    info: dict[str, Any] = {
        "preset": name,
        "input_layout": preset.input_layout,
        "clip": f"T={t} {size}x{size}",
        "size": size,
        "reduced_size": size != preset.crop_size,
        "params_m": round(n_params / 1e6, 2),
        "threads": st.threads,
        "warmup": st.warmup,
        "repeats": st.repeats,
    }
    notes: dict[str, Any] = {"load_avg_1m_start": _load_avg()}
    fwd_fns: dict[str, Callable[[], Any]] = {"eager": _forward_fn(model.eval(), x_fwd)}
    train_fns: dict[str, Callable[[], Any]] = {}
    extra_of: dict[str, dict[str, Any]] = {}

    # channels-last memory format (a copy of the model, eager)
    fmt = memory_format_for(preset)
    cl_model: nn.Module | None = None
    if st.channels_last:
        try:
            cl_model = copy.deepcopy(model).to(memory_format=fmt)
            fwd_fns["channels_last"] = _forward_fn(cl_model.eval(), x_fwd.contiguous(memory_format=fmt))
        except Exception as e:
            notes["channels_last_error"] = f"{type(e).__name__}: {str(e)[:500]}"

    # MMAction2 on the same architecture and input
    mm: nn.Module | None = None
    if st.mmaction:
        reason = mmaction_status()
        if reason is None and not preset.mmaction_config:
            reason = "preset has no mmaction_config"
        if reason is not None:
            notes["mmaction_skipped"] = reason
        else:
            try:
                mm = build_mmaction(preset.mmaction_config)
                xm = to_mmaction_input(x_fwd, preset)

                def mm_fwd(mm: nn.Module = mm, xm: Tensor = xm) -> Any:
                    with torch.inference_mode():
                        return mm(xm, mode="tensor", stage="head")

                fwd_fns["mmaction2"] = mm_fwd
                extra_of["mmaction2"] = {
                    "mmaction_config": preset.mmaction_config,
                    "mmaction_params_m": round(sum(p.numel() for p in mm.parameters()) / 1e6, 2),
                }
            except Exception as e:
                notes["mmaction_error"] = f"{type(e).__name__}: {str(e)[:500]}"

    # torch.compile (default mode): compile now, time later with the others
    if not st.compile:
        notes["compile_skipped"] = "compile not measured in this run (off by default with --quick)"
    with _fresh_dynamo():
        compiled: Callable[[Tensor], Tensor] | None = None
        if st.compile:
            try:
                compiled = torch.compile(model)
                model.eval()
                fn = _forward_fn(compiled, x_fwd)
                extra_of["fwd compiled"] = {"compile_s": round(_timed_first_call(fn), 2)}
                fwd_fns["compiled"] = fn
            except Exception as e:
                notes["compile_error"] = f"{type(e).__name__}: {str(e)[:500]}"
                compiled = None

        # forward: every variant in interleaved rounds
        model.eval()
        fwd = measure_interleaved(fwd_fns, repeats=st.repeats, warmup=st.warmup)

        if st.train:
            model.train()
            train_fns["eager"] = _train_fn(model, model, x_tr, labels)
            if cl_model is not None and "channels_last" in fwd:
                cl_model.train()
                train_fns["channels_last"] = _train_fn(cl_model, cl_model, x_tr.contiguous(memory_format=fmt), labels)
            if "mmaction2" in fwd:
                mm.train()
                xm_tr = to_mmaction_input(x_tr, preset)

                def mm_logits(x: Tensor, mm: nn.Module = mm) -> Tensor:
                    return mm(x, mode="tensor", stage="head")

                train_fns["mmaction2"] = _train_fn(mm, mm_logits, xm_tr, labels)
            if compiled is not None and "compiled" in fwd:
                try:
                    fn = _train_fn(model, compiled, x_tr, labels)
                    extra_of["train compiled"] = {"compile_s": round(_timed_first_call(fn), 2)}
                    train_fns["compiled"] = fn
                except Exception as e:
                    notes["compile_train_error"] = f"{type(e).__name__}: {str(e)[:500]}"
            tr = measure_interleaved(train_fns, repeats=st.repeats, warmup=st.warmup)
            model.zero_grad(set_to_none=True)
        else:
            tr = {}
    for kind, got in (("fwd", fwd), ("train", tr)):
        for key, val in got.items():
            if key.endswith("_error"):
                notes[f"{kind}_{key}"] = val
            elif key.endswith("@cpu"):
                notes[f"{kind}_cpu_s_{key[:-4]}"] = round(val, 4)
    rss1 = _max_rss_mib()
    notes.update({"max_rss_mib": round(rss1, 1), "rss_growth_mib": round(rss1 - rss0, 1), "load_avg_1m_end": _load_avg()})

    out: list[Result] = []
    for kind, got, batch in (("fwd", fwd, st.fwd_batch), ("train", tr, st.train_batch)):
        if "eager" not in got:
            if kind == "fwd" or st.train:
                raise RuntimeError(f"{name}: eager {kind} failed: {got.get('eager_error')}")
            continue
        eager = batch / got["eager"]
        base_extra = {**info, "batch": batch}
        out.append(Result(SUITE, f"{name} {kind} eager", eager, "clips/s", extra={**base_extra, **notes}))
        for variant in ("compiled", "channels_last"):
            if variant in got:
                out.append(Result(
                    SUITE, f"{name} {kind} {variant}", batch / got[variant], "clips/s",
                    baseline_name=f"{kind} eager", baseline_value=eager,
                    extra={**base_extra, **extra_of.get(f"{kind} {variant}", {})},
                ))
        if "mmaction2" in got:
            # value: ours; baseline: MMAction2's, so a ratio above 1 means vidcore is faster
            out.append(Result(
                SUITE, f"{name} {kind} vidcore vs mmaction2", eager, "clips/s",
                baseline_name=f"mmaction2 {kind} eager", baseline_value=batch / got["mmaction2"],
                extra={
                    **base_extra, **extra_of["mmaction2"],
                    "cpu_ratio": round(got["mmaction2@cpu"] / got["eager@cpu"], 3),
                },
            ))
    return out


def select_presets(names: Sequence[str] | None, quick: bool, *, transformers: bool = False) -> list[str]:
    """The presets to run: ``names`` if given (checked), the transformer set, the quick set, or
    every registered one."""
    from vidcore.recognition.registry import get_preset, list_presets

    if names:
        for n in names:
            get_preset(n)  # RegistryError with close matches for a typo
        return list(names)
    available = [p.name for p in list_presets()]
    if transformers:
        return [n for n in TRANSFORMER_PRESETS if n in available]
    if quick:
        chosen = [n for n in QUICK_PRESETS if n in available]
        return chosen or sorted(available, key=lambda n: get_preset(n).crop_size)[:2]
    return available


def run(quick: bool = False, *, presets: Sequence[str] | None = None, settings: Settings | None = None,
        log: Callable[[str], None] = print, transformers: bool = False) -> list[Result]:
    """Measure ``presets`` (default: the quick set, or every preset) and return the results."""
    st = settings or (
        Settings(size=QUICK_SIZE, warmup=1, repeats=3, threads=default_threads(True), compile=False)
        if quick
        else Settings(threads=default_threads())
    )
    old_threads = torch.get_num_threads()
    torch.set_num_threads(st.threads)
    results: list[Result] = []
    try:
        for name in select_presets(presets, quick, transformers=transformers):
            t0 = time.perf_counter()
            try:
                got = bench_preset(name, st)
            except Exception as e:  # a preset that cannot even run eagerly: say so, go on
                traceback.print_exc()
                log(f"  {name}: FAILED {type(e).__name__}: {e}")
                continue
            results.extend(got)
            notes = {k: v for k, v in got[0].extra.items() if k.endswith(("_error", "_skipped")) and k != "compile_skipped"}
            log(f"  {name}: {time.perf_counter() - t0:.1f} s" + (f"  {notes}" if notes else ""))
    finally:
        torch.set_num_threads(old_threads)
    return results


def format_table(results: Sequence[Result]) -> str:
    rows = [("benchmark", "clips/s", "baseline", "ratio", "notes")]
    for r in results:
        base = f"{r.baseline_value:.3g} ({r.baseline_name})" if r.baseline_value else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        note = ", ".join(
            f"{k}={r.extra[k]}" for k in ("compile_s", "max_rss_mib", "load_avg_1m_start", "load_avg_1m_end") if k in r.extra
        )
        err = [k for k in r.extra if k.endswith(("_error", "_skipped"))]
        if err:
            note = ", ".join([note, *err]) if note else ", ".join(err)
        rows.append((r.name, f"{r.value:.3g}", base, ratio, note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.models.bench_models",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help=f"small presets at {QUICK_SIZE} px, fewer repeats")
    parser.add_argument("--transformers", action="store_true",
                        help="the issue-10 transformer presets: forward only, 1 thread, batch 1, real shapes")
    parser.add_argument("--presets", default="", help="comma-separated preset names (default: quick set / all)")
    parser.add_argument("--size", type=int, default=None, help="spatial size (default: preset crop size; quick 112)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: 1 with --quick, else all cores; env VIDCORE_BENCH_THREADS)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="measure torch.compile (default: on, off with --quick: compiling one "
                        "ResNet-50 forward took 40-150 s of CPU here)")
    parser.add_argument("--no-channels-last", action="store_true")
    parser.add_argument("--no-train", action="store_true", help="forward only")
    parser.add_argument("--no-mmaction", action="store_true")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON path (default benchmarks/results/models[-quick]-<date>.json)")
    args = parser.parse_args(argv)

    light = args.quick or args.transformers  # fewer repeats, compile only on request
    st = Settings(
        size=args.size if args.size is not None else (QUICK_SIZE if args.quick else None),
        threads=args.threads if args.threads is not None else (1 if args.transformers else default_threads(args.quick)),
        warmup=args.warmup if args.warmup is not None else (1 if light else 2),
        repeats=args.repeats if args.repeats is not None else (3 if light else 5),
        compile=args.compile if args.compile is not None else not light,
        channels_last=not args.no_channels_last and not args.transformers,
        train=not args.no_train and not args.transformers,
        mmaction=not args.no_mmaction,
    )
    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    try:
        select_presets(names, args.quick, transformers=args.transformers)
    except Exception as e:  # unknown preset name: the registry's message, without a traceback
        parser.error(str(e))
    t0 = time.time()
    results = run(args.quick, presets=names or None, settings=st, transformers=args.transformers)
    print(format_table(results))
    out = args.out or Path(__file__).resolve().parent.parent / "results" / (
        f"models{'-quick' if args.quick else ''}{'-transformers' if args.transformers else ''}"
        f"-{dt.date.today().isoformat()}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "transformers": args.transformers,
        "settings": vars(st),
        "machine": {**machine_info(), "threads": st.threads, "cores": os.cpu_count(), "load_avg_1m_end": _load_avg()},
        "seconds": round(time.time() - t0, 1),
        "results": [r.to_dict() for r in results],
    }
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
