"""Start or resume a run: compile the graph with a SQLite checkpointer, stream its events,
append each to the transcript before any consumer sees it."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.context import RunContext
from agent.events import Event
from agent.graph import build_graph
from agent.policies.base import Policy, fallback_conclusion
from agent.replies import validate_final
from agent.requests import RunSpec
from agent.state import initial_state
from agent.transcript import (
    CHECKPOINT_FILE,
    TranscriptWriter,
    read_config,
    read_events,
    write_config,
)
from tools.context import ToolContext


def describe_subject(subject: str) -> tuple[str, str]:
    """("unit" or "model", modality) of a subject; raises a clear error for a bad one."""
    from models.registry import entry, get_model
    from models.units import parse_unit

    if subject.count(":") == 2:
        from models.recording import resolve_unit

        unit, model, _ = resolve_unit(parse_unit(subject))
        return "unit", model.modality
    found = entry(subject)
    return "model", get_model(found.name).modality


def _interrupted_events(run_dir: Path, committed: int) -> list[int]:
    """Seqs of graph events written after the last checkpoint (by a step a crash cut short)."""
    events = list(read_events(run_dir))
    void = {seq for e in events if e.type == "step_interrupted" for seq in e.data.get("seqs", [])}
    graph_events = [e.seq for e in events if e.source == "graph" and e.seq not in void]
    return graph_events[committed:]


def new_run_dir(out: Path | str, subject: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", subject).strip("-")[:48]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(out) / f"{stamp}-{slug}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def run(
    spec: RunSpec | None, run_dir: Path | str, policy: Policy | None = None,
    stop: threading.Event | None = None, resume: bool = False,
    secrets: tuple[str, ...] = (),
) -> Iterator[Event]:
    """Run (or resume) the agent, yielding each event after it is in the transcript.

    Args:
        spec: the run's question, subject, policy and budgets (read from the run folder when
            resuming).
        run_dir: the run folder (created by `new_run_dir`, or an existing one to resume).
        policy: a ready policy object (built from `spec.policy` when None).
        stop: set it to end the run cleanly; the agent concludes with what it has.
        resume: continue from the last checkpoint in `run_dir`.
        secrets: strings (API keys) that must never reach the transcript.
    """
    from langgraph.checkpoint.sqlite import SqliteSaver

    from agent.policies import make_policy

    run_dir = Path(run_dir)
    if resume:
        spec = RunSpec.from_json(read_config(run_dir))
    assert spec is not None
    run_id = run_dir.name
    policy = policy or make_policy(spec.policy, spec.policy_options)
    stop = stop or threading.Event()
    secrets = tuple(dict.fromkeys((*secrets, *policy.secrets())))
    with TranscriptWriter(run_dir, secrets=secrets) as writer:

        def record(event: Event) -> Event:
            event.run_id = run_id
            return writer.write(event)

        try:
            kind, modality = describe_subject(spec.subject)
        except Exception as error:  # noqa: BLE001 (a bad subject is reported, not raised)
            yield record(Event("error", {"step": "start", "message": str(error)}))
            final = validate_final({"description": f"could not start: {error}",
                                    "label": "error", "confidence": 0.0,
                                    "stop_reason": "bad subject"})
            yield record(Event("final_answer", {**final, "question": spec.question,
                                                "subject": spec.subject}))
            yield record(Event("run_finished", {"ok": False}))
            return
        if not resume:
            write_config(run_dir, {**spec.to_json(), "policy_config": policy.config(),
                                   "run_id": run_id, "modality": modality,
                                   "subject_kind": kind, "created": time.time()},
                         secrets=secrets)
            yield record(Event("run_started", {**spec.to_json(), "modality": modality,
                                               "subject_kind": kind,
                                               "policy_config": policy.config()}))
            graph_input: Any = initial_state(run_id, spec.question, spec.subject, kind,
                                             modality)
        else:
            graph_input = None
        tools = ToolContext(run_dir, corpus=spec.corpus)
        context = RunContext(policy=policy, tools=tools, budgets=spec.budgets, stop=stop)
        config = {"configurable": {"thread_id": run_id},
                  "recursion_limit": spec.budgets.recursion_limit()}
        with SqliteSaver.from_conn_string(str(run_dir / CHECKPOINT_FILE)) as checkpointer:
            app = build_graph().compile(checkpointer=checkpointer)
            saved = app.get_state(config)
            if resume:
                yield record(Event("run_resumed", {
                    "run_dir": str(run_dir), "finished": not saved.next,
                    "next": list(saved.next)}))
                interrupted = _interrupted_events(run_dir, (saved.values or {}).get("emitted", 0))
                if interrupted:
                    yield record(Event("step_interrupted", {
                        "seqs": interrupted, "next": list(saved.next),
                        "message": f"a crash cut the step {', '.join(saved.next) or ''} short; "
                                   f"its {len(interrupted)} event(s) do not count and the step "
                                   "runs again"}))
            # a resumed run that had already concluded is finished as it stands
            finished = bool(resume and not saved.next)
            try:
                for chunk in app.stream(graph_input, config, context=context,
                                        stream_mode="custom"):
                    if isinstance(chunk, Event):
                        yield record(chunk)
                        finished = finished or chunk.type == "final_answer"
            except Exception as error:  # noqa: BLE001 (the transcript survives any failure)
                yield record(Event("error", {"step": "graph",
                                             "message": f"{type(error).__name__}: {error}"}))
                if not finished:
                    state = app.get_state(config).values or {}
                    final = validate_final(fallback_conclusion(
                        state, f"run failed: {type(error).__name__}"))
                    yield record(Event("final_answer", {**final, "question": spec.question,
                                                        "subject": spec.subject}))
                    finished = True
            if stop.is_set():
                yield record(Event("run_stopped", {"reason": "stopped by the user"}))
            yield record(Event("run_finished", {"ok": finished}))
