"""``python -m vidcore.audio.cli VERB ...`` (and ``torchrun ... -m vidcore.audio.cli train ...``)."""

from __future__ import annotations

import sys

from vidcore.audio.cli import main

sys.exit(main())
