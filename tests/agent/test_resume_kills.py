"""A run killed at random points and resumed, twelve times, loses nothing: every artifact an
event references still has the bytes it had when the event was written, and an interrupted
step is recorded as interrupted, never duplicated into the committed transcript."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.transcript import committed_events, final_answer, read_events
from app_ui.runs import resolve_artifact

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
KILLS = 12
# a unit whose run has several rounds of image-making experiments (a 2x2 design)
UNIT = "synthetic-vision:or:0"


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agent", "ask", *args, "--quiet"],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_after_events(process: subprocess.Popen, run_dir: Path | None, out: Path,
                       wait_events: int, timeout: float = 120) -> Path:
    """SIGKILL the run once its transcript holds `wait_events` more events (or it ends)."""
    deadline = time.monotonic() + timeout
    start = len(list(read_events(run_dir))) if run_dir else 0
    while time.monotonic() < deadline and process.poll() is None:
        run_dir = run_dir or next((p for p in out.iterdir() if p.is_dir()), None)
        if run_dir and len(list(read_events(run_dir))) >= start + wait_events:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert run_dir is not None, "the run never started"
    return run_dir


def _check(run_dir: Path) -> None:
    """Every referenced artifact has its recorded bytes; committed experiments are unique."""
    events = committed_events(run_dir)
    for event in events:
        for artifact in event.data.get("artifacts") or []:
            path = resolve_artifact(run_dir, artifact["path"])
            assert path is not None, f"event {event.seq} references a missing {artifact['path']}"
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest == artifact["sha256"], f"{path.name} changed after event {event.seq}"
    called = [e.data["experiment"] for e in events if e.type == "tool_called"]
    observed = [e.data["experiment"] for e in events if e.type == "observation"]
    assert called == observed, "a committed tool call without its observation"
    assert called == [f"E{i}" for i in range(1, len(called) + 1)], called


def test_twelve_random_kills_lose_no_artifact_and_duplicate_no_step(tmp_path: Path) -> None:
    rng = random.Random(7)
    kills = 0
    runs = 0
    while kills < KILLS:
        out = tmp_path / f"run{runs}"
        out.mkdir()
        runs += 1
        process = _start(["--unit", UNIT, "--question", "what does it detect?",
                          "--max-rounds", "4", "--out", str(out)])
        run_dir = _kill_after_events(process, None, out, rng.randint(2, 12))
        kills += 1
        while final_answer(run_dir) is None and kills < KILLS:
            process = _start(["--resume", str(run_dir)])
            _kill_after_events(process, run_dir, out, rng.randint(1, 10))
            kills += 1
        if final_answer(run_dir) is None:  # the last kill left it unfinished: finish it
            _start(["--resume", str(run_dir)]).wait(timeout=300)
        _check(run_dir)
        assert final_answer(run_dir) is not None
    interrupted = [e for d in tmp_path.iterdir() for e in read_events(next(d.iterdir()))
                   if e.type == "step_interrupted"]
    assert interrupted, "no kill landed inside a step: the test did not test resuming"
