"""The runner: parallel runs, resume after an interruption, rescoring, reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import write_report
from bench.runner import UNIT_FILE, finished_runs, run_suite, score_dir

ROOT = Path(__file__).resolve().parents[2]
# A scripted policy (graph mechanics only, never reported) keeps the agent part instant.
OPTIONS = {"rounds": [], "conclude_after": 0,
           "final": {"description": "fires on red regions", "label": "red", "confidence": 1.0}}


def _run_folders(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if (p / "config.json").exists())


def test_runner_resumes_and_skips_finished_units(tmp_path):
    out = tmp_path / "bench"
    first = run_suite("synthetic-vision", "scripted", out, limit=1, options=OPTIONS,
                      protocols=False)
    assert first["n"] == 1 and first["accuracy"] == 1.0  # single:0 is the red unit
    folders = _run_folders(out)
    assert len(folders) == 1

    # an interrupted run: a run folder whose transcript has no final answer
    interrupted = out / "20000101-000000-synthetic-vision-or-0-dead00"
    interrupted.mkdir()
    (interrupted / "config.json").write_text(json.dumps({"subject": "synthetic-vision:or:0"}))
    (interrupted / "events.jsonl").write_text('{"type": "run_started", "data": {}}\n')

    second = run_suite("synthetic-vision", "scripted", out, limit=2, workers=2,
                       options=OPTIONS, protocols=False)
    assert second["n"] == 2
    new = [p for p in _run_folders(out) if p not in folders and p != interrupted]
    assert len(new) == 1  # only the unfinished unit ran again
    assert set(finished_runs(out)) == {"synthetic-vision:single:0", "synthetic-vision:or:0"}
    record = json.loads((new[0] / UNIT_FILE).read_text())
    assert record["unit"]["address"] == "synthetic-vision:or:0"
    assert record["wall_s"] > 0
    assert record["scores"]["policy"]["judge"]["correct"] is False  # or:0 is red | blue
    assert "random_description" in record["scores"]

    rescored = score_dir(out, protocols=False)
    assert rescored["n"] == 2 and rescored["accuracy"] == 0.5
    assert rescored["accuracy_by_composition"] == {"or": 0.0, "single": 1.0}

    paths = write_report([out], tmp_path / "report")
    table = Path(paths["markdown"]).read_text()
    assert "control: random description" in table and "scripted" in table
    assert Path(paths["plot"]).stat().st_size > 1000


def test_cli_run_ends_with_one_json_line(tmp_path):
    out = tmp_path / "cli"
    command = [sys.executable, "-m", "bench", "run", "--suite", "functions-text",
               "--policy", "scripted", "--policy-options", json.dumps(OPTIONS),
               "--limit", "1", "--judge-only", "--out", str(out), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["suite"] == "functions-text" and summary["policy"] == "scripted"
    assert summary["n"] == 1 and summary["accuracy"] == 0.0
    assert "random_description_accuracy" in summary


def test_summary_means_carry_bootstrap_intervals_and_the_scorers_used():
    from bench.runner import mean_ci, summarize

    assert mean_ci([0.5]) is None and mean_ci([0.3, 0.3]) == [0.3, 0.3]
    low, high = mean_ci([0.0, 1.0] * 20)
    assert low < 0.5 < high and high - low < 0.4
    records = [{"unit": {"ground_truth": None}, "wall_s": 1.0, "scores": {
        "policy": {"simulation": {"correlation": r, "reader": "minilm-clauses",
                                  "data": "natural"}},
        "exemplar_oneshot": {"simulation": {"correlation": r - 0.1}}}}
        for r in (0.1, 0.2, 0.3, 0.4)]
    summary = summarize(records, "real-text", "oneshot")
    assert summary["simulation_r"] == 0.25
    low, high = summary["simulation_r_ci"]
    assert 0.1 <= low < 0.25 < high <= 0.4
    assert summary["scored_with"] == {"reader": ["minilm-clauses"], "data": ["natural"],
                                      "judge": []}
    assert summary["policy_minus_oneshot_simulation_r"] == 0.1
    assert summary["policy_minus_oneshot_simulation_r_ci"] == [0.1, 0.1]


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _workers(pid: int) -> list[int]:
    """The spawned pool workers of a process (not its resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def _wait(condition, seconds: float) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path, capsys):
    from bench.cli import main as bench_main
    from bench.runner import LOCK_FILE, BenchBusy

    out = tmp_path / "busy"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         f"lock = FileLock({str(out / LOCK_FILE)!r}); lock.acquire(); print('held', flush=True); "
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = bench_main(["run", "--suite", "synthetic-vision", "--policy", "scripted",
                           "--policy-options", json.dumps(OPTIONS), "--limit", "1",
                           "--judge-only", "--out", str(out)])
        assert code == 2 and "another `bench run` is writing into this folder" in \
            capsys.readouterr().err
        assert not _run_folders(out)
        with pytest.raises(BenchBusy):  # nor does a rescoring write into it
            score_dir(out, protocols=False, suite_name="synthetic-vision")
    finally:
        holder.kill()
        holder.wait()
    # once the holder is gone the folder is free again
    assert run_suite("synthetic-vision", "scripted", out, limit=1, options=OPTIONS,
                     protocols=False)["n"] == 1


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    script = (
        "import os, sys, time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from bench.runner import _SPAWN, _init_worker\n"
        "if __name__ == '__main__':\n"
        "    pool = ProcessPoolExecutor(1, mp_context=_SPAWN, initializer=_init_worker,\n"
        "                               initargs=('synthetic-vision', True))\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    pool.submit(time.sleep, 120)\n"
        "    time.sleep(120)\n")
    path = tmp_path / "parent.py"
    path.write_text(script)
    parent = subprocess.Popen([sys.executable, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.kill()  # SIGKILL: the parent gets no chance to stop its pool
    parent.wait()
    assert _wait(lambda: not _alive(worker), 15), "the orphaned worker kept running"


def test_sigterm_stops_the_run_and_its_workers(tmp_path):
    import signal

    out = tmp_path / "term"
    run = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", "--suite", "synthetic-vision", "--policy",
         "scripted", "--policy-options", json.dumps(OPTIONS), "--limit", "6", "--workers", "2",
         "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert _wait(lambda: len([c for c in _workers(run.pid) if _alive(c)]) == 2, 120)
        workers = _workers(run.pid)
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) != 0
        assert _wait(lambda: not any(_alive(w) for w in workers), 15)
    finally:
        run.kill()
    # the folder is not left locked
    assert run_suite("synthetic-vision", "scripted", out, limit=1, options=OPTIONS,
                     protocols=False)["n"] == 1


def test_random_control_comes_from_the_public_suite_and_shares_no_concept():
    """A hidden or blind suite's concepts are one family (relations between objects); the
    control must describe something else, so it is drawn from the public synthetic suite."""
    from bench.runner import random_description
    from bench.suites import load_suite

    public = {u.spec.description: u for u in load_suite("synthetic-vision").units}
    blind = load_suite("blind-vision").units
    for unit in blind:
        control = random_description(unit)
        assert control in public, control
        assert not set(public[control].spec.concepts) & set(unit.spec.concepts)
        assert random_description(unit) == control  # seeded by the unit's address
    # different units draw different controls
    assert len({random_description(u) for u in blind}) > 1
