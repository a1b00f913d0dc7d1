"""Entry point of `python -m studies.cot_faithfulness`."""

import sys

from studies.cot_faithfulness.cli import main

sys.exit(main())
