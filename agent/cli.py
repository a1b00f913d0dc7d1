"""`python -m agent ask ...`: run the agent from a terminal, printing its event stream."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent.events import Event
from agent.policies import policy_names
from agent.requests import RequestError, run_spec
from agent.runner import new_run_dir, run
from agent.transcript import final_answer, read_config


def format_event(event: Event) -> str | None:
    """One human line per event (None for events not worth a line)."""
    d = event.data
    if event.type == "run_started":
        return f"run started: {d['subject']} ({d['modality']}), policy {d['policy']}"
    if event.type == "run_resumed":
        state = "it had already finished" if d.get("finished") else "continuing"
        return f"run resumed from {d['run_dir']} ({state})"
    if event.type == "step_interrupted":
        return f"   {d.get('message')}"
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


def policy_options(args: argparse.Namespace) -> dict[str, Any]:
    """Policy options from flags (the openai policy reads its endpoint and key from
    agent.settings; the key never becomes an option)."""
    if args.policy == "openai":
        options = {"base_url": args.base_url, "model": args.model}
        return {k: v for k, v in options.items() if v}
    if args.policy == "local" and args.model:
        return {"model": args.model}
    return {}


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_ask(args: argparse.Namespace) -> int:
    if args.resume:
        run_dir = Path(args.resume)
        try:
            read_config(run_dir)
        except (FileNotFoundError, ValueError) as error:
            return _fail(f"cannot resume {str(run_dir)!r}: {error}")
        spec = None
    else:
        if not args.unit or not args.question:
            return _fail("--unit and --question are required (or --resume RUN_DIR)")
        try:
            spec = run_spec(question=args.question, subject=args.unit, policy=args.policy,
                            policy_options=policy_options(args), max_rounds=args.max_rounds,
                            max_tool_calls=args.max_tool_calls, max_seconds=args.max_seconds,
                            corpus=args.corpus)
        except RequestError as error:
            return _fail(str(error))
        run_dir = new_run_dir(args.out, spec.subject)
    ok = False
    for event in run(spec, run_dir, resume=bool(args.resume)):
        ok = event.data.get("ok", False) if event.type == "run_finished" else ok
        line = format_event(event)
        if line and not args.quiet:
            print(line, file=sys.stderr if args.json else sys.stdout, flush=True)
    final = final_answer(run_dir) or {}
    if args.json:
        print(json.dumps({**final, "run_dir": str(run_dir)}))
    else:
        if args.resume and final:
            # a resumed run (finished before, or finished now) ends on its answer
            print(format_event(Event("final_answer", final)))
        print(f"transcript: {run_dir}")
    return 0 if final and ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ask a question about a unit or a model")
    ask.add_argument("--unit", help="a unit address, or a model name for model-level questions")
    ask.add_argument("--question")
    ask.add_argument("--policy", choices=policy_names(), default="systematic")
    ask.add_argument("--max-rounds", type=int, default=6)
    ask.add_argument("--max-tool-calls", type=int, default=40)
    ask.add_argument("--max-seconds", type=float, default=900.0)
    ask.add_argument("--corpus", default="default",
                     help="exemplar corpus: default, generated, photos, a folder or a text file")
    ask.add_argument("--out", default="runs", help="where run folders are created")
    ask.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its checkpoint")
    ask.add_argument("--base-url", help="openai policy: the endpoint (env WORKBENCH_BASE_URL)")
    ask.add_argument("--model", help="openai/local policy: the backbone model name")
    ask.add_argument("--local-model", dest="model", metavar="ORG/REPO",
                     help="local policy: any instruct model from the hub (default: SmolLM2)")
    ask.add_argument("--json", action="store_true", help="end with one JSON line")
    ask.add_argument("--quiet", action="store_true", help="no progress lines")
    ask.set_defaults(run=cmd_ask)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
