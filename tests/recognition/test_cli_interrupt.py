"""Ctrl-C during ``vidcore-recognition train`` (issue 16 item 4): a real SIGINT in a real CLI process.

The experiment file patches the tiny model so that the process sends itself SIGINT in the middle
of its 2nd training step (16 videos, batch 4: 4 steps per epoch). The CLI must finish that step,
write ``iter_00000002.pth``, print the exact resume command on one line, exit 130 without a
traceback, and ``train RUN_DIR --resume`` must continue from batch 2 of epoch 1.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

from vidcore.core.checkpoint import CheckpointManager, load_checkpoint

HELPER = Path(__file__).with_name("_recog_tiny.py")
spec = importlib.util.spec_from_file_location("_recog_tiny", HELPER)
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)

CONFIG = '''import importlib.util
import os
import signal

from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition.experiment import DataConfig, Experiment, ModelConfig
from vidcore.recognition.recognizer import Recognizer

_spec = importlib.util.spec_from_file_location("_recog_tiny", {helper!r})
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)

if os.environ.get("SIGINT_AT_STEP"):  # a user pressing Ctrl-C in the middle of that step
    _calls = {{"n": 0}}
    _real = Recognizer.forward_train

    def _forward_train(self, batch):
        _calls["n"] += 1
        if _calls["n"] == int(os.environ["SIGINT_AT_STEP"]):
            os.kill(os.getpid(), signal.SIGINT)
        return _real(self, batch)

    Recognizer.forward_train = _forward_train

config = Experiment(
    model=ModelConfig(preset=_tiny.register()),
    data=DataConfig(root={root!r}, train_list={root!r} + "/train.txt", val_list={root!r} + "/val.txt",
                    label_map={root!r} + "/label_map.txt", flip=False),
    trainer=TrainerConfig(max_epochs=2, batch_size=4, num_workers=0, progress_bar=False,
                          optim=OptimConfig(lr=0.05), schedule=ScheduleConfig(name="constant")),
    work_dir="unused",
)
'''


# `vidcore-recognition ARGS` with the tiny test preset registered (a real run's preset is built in;
# the resumed run reads only config.json, which names the preset but cannot register it)
BOOT = f"""import importlib.util, sys
spec = importlib.util.spec_from_file_location("_recog_tiny", {str(HELPER)!r})
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)
tiny.register()
from vidcore.recognition.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **(env_extra or {}))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(key, None)
    cmd = [sys.executable, "-c", BOOT, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_ctrl_c_writes_a_checkpoint_prints_the_resume_command_and_exits_130(tmp_path):
    root = tiny.render(tmp_path / "data")
    cfg = tmp_path / "exp.py"
    cfg.write_text(CONFIG.format(helper=str(HELPER), root=str(root)))
    work = tmp_path / "run"
    done = _cli("train", str(cfg), "--set", "trainer.optim.lr=0.02", "--work-dir", str(work),
                env_extra={"SIGINT_AT_STEP": "2"})  # fmt: skip
    assert done.returncode == 130, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
    assert "SIGINT received: finishing the current step" in done.stderr
    resume_lines = [line for line in done.stderr.splitlines() if line.startswith("resume with: ")]
    assert resume_lines == [f"resume with: vidcore-recognition train {work} --resume"]
    ckpt = work / "iter_00000002.pth"
    assert CheckpointManager(work, best_metric=None).latest_path() == ckpt
    state = load_checkpoint(ckpt)
    assert (state["epoch"], state["batches_done"], state["global_iter"]) == (0, 2, 2)
    assert state["meta"]["config"]["trainer"]["optim"]["lr"] == 0.02  # the --set is in the run

    # the printed command, as the user would paste it (without the Ctrl-C hook this time)
    command = shlex.split(resume_lines[0].removeprefix("resume with: "))
    assert command[0] == "vidcore-recognition"
    done = _cli(*command[1:])
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"resumed from {ckpt}: epoch 1, batch 2 of the epoch, iteration 2" in done.stdout
    final = load_checkpoint(work / "epoch_0002.pth")
    assert (final["epoch"], final["batches_done"], final["global_iter"]) == (2, 0, 8)
    assert final["config"]["optim"]["lr"] == 0.02  # the run's own config.json, not retyped
