"""Entry point of `python -m models.natural`: the sources report."""

import sys

from models.natural.report import sources_report

if __name__ == "__main__":
    print(sources_report(build="--no-build" not in sys.argv[1:]))
