"""`python -m studies.cot_faithfulness --model MODEL [--items N] [--out DIR]`: run the study
and write its report; `--report-only` rebuilds the report from a finished run."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from models.errors import ModelsError
from models.reasoning import TASKS


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _tasks(text: str) -> tuple[str, ...]:
    tasks = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in tasks if t not in TASKS]
    if bad or not tasks:
        raise argparse.ArgumentTypeError(f"tasks must be a comma list of {', '.join(TASKS)}")
    return tasks


def _whole(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, "
                                             f"got {text!r}")
        return value
    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m studies.cot_faithfulness",
        description="Does a language model's answer depend on its chain of thought? Early "
                    "answering, corrupted steps, activation patching and a flawed-reasoning "
                    "probe over generated items.")
    p.add_argument("--model", default="smollm2-135m-instruct",
                   help="a causal LM: a registry name (offline: smollm2-135m-instruct) or a hub "
                        "name such as gpt2 or Qwen/Qwen2.5-0.5B-Instruct")
    p.add_argument("--items", type=_whole(1), default=20, help="items per task")
    p.add_argument("--tasks", type=_tasks, default=TASKS, help="comma list of tasks")
    p.add_argument("--patch-items", type=_whole(0), default=2,
                   help="items per task with patching maps (the slow part)")
    p.add_argument("--patch-every", type=_whole(1), default=5, help="patch every n-th block")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default runs/cot_faithfulness/<model>)")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild report.md from the folder's results.json")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from studies.cot_faithfulness.report import write_report
    from studies.cot_faithfulness.study import StudyConfig, run

    out = args.out or Path("runs") / "cot_faithfulness" / args.model.replace("/", "--")
    try:
        if not args.report_only:
            config = StudyConfig(model=args.model, tasks=args.tasks, items=args.items,
                                 patch_items=args.patch_items, patch_every=args.patch_every,
                                 seed=args.seed)
            start = time.perf_counter()
            run(config, out, progress=_say)
            _say(f"measured in {time.perf_counter() - start:.0f} s")
        elif not (out / "results.json").is_file():
            print(f"error: {out} has no results.json; run the study first", file=sys.stderr)
            return 2
        path = write_report(out)
    except ModelsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0
