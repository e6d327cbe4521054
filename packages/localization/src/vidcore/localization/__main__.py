"""``python -m vidcore.localization VERB ...``."""

from __future__ import annotations

import sys

from vidcore.localization.cli import main

sys.exit(main())
