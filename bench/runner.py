"""Run a policy over a suite in parallel worker processes, resume, and score the transcripts."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from bench.suites import Suite, SuiteUnit, load_suite

BENCH_FILE = "bench.json"  # in the output folder: suite, policy and options of the run
UNIT_FILE = "bench_unit.json"  # in each run folder: suite unit, wall time, scores
SUMMARY_FILE = "summary.json"
QUESTION = "what does this unit detect?"
DESCRIPTIONS = ("policy", "random_description", "exemplar_oneshot")
# Workers are spawned, not forked: a fork of a process that already ran torch (MiniLM in the
# judge) can crash in the child's first torch call.
_SPAWN = multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- run folders


def finished_runs(out: Path) -> dict[str, Path]:
    """Subject address -> the newest run folder under `out` that reached a final answer."""
    from agent.transcript import final_answer, read_config

    found: dict[str, Path] = {}
    folders = sorted(p for p in Path(out).iterdir() if p.is_dir()) if Path(out).is_dir() else []
    for folder in folders:
        try:
            subject = read_config(folder)["subject"]
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            continue
        if final_answer(folder) is not None:
            found[subject] = folder  # sorted by time stamp: the newest wins
    return found


# --------------------------------------------------------------------------- workers

_SUITE: Suite | None = None


#: How often a worker checks that the process that started it is still there, in seconds.
PARENT_POLL_S = 2.0
#: The lock file that marks an output folder a live `bench run` is writing into.
LOCK_FILE = ".bench-run.lock"


class BenchBusy(ValueError):
    """Another live `bench run` is writing into the same output folder."""


def _watch_parent(parent: int) -> None:
    """Exit as soon as the process that started this worker is gone: a parent killed without
    the chance to stop its pool must not leave workers writing into a folder nobody runs."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(suite_name: str, watch: bool = False) -> None:
    """Load the suite once per worker (registers file and function units on the model); with
    `watch`, also exit when the process that started the worker goes away."""
    global _SUITE
    if watch:
        threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True,
                         name="watch-parent").start()
    _SUITE = load_suite(suite_name)


def _pool(workers: int, suite_name: str) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=_SPAWN,
                               initializer=_init_worker, initargs=(suite_name, True))


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a `kill`, a CI timeout) raises KeyboardInterrupt in the main thread, so a pool
    is stopped as on Ctrl-C, not left behind; the previous handler comes back afterwards.
    Elsewhere than the main thread (the app, a test) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (a running unit included)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # gone after shutdown
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


def _lock_folder(out: Path) -> FileLock:
    """Hold the output folder for this run, or say which run holds it."""
    lock = FileLock(out / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BenchBusy(f"{out}: another `bench run` is writing into this folder; wait for it "
                        "to finish, stop it, or choose another --out") from None
    return lock


def _worker_suite(suite_name: str) -> Suite:
    if _SUITE is None or _SUITE.name != suite_name:
        _init_worker(suite_name)
    assert _SUITE is not None
    return _SUITE


def run_unit(suite_name: str, address: str, policy: str, options: dict[str, Any],
             out: str, protocols: bool = True) -> dict[str, Any]:
    """Run the agent on one unit (a new run folder under `out`), then score it."""
    from agent.runner import RunSpec, new_run_dir, run

    suite = _worker_suite(suite_name)
    unit = suite.unit(address)
    run_dir = new_run_dir(out, address)
    start = time.perf_counter()
    spec = RunSpec(question=QUESTION, subject=address, policy=policy, policy_options=options)
    for _ in run(spec, run_dir):
        pass
    wall = time.perf_counter() - start
    record = {"suite": suite.name, "unit": unit.to_json(), "wall_s": round(wall, 2)}
    _write_json(run_dir / UNIT_FILE, record)
    return score_run(suite, run_dir, protocols=protocols)


def score_unit_worker(suite_name: str, run_dir: str, use_llm: bool | None,
                      protocols: bool, llm_reader: bool = False) -> dict[str, Any]:
    """Score one recorded run folder in a worker."""
    return score_run(_worker_suite(suite_name), Path(run_dir), use_llm=use_llm,
                     protocols=protocols, llm_reader=llm_reader)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- scoring


def random_description(unit: SuiteUnit) -> str:
    """The control: the ground truth of a unit of the public synthetic suite of the same
    modality that shares no concept with this one.

    Not a truth from the unit's own suite: the hidden, unseen and blind suites each hold one
    family of concepts (relations between objects: "level with another object", "close to
    another object", "the largest object"), which all follow the number of objects, so one
    of them predicts another's unit. Drawn from its own suite, the control scored predictive
    AUC 0.60 [0.52, 0.69] on blind-vision; the public suite spans colours, shapes, textures,
    positions and counts, and a draw from it is a description of something else.
    """
    pool = load_suite(f"synthetic-{unit.modality}").units
    mine = set(unit.spec.concepts) if unit.spec else set()
    others = [u for u in pool if u.address != unit.address and u.spec
              and not set(u.spec.concepts) & mine]
    rng = random.Random(unit.address)
    return rng.choice(others).spec.description  # type: ignore[union-attr]


def score_run(suite: Suite, run_dir: Path, use_llm: bool | None = None,
              protocols: bool = True, llm_reader: bool = False) -> dict[str, Any]:
    """Judge and evaluate the policy's description of one run and the two controls.

    The ground-truth judge needs no model; the protocols measure the unit (not the agent).
    With `llm_reader`, the configured endpoint also simulates and detects (`llm_simulation`).
    Writes and returns the run's `bench_unit.json` record.
    """
    from agent.transcript import final_answer, read_config
    from bench.protocols import ScoringContext, evaluate
    from bench.protocols.controls import exemplar_oneshot

    run_dir = Path(run_dir)
    previous = json.loads((run_dir / UNIT_FILE).read_text()) if (run_dir / UNIT_FILE).exists() \
        else {}
    address = read_config(run_dir)["subject"]
    unit = suite.unit(address)
    answer = final_answer(run_dir) or {}
    descriptions = {"policy": str(answer.get("description", ""))}
    descriptions["random_description"] = random_description(unit)
    record: dict[str, Any] = {"suite": suite.name, "unit": unit.to_json(),
                              "wall_s": previous.get("wall_s"), "run_dir": str(run_dir),
                              "descriptions": descriptions, "scores": {}}
    if protocols:
        try:
            descriptions["exemplar_oneshot"] = exemplar_oneshot(address, unit.modality)
        except Exception as error:  # noqa: BLE001 (the other scores still count)
            record["oneshot_error"] = f"{type(error).__name__}: {error}"[:300]
    if not protocols and "exemplar_oneshot" in previous.get("descriptions", {}):
        descriptions["exemplar_oneshot"] = previous["descriptions"]["exemplar_oneshot"]
    # one context per unit: the held-out data is measured once for all descriptions
    context = ScoringContext(address, unit.modality, unit.spec,
                             {"use_llm": use_llm, "llm_reader": llm_reader})
    for name, text in descriptions.items():
        # a judge-only rescoring keeps the protocol scores already recorded
        scores: dict[str, Any] = {} if protocols else dict(
            previous.get("scores", {}).get(name, {}))
        scores.update(evaluate(text, address, unit.modality, with_model=protocols,
                               context=context))
        record["scores"][name] = scores
    _write_json(run_dir / UNIT_FILE, record)
    return record


def _number(record: dict[str, Any], name: str, path: tuple[str, ...]) -> float | None:
    value: Any = record.get("scores", {}).get(name, {})
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def metric_paths() -> dict[str, tuple[str, str]]:
    """Summary key -> (protocol, result field), from the protocol registry."""
    from bench.protocols import metrics

    return {m.key: (p.name, m.field) for p, m in metrics()}


def mean_ci(values: list[float], level: float = 0.95) -> list[float] | None:
    """A bootstrap confidence interval of the mean over units (percentile, 2000 resamples,
    fixed seed); None with fewer than two units, the value itself when all are equal."""
    if len(values) < 2:
        return None
    if min(values) == max(values):
        return [round(values[0], 4)] * 2
    from scipy.stats import bootstrap

    result = bootstrap((np.asarray(values, dtype=float),), np.mean, confidence_level=level,
                       n_resamples=2000, method="percentile", random_state=0)
    return [round(float(result.confidence_interval.low), 4),
            round(float(result.confidence_interval.high), 4)]


def scored_with(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Which reader (simulator), held-out data and judge the records' scores used."""
    found: dict[str, set[str]] = {"reader": set(), "data": set(), "judge": set()}
    for record in records:
        for scores in record.get("scores", {}).values():
            for protocol in ("simulation", "detection", "predictive", "llm_simulation"):
                result = scores.get(protocol) or {}
                if isinstance(result, dict):
                    found["reader"].update([result["reader"]] if result.get("reader") else [])
                    found["data"].update([result["data"]] if result.get("data") else [])
            verdict = scores.get("judge") or {}
            if isinstance(verdict, dict) and verdict.get("judge"):
                found["judge"].add(verdict["judge"])
            if isinstance(verdict, dict) and verdict.get("llm_judge"):
                found["judge"].add(verdict["llm_judge"])
    return {k: sorted(v) for k, v in found.items()}


def judge_agreement(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """How often the reader's judge and the LLM judge agree, over every description (policy
    and controls) that both judged: counts and Cohen's kappa."""
    pairs = []
    for record in records:
        for scores in record.get("scores", {}).values():
            verdict = scores.get("judge") or {}
            if isinstance(verdict.get("correct"), bool) and isinstance(
                    verdict.get("llm_correct"), bool):
                pairs.append((verdict["correct"], verdict["llm_correct"]))
    if not pairs:
        return None
    a = np.array(pairs, dtype=float)
    observed = float((a[:, 0] == a[:, 1]).mean())
    p_yes = a[:, 0].mean() * a[:, 1].mean() + (1 - a[:, 0].mean()) * (1 - a[:, 1].mean())
    kappa = (observed - p_yes) / (1 - p_yes) if p_yes < 1 else 1.0
    return {"n": len(pairs), "agree": int((a[:, 0] == a[:, 1]).sum()),
            "rate": round(observed, 4), "kappa": round(float(kappa), 4)}


def summarize(records: list[dict[str, Any]], suite: str, policy: str) -> dict[str, Any]:
    """Means per description source (policy and controls), and accuracy per composition."""
    summary: dict[str, Any] = {"suite": suite, "policy": policy, "n": len(records)}
    paths = metric_paths()
    for name in DESCRIPTIONS:
        prefix = "" if name == "policy" else f"{name}_"
        for metric, path in paths.items():
            values = [v for r in records if (v := _number(r, name, path)) is not None]
            summary[prefix + metric] = round(float(np.mean(values)), 4) if values else None
            summary[prefix + metric + "_ci"] = mean_ci(values)
        by_comp: dict[str, list[float]] = {}
        for r in records:
            comp = (r["unit"].get("ground_truth") or {}).get("composition")
            value = _number(r, name, paths["accuracy"])
            if comp and value is not None:
                by_comp.setdefault(comp, []).append(value)
        if by_comp:
            summary[prefix + "accuracy_by_composition"] = {
                k: round(float(np.mean(v)), 4) for k, v in sorted(by_comp.items())}
    # the comparison that matters, paired by unit: the policy minus the one-shot control
    for metric, path in paths.items():
        diffs = [a - b for r in records
                 if (a := _number(r, "policy", path)) is not None
                 and (b := _number(r, "exemplar_oneshot", path)) is not None]
        if diffs:
            summary[f"policy_minus_oneshot_{metric}"] = round(float(np.mean(diffs)), 4)
            summary[f"policy_minus_oneshot_{metric}_ci"] = mean_ci(diffs)
    summary["scored_with"] = scored_with(records)
    agreement = judge_agreement(records)
    if agreement:
        summary["judge_agreement"] = agreement
    walls = [r["wall_s"] for r in records if r.get("wall_s") is not None]
    summary["wall_s_mean"] = round(float(np.mean(walls)), 2) if walls else None
    summary["wall_s_max"] = round(float(np.max(walls)), 2) if walls else None
    return summary


# --------------------------------------------------------------------------- entry points


def run_suite(suite_name: str, policy: str, out: Path | str, limit: int | None = None,
              workers: int = 1, options: dict[str, Any] | None = None,
              progress: Callable[[str], None] | None = None,
              protocols: bool = True) -> dict[str, Any]:
    """Run `policy` on the first `limit` units of a suite, skipping finished ones, and score.

    Args:
        suite_name: a built-in suite or a suite file.
        policy: the policy name (systematic, local, openai; scripted only for tests).
        out: the output folder; every run folder goes under it.
        limit: how many units (the first ones of the suite).
        workers: worker processes (each loads its models once).
        options: the policy's options.
        progress: called with one line per finished unit.
        protocols: score with predictive, simulation and detection too (not only the judge).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    suite = load_suite(suite_name)
    lock = _lock_folder(out)
    try:
        return _run_suite(suite, policy, out, limit, workers, options, progress, protocols)
    finally:
        lock.release()


def _terminate_as_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _run_suite(suite: Suite, policy: str, out: Path, limit: int | None, workers: int,
               options: dict[str, Any] | None, progress: Callable[[str], None] | None,
               protocols: bool) -> dict[str, Any]:
    units = suite.units[:limit] if limit else suite.units
    _write_json(out / BENCH_FILE, {"suite": suite.name, "policy": policy,
                                   "options": options or {}, "limit": limit})
    done = finished_runs(out)
    todo = [u for u in units if u.address not in done]
    records = []
    for address in [u.address for u in units if u.address in done]:
        folder = done[address]
        if (folder / UNIT_FILE).exists() and "scores" in json.loads(
                (folder / UNIT_FILE).read_text()):
            records.append(json.loads((folder / UNIT_FILE).read_text()))
        else:  # finished before it was scored (interrupted): score it now
            records.append(score_run(suite, folder, protocols=protocols))
    say = progress or (lambda _line: None)
    say(f"{suite.name}: {len(units)} units, {len(units) - len(todo)} already finished, "
        f"{len(todo)} to run with {workers} worker(s)")
    if todo:
        with _sigterm_interrupts():
            pool = _pool(workers, suite.name)
            try:
                futures = {pool.submit(run_unit, suite.name, u.address, policy, options or {},
                                       str(out), protocols): u for u in todo}
                for future in as_completed(futures):
                    record = future.result()
                    records.append(record)
                    verdict = record["scores"]["policy"].get("judge", {}).get("correct")
                    say(f"{record['unit']['address']}: {record['wall_s']} s, "
                        f"{record['descriptions']['policy']!r}"
                        + ("" if verdict is None else f" ({'right' if verdict else 'wrong'})"))
            except BaseException:
                _stop_pool(pool)  # not the executor's exit, which waits for every queued unit
                raise
            pool.shutdown(wait=True)
    summary = summarize(records, suite.name, policy)
    _write_json(out / SUMMARY_FILE, summary)
    return summary


def score_dir(run_dir: Path | str, workers: int = 1, use_llm: bool | None = None,
              suite_name: str | None = None, protocols: bool = True,
              llm_reader: bool = False) -> dict[str, Any]:
    """Rescore every finished run under `run_dir` from its transcript (the agent is not run).

    Args:
        run_dir: a benchmark output folder (with bench.json) or one run folder.
        workers: worker processes for the protocols.
        use_llm: use the LLM judge (default: when a backbone is configured).
        suite_name: the suite (default: read from bench.json or bench_unit.json).
        protocols: also run predictive, simulation and detection (they measure the unit);
            without them only the ground-truth judge runs, which needs no model.
        llm_reader: also score with the LLM reader over the configured endpoint.
    """
    run_dir = Path(run_dir)
    meta_path = run_dir / BENCH_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    folders = list(finished_runs(run_dir).values())
    if not folders and (run_dir / "events.jsonl").exists():
        folders = [run_dir]
    name = suite_name or meta.get("suite")
    if name is None and folders:
        unit_file = folders[0] / UNIT_FILE
        name = json.loads(unit_file.read_text())["suite"] if unit_file.exists() else None
    if name is None:
        raise ValueError(f"{run_dir}: cannot tell the suite; pass --suite")
    lock = _lock_folder(run_dir)  # a live `bench run` in the folder would race with this
    try:
        if workers > 1 and len(folders) > 1:
            with _sigterm_interrupts():
                pool = _pool(workers, name)
                try:
                    records = list(pool.map(score_unit_worker, [name] * len(folders),
                                            [str(f) for f in folders], [use_llm] * len(folders),
                                            [protocols] * len(folders),
                                            [llm_reader] * len(folders)))
                except BaseException:
                    _stop_pool(pool)
                    raise
                pool.shutdown(wait=True)
        else:
            suite = load_suite(name)
            records = [score_run(suite, f, use_llm=use_llm, protocols=protocols,
                                 llm_reader=llm_reader) for f in folders]
    finally:
        lock.release()
    summary = summarize(records, name, meta.get("policy", "unknown"))
    if meta_path.exists() or len(folders) > 1:
        _write_json(run_dir / SUMMARY_FILE, summary)
    return summary
