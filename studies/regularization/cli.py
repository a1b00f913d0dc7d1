"""`python -m studies.regularization train|measure|report|run`: the study's command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from models.errors import ModelsError
from studies.regularization.config import StudyConfig, StudyConfigError, load_config

DEFAULT_ROOT = Path("runs") / "regularization"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _out(args, config: StudyConfig | None) -> Path:
    if args.out:
        return Path(args.out)
    if config is None:
        raise StudyConfigError("report needs --out DIR (the folder measure wrote) or --config")
    return DEFAULT_ROOT / config.name


def cmd_train(args) -> int:
    from studies.regularization.study import train_all

    config = load_config(args.config)
    records = train_all(config, progress=_say)
    out = _out(args, config)
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps([r.to_json() for r in records], indent=1))
    for record in records:
        print(f"{record.name:<48} {record.wall_s:8.1f} s  loss {record.first_loss:.3f} -> "
              f"{record.final_loss:.3f}")
    return 0


def cmd_measure(args) -> int:
    from studies.regularization.study import measure_all

    config = load_config(args.config)
    out = _out(args, config)
    measure_all(config, out, progress=_say)
    print(out / "results.json")
    return 0


def cmd_interpret(args) -> int:
    from studies.regularization.interpret import interpret_all

    config = load_config(args.config) if args.config else None
    out = _out(args, config)
    interpret_all(out, units_per_model=args.units, layer=args.layer, progress=_say)
    print(out / "results.json")
    return 0


def cmd_report(args) -> int:
    from studies.regularization.report import table, write_report
    from studies.regularization.study import read_results

    config = load_config(args.config) if args.config else None
    out = _out(args, config)
    results = read_results(out)
    report, plot = write_report(results, out)
    print(table(results))
    print(f"\n{report}\n{plot}")
    return 0


def cmd_run(args) -> int:
    for step in (cmd_train, cmd_measure, cmd_interpret, cmd_report):
        code = step(args)
        if code:
            return code
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studies.regularization", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, run, about in (
        ("train", cmd_train, "fine-tune and save every variant of a config"),
        ("measure", cmd_measure, "measure the base model and the saved variants -> results.json"),
        ("interpret", cmd_interpret, "atlas the same sampled neurons of every model and score "
                                     "them with the open simulator -> results.json"),
        ("report", cmd_report, "write report.md and the plots from results.json"),
        ("run", cmd_run, "train, measure and report in one go"),
    ):
        p = sub.add_parser(name, help=about)
        p.add_argument("--config", required=name not in ("report", "interpret"),
                       help="a study YAML, e.g. studies/regularization/configs/small.yaml")
        p.add_argument("--out", help=f"output folder (default {DEFAULT_ROOT}/<config name>)")
        p.add_argument("--threads", type=int, default=None,
                       help="CPU threads for torch (1 is often fastest on a busy 2-core machine)")
        if name in ("interpret", "run"):
            p.add_argument("--units", type=int, default=24,
                           help="sampled neurons per model to describe and score")
            p.add_argument("--layer", help="the MLP layer (default: the middle measured one)")
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            print("error: --threads is a whole number >= 1", file=sys.stderr)
            return 2
        import torch

        torch.set_num_threads(args.threads)
    try:
        return args.run(args)
    except (StudyConfigError, ModelsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
