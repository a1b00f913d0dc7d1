"""The agent's typed state: question, subject, hypotheses, experiments, budget use, answer.

Everything here is plain JSON so the SQLite checkpointer can store it and a run can resume.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

#: A hypothesis is open while experiments run; at the conclusion every hypothesis has a final
#: status: supported, refuted, or inconclusive (the evidence run did not settle it).
HypothesisStatus = Literal["open", "supported", "refuted", "inconclusive"]


class Hypothesis(TypedDict, total=False):
    """A claim about the unit or model, and how the experiments bear on it."""

    id: str  # "H1", "H2", ...
    statement: str  # plain words: "fires on red circles"
    concepts: list[str]  # vocabulary concepts it names, when it names any
    composition: str  # single / or / and / and_not, when it is a composition
    status: HypothesisStatus
    confidence: float  # 0..1
    experiments: list[str]  # ids of the experiments that bear on it
    round: int
    note: str  # why it has its status (e.g. why it was dropped)


class Experiment(TypedDict, total=False):
    """One tool call and what it showed."""

    id: str  # "E1", "E2", ...
    round: int
    tool: str
    arguments: dict[str, Any]
    rationale: str
    hypotheses: list[str]
    summary: str
    data: dict[str, Any]
    artifacts: list[dict[str, Any]]
    error: str | None
    duration_s: float


class FinalAnswer(TypedDict, total=False):
    """The fixed JSON shape of every conclusion."""

    description: str
    label: str
    confidence: float
    evidence: list[dict[str, Any]]  # {"experiment": "E3", "finding": "...", "numbers": {...}}
    hypotheses: list[dict[str, Any]]  # final id, statement, status, confidence
    stop_reason: str
    question: str
    subject: str
    figures: list[dict[str, Any]]  # artifacts that show the answer (kind, path, title)
    concepts: list[str]  # vocabulary concepts the answer names (for consistency checks)
    composition: str  # how they combine: single / or / and / and_not, when the answer says


class ErrorCounts(TypedDict):
    """The graph's own count of policy failures (a policy never touches it).

    Attributes:
        consecutive: failed steps in a row (reset by a step that talked to the backbone).
        rounds: rounds in a row that had an error.
        this_round: whether the current round had one.
    """

    consecutive: int
    rounds: int
    this_round: bool


StopKind = Literal["user", "failing", "budget", "policy", "error"]


class StopReason(TypedDict):
    """Why a run concluded: a kind the code tests, and words for people."""

    kind: StopKind
    detail: str


class AgentState(TypedDict, total=False):
    run_id: str
    question: str
    subject: str  # a unit address, or a model name for model-level questions
    subject_kind: Literal["unit", "model"]
    modality: Literal["vision", "text"]
    round: int
    hypotheses: list[Hypothesis]
    experiments: list[Experiment]
    pending: list[dict[str, Any]]  # planned tool calls for this round
    tool_calls: int
    elapsed_s: float  # wall time used by earlier sessions of this run (resume adds to it)
    emitted: int  # events the graph's completed steps emitted (tells a resume what counts)
    errors: ErrorCounts
    stop: StopReason | None
    policy_state: dict[str, Any]  # the policy's private JSON scratchpad (LLM messages, stats)
    final: FinalAnswer | None


def no_errors() -> ErrorCounts:
    return ErrorCounts(consecutive=0, rounds=0, this_round=False)


def initial_state(run_id: str, question: str, subject: str, subject_kind: str,
                  modality: str) -> AgentState:
    return AgentState(run_id=run_id, question=question, subject=subject,
                      subject_kind=subject_kind, modality=modality, round=0, hypotheses=[],
                      experiments=[], pending=[], tool_calls=0, elapsed_s=0.0, emitted=0,
                      errors=no_errors(), stop=None, policy_state={}, final=None)
