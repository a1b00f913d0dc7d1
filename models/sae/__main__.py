"""Entry point of `python -m models.sae`."""

import sys

from models.sae.cli import main

sys.exit(main())
