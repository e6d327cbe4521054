"""Every ```python block of every README (the root one and each package's) runs as written.

Each block runs in a fresh interpreter inside an empty temporary folder (what a user who copies
it gets); blocks of one README run in order in the same folder, so a later block may use files an
earlier one wrote. A README block that needs MMAction2 or a GPU does not belong in a README.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(readme: Path) -> list[str]:
    return [m.group(1) for m in _BLOCK.finditer(readme.read_text(encoding="utf-8"))]


def test_every_package_readme_has_an_example() -> None:
    """Each package README starts with install and a Python example (the project's rule)."""
    for readme in READMES[1:]:
        text = readme.read_text(encoding="utf-8")
        assert python_blocks(readme), f"{readme.relative_to(ROOT)} has no ```python example"
        assert "pip install" in text.split("```python")[0], f"{readme.relative_to(ROOT)}: install comes first"


@pytest.mark.slow
@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_readme_python_blocks_run(readme: Path, tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "2", "PYTHONWARNINGS": "ignore"}
    for i, block in enumerate(python_blocks(readme)):
        script = tmp_path / f"block_{i}.py"
        script.write_text(block, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, (
            f"{readme.relative_to(ROOT)} python block {i + 1} failed:\n{block}\n--- stderr ---\n{done.stderr[-3000:]}"
        )
