"""Trainer across real processes: 2-process gloo vs 1 process, SIGKILL during a checkpoint + resume.

Every run here is a separate ``python`` process executing ``_train_script.py`` with one thread per
process, so runs are bit-comparable with each other; multi-process runs get the environment
``torchrun`` sets (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT) and join a real gloo group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyNet

from vidcore.core.checkpoint import CheckpointManager, load_checkpoint

HERE = Path(__file__).parent
SCRIPT = HERE / "_train_script.py"


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("RANK", None)
    for key in ("WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], nproc: int = 1) -> None:
    """Run the script in ``nproc`` processes with the environment ``torchrun`` would give them."""
    cmd = [sys.executable, str(SCRIPT), *args]
    port = str(_free_port())
    procs = []
    for rank in range(nproc):
        env = _env()
        if nproc > 1:
            env.update(
                RANK=str(rank),
                LOCAL_RANK=str(rank),
                WORLD_SIZE=str(nproc),
                LOCAL_WORLD_SIZE=str(nproc),
                MASTER_ADDR="127.0.0.1",
                MASTER_PORT=port,
            )
        procs.append(
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    failures = []
    for rank, proc in enumerate(procs):
        out, err = proc.communicate(timeout=240)
        if proc.returncode != 0:
            failures.append(f"rank {rank} exited {proc.returncode}:\n{out[-2000:]}\n{err[-5000:]}")
    assert not failures, f"{' '.join(cmd)} failed:\n" + "\n".join(failures)


@pytest.fixture(scope="module")
def single_process_run(tmp_path_factory) -> tuple[dict[str, torch.Tensor], Path]:
    """Batch 4, 2 epochs of 16 samples, SGD with momentum, warm-up + cosine, evaluation each epoch."""
    d = tmp_path_factory.mktemp("single")
    _run(["--work-dir", str(d / "work"), "--out", str(d / "w.pt"), "--batch-size", "4"])
    return torch.load(d / "w.pt"), d / "work"


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_gloo_processes_match_one_process_and_resume(single_process_run, tmp_path, strategy):
    ref, ref_work = single_process_run
    two = ["--batch-size", "2", "--strategy", strategy, "--ckpt-iters", "3"]
    _run([*two, "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "w.pt")], nproc=2)
    got = torch.load(tmp_path / "w.pt")
    torch.manual_seed(0)
    init = ToyNet().state_dict()
    assert set(got) == set(ref)
    for k in ref:
        assert not torch.allclose(ref[k], init[k], atol=1e-4), k  # training changed it
        torch.testing.assert_close(got[k], ref[k], rtol=1e-5, atol=1e-6, msg=k)

    # the evaluator summed over both ranks: the same accuracy as one process
    def val_lines(work: Path) -> list[str]:
        return [line for line in (work / "log.jsonl").read_text().splitlines() if '"val"' in line]

    assert val_lines(tmp_path / "work") == val_lines(ref_work)

    # both ranks resume from iteration 3 (of 4 per epoch) and end bit-identical
    ckpt = tmp_path / "work" / "iter_00000003.pth"
    _run(
        [*two, "--work-dir", str(tmp_path / "r"), "--out", str(tmp_path / "r.pt"), "--resume", str(ckpt)],
        nproc=2,
    )
    resumed = torch.load(tmp_path / "r.pt")
    for k in got:
        assert torch.equal(resumed[k], got[k]), k


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"training exited before the hook:\n{proc.stderr.read()[-4000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("training never reached the checkpoint hook")
        time.sleep(0.02)


def test_sigkill_during_checkpoint_then_resume_is_bit_identical(tmp_path):
    # 20 samples / batch 4 = 5 iterations per epoch, 3 epochs, a checkpoint every 3 iterations and
    # at each epoch end: iter 3, epoch_0001 (iter 5), iter 6 (epoch 2, batch 1 of 5), iter 9 ...
    # The run is killed while writing iter_00000009.pth, so it resumes mid-epoch from iter 6.
    # Dropout and input noise draw from the global RNG, so RNG restoring is exercised too.
    common = [
        "--epochs",
        "3",
        "--num-samples",
        "20",
        "--batch-size",
        "4",
        "--ckpt-iters",
        "3",
        "--dropout",
        "0.2",
        "--noise",
        "0.1",
    ]
    _run([*common, "--work-dir", str(tmp_path / "a"), "--out", str(tmp_path / "a.pt")])

    work, marker = tmp_path / "b", tmp_path / "marker"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            *common,
            "--work-dir",
            str(work),
            "--out",
            str(tmp_path / "b.pt"),
            "--kill-at-iter-save",
            "3",
            "--marker",
            str(marker),
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # the kill landed inside the write of iter_00000009.pth: half of it sits in a temp file ...
    temps = list(work.glob(".iter_00000009.pth.*.tmp"))
    assert len(temps) == 1 and temps[0].stat().st_size == int(marker.read_text()) // 2
    assert not (work / "iter_00000009.pth").exists()
    # ... and the newest complete checkpoint is intact, loadable, and in the middle of epoch 2
    latest = CheckpointManager(work, best_metric=None).latest_path()
    assert latest == work / "iter_00000006.pth"
    state = load_checkpoint(latest)
    assert (state["epoch"], state["batches_done"], state["global_iter"]) == (1, 1, 6)

    _run([*common, "--work-dir", str(work), "--out", str(tmp_path / "resumed.pt"), "--resume", "auto"])
    ref, got = torch.load(tmp_path / "a.pt"), torch.load(tmp_path / "resumed.pt")
    for k in ref:
        assert torch.equal(got[k], ref[k]), k
