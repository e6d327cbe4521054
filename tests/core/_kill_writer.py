"""Overwrites a checkpoint and stops half-way through the temp file, for the SIGKILL test.

Usage: python _kill_writer.py PATH MARKER. Writes {"step": 2, "w": ...} over PATH; after half the
bytes are in the temp file it touches MARKER and sleeps until the test kills it.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import torch

from vidcore.core.checkpoint import save_checkpoint

real_save = torch.save


def half_then_hang(obj, f, *args, **kwargs):
    buf = io.BytesIO()
    real_save(obj, buf, *args, **kwargs)
    data = buf.getvalue()
    f.write(data[: len(data) // 2])
    f.flush()
    os.fsync(f.fileno())
    Path(sys.argv[2]).write_text("half written")
    time.sleep(120)
    raise SystemExit("not killed")


torch.save = half_then_hang
save_checkpoint({"step": 2, "w": torch.full((64, 64), 2.0)}, sys.argv[1])
