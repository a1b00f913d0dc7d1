"""Entry point of `python -m studies.regularization`."""

import sys

from studies.regularization.cli import main

sys.exit(main())
