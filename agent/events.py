"""Typed events the graph streams; the CLI, the UI and the transcript consume the same stream."""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventType = Literal[
    "run_started",  # config (no secrets)
    "run_resumed",
    "round_started",
    "hypothesis_proposed",  # a Hypothesis
    "hypothesis_revised",  # a Hypothesis with its new status / confidence
    "tool_called",  # experiment id, tool, arguments, rationale
    "observation",  # experiment id, summary, data, artifacts, error, duration
    "llm_call",  # prompt messages, reply, token counts, duration
    "error",  # something went wrong and the agent carried on
    "budget_exhausted",  # which budget ran out
    "final_answer",  # the FinalAnswer
    "run_stopped",  # stopped by the user
    "step_interrupted",  # a crash cut a graph step short; its events (seqs) do not count
    "run_finished",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


@dataclass
class Event:
    """One thing that happened in a run."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)
    seq: int = 0  # position in the run's transcript, set by the writer
    run_id: str = ""
    source: str = "runner"  # "graph" for events a graph node emitted (they are counted)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(type=data["type"], data=data.get("data", {}), time=data.get("time", 0.0),
                   seq=data.get("seq", 0), run_id=data.get("run_id", ""),
                   source=data.get("source", "runner"))


#: Events emitted by the graph node running now (set per node by `counting`).
_EMITTED: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("emitted",
                                                                          default=None)


@contextlib.contextmanager
def counting() -> Iterator[list[int]]:
    """Count the events a graph node emits (the count is checkpointed with its state)."""
    counter = [0]
    token = _EMITTED.set(counter)
    try:
        yield counter
    finally:
        _EMITTED.reset(token)


def emit(event_type: str, **data: Any) -> None:
    """Send an event from inside a graph node to every consumer of the run's stream."""
    from langgraph.config import get_stream_writer

    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    counter = _EMITTED.get()
    if counter is not None:
        counter[0] += 1
    get_stream_writer()(Event(event_type, data, source="graph"))
