"""vidcore-audio meets vidcore-recognition through files only (DESIGN.md): importing the package,
building its whole command line (the demo and fuse verbs included) loads no vidcore.recognition
module. Checked in a fresh interpreter, since this test session may have imported it already."""

from __future__ import annotations

import subprocess
import sys


def test_the_audio_package_and_cli_never_import_recognition() -> None:
    code = (
        "import sys\n"
        "import vidcore.audio, vidcore.audio.demo, vidcore.audio.inference\n"
        "from vidcore.audio.cli import build_parser\n"
        "p = build_parser()\n"
        "verbs = next(a for a in p._actions if a.__class__.__name__ == '_SubParsersAction').choices\n"
        "assert {'fuse', 'demo', 'infer', 'export'} <= set(verbs), sorted(verbs)\n"
        "print(sorted(m for m in sys.modules if m.startswith('vidcore.recognition')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
