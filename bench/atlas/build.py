"""Build an atlas: describe and score every selected unit, in-process or on Ray.

The driver computes each layer's exemplar pass once (every unit of the layer shares it, on
disk), then hands out chunks of units: to itself one by one, or to Ray tasks on a local or an
existing cluster (`--ray auto` / `--ray ADDRESS`). A worker loads its model once and keeps it
for every chunk it runs; a task whose worker dies is retried, and the retry skips the units
its first attempt already wrote, so no unit is lost or described twice.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.atlas.plan import Chunk, plan
from bench.atlas.store import (
    META_FILE,
    append_row,
    compact,
    read_rows,
    seal_chunk,
    write_json,
    write_progress,
)

QUESTION = "what does this unit detect?"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class AtlasRequest:
    """What to describe and how (JSON-able: it travels to Ray workers).

    Attributes:
        model: the subject model.
        out: the atlas folder.
        policy, options: the describing policy and its options.
        corpus: the exemplar corpus.
        protocols: score with the protocols that run the unit (else the judge only).
        max_rounds, max_tool_calls, max_seconds: each unit's budgets.
        crash_marker: tests only: a file whose absence makes a worker die after its first
            unit (the file is created first, so the retry goes through).
    """

    model: str
    out: str
    policy: str = "systematic"
    options: dict[str, Any] = field(default_factory=dict)
    corpus: str = "default"
    protocols: bool = True
    max_rounds: int = 6
    max_tool_calls: int = 40
    max_seconds: float = 900.0
    crash_marker: str | None = None


def _top_exemplars(address: str, corpus: str, k: int = 5) -> list[dict[str, Any]]:
    from models.exemplars import exemplars

    rows = []
    for exemplar in exemplars(address, k=k, corpus=corpus):
        row = {"rank": exemplar.rank, "id": exemplar.stimulus_id,
               "value": round(exemplar.value, 5)}
        if isinstance(exemplar.stimulus, str):
            row["text"] = exemplar.stimulus[:400]
        rows.append(row)
    return rows


def describe_unit(address: str, request: AtlasRequest) -> dict[str, Any]:
    """Run the policy on one unit (a run folder under out/runs) and score its description."""
    from agent.requests import Budgets, RunSpec
    from agent.runner import new_run_dir, run
    from agent.transcript import final_answer
    from bench.protocols import ScoringContext, evaluate
    from bench.runner import metric_paths
    from models.recording import resolve_unit

    unit, model, info = resolve_unit(address)
    started = time.perf_counter()
    run_dir = new_run_dir(Path(request.out) / "runs", address)
    spec = RunSpec(question=QUESTION, subject=address, policy=request.policy,
                   policy_options=request.options, corpus=request.corpus,
                   budgets=Budgets(max_rounds=request.max_rounds,
                                   max_tool_calls=request.max_tool_calls,
                                   max_seconds=request.max_seconds))
    for _ in run(spec, run_dir):
        pass
    final = final_answer(run_dir) or {}
    description = str(final.get("description", ""))
    # synthetic units carry their ground truth: the judge scores them too
    truth = model.spec(unit.layer, unit.index) if hasattr(model, "spec") else None
    context = ScoringContext(address, model.modality, truth)
    scores = evaluate(description, address, model.modality, with_model=request.protocols,
                      context=context)
    row: dict[str, Any] = {
        "address": address, "model": unit.model, "layer": unit.layer, "index": unit.index,
        "kind": info.kind, "description": description, "label": str(final.get("label", "")),
        "confidence": float(final.get("confidence") or 0.0),
        "scores": scores, "data": {name: result.get("data") for name, result in scores.items()
                                   if isinstance(result, dict) and result.get("data")},
        "top_exemplars": _top_exemplars(address, request.corpus),
        "run_dir": str(run_dir), "wall_s": round(time.perf_counter() - started, 2),
        "policy": request.policy, "corpus": request.corpus}
    for key, (protocol, name) in metric_paths().items():
        value = scores.get(protocol, {}).get(name) if isinstance(scores.get(protocol),
                                                                 dict) else None
        row[key] = float(value) if isinstance(value, int | float) else None
    # nested values travel as JSON text so every Parquet part has the same flat schema
    for key in ("scores", "data", "top_exemplars"):
        import json

        row[key] = json.dumps(row[key], default=str)
    return row


def describe_chunk(chunk: Chunk, request: AtlasRequest) -> list[str]:
    """Describe a chunk's units that are not yet in the atlas; returns the units written."""
    done = {row["address"] for row in read_rows(Path(request.out))}
    written = []
    for address in chunk.addresses():
        if address in done:
            continue
        append_row(Path(request.out), chunk.key, describe_unit(address, request))
        written.append(address)
        if request.crash_marker and not Path(request.crash_marker).exists():
            Path(request.crash_marker).write_text("crashed once")
            os._exit(1)  # a worker dying mid-chunk: the task is retried
    seal_chunk(Path(request.out), chunk.key)
    return written


def _ray_chunk(chunk: dict[str, Any], request: dict[str, Any]) -> list[str]:
    """A Ray task: the same work as in-process (models stay loaded in the worker process)."""
    return describe_chunk(Chunk(chunk["model"], chunk["layer"], tuple(chunk["indices"])),
                          AtlasRequest(**request))


def build_atlas(request: AtlasRequest, layers: list[str] | None = None,
                units: str | None = None, workers: int = 1, ray_address: str | None = None,
                chunk_size: int = 16, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Describe and score every selected unit; resumable; returns the progress summary.

    Args:
        request: what to describe and how.
        layers, units, chunk_size, seed: the selection (see bench.atlas.plan).
        workers: parallel workers (Ray is used when more than one, or an address is given).
        ray_address: "auto" for a local Ray, an address for an existing cluster, None or
            "off" for in-process.
    """
    from models.exemplars import layer_exemplars

    out = Path(request.out)
    out.mkdir(parents=True, exist_ok=True)
    chunks = plan(request.model, layers, units, chunk_size, seed)
    total = sum(len(c.indices) for c in chunks)
    write_json(out / META_FILE, {"request": asdict(request), "layers": sorted({c.layer for c in
                                                                               chunks}),
                                 "units": units or "all", "total": total,
                                 "created": time.time()})
    done = {row["address"] for row in read_rows(out)}
    todo = [c for c in chunks if any(a not in done for a in c.addresses())]
    for layer in sorted({c.layer for c in todo}):
        # one exemplar pass per layer, shared by all its units (and all workers, on disk)
        layer_exemplars(request.model, layer, request.corpus)
    started, before = time.time(), len(done)
    bar = _bar(total, len(done), progress)
    use_ray = (ray_address not in (None, "off")) or workers > 1
    if use_ray:
        import ray

        owned = not ray.is_initialized()
        try:
            _run_on_ray(todo, request, workers, ray_address or "auto", bar, total, started,
                        before)
        finally:
            if owned and ray.is_initialized():
                ray.shutdown()
    else:
        for chunk in todo:
            describe_chunk(chunk, request)
            _update(bar, out, total, started, before)
    summary = write_progress(out, len(read_rows(out)), total, started,
                             len(read_rows(out)) - before)
    bar.close()
    if summary["units_done"] >= total:
        compact(out)
    return summary


def _bar(total: int, done: int, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="unit", desc="atlas", disable=not show,
                smoothing=0.1)


def _update(bar: Any, out: Path, total: int, started: float, before: int) -> None:
    done = len(read_rows(out))
    bar.update(done - bar.n)
    progress = write_progress(out, done, total, started, done - before)
    bar.set_postfix(per_min=progress["units_per_minute"])


def _run_on_ray(chunks: list[Chunk], request: AtlasRequest, workers: int, address: str,
                bar: Any, total: int, started: float, before: int) -> None:
    import ray

    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")])),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           **{k: v for k, v in os.environ.items() if k.startswith(("WORKBENCH_", "HF_"))}}
    if not ray.is_initialized():
        if address == "auto":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": env})
        else:
            ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
    task = ray.remote(max_retries=3, num_cpus=1)(_ray_chunk)
    payload = asdict(request)
    pending = [task.remote({"model": c.model, "layer": c.layer, "indices": list(c.indices)},
                           payload) for c in chunks]
    while pending:
        ready, pending = ray.wait(pending, num_returns=1, timeout=2.0)
        for ref in ready:
            ray.get(ref)  # a chunk that failed every retry raises here
        _update(bar, Path(request.out), total, started, before)
