import sys

from vidcore.data.cli import main

sys.exit(main())
