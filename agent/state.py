"""The agent's typed state: question, subject, hypotheses, experiments, budget use, answer.

Everything here is plain JSON so the SQLite checkpointer can store it and a run can resume.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

HypothesisStatus = Literal["open", "supported", "refuted"]


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
    stop_reason: str | None
    policy_state: dict[str, Any]  # the policy's private JSON scratchpad (LLM messages, stats)
    final: FinalAnswer | None


def initial_state(run_id: str, question: str, subject: str, subject_kind: str,
                  modality: str) -> AgentState:
    return AgentState(run_id=run_id, question=question, subject=subject,
                      subject_kind=subject_kind, modality=modality, round=0, hypotheses=[],
                      experiments=[], pending=[], tool_calls=0, elapsed_s=0.0,
                      stop_reason=None, policy_state={}, final=None)


FINAL_KEYS = ("description", "label", "confidence", "evidence")


def validate_final(final: dict[str, Any]) -> FinalAnswer:
    """Coerce a policy's conclusion into the fixed shape (a clear error if it cannot be)."""
    missing = [k for k in ("description", "label") if not final.get(k)]
    if missing:
        raise ValueError(f"a final answer needs {', '.join(missing)}")
    confidence = float(final.get("confidence", 0.0))
    evidence = final.get("evidence") or []
    if not isinstance(evidence, list):
        evidence = [evidence]
    return FinalAnswer(
        description=str(final["description"]).strip(),
        label=str(final["label"]).strip()[:80],
        confidence=min(max(confidence, 0.0), 1.0),
        evidence=[e if isinstance(e, dict) else {"finding": str(e)} for e in evidence],
        hypotheses=list(final.get("hypotheses") or []),
        stop_reason=str(final.get("stop_reason") or ""),
        question=str(final.get("question") or ""),
        subject=str(final.get("subject") or ""),
    )
