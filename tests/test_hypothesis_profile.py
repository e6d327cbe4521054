"""The Hypothesis profile CI runs under (registered in tests/conftest.py, exported by .ci/run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import settings

CONFTEST = Path(__file__).with_name("conftest.py")


def test_ci_profile_is_derandomized_without_database() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True and ci.database is None and ci.print_blob is True


def _default_after_conftest(env: dict[str, str]) -> str:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('vidcore_tests_conftest', {str(CONFTEST)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "from hypothesis import settings\n"
        "print(settings.default.derandomize, settings.default.database is None)\n"
    )
    # (without PYTEST_XDIST_WORKER the conftest leaves torch unimported: a child of ~1 s)
    drop = ("CI", "VIDCORE_HYPOTHESIS_PROFILE", "PYTEST_XDIST_WORKER")
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_profile_is_chosen_by_the_environment() -> None:
    assert _default_after_conftest({"VIDCORE_HYPOTHESIS_PROFILE": "ci"}) == "True True"
    assert _default_after_conftest({"CI": "true"}) == "True True"
    assert _default_after_conftest({}) == "False False"  # local runs stay random
    ci_run = (CONFTEST.parent.parent / ".ci" / "run").read_text()
    assert "export VIDCORE_HYPOTHESIS_PROFILE=ci" in ci_run
