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

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # a package's own test environment without hypothesis
    _hypothesis_settings = None
if _hypothesis_settings is not None:
    # "ci": the same examples on every run (derandomized from each test's source), no example
    # database carried between runs, and a reproduction blob printed for any failure. Chosen by
    # VIDCORE_HYPOTHESIS_PROFILE=ci (.ci/run exports it) or by the CI variable that CI services set;
    # local runs keep Hypothesis's default random profile.
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    _profile = os.environ.get("VIDCORE_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "")
    if _profile:
        _hypothesis_settings.load_profile(_profile)


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
