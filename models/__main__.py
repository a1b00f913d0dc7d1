"""Entry point of `python -m models`."""

import sys

from models.cli import main

sys.exit(main())
