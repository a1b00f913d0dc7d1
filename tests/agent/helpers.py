"""Builders for agent tests: run a policy to completion and check its transcript."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from agent.events import EVENT_TYPES
from agent.requests import Budgets
from agent.runner import RunSpec, new_run_dir, run
from agent.transcript import EVENTS_FILE, read_events


def run_to_end(tmp_path: Path, subject: str, policy=None, policy_name: str = "scripted",
               budgets: Budgets | None = None, stop: threading.Event | None = None,
               question: str = "what does this unit detect?", on_event=None):
    """Run the agent and return (run_dir, events)."""
    spec = RunSpec(question=question, subject=subject, policy=policy_name,
                   budgets=budgets or Budgets(max_rounds=3, max_tool_calls=10, max_seconds=300))
    run_dir = new_run_dir(tmp_path, subject)
    events = []
    for event in run(spec, run_dir, policy=policy, stop=stop):
        events.append(event)
        if on_event:
            on_event(event)
    return run_dir, events


def check_transcript(run_dir: Path) -> list:
    """Every line parses, sequence numbers are 1..n, types are known, one final answer."""
    lines = (Path(run_dir) / EVENTS_FILE).read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert [p["seq"] for p in parsed] == list(range(1, len(parsed) + 1))
    assert all(p["type"] in EVENT_TYPES for p in parsed)
    events = list(read_events(run_dir))
    assert len(events) == len(parsed)
    finals = [e for e in events if e.type == "final_answer"]
    assert len(finals) >= 1
    final = finals[-1].data
    assert set(final) >= {"description", "label", "confidence", "evidence"}
    assert 0.0 <= final["confidence"] <= 1.0
    return events
