"""`python -m agent ask ...`: run the agent from a terminal, printing its event stream."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from agent.context import Budgets
from agent.events import Event
from agent.policies import POLICY_NAMES
from agent.runner import RunSpec, new_run_dir, run
from agent.transcript import final_answer, read_config


def format_event(event: Event) -> str | None:
    """One human line per event (None for events not worth a line)."""
    d = event.data
    if event.type == "run_started":
        return f"run started: {d['subject']} ({d['modality']}), policy {d['policy']}"
    if event.type == "run_resumed":
        return f"run resumed from {d['run_dir']}"
    if event.type == "round_started":
        return f"-- round {d['round']}"
    if event.type in ("hypothesis_proposed", "hypothesis_revised"):
        verb = "proposed" if event.type == "hypothesis_proposed" else "revised"
        return (f"   {verb} {d.get('id')}: {d.get('statement', '')} "
                f"[{d.get('status')}, {float(d.get('confidence') or 0):.2f}]")
    if event.type == "tool_called":
        args = json.dumps(d.get("arguments", {}))
        return f"   {d['experiment']} {d['tool']}({args[:160]})"
    if event.type == "observation":
        return f"      -> {d['summary'][:300]} ({d.get('duration_s', 0):.1f}s)"
    if event.type == "llm_call":
        usage = d.get("usage", {})
        return (f"   llm {d.get('purpose')}: {usage.get('prompt_tokens', '?')} + "
                f"{usage.get('completion_tokens', '?')} tokens, {d.get('duration_s', 0):.1f}s")
    if event.type == "error":
        return f"   error in {d.get('step')}: {d.get('message')}"
    if event.type == "budget_exhausted":
        return f"   budget exhausted: {d.get('reason') or d.get('budget')}"
    if event.type == "final_answer":
        return (f"== {d['label']} (confidence {d['confidence']:.2f})\n   {d['description']}\n"
                f"   stop: {d.get('stop_reason')}")
    if event.type == "run_stopped":
        return "run stopped by the user"
    return None


def policy_options(args: argparse.Namespace) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Policy options from flags and environment; the API key goes to secrets, not options."""
    if args.policy == "openai":
        key = os.environ.get("WORKBENCH_API_KEY") or os.environ.get("OPENAI_API_KEY") or ""
        options = {"base_url": args.base_url or os.environ.get("WORKBENCH_BASE_URL"),
                   "model": args.model or os.environ.get("WORKBENCH_MODEL")}
        return {k: v for k, v in options.items() if v}, (key,)
    if args.policy == "local" and args.model:
        return {"model": args.model}, ()
    return {}, ()


def cmd_ask(args: argparse.Namespace) -> int:
    if args.resume:
        run_dir = Path(args.resume)
        config = read_config(run_dir)
        spec = None
        options, secrets = policy_options(argparse.Namespace(**{**vars(args),
                                                                "policy": config["policy"]}))
    else:
        if not args.unit or not args.question:
            print("error: --unit and --question are required (or --resume RUN_DIR)",
                  file=sys.stderr)
            return 2
        options, secrets = policy_options(args)
        spec = RunSpec(question=args.question, subject=args.unit, policy=args.policy,
                       policy_options=options,
                       budgets=Budgets(max_rounds=args.max_rounds,
                                       max_tool_calls=args.max_tool_calls,
                                       max_seconds=args.max_seconds),
                       corpus=args.corpus)
        run_dir = new_run_dir(args.out, args.unit)
    for event in run(spec, run_dir, resume=bool(args.resume), secrets=secrets):
        line = format_event(event)
        if line and not args.quiet:
            print(line, file=sys.stderr if args.json else sys.stdout, flush=True)
    final = final_answer(run_dir) or {}
    if args.json:
        print(json.dumps({**final, "run_dir": str(run_dir)}))
    else:
        print(f"transcript: {run_dir}")
    return 0 if final else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ask a question about a unit or a model")
    ask.add_argument("--unit", help="a unit address, or a model name for model-level questions")
    ask.add_argument("--question")
    ask.add_argument("--policy", choices=POLICY_NAMES, default="systematic")
    ask.add_argument("--max-rounds", type=int, default=6)
    ask.add_argument("--max-tool-calls", type=int, default=40)
    ask.add_argument("--max-seconds", type=float, default=900.0)
    ask.add_argument("--corpus", default="default",
                     help="exemplar corpus: default, generated, photos, a folder or a text file")
    ask.add_argument("--out", default="runs", help="where run folders are created")
    ask.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its checkpoint")
    ask.add_argument("--base-url", help="openai policy: the endpoint (env WORKBENCH_BASE_URL)")
    ask.add_argument("--model", help="openai/local policy: the backbone model name")
    ask.add_argument("--json", action="store_true", help="end with one JSON line")
    ask.add_argument("--quiet", action="store_true", help="no progress lines")
    ask.set_defaults(run=cmd_ask)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
