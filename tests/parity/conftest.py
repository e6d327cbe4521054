"""Parity tests against MMAction2: make ``mm_helpers`` importable from the test modules.

The tests skip themselves (through ``mm_helpers.require_mmaction``) when MMAction2 is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
