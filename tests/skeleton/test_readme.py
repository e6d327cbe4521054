"""The package README starts with an install line and a Python example that runs as printed."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "packages" / "skeleton" / "README.md"


def test_readme_example_runs_and_prints_what_it_says() -> None:
    text = README.read_text()
    assert text.index("pip install vidcore-skeleton") < text.index("```python")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 6
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    assert out.getvalue().strip() == "torch.Size([1, 60])"
