"""``python -m vidcore.skeleton.cli VERB ...`` (and ``torchrun ... -m vidcore.skeleton.cli train ...``)."""

from __future__ import annotations

import sys

from vidcore.skeleton.cli import main

sys.exit(main())
