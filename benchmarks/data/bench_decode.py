"""Decoding speed: clips/s of TSN 1x1x8 and SlowFast 32x2 train clips per decoder backend.

    python -m benchmarks.data.bench_decode            # full (a few minutes)
    python -m benchmarks.data.bench_decode --quick    # < 30 s

Files: generated 10 s 340x256 30 fps H.264 videos with B-frames, one with a Kinetics-like GOP of
250 frames and a short-GOP (16) copy of the same frames, plus the MMAction2 fixture videos when
``VIDCORE_CONFORMANCE_DATA`` is set, plus a rawframe folder (JPEG) of the GOP-250 video.

Every clip opens the file, samples indices with ``vidcore.data.samplers.sample_frames`` (train
mode, seeded), decodes them and closes the file, as a dataset does. The baseline, measured in
the same run on the same clips, is "PyAV decode-all": decode every frame of the file from the
start and convert the sampled ones to RGB (what a loader without seeking pays). The methods take
turns clip by clip (same indices), so load drifts on a shared machine hit them alike. Each result
reports clips/s and the ratio to that baseline. ``run_decode_benchmark`` returns the results
dict (JSON-able) for other benchmarks to build on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vidcore.data.decoders import (
    DecordReader,
    PyAVReader,
    RawFrameReader,
    TorchCodecReader,
    available_backends,
    open_video,
)
from vidcore.data.decoders.decord_backend import exactness_from_index
from vidcore.data.decoders.synthetic import write_test_video

SAMPLERS: dict[str, dict[str, int]] = {
    "tsn_1x1x8": {"clip_len": 1, "frame_interval": 1, "num_clips": 8},
    "slowfast_32x2": {"clip_len": 32, "frame_interval": 2, "num_clips": 1},
}
FIXTURES = ("data/test.mp4", "demo/demo.mp4", "demo/demo_spatiotemporal_det.mp4", "data/test.avi")


def sample_indices(num_frames: int, params: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Train-mode indices (0-based) for one clip."""
    try:
        from vidcore.data.samplers import sample_frames

        return sample_frames(num_frames, rng=rng, **params)
    except ImportError:  # the samplers module is another helper's; keep this benchmark standalone
        clip_len, interval, num_clips = params["clip_len"], params["frame_interval"], params["num_clips"]
        span = clip_len * interval
        seg = max((num_frames - span + 1) / num_clips, 1)
        starts = (np.arange(num_clips) * seg + rng.random(num_clips) * seg).astype(np.int64)
        return ((starts[:, None] + np.arange(clip_len) * interval) % num_frames).reshape(-1)


def make_videos(folder: Path, seconds: float = 10.0) -> dict[str, Path]:
    """The generated 340x256 H.264 files (GOP 250 and GOP 16, same frames) and a rawframe folder."""
    from vidcore.data.cli._jobs import Job
    from vidcore.data.cli.extract_frames import extract_one

    n = round(seconds * 30)
    out = {"gen_gop250": folder / "gen_gop250.mp4", "gen_gop16": folder / "gen_gop16.mp4"}
    for name, gop in (("gen_gop250", 250), ("gen_gop16", 16)):
        if not out[name].exists():
            write_test_video(out[name], num_frames=n, size=(256, 340), gop=gop, bframes=2)
    frames = folder / "gen_gop250_rawframes"
    if not frames.exists():
        extract_one(Job(out["gen_gop250"], frames))
    out["rawframes_gop250"] = frames
    return out


def _decode_all_clip(path: Path, idx: np.ndarray) -> None:
    import av

    want = set(idx.tolist())
    kept = {}
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.codec_context.thread_count = 1
        for i, frame in enumerate(c.decode(s)):
            if i in want:
                kept[i] = frame.to_ndarray(format="rgb24")


def _time_interleaved(
    methods: dict[str, Callable[[np.ndarray], Any]], num_frames: int, params: dict[str, int],
    seconds: float, min_rounds: int, seed: int = 0,
) -> dict[str, tuple[float, int]]:
    """clips/s per method. Rounds: one clip with the same indices through every method in turn, so
    a shared machine's load drifts hit all methods alike; stops after ``seconds`` per method."""
    rng = np.random.default_rng(seed)
    warm = sample_indices(num_frames, params, rng)
    for fn in methods.values():
        fn(warm)  # index caches, imports, first-open costs
    spent = dict.fromkeys(methods, 0.0)
    rounds = 0
    start = time.perf_counter()
    while rounds < min_rounds or time.perf_counter() - start < seconds * len(methods):
        idx = sample_indices(num_frames, params, rng)
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn(idx)
            spent[name] += time.perf_counter() - t0
        rounds += 1
    return {name: (rounds / spent[name], rounds) for name in methods}


def _reader_fn(make: Callable[[], Any]) -> Callable[[np.ndarray], Any]:
    def clip(idx: np.ndarray) -> Any:
        with make() as reader:
            return reader.get_frames(idx)

    return clip


def run_decode_benchmark(
    *,
    quick: bool = False,
    workdir: str | os.PathLike[str] | None = None,
    conformance_root: str | os.PathLike[str] | None = None,
    seconds_per_cell: float | None = None,
) -> dict[str, Any]:
    """Measure every (file, sampler, backend) cell; returns ``{"files": ..., "results": [...]}``.

    Each result: file, sampler, backend, exact (whether the backend is frame-exact on that file),
    clips_per_s, clips, baseline_clips_per_s (PyAV decode-all, same file and sampler), ratio.
    """
    seconds = seconds_per_cell if seconds_per_cell is not None else (0.25 if quick else 3.0)
    min_clips = 1 if quick else 5
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir or tmp.name)  # type: ignore[union-attr]
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = make_videos(folder, seconds=10.0)
    root = conformance_root or os.environ.get("VIDCORE_CONFORMANCE_DATA")
    if root:
        for rel in FIXTURES[:1] if quick else FIXTURES:
            if (Path(root) / rel).exists():
                files[f"fixture:{rel}"] = Path(root) / rel
    backends = available_backends()
    results: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for name, path in files.items():
        if path.is_dir():
            num_frames = RawFrameReader(path).num_frames
            cells = {"rawframes": (_reader_fn(lambda p=path, n=num_frames: RawFrameReader(p, num_frames=n)), True)}
            baseline_path = files["gen_gop250"]
        else:
            with PyAVReader(path) as ref:
                info = ref.info
                num_frames = ref.num_frames
            decord_reason = exactness_from_index(info)
            meta[name] = {"frames": num_frames, "keyframes": len(info.key_pts), "mode": info.mode,
                          "decord_exact": not decord_reason, "decord_reason": decord_reason}
            # backend="auto" is one of these (meta[name]["auto_backend"] says which); not timed twice
            cells = {"pyav": (_reader_fn(lambda p=path: PyAVReader(p)), True)}
            if "decord" in backends:
                cells["decord"] = (_reader_fn(lambda p=path: DecordReader(p, require_exact=False)), not decord_reason)
            if "torchcodec" in backends and info.mode == "pts":  # it refuses the others (not exact there)
                cells["torchcodec"] = (_reader_fn(lambda p=path, i=info: TorchCodecReader(p, _info=i)), True)
            with open_video(path) as r:
                meta[name]["auto_backend"] = r.backend
            baseline_path = path
        for sampler, params in SAMPLERS.items():
            methods = {"pyav_decode_all": lambda idx, p=baseline_path: _decode_all_clip(p, idx)}
            methods.update({backend: fn for backend, (fn, _) in cells.items()})
            rates = _time_interleaved(methods, num_frames, params, seconds, min_clips)
            base_rate = rates["pyav_decode_all"][0]
            for backend, (_, exact) in cells.items():
                rate, n = rates[backend]
                row = {"file": name, "sampler": sampler, "backend": backend, "exact": exact,
                       "clips_per_s": round(rate, 3), "clips": n, "baseline": "pyav_decode_all",
                       "baseline_clips_per_s": round(base_rate, 3), "ratio": round(rate / base_rate, 3)}
                results.append(row)
                print(f"{name:38s} {sampler:14s} {backend:10s} {rate:7.2f} clips/s  "
                      f"x{rate / base_rate:5.2f} vs decode-all ({base_rate:.2f}){'' if exact else '  NOT EXACT'}",
                      flush=True)
    if tmp is not None:
        tmp.cleanup()
    return {"benchmark": "decode", "quick": quick, "date": dt.datetime.now().isoformat(timespec="seconds"),
            "backends": backends, "files": meta, "results": results}


def run(quick: bool = False) -> list:
    """Suite entry (``python -m benchmarks``): the results as ``benchmarks.common.Result`` rows."""
    from benchmarks.common import Result

    out = run_decode_benchmark(quick=quick)
    return [
        Result(suite="data", name=f"decode {r['backend']} {r['sampler']} {r['file']}", value=r["clips_per_s"],
               unit="clips/s", baseline_name="pyav decode-all", baseline_value=r["baseline_clips_per_s"],
               extra={"exact": r["exact"]})
        for r in out["results"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short cells and fewer files (< 30 s)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep generated videos here (reused)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results")
    args = parser.parse_args(argv)
    t0 = time.time()
    out = run_decode_benchmark(quick=args.quick, workdir=args.workdir)
    out["seconds"] = round(time.time() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"decode{'-quick' if args.quick else ''}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
