"""`python -m tools list [--json] [--modality vision|text]`: the registered tools and schemas."""

from __future__ import annotations

import argparse
import json
import sys

from tools.registry import list_tools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="every tool with its JSON schema")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--modality", choices=["vision", "text"])
    args = parser.parse_args(argv)
    specs = list_tools(args.modality)
    if args.json:
        print(json.dumps([spec.to_json() for spec in specs]))
    else:
        for spec in specs:
            print(f"{spec.modality:<7} {spec.name:<20} {spec.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
