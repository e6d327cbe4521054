from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from vidcore.core.checkpoint import (
    CheckpointError,
    CheckpointManager,
    add_prefix,
    extract_state_dict,
    load_checkpoint,
    load_model_weights,
    remap_keys,
    save_checkpoint,
    strip_prefix,
)

HERE = Path(__file__).parent


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early:\n{proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never reached the hook")
        time.sleep(0.02)


def test_save_load_roundtrip_and_file_mode(tmp_path):
    state = {"model": {"w": torch.arange(6.0).reshape(2, 3)}, "epoch": 3, "rng": (3, (1, 2), None)}
    path = save_checkpoint(state, tmp_path / "sub" / "a.pth")
    back = load_checkpoint(path)
    assert torch.equal(back["model"]["w"], state["model"]["w"])
    assert back["epoch"] == 3 and back["rng"] == (3, (1, 2), None)
    assert [p.name for p in path.parent.iterdir()] == ["a.pth"]  # no temp file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_sigkill_mid_write_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pth"
    marker = tmp_path / "marker"
    save_checkpoint({"step": 1, "w": torch.full((64, 64), 1.0)}, path)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_kill_writer.py"), str(path), str(marker)], stderr=subprocess.PIPE
    )
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    temps = list(tmp_path.glob(".ckpt.pth.*.tmp"))
    assert len(temps) == 1 and temps[0].stat().st_size > 0  # the kill landed mid-write
    with pytest.raises(CheckpointError, match="is truncated: it starts as a zip archive"):
        load_checkpoint(temps[0])
    back = load_checkpoint(path)
    assert back["step"] == 1 and torch.equal(back["w"], torch.full((64, 64), 1.0))
    assert CheckpointManager(tmp_path, best_metric=None).remove_stale_temp_files() == temps
    assert not temps[0].exists()


class RunsCode:
    """Unpickling this calls os.system, which creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_refuses_pickle_that_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "meta": RunsCode(marker)}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert message.startswith(f"refusing to load checkpoint {path}: it is a torch.save file containing code (")
    assert "weights_only=False" in message and "only if you trust" in message and "\n" not in message
    assert "posix.system" in message or "os.system" in message  # names the offending global
    assert not marker.exists()
    # The payload is real: trusting the file does run it.
    load_checkpoint(path, weights_only=False)
    assert marker.exists()


def _bad_checkpoints(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Files that are not loadable checkpoints, each with the phrase its error must contain."""
    from PIL import Image

    files: dict[str, tuple[Path, str]] = {}

    def add(kind: str, name: str, data: bytes, expect: str) -> None:
        (tmp / name).write_bytes(data)
        files[kind] = (tmp / name, expect)

    rng = np.random.default_rng(0)
    add("random", "random.pth", b"\x17" + rng.integers(0, 256, 4095, dtype=np.uint8).tobytes(),
        "is not a zip or pickle checkpoint: it looks like unknown binary data (first bytes 17 ")  # fmt: skip
    add("text", "notes.pth", b"this is not a checkpoint\nsecond line\n",
        "is not a zip or pickle checkpoint: it looks like text (first line 'this is not a checkpoint')")  # fmt: skip
    add("label_map", "label_map.pth", b"abseiling\nair drumming\nanswering questions\n",
        "is not a zip or pickle checkpoint: it looks like text (first line 'abseiling')")  # fmt: skip
    jpeg = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(jpeg, format="JPEG")
    add("jpeg", "photo.pth", jpeg.getvalue(), "is not a zip or pickle checkpoint: it looks like a JPEG image")
    add("empty", "empty.pth", b"", "is empty (0 bytes)")
    good = save_checkpoint({"model": {"w": torch.ones(4000)}}, tmp / "good.pth").read_bytes()
    for frac in (0.1, 0.5, 0.99):
        add(f"truncated_{frac}", f"cut_{frac}.pth", good[: int(len(good) * frac)],
            "is truncated: it starts as a zip archive (torch.save's format) but has no end-of-archive record")  # fmt: skip
    legacy = io.BytesIO()
    torch.save({"model": {"w": torch.ones(4000)}}, legacy, _use_new_zipfile_serialization=False)
    add("legacy_cut_pickle", "legacy_a.pth", legacy.getvalue()[:200], "is truncated: a legacy torch.save file whose")
    add("legacy_cut_data", "legacy_b.pth", legacy.getvalue()[:-100],
        "is truncated: a legacy torch.save file whose tensor data ends early")  # fmt: skip
    add("plain_pickle", "pickled.pth", pickle.dumps({"w": [1.0, 2.0]}, protocol=2),
        "is not a torch.save checkpoint: it is a plain pickle (written by pickle.dump, not torch.save)")  # fmt: skip
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("weights.npy", b"x")
    add("other_zip", "archive.pth", archive.getvalue(), "is not a torch.save checkpoint: it is a zip archive without data.pkl")
    return files


BAD_KINDS = ["random", "text", "label_map", "jpeg", "empty", "truncated_0.1", "truncated_0.5", "truncated_0.99",
             "legacy_cut_pickle", "legacy_cut_data", "plain_pickle", "other_zip"]  # fmt: skip


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_checkpoint_file_says_what_it_is(tmp_path, kind, weights_only):
    path, expect = _bad_checkpoints(tmp_path)[kind]
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, weights_only=weights_only)
    message = str(info.value)
    assert message.startswith(f"checkpoint {path} ") and expect in message, message
    assert "\n" not in message  # one line
    assert "weights_only" not in message  # nothing here is a checkpoint that trust would open


def test_plain_pickle_with_code_is_not_offered_unsafe_loading(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil_plain.pth"
    path.write_bytes(pickle.dumps({"meta": RunsCode(marker)}, protocol=2))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "plain pickle" in message and "posix.system" in message and "weights_only=False" not in message
    assert not marker.exists()


def test_missing_truncated_and_non_dict_files(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pth")
    good = save_checkpoint({"w": torch.ones(100)}, tmp_path / "good.pth")
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=r"cut\.pth"):
        load_checkpoint(cut)
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match="expected a dict"):
        load_checkpoint(tmp_path / "list.pth")


def test_manager_rotation_latest_and_best(tmp_path):
    (tmp_path / "pretrained.pth").write_bytes(b"not ours")
    mgr = CheckpointManager(tmp_path, keep_last=2, best_metric="top1", mode="max")
    assert mgr.latest_path() is None and mgr.best_path() is None
    scores = [0.2, 0.5, 0.4, 0.1]
    for i, s in enumerate(scores, 1):
        mgr.save({"i": i}, f"epoch_{i:04d}.pth", {"top1": s})
    names = sorted(p.name for p in tmp_path.glob("*.pth"))
    assert names == ["best.pth", "epoch_0003.pth", "epoch_0004.pth", "pretrained.pth"]
    assert mgr.latest_path() == tmp_path / "epoch_0004.pth"
    best = load_checkpoint(mgr.best_path())
    assert best["i"] == 2 and best["checkpointer"]["best_value"] == 0.5  # survived rotation
    # best-only save: written only when it improves
    assert mgr.save({"i": 5}, None, {"top1": 0.45}) is None
    assert mgr.save({"i": 6}, None, {"top1": 0.9}) == tmp_path / "best.pth"
    assert load_checkpoint(tmp_path / "best.pth")["i"] == 6
    # a new manager picks the best value up from a checkpoint's state
    again = CheckpointManager(tmp_path, keep_last=2, best_metric="top1")
    again.load_state_dict(load_checkpoint(tmp_path / "epoch_0004.pth")["checkpointer"])
    assert again.best_value == 0.5 and not again.is_better(0.5) and again.is_better(0.51)


def test_manager_min_mode(tmp_path):
    mgr = CheckpointManager(tmp_path, keep_last=0, best_metric="loss", mode="min")
    for i, v in enumerate([3.0, 1.0, 2.0]):
        mgr.save({"i": i}, f"iter_{i:08d}.pth", {"loss": v})
    assert load_checkpoint(mgr.best_path())["i"] == 1
    assert len(list(tmp_path.glob("iter_*.pth"))) == 3  # keep_last=0 keeps all
    with pytest.raises(ValueError, match="mode"):
        CheckpointManager(tmp_path, mode="best")


def test_key_helpers():
    sd = {"module.backbone.conv.weight": 1, "module.head.fc.bias": 2, "step": 3}
    assert strip_prefix(sd, "module.") == {"backbone.conv.weight": 1, "head.fc.bias": 2, "step": 3}
    assert add_prefix({"a": 1}, "model.") == {"model.a": 1}
    out = remap_keys(
        sd,
        [(r"^module\.", ""), (r"^backbone\.conv\.", "stem."), (r"\.fc\.", ".proj.")],
        drop=[r"^step$"],
    )
    assert out == {"stem.weight": 1, "head.proj.bias": 2}
    with pytest.raises(CheckpointError, match="both renamed"):
        remap_keys({"a.x": 1, "b.x": 2}, [(r"^[ab]\.", "")])
    assert extract_state_dict({"state_dict": {"w": 1}, "meta": {}}) == {"w": 1}
    assert extract_state_dict({"model": {"w": 1}, "optimizer": {}}) == {"w": 1}
    t = torch.zeros(1)
    assert extract_state_dict({"w": t}) == {"w": t}
    with pytest.raises(CheckpointError, match="no model weights"):
        extract_state_dict({"meta": 1})


def test_load_model_weights_reports_and_strict():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    sd = {
        "0.weight": torch.ones(4, 3),
        "0.bias": torch.ones(4),
        "1.weight": torch.ones(3, 3),  # wrong shape
        "extra.weight": torch.ones(1),
    }
    with pytest.raises(CheckpointError) as info:
        load_model_weights(model, sd)
    msg = str(info.value)
    assert "1.bias" in msg and "extra.weight" in msg and "1.weight (checkpoint (3, 3), model (2, 4))" in msg
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # untouched
    report = load_model_weights(model, sd, strict=False)
    assert report.missing == ["1.bias"] and report.unexpected == ["extra.weight"]
    assert report.mismatched == [("1.weight", (3, 3), (2, 4))] and not report.ok
    assert torch.equal(model[0].weight, torch.ones(4, 3))
    assert torch.equal(model[1].weight, before["1.weight"])
