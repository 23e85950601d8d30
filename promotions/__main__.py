"""Entry point of ``python -m promotions``."""

import sys

from promotions.cli import main

sys.exit(main())
