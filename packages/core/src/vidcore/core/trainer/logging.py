"""Run logs: JSON lines in the work directory, optional TensorBoard scalars."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

__all__ = ["RunLogger"]


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf
    return value


class RunLogger:
    """Appends one JSON object per line to ``path``; mirrors numbers to TensorBoard if asked.

    Only the main process should create an enabled logger; a disabled one ignores every call.

    Args:
        path: the ``.jsonl`` file (appended to, so a resumed run continues the same file).
        tensorboard_dir: write TensorBoard event files here (``None``: off). If the
            ``tensorboard`` package is missing, a warning is issued and only JSON lines are written.
        enabled: ``False`` on non-main ranks.
    """

    def __init__(self, path: str | Path, *, tensorboard_dir: str | Path | None = None, enabled: bool = True):
        self.path = Path(path)
        self.enabled = enabled
        self._tb = None
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard not installed
                warnings.warn(
                    "TrainerConfig.tensorboard=True but the 'tensorboard' package is not installed "
                    "(pip install tensorboard); logging JSON lines only",
                    stacklevel=2,
                )
            else:
                self._tb = SummaryWriter(log_dir=str(tensorboard_dir))

    def log(self, record: dict[str, Any]) -> None:
        """Write ``record`` (numbers, strings; tensors are turned into numbers)."""
        if not self.enabled:
            return
        record = {k: _plain(v) for k, v in record.items()}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self._tb is not None:
            step = record.get("iter", 0)
            mode = record.get("mode", "train")
            for key, value in record.items():
                if key not in ("iter", "epoch", "mode") and isinstance(value, (int, float)):
                    self._tb.add_scalar(f"{mode}/{key}", value, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
