import sys

from vidcore.skeleton.cli import main

sys.exit(main())
