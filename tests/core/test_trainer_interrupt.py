"""Ctrl-C / SIGTERM during training (issue 16 item 4), with real signals in real processes.

Each run is ``_train_script.py`` in its own ``python`` process (one thread): 16 samples, batch 4,
so 4 optimizer steps per epoch and 8 in all. The first signal lets the step finish, writes
``iter_<global_iter>.pth`` at that position and exits ``128 + signum``; resuming from it ends with
exactly the weights of an uninterrupted run. A second signal stops the process at once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from vidcore.core.checkpoint import CheckpointManager, load_checkpoint

SCRIPT = Path(__file__).with_name("_train_script.py")


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _start(work: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    cmd = [sys.executable, str(SCRIPT), "--work-dir", str(work), "--out", str(out), *extra]
    return subprocess.Popen(cmd, env=env or _env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_two(work: Path, out: Path, *extra: str) -> list[subprocess.Popen]:
    """Two gloo processes with the environment torchrun gives them (batch 2 each: 4 steps an epoch)."""
    port = str(_free_port())
    procs = []
    for rank in range(2):
        env = dict(_env(), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", LOCAL_WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port)  # fmt: skip
        procs.append(_start(work, out, "--batch-size", "2", *extra, env=env))
    return procs


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=240)
    return proc.returncode, out, err


META = {"preset": "toy", "num_classes": 3, "labels": ["a", "b", "c"], "config": {"lr": 0.1}}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> tuple[dict[str, torch.Tensor], Path]:
    d = tmp_path_factory.mktemp("full")
    rc, _out, err = _finish(_start(d / "work", d / "w.pt", "--meta", json.dumps(META)))
    assert rc == 0, err[-3000:]
    return torch.load(d / "w.pt"), d / "work"


@pytest.fixture(scope="module")
def uninterrupted(full_run) -> dict[str, torch.Tensor]:
    return full_run[0]


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize(
    ("sig", "at_batch", "position", "resume"),
    [
        ("INT", 3, (0, 3, 3), True),  # mid-epoch: epoch 0 (0-based), 3 batches of it done, 3 steps
        ("INT", 4, (1, 0, 4), False),  # the last step of epoch 1: the checkpoint is at the start of epoch 2
    ],
)
def test_first_signal_finishes_the_step_writes_a_checkpoint_and_resume_is_exact(
    uninterrupted, tmp_path, sig, at_batch, position, resume
):
    work = tmp_path / "work"
    rc, out, err = _finish(_start(work, tmp_path / "w.pt", "--signal-at-batch", str(at_batch), "--signals", sig))
    signum = getattr(signal, f"SIG{sig}")
    assert rc == 128 + signum, err[-3000:]
    assert "Traceback" not in err
    assert f"SIG{sig} received: finishing the current step" in err
    epoch, batches_done, global_iter = position
    ckpt_path = work / f"iter_{global_iter:08d}.pth"
    assert f"stopped: training stopped by SIG{sig}" in out and str(ckpt_path) in out
    assert CheckpointManager(work, best_metric=None).latest_path() == ckpt_path
    state = load_checkpoint(ckpt_path)
    assert (state["epoch"], state["batches_done"], state["global_iter"]) == position
    assert batches_done + 4 * epoch == global_iter  # one step per batch (no accumulation)
    assert not (tmp_path / "w.pt").exists()  # the run did not reach its end
    if not resume:
        return
    rc, out, err = _finish(_start(work, tmp_path / "w.pt", "--resume", "auto"))
    assert rc == 0, err[-3000:]
    assert f"resumed from {ckpt_path}: epoch {epoch + 1}, batch {batches_done} of the epoch" in out
    _assert_same(torch.load(tmp_path / "w.pt"), uninterrupted)


def test_second_signal_stops_at_once_without_a_checkpoint(tmp_path):
    work = tmp_path / "work"
    rc, out, err = _finish(_start(work, tmp_path / "w.pt", "--signal-at-batch", "3", "--signals", "INT,INT"))
    assert rc == -signal.SIGINT  # killed by the signal itself (a shell shows 130)
    assert "SIGINT received" in err and "stopped:" not in out
    assert not list(work.glob("iter_*.pth"))


def test_sigterm_from_outside_while_training(uninterrupted, tmp_path):
    work = tmp_path / "work"
    proc = _start(work, tmp_path / "w.pt", "--step-sleep", "0.3")
    log = work / "log.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and sum('"mode": "train"' in line for line in log.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    rc, _out, err = _finish(proc)
    assert rc == 143, err[-3000:]
    latest = CheckpointManager(work, best_metric=None).latest_path()
    state = load_checkpoint(latest)
    assert 2 <= state["global_iter"] < 8
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1]["mode"] == "interrupted" and records[-1]["signal"] == "SIGTERM"

    rc, _out, err = _finish(_start(work, tmp_path / "w.pt", "--resume", "auto"))
    assert rc == 0, err[-3000:]
    _assert_same(torch.load(tmp_path / "w.pt"), uninterrupted)


def test_checkpoints_carry_the_trainer_metadata(full_run):
    work = full_run[1]
    for name in ("epoch_0001.pth", "epoch_0002.pth"):
        assert load_checkpoint(work / name)["meta"] == META  # read back by the safe loader


def test_a_signal_on_one_rank_stops_every_rank_at_the_same_step(uninterrupted, tmp_path):
    """Under torchrun the ranks agree (one all-reduce per step): rank 0 alone gets SIGINT during
    its 2nd step, both ranks stop after it, rank 0 writes the checkpoint, and two processes resumed
    from it end where one uninterrupted process does."""
    work = tmp_path / "work"
    procs = _start_two(work, tmp_path / "w.pt", "--signal-at-batch", "2", "--signal-rank", "0")
    results = [_finish(p) for p in procs]
    assert [rc for rc, _, _ in results] == [130, 130], [err[-2000:] for _, _, err in results]
    assert "SIGINT received" in results[0][2] and "SIGINT received" not in results[1][2]
    assert all("stopped: training stopped by SIGINT at epoch 1, batch 2 of 4" in out for _, out, _ in results)
    state = load_checkpoint(work / "iter_00000002.pth")
    assert (state["epoch"], state["batches_done"], state["global_iter"], state["world_size"]) == (0, 2, 2, 2)

    results = [_finish(p) for p in _start_two(work, tmp_path / "w.pt", "--resume", "auto")]
    assert [rc for rc, _, _ in results] == [0, 0], [err[-2000:] for _, _, err in results]
    got = torch.load(tmp_path / "w.pt")
    for k in uninterrupted:
        torch.testing.assert_close(got[k], uninterrupted[k], rtol=1e-5, atol=1e-6, msg=k)
