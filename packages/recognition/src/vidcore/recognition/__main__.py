import sys

from vidcore.recognition.cli import main

sys.exit(main())
