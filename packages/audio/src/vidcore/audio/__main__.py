import sys

from vidcore.audio.cli import main

sys.exit(main())
