"""Fixtures shared by every package's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several test processes share the cores: one intra-op thread each (and in the processes they
    # spawn) avoids the oversubscription that makes OpenMP kernels many times slower.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def conformance_root() -> Path:
    """Root of the third-party fixtures (``VIDCORE_CONFORMANCE_DATA``, e.g. ../shared/fixtures/mmaction2).

    Tests that use it skip with a reason when the variable is unset or points nowhere.
    """
    value = os.environ.get("VIDCORE_CONFORMANCE_DATA")
    if not value:
        pytest.skip("VIDCORE_CONFORMANCE_DATA is not set (point it at shared/fixtures/mmaction2)")
    root = Path(value)
    if not root.is_dir():
        pytest.skip(f"VIDCORE_CONFORMANCE_DATA={value} is not a directory")
    return root
