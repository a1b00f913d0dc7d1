"""What every command-line tool of the workbench shares: output as lines or one JSON value,
subcommands with a `--json` flag, and progress bars (tqdm) on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any


def emit(data: Any, as_json: bool, lines: Sequence[str]) -> None:
    """Print `data` as one JSON line, or the human `lines`."""
    if as_json:
        print(json.dumps(data, default=str))
    else:
        print("\n".join(lines))


def command(sub: Any, name: str, help: str, run: Callable[[argparse.Namespace], int],
            json_flag: bool = True) -> argparse.ArgumentParser:
    """Add a subcommand that runs `run(args)`, with a `--json` flag unless told otherwise."""
    parser = sub.add_parser(name, help=help, description=help)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON value")
    parser.set_defaults(run=run)
    return parser


def progress_bar(total: int, description: str, quiet: bool = False) -> Callable[[int, int], None]:
    """A `progress(done, total)` callback drawing a tqdm bar on stderr (silent when quiet)."""
    if quiet:
        return lambda _done, _total: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=description, unit="item", file=sys.stderr, leave=False)

    def update(done: int, new_total: int) -> None:
        if new_total != bar.total:
            bar.total = new_total
        bar.update(done - bar.n)
        if done >= new_total:
            bar.close()

    return update
