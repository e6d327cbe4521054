"""The top-level API of vidcore.data: every exported name resolves, stays lazy, and the README runs."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vidcore.data

README = Path(__file__).resolve().parents[2] / "packages" / "data" / "README.md"


@pytest.mark.parametrize("name", vidcore.data.__all__)
def test_every_exported_name_resolves(name):
    value = getattr(vidcore.data, name)
    assert value is not None
    assert name in dir(vidcore.data)
    if name in vidcore.data._EXPORTS:  # the same object as where it is defined
        module = sys.modules[vidcore.data._EXPORTS[name]]
        assert getattr(module, name) is value


def test_exports_are_what_the_docs_say():
    assert vidcore.data.transforms is sys.modules["vidcore.data.transforms"]
    assert vidcore.data.open_video is sys.modules["vidcore.data.decoders"].open_video
    text = README.read_text()
    missing = [n for n in vidcore.data.__all__ if n != "__version__" and f"`{n}`" not in text]
    assert not missing, f"exported but not listed in packages/data/README.md: {missing}"
    from vidcore.data import annotations  # a subpackage, not the __future__ flag

    assert annotations.__name__ == "vidcore.data.annotations"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(AttributeError, match="did you mean 'open_video'"):
        vidcore.data.open_vidoe  # noqa: B018
    with pytest.raises(AttributeError, match=r"has no attribute 'nothing_like_it'$"):
        vidcore.data.nothing_like_it  # noqa: B018


def test_import_is_lazy():
    code = "import sys, vidcore.data; print(sorted(m for m in ('torch', 'av', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _first_python_block(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert match, "packages/data/README.md has no ```python block"
    return match.group(1)


def test_readme_example_runs_and_prints_what_it_says(tmp_path, monkeypatch):
    code = _first_python_block(README.read_text())
    # every `print(...)  # text` line states its output: collect those texts in order
    prints = [line for line in code.splitlines() if line.lstrip().startswith("print(")]
    expected = [line.split("  # ", 1)[1].strip() for line in prints]
    monkeypatch.chdir(tmp_path)  # the example writes demo_data/ where it runs
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    assert out.getvalue().splitlines() == expected
    assert (tmp_path / "demo_data" / "train.txt").is_file()
