"""`python -m models.natural [install] [--no-build]`: the sources report, or install them."""

import sys

from models.natural.install import install
from models.natural.report import sources_report

if __name__ == "__main__":
    if sys.argv[1:2] == ["install"]:
        print("\n".join(install()))
    else:
        print(sources_report(build="--no-build" not in sys.argv[1:]))
