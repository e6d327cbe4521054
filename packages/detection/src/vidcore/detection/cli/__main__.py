"""``python -m vidcore.detection.cli VERB ...`` (and ``torchrun ... -m vidcore.detection.cli train ...``)."""

from __future__ import annotations

import sys

from vidcore.detection.cli import main

sys.exit(main())
