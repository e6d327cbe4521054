"""Shared plumbing for the per-video CLI verbs: finding inputs, naming outputs, a resumable
parallel job runner with a progress bar (local processes or Ray tasks), and atomic output (write to
a temporary name, rename)."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

VIDEO_EXTS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".flv", ".mpg", ".mpeg", ".3gp")


@dataclass(frozen=True)
class Job:
    """One input video and where its output goes (relative names kept from the input tree)."""

    src: Path
    dst: Path


def add_io_arguments(p: argparse.ArgumentParser, out_help: str) -> None:
    """SRC, OUT, --ext, --root, --workers, --overwrite: the same on every verb."""
    p.add_argument("src", type=Path, help="a folder of videos (searched recursively) or a list file "
                   "(one video path per line, first column; MMAction2 video lists work)")
    p.add_argument("out", type=Path, help=out_help)
    p.add_argument("--root", type=Path, default=None,
                   help="folder the paths in a list file are relative to (default: the list's folder)")
    p.add_argument("--ext", default=",".join(e[1:] for e in VIDEO_EXTS),
                   help="video extensions to pick up when SRC is a folder (comma separated)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    p.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    p.add_argument("--shard", type=parse_shard, default=None, metavar="I/N",
                   help="process only shard I of N (0-based): run N of these, e.g. as a SLURM array "
                   "(--shard $SLURM_ARRAY_TASK_ID/N), each on its own machine; no coordinator needed")
    add_engine_arguments(p)


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """--engine, --ray-address, --retries: where the per-file jobs run."""
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: --workers processes on this machine; ray: one Ray task per file on a Ray "
                   "cluster (pip install 'vidcore-data[ray]'; vidcore-data must be installed on every node)")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to join, e.g. auto or ray://head:10001 (default: "
                   "$RAY_ADDRESS if set, else start a local Ray instance on this machine's CPUs)")
    p.add_argument("--retries", type=int, default=2,
                   help="with --engine ray: run a failed file again up to this many times (a crashed worker "
                   "or node included) before reporting it (default 2)")


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N`` (``argparse`` type: a bad value names the rule)."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes I/N, e.g. 0/4, got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= I < N (shards are numbered from 0)")
    return i, n


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether the input with relative name ``name`` belongs to ``shard = (I, N)``: a stable hash
    of the name modulo ``N`` (the same on every machine and run, independent of the other inputs,
    so the N shards cover every input exactly once even when the list is read in another order)."""
    if shard is None:
        return True
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shard[1] == shard[0]


def find_videos(src: Path, *, root: Path | None = None, exts: Iterable[str] = VIDEO_EXTS) -> tuple[list[Path], Path]:
    """Input videos and the base folder their relative output names are taken from.

    ``src`` is a folder (searched recursively for ``exts``) or a text file listing one video per
    line (first whitespace-separated field; blank lines and ``#`` comments skipped).
    """
    exts = tuple(e if e.startswith(".") else f".{e}" for e in (x.strip().lower() for x in exts) if e)
    if src.is_dir():
        videos = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in exts)
        return videos, src
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no such folder or list file")
    base = root or src.parent
    videos = []
    for line in src.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            videos.append(base / line.split()[0])
    return videos, base


def output_path(video: Path, base: Path, out: Path, suffix: str) -> Path:
    """``out / <video relative to base without extension><suffix>`` (suffix "" gives a folder name)."""
    try:
        rel = video.relative_to(base)
    except ValueError:
        rel = Path(video.name)
    return out / rel.with_suffix(suffix)


def temp_path(final: Path) -> Path:
    """Where a job writes before the atomic rename: a hidden sibling, ``.NAME.partial``. Jobs remove a
    stale one (left by an interrupted run) before writing."""
    return final.with_name(f".{final.name}.partial")


@contextmanager
def published(dst: Path, *, folder: bool = False) -> Iterator[Path]:
    """Write a job's output through a temporary sibling: yields the temporary path (a fresh empty
    folder with ``folder``; a stale one from an interrupted run is cleared), which replaces ``dst``
    when the block succeeds and is removed when it raises, so ``dst`` is never half-written."""
    tmp = temp_path(dst)
    remove(tmp)
    if folder:
        tmp.mkdir(parents=True)
    try:
        yield tmp
        if dst.exists():
            remove(dst)
        tmp.rename(dst)
    except BaseException:
        remove(tmp)
        raise


def plan_jobs(args: argparse.Namespace, suffix: str) -> list[Job]:
    """One job per video under ``args.src`` (a folder or a list file read with ``args.root``,
    extensions ``args.ext``), its output under ``args.out`` with ``suffix``; output folders made.
    With ``args.shard = (I, N)`` only the videos of shard ``I`` (see :func:`in_shard`)."""
    videos, base = find_videos(args.src, root=args.root, exts=args.ext.split(","))
    shard = getattr(args, "shard", None)
    jobs = [Job(v, output_path(v, base, args.out, suffix)) for v in videos]
    jobs = [j for j in jobs if in_shard(j.dst.relative_to(args.out).as_posix(), shard)]
    for job in jobs:
        job.dst.parent.mkdir(parents=True, exist_ok=True)
    return jobs


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _call(payload: tuple[Callable[..., str], Job, dict[str, Any]]) -> tuple[Job, str, str]:
    fn, job, kwargs = payload
    try:
        return job, fn(job, **kwargs), ""
    except Exception as exc:  # report and go on: one bad video must not stop a dataset
        detail = f"{type(exc).__name__}: {exc}"
        if os.environ.get("VIDCORE_DEBUG"):
            detail += "\n" + traceback.format_exc()
        return job, "failed", detail


def run_jobs(
    fn: Callable[..., str], jobs: list[Job], *, workers: int, overwrite: bool, desc: str,
    engine: str = "local", ray_address: str | None = None, retries: int = 2, **kwargs: Any,
) -> int:
    """Run ``fn(job, **kwargs) -> status`` over the jobs not done yet, in ``workers`` processes
    (``engine="local"``) or as Ray tasks (``engine="ray"``, see :func:`ray_map`).

    A job is done when its final output exists (outputs appear only by atomic rename). Prints a
    summary, lists failures with their cause, and returns the exit code (1 if any failed).
    """
    from tqdm import tqdm

    todo = [j for j in jobs if overwrite or not j.dst.exists()]
    done_before = len(jobs) - len(todo)
    counts: dict[str, int] = {}
    failures: list[tuple[Job, str]] = []
    payloads = [(fn, j, kwargs) for j in todo]
    bar = tqdm(total=len(todo), desc=desc, unit="video", file=sys.stderr, disable=not todo)
    if engine == "ray":
        for job, status, detail in ray_map(fn, todo, kwargs, address=ray_address, retries=retries):
            _tally(job, status or "failed", detail, counts, failures)
            bar.update()
    elif workers > 1 and len(todo) > 1:
        with get_context("fork" if sys.platform.startswith("linux") else "spawn").Pool(workers) as pool:
            results = pool.imap_unordered(_call, payloads)
            for job, status, detail in results:
                _tally(job, status, detail, counts, failures)
                bar.update()
    else:
        for payload in payloads:
            job, status, detail = _call(payload)
            _tally(job, status, detail, counts, failures)
            bar.update()
    bar.close()
    parts = [f"{len(jobs)} videos", f"{done_before} already done"] + [f"{n} {k}" for k, n in sorted(counts.items())]
    print(f"{desc}: " + ", ".join(parts))
    for job, detail in failures:
        print(f"  FAILED {job.src}: {detail}", file=sys.stderr)
    return 1 if failures else 0


def _attempt(fn: Callable[..., Any], item: Any, kwargs: dict[str, Any]) -> Any:
    return fn(item, **kwargs)  # an exception here makes Ray run the task again (retry_exceptions)


def ray_map(
    fn: Callable[..., Any], items: list[Any], kwargs: dict[str, Any], *, address: str | None = None, retries: int = 2,
) -> Iterator[tuple[Any, Any, str]]:
    """Run ``fn(item, **kwargs)`` for every item as one Ray task each; yields ``(item, result, "")``
    or ``(item, None, cause)`` as tasks finish (in completion order).

    Ray does the scheduling, the retries (``max_retries`` for crashed workers or lost nodes,
    ``retry_exceptions`` for errors raised by ``fn``: up to ``retries`` more attempts per item) and
    the placement; one CPU per task. Joins the running Ray instance of this process if there is
    one, else ``ray.init(address)``: ``None`` starts a local instance (or joins ``$RAY_ADDRESS``),
    ``"auto"`` or ``"ray://host:port"`` an existing cluster, whose nodes must have vidcore-data
    installed and see the input and output paths (a shared file system). At most a few tasks per
    cluster CPU are in flight, so a list of 650k files does not become 650k pending objects.
    """
    try:
        import ray
    except ImportError:
        raise SystemExit("--engine ray needs Ray: pip install 'vidcore-data[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=retries > 0)(_attempt)
        fn_ref, kwargs_ref = ray.put(fn), ray.put(kwargs)
        window = max(8, 4 * int(ray.cluster_resources().get("CPU", 1)))
        pending: dict[Any, Any] = {}
        queue = iter(items)
        while True:
            for item in queue:
                pending[task.remote(fn_ref, item, kwargs_ref)] = item
                if len(pending) >= window:
                    break
            if not pending:
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            item = pending.pop(ready[0])
            try:
                yield item, ray.get(ready[0]), ""
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                yield item, None, f"{type(cause).__name__}: {cause} (after {retries + 1} attempts)"
            except ray.exceptions.RayError as exc:  # worker crashed or node lost on every attempt
                yield item, None, f"{type(exc).__name__}: {str(exc).splitlines()[0]} (after {retries + 1} attempts)"
    finally:
        if started:
            ray.shutdown()


def _tally(job: Job, status: str, detail: str, counts: dict[str, int], failures: list[tuple[Job, str]]) -> None:
    counts[status] = counts.get(status, 0) + 1
    if status == "failed":
        failures.append((job, detail))


def scaled_size(width: int, height: int, short_side: int | None, new_size: tuple[int, int] | None,
                even: bool = False) -> tuple[int, int]:
    """Output ``(width, height)``: ``new_size`` as given, or the short side set to ``short_side``
    keeping the aspect ratio (the long side rounded to nearest; to an even number if ``even``)."""
    if new_size is not None:
        w, h = new_size
    elif short_side:
        if width <= height:
            w, h = short_side, height * short_side / width
        else:
            w, h = width * short_side / height, short_side
    else:
        w, h = width, height
    if even:
        return max(2, 2 * round(w / 2)), max(2, 2 * round(h / 2))
    return max(1, round(w)), max(1, round(h))
