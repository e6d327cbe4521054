"""``python -m vidcore.localization.cli VERB ...`` (and ``torchrun ... -m vidcore.localization.cli train ...``)."""

from __future__ import annotations

import sys

from vidcore.localization.cli import main

sys.exit(main())
