"""Audio benchmarks: model forward and log-mel feature throughput, against MMAction2 on the same
inputs in the same run when it is importable.

    python -m benchmarks.audio.bench_audio --quick
    /work/mmenv/bin/python -m benchmarks.audio.bench_audio          # + MMAction2 ratios

- ``*_fwd``: audio TSN-R18 and AudioOnly ResNetAudio-50, one 128 x 80 log-mel clip (batch 1),
  eval mode, one thread; MMAction2's model (stock config) is re-initialised from a seed and its
  weights converted into ours, and the logits are checked equal (<= 1e-4) before timing.
- ``mel``: seconds of 16 kHz audio turned into MMAction2's log-mel features per second of wall
  time (one thread), ours (``vidcore.data.transforms.audio``, numpy/scipy) vs MMAction2's
  ``tools/data/build_audio_features.py`` (``AudioTools``: lws STFT, librosa mel filters), on the same
  waveform; needs ``librosa`` (< 0.10: the tool passes ``librosa.filters.mel`` positional arguments)
  and ``lws`` importable (``--extra-path`` adds a folder holding them) and checks the two feature
  matrices agree first. ``lws`` is on the tool's mel path (``AudioTools.melspectrogram`` takes its
  STFT from ``lws.lws(...).stft``), so it cannot be replaced by an empty stand-in. On Python 3.11
  ``pip install lws`` (1.2.8) fails: its pre-generated C++ includes ``longintrepr.h``, gone in 3.11;
  built from its own Cython source it works (``LWS_USE_CYTHON=1 pip install --no-build-isolation
  lws-1.2.8/`` with ``cython<3.1``, ``wheel`` and ``librosa<0.10`` in a side environment, then
  ``--extra-path`` to its site-packages). Without them the baseline is reported as not measured.
- Each result also records CPU seconds per call (``cpu_s``, ``cpu_ratio``) and the load average:
  on a loaded machine the CPU-time ratio is the steadier one.

``ratio`` > 1 means vidcore is faster. Variants are timed in interleaved rounds (median).
Writes ``benchmarks/results/audio.json`` and prints it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import Result, machine_info

PRESETS = {
    "tsn_r18_64x1x1_kinetics400_audio_feature": "tsn_r18_audio",
    "audioonly_r50_64x1x1_kinetics400_audio_feature": "audioonly_r50",
}


def _mmaction() -> Any:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "parity"))
        from mm_helpers import _import_mmaction

        return _import_mmaction()
    except Exception:  # not installed here
        return None


def _interleaved(fns: dict[str, Any], repeats: int, cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Median wall seconds per call of each function, timed in interleaved rounds; the median CPU
    seconds of this process per call go into ``cpu`` (on a loaded machine CPU time is the steadier
    measure: wall time then counts the time other processes held the cores)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpu_times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(repeats):
        for k, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[k].append(time.perf_counter() - t0)
            cpu_times[k].append(time.process_time() - c0)
    if cpu is not None:
        cpu.update({k: statistics.median(v) for k, v in cpu_times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages (how busy the machine was), [] where unknown."""
    try:
        import os

        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def bench_forward(repeats: int) -> list[Result]:
    from vidcore.audio.registry import get_model, get_preset

    torch.set_num_threads(1)
    x = torch.rand(1, 1, 128, 80, generator=torch.Generator().manual_seed(0))  # (N, 1, T, F)
    have_mm = _mmaction() is not None
    out = []
    for preset, short in PRESETS.items():
        ours = get_model(preset).eval()
        fns = {"vidcore": lambda m=ours: m(x)}
        if have_mm:
            from mm_helpers import build_mm_model, reinit_

            mm = reinit_(build_mm_model(get_preset(preset).mmaction_config), seed=0).eval()
            ours.load_state_dict(get_preset(preset).convert_mmaction(mm.state_dict()))
            with torch.inference_mode():
                diff = float((ours(x) - mm.cls_head(mm.backbone(x))).abs().max())
            assert diff <= 1e-4, diff
            fns["mmaction2"] = lambda m=mm: m.cls_head(m.backbone(x))
        cpu: dict[str, float] = {}
        with torch.inference_mode():
            t = _interleaved(fns, repeats, cpu)
        extra: dict[str, Any] = {"threads": 1, "repeats": repeats, "cpu_s": cpu, "load": _load()}
        if "mmaction2" in cpu and cpu["vidcore"] > 0:
            extra["cpu_ratio"] = cpu["mmaction2"] / cpu["vidcore"]
        out.append(Result("audio", f"{short}_fwd_128x80_batch1_1thread", t["vidcore"], "s",
                          "mmaction2" if have_mm else None, t.get("mmaction2"), lower_is_better=True,
                          extra=extra))  # fmt: skip
    return out


def _mm_audio_tools() -> Any:
    """MMAction2's ``AudioTools`` class from the wheel's tools folder, or None (no librosa/lws)."""
    try:
        import librosa  # noqa: F401
        import lws  # noqa: F401
    except ImportError:
        return None
    mm = _mmaction()
    if mm is None:
        return None
    path = Path(mm.__file__).parent / ".mim" / "tools" / "data" / "build_audio_features.py"
    spec = importlib.util.spec_from_file_location("mm_build_audio_features", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.AudioTools


def bench_mel(seconds: float, repeats: int) -> list[Result]:
    from vidcore.data.transforms.audio import LogMelSpectrogram

    torch.set_num_threads(1)
    rate = 16000
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t) + 0.05 * rng.normal(size=t.size)  # chirp + noise
    ours = LogMelSpectrogram()
    fns = {"vidcore": lambda: ours.features(wave, rate)}
    tools_cls = _mm_audio_tools()
    extra: dict[str, Any] = {"audio_seconds": seconds, "threads": 1, "repeats": repeats}
    if tools_cls is not None:
        tools = tools_cls(fft_size=512, hop_size=256)  # the tool's __main__ setting (32 ms frames, 16 ms hop)
        # MMAction2's extractor: RMS-normalise, then the mel spectrogram; it returns (F, T)
        theirs = tools.melspectrogram(tools.audio_normalize(wave)).astype(np.float32).T
        mine = ours.features(wave, rate)
        n = min(len(theirs), len(mine))
        extra["max_abs_diff_vs_mmaction2"] = float(np.abs(theirs[:n] - mine[:n]).max())
        extra["rows"] = [len(mine), len(theirs)]
        fns["mmaction2"] = lambda: tools.melspectrogram(tools.audio_normalize(wave))
    else:
        extra["mmaction2"] = (
            "not measured: MMAction2's feature tool needs librosa < 0.10 and lws (not importable here; "
            "see the module docstring for building lws from its Cython source)"
        )
    cpu: dict[str, float] = {}
    times = _interleaved(fns, repeats, cpu)
    speed = {k: seconds / v for k, v in times.items()}
    extra["cpu_s"] = cpu
    extra["load"] = _load()
    if "mmaction2" in cpu and cpu["vidcore"] > 0:
        extra["cpu_ratio"] = cpu["mmaction2"] / cpu["vidcore"]
    return [Result("audio", f"mel_80x16khz_{int(seconds)}s_audio", speed["vidcore"], "audio s / s",
                   "mmaction2" if "mmaction2" in speed else None, speed.get("mmaction2"), extra=extra)]  # fmt: skip


def run(quick: bool = False) -> list[Result]:
    repeats = 5 if quick else 15
    return bench_forward(repeats) + bench_mel(10.0 if quick else 60.0, repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--extra-path", action="append", default=[], help="folder added to sys.path (librosa/lws)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "audio.json")
    args = parser.parse_args(argv)
    for p in args.extra_path:
        sys.path.append(p)
    results = run(args.quick)
    doc = {"machine": machine_info(), "results": [r.to_dict() for r in results]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
