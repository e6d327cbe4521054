"""``python -m vidcore.recognition.cli VERB ...`` (and ``torchrun ... -m vidcore.recognition.cli train ...``)."""

from __future__ import annotations

import sys

from vidcore.recognition.cli import main

sys.exit(main())
