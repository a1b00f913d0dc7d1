"""Hostile backbones (hang, slow drip, reset, garbage, a key echoed in an error) cannot hold a
run past its budget, cannot make Stop wait, and never put a key in front of anyone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agent.policies.llm import LLMPolicy
from agent.requests import Budgets, RunSpec
from agent.runner import new_run_dir, run
from agent.transcript import final_answer
from tests.agent.openai_fake_server import FakeOpenAIServer

KEY = "sk-hostile-SECRET-42"
UNIT = "synthetic-text:single:0"
ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, server: FakeOpenAIServer, seconds: float,
         stop: threading.Event | None = None) -> tuple[list[Any], float, Path]:
    policy = LLMPolicy(base_url=server.base_url, model="fake-model", api_key=KEY, timeout=60,
                       max_retries=4, retry_base_delay=0.2)
    spec = RunSpec(question="what does this unit detect?", subject=UNIT, policy="openai",
                   budgets=Budgets(max_rounds=4, max_tool_calls=8, max_seconds=seconds))
    run_dir = new_run_dir(tmp_path, UNIT)
    started = time.monotonic()
    events = list(run(spec, run_dir, policy=policy, stop=stop))
    return events, time.monotonic() - started, run_dir


def _no_key_anywhere(events: list[Any], run_dir: Path) -> None:
    assert KEY not in json.dumps([e.to_json() for e in events])
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"key leaked into {path}"


@pytest.mark.parametrize("fault", ["hang", "drip", "reset", "garbage"])
def test_a_hostile_endpoint_cannot_hold_a_run_past_its_budget(tmp_path: Path, fault: str) -> None:
    with FakeOpenAIServer(default=fault) as server:
        events, took, run_dir = _run(tmp_path, server, seconds=4)
    # the budget, plus the conclusion and bookkeeping (a hang used to take 5 x 60 s)
    assert took < 4 + 6, f"{fault}: the run took {took:.1f} s on a 4 s budget"
    assert events[-1].type == "run_finished"
    final = final_answer(run_dir)
    assert final is not None and final["description"]
    _no_key_anywhere(events, run_dir)


def test_stop_ends_a_run_waiting_on_a_hanging_backbone_within_seconds(tmp_path: Path) -> None:
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    with FakeOpenAIServer(default="hang") as server:
        events, took, run_dir = _run(tmp_path, server, seconds=300, stop=stop)
    assert took < 1.0 + 4, f"Stop took {took - 1:.1f} s to end the run"
    assert "run_stopped" in [e.type for e in events] and final_answer(run_dir) is not None


def test_a_key_echoed_in_an_error_reaches_no_consumer(tmp_path: Path) -> None:
    with FakeOpenAIServer(default="echo_key") as server:
        events, _, run_dir = _run(tmp_path, server, seconds=30)
        assert any(KEY in a for a in server.auth)  # the endpoint did receive (and echo) it
    assert any(e.type == "error" for e in events)
    _no_key_anywhere(events, run_dir)


def test_the_cli_prints_no_echoed_key(tmp_path: Path) -> None:
    with FakeOpenAIServer(default="echo_key") as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_API_KEY": KEY,
               "WORKBENCH_BASE_URL": server.base_url, "WORKBENCH_MODEL": "fake-model"}
        out = subprocess.run([sys.executable, "-m", "agent", "ask", "--unit", UNIT,
                              "--question", "what is it?", "--policy", "openai",
                              "--max-seconds", "20", "--out", str(tmp_path)],
                             capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert "error in" in out.stdout  # the failures were shown ...
    assert KEY not in out.stdout + out.stderr  # ... without the key
