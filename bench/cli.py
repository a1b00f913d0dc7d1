"""`python -m bench`: list suites, run a policy over a suite, rescore runs, write reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.requests import bench_request, check_workers
from models.console import command, emit
from models.errors import ModelsError


def cmd_suites(args: argparse.Namespace) -> int:
    from bench.suites import list_suites

    rows = list_suites()
    emit(rows, args.json, [f"{r['name']:<18} {r['modality']:<7} {r['size']:>4} units  "
                            f"{'ground truth' if r['ground_truth'] else 'no ground truth'}  "
                            f"{r['compositions'] or ''}" for r in rows])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bench.runner import run_suite

    request = bench_request(suite=args.suite, policy=args.policy, limit=args.limit,
                            policy_options=args.policy_options or {}, workers=args.workers)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    summary = run_suite(request.suite, request.policy, args.out, limit=request.limit,
                        workers=request.workers, options=request.policy_options,
                        progress=progress, protocols=not args.judge_only)
    emit(summary, args.json, [f"{k}: {v}" for k, v in summary.items()])
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from bench.runner import score_dir

    summary = score_dir(args.run_dir, workers=check_workers(args.workers), suite_name=args.suite,
                        protocols=not args.judge_only,
                        use_llm=True if args.llm_judge else None,
                        llm_reader=args.llm_reader)
    emit(summary, args.json, [f"{k}: {v}" for k, v in summary.items()])
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_report

    out = args.out or args.dirs[0]
    paths = write_report(args.dirs, out)
    emit(paths, args.json, [Path(paths["markdown"]).read_text(), f"plot: {paths['plot']}"])
    return 0


def cmd_atlas(args: argparse.Namespace) -> int:
    from bench.atlas import AtlasRequest, build_atlas

    request = bench_request(suite="atlas", policy=args.policy, workers=args.workers,
                            policy_options=args.policy_options or {})
    atlas = AtlasRequest(model=args.model, out=args.out, policy=request.policy,
                         options=request.policy_options, corpus=args.corpus,
                         protocols=not args.judge_only, max_rounds=args.max_rounds)
    layers = [name.strip() for name in args.layers.split(",")] if args.layers else None
    summary = build_atlas(atlas, layers=layers, units=args.units, workers=request.workers,
                          ray_address=args.ray, chunk_size=args.chunk_size,
                          progress=not args.json)
    emit(summary, args.json, [f"{k}: {v}" for k, v in summary.items()])
    return 0


def cmd_atlas_query(args: argparse.Namespace) -> int:
    from bench.atlas import query

    rows = query(Path(args.atlas), args.sql)
    emit(rows, args.json, [" | ".join(str(v)[:60] for v in row.values()) for row in rows])
    return 0


def cmd_atlas_control(args: argparse.Namespace) -> int:
    from bench.atlas.control import atlas_control

    result = atlas_control(Path(args.atlas), args.sample, args.seed)
    emit(result, args.json, [f"{k}: {v}" for k, v in result.items()])
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from bench.judge import calibrate, load_calibration
    from bench.judge.llm import endpoint_judge, llm_configured, local_judge
    from bench.judge.offline import (
        audit_agreement,
        fresh_accuracy,
        second_judge_accuracy,
        suite_truths,
    )

    local = local_judge(args.local_judge) if args.local_judge else None  # fails early
    result = calibrate(load_calibration(), truths=suite_truths())
    cut = tuple(result["threshold"])
    result["fresh"] = fresh_accuracy(cut)
    result["audit"] = audit_agreement(cut)
    if llm_configured():
        result["fresh_llm"] = second_judge_accuracy(endpoint_judge, threshold=cut)
    if local is not None:
        result["fresh_local"] = second_judge_accuracy(local, threshold=cut)
    emit(result, args.json, [f"{k}: {v}" for k, v in result.items()])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    command(sub, "suites", "the built-in suites and their sizes", cmd_suites)
    p = command(sub, "run", "run a policy over a suite (resumes), then score it", cmd_run)
    p.add_argument("--suite", required=True, help="a built-in suite or a .json/.yaml file")
    p.add_argument("--policy", default="systematic",
                   help="systematic, local or openai (scripted: tests of mechanics only)")
    p.add_argument("--policy-options", help="the policy's options as a JSON object")
    p.add_argument("--limit", type=int, help="only the first N units of the suite")
    p.add_argument("--workers", type=int, default=1, help="worker processes")
    p.add_argument("--out", required=True, help="the output folder (run folders go under it)")
    p.add_argument("--judge-only", action="store_true",
                   help="score with the ground-truth judge only (skip the unit protocols)")
    p = command(sub, "score", "rescore recorded runs without running the agent", cmd_score)
    p.add_argument("run_dir")
    p.add_argument("--suite", help="the suite (default: from the folder's bench.json)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--judge-only", action="store_true",
                   help="only the ground-truth judge (no model is loaded)")
    p.add_argument("--llm-judge", action="store_true",
                   help="also ask the configured OpenAI-compatible backbone to judge; the "
                        "report shows how often the two judges agree")
    p.add_argument("--llm-reader", action="store_true",
                   help="also simulate and detect with the configured OpenAI-compatible "
                        "backbone as the reader (Bills et al. / delphi style)")
    p = command(sub, "report", "Markdown table and PNG plot comparing output folders",
                cmd_report)
    p.add_argument("dirs", nargs="+")
    p.add_argument("--out", help="where report.md and report.png go (default: the first dir)")
    p = command(sub, "atlas-control", "each unit's description against another unit's (the "
                "atlas's baseline), with 95%% intervals", cmd_atlas_control)
    p.add_argument("atlas")
    p.add_argument("--sample", type=int, help="a seeded sample of this many units")
    p.add_argument("--seed", type=int, default=0)
    p = command(sub, "calibrate", "the judge's threshold and accuracy on its labelled set",
                cmd_calibrate)
    p.add_argument("--local-judge", metavar="MODEL",
                   help="also measure an in-process chat model as the judge on the fresh set "
                        "(smollm2-135m-instruct offline, or any instruct model from the hub); "
                        "the configured LLM judge is measured whenever WORKBENCH_MODEL is set")
    p = command(sub, "atlas", "describe and score every unit of layers of a model (resumes)",
                cmd_atlas)
    p.add_argument("model")
    p.add_argument("--layers", help="comma-separated layers (default: every MLP/conv/SAE layer)")
    p.add_argument("--units", help="'all' (default), 'sample:N', or indices like '0-99,120'")
    p.add_argument("--policy", default="systematic")
    p.add_argument("--policy-options", help="the policy's options as a JSON object")
    p.add_argument("--workers", type=int, default=1, help="parallel workers (Ray when > 1)")
    p.add_argument("--ray", help="'auto' (a local Ray, the default with > 1 worker), a cluster "
                                 "address, or 'off'")
    p.add_argument("--chunk-size", type=int, default=16, help="units per task")
    p.add_argument("--corpus", default="default", help="the exemplar corpus")
    p.add_argument("--max-rounds", type=int, default=6, help="each unit's round budget")
    p.add_argument("--judge-only", action="store_true", help="skip the protocols that run "
                                                             "the unit")
    p.add_argument("--out", required=True, help="the atlas folder")
    p = command(sub, "atlas-query", "SQL over an atlas (the table is `atlas`)",
                cmd_atlas_query)
    p.add_argument("atlas")
    p.add_argument("sql")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, ModelsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
