"""The agent as a LangGraph state machine:

    START → hypothesize → experiment → observe → revise ─┬→ hypothesize (next round)
                                                         └→ conclude → END

`route` decides after each round: conclude when the policy is satisfied, a budget is spent,
or the user pressed stop; otherwise loop.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.events import counting, emit
from agent.policies.base import PolicyEnv, ToolCall, fallback_conclusion
from agent.replies import validate_final
from agent.state import AgentState, ErrorCounts, Hypothesis, StopReason, no_errors
from models.cancellation import cancel_scope
from models.progress import progress_scope
from tools.registry import call_tool, list_tools

MAX_CONSECUTIVE_ERRORS = 3
#: The most confidence an answer may claim when a budget, the user or failures cut it short.
EARLY_CONFIDENCE_CAP = 0.5


def _env(state: AgentState, ctx: RunContext) -> PolicyEnv:
    return PolicyEnv(tools=list_tools(state["modality"]),
                     policy_state=copy.deepcopy(state.get("policy_state") or {}),
                     emit=emit, budget_left=_budget_left(state, ctx), stop=ctx.stop)


def _elapsed(state: AgentState, ctx: RunContext) -> float:
    return state.get("elapsed_s", 0.0) + (time.monotonic() - ctx.session_start)


def _tick(state: AgentState, ctx: RunContext) -> float:
    """Fold the wall time since the last node into the state (so resumes keep counting)."""
    now = time.monotonic()
    elapsed = state.get("elapsed_s", 0.0) + (now - ctx.session_start)
    ctx.session_start = now
    return elapsed


def _budget_left(state: AgentState, ctx: RunContext) -> dict[str, float]:
    b = ctx.budgets
    return {"rounds": b.max_rounds - state.get("round", 0),
            "tool_calls": b.max_tool_calls - state.get("tool_calls", 0),
            "seconds": b.max_seconds - _elapsed(state, ctx)}


def _report_progress(what: str, done: int, total: int, eta: float | None) -> None:
    emit("progress", what=what, done=done, total=total,
         eta_s=None if eta is None else round(eta, 1))


def _errors(state: AgentState) -> ErrorCounts:
    return ErrorCounts(**(state.get("errors") or no_errors()))


def _policy_error(step: str, error: Exception, errors: ErrorCounts) -> ErrorCounts:
    """Count a failed policy step and report it as an event."""
    errors = ErrorCounts(consecutive=errors["consecutive"] + 1, rounds=errors["rounds"],
                         this_round=True)
    emit("error", step=step, message=f"{type(error).__name__}: {error}",
         consecutive=errors["consecutive"])
    return errors


def _policy_ok(errors: ErrorCounts) -> ErrorCounts:
    return ErrorCounts(consecutive=0, rounds=errors["rounds"], this_round=errors["this_round"])


def _guarded(step: str, errors: ErrorCounts, call: Any, default: Any,
             resets: bool = True) -> tuple[Any, ErrorCounts]:
    """Run one policy step; a failure becomes an error event and the step's default.

    Args:
        resets: a success resets the count of consecutive failures (steps that talk to a
            backbone do; observing is usually local and says nothing about a backbone).
    """
    try:
        value = call()
    except Exception as error:  # noqa: BLE001 (a policy failure becomes an event)
        return default, _policy_error(step, error, errors)
    return value, (_policy_ok(errors) if resets else errors)


def _failing(errors: ErrorCounts) -> bool:
    """Three failed steps in a row, or errors in three rounds in a row: stop trying."""
    rounds = errors["rounds"] + int(errors["this_round"])
    return errors["consecutive"] >= MAX_CONSECUTIVE_ERRORS or rounds >= MAX_CONSECUTIVE_ERRORS


def _merge(hypotheses: list[Hypothesis], updates: list[Hypothesis], round_: int,
           proposing: bool) -> list[Hypothesis]:
    by_id = {h["id"]: dict(h) for h in hypotheses}
    order = [h["id"] for h in hypotheses]
    for update in updates:
        update = dict(update)
        hid = update.get("id") or f"H{len(order) + 1}"
        update["id"] = hid
        if hid in by_id:
            before = by_id[hid]
            merged = {**before, **update}
            merged["experiments"] = sorted(set(before.get("experiments", []))
                                           | set(update.get("experiments", [])),
                                           key=lambda e: int(e[1:]) if e[1:].isdigit() else 0)
            by_id[hid] = merged
            if (merged.get("status"), merged.get("confidence"), merged.get("statement")) != (
                    before.get("status"), before.get("confidence"), before.get("statement")):
                emit("hypothesis_revised", **merged)
        else:
            update.setdefault("status", "open")
            update.setdefault("confidence", 0.5)
            update.setdefault("experiments", [])
            update["round"] = round_
            by_id[hid] = update
            order.append(hid)
            emit("hypothesis_proposed" if proposing else "hypothesis_revised", **update)
    return [by_id[h] for h in order]


def hypothesize(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    round_ = state.get("round", 0) + 1
    emit("round_started", round=round_, budget_left=_budget_left(state, ctx))
    env = _env(state, ctx)
    before = _errors(state)
    errors = ErrorCounts(consecutive=before["consecutive"],
                         rounds=before["rounds"] + 1 if before["this_round"] else 0,
                         this_round=False)
    state = {**state, "round": round_}
    updates, errors = _guarded("hypothesize", errors,
                               lambda: ctx.policy.hypothesize(state, env), [])
    return {"round": round_, "policy_state": env.policy_state, "elapsed_s": _tick(state, ctx),
            "errors": errors,
            "hypotheses": _merge(state.get("hypotheses", []), updates, round_, True)}


def experiment(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    env = _env(state, ctx)
    calls, errors = _guarded("plan", _errors(state), lambda: ctx.policy.plan(state, env), [])
    experiments = list(state.get("experiments", []))
    tool_calls = state.get("tool_calls", 0)
    hypotheses = [dict(h) for h in state.get("hypotheses", [])]
    for call in calls:
        if ctx.stop.is_set():
            break
        if tool_calls >= ctx.budgets.max_tool_calls or _elapsed(state, ctx) >= ctx.budgets.max_seconds:
            emit("budget_exhausted", budget="tool_calls" if tool_calls >= ctx.budgets.max_tool_calls
                 else "seconds", skipped=call.tool if isinstance(call, ToolCall) else str(call))
            break
        if not isinstance(call, ToolCall):
            emit("error", step="plan", message=f"malformed action {call!r}; ignored")
            continue
        exp_id = f"E{len(experiments) + 1}"
        emit("tool_called", experiment=exp_id, tool=call.tool, arguments=call.arguments,
             rationale=call.rationale, hypotheses=call.hypotheses, round=state["round"])
        # Stop cuts a long tool short between batches; long passes report their progress
        with cancel_scope(ctx.stop), progress_scope(_report_progress):
            observation = call_tool(call.tool, state["modality"], call.arguments, ctx.tools)
        tool_calls += 1
        record = {"id": exp_id, "round": state["round"], "tool": call.tool,
                  "arguments": call.arguments, "rationale": call.rationale,
                  "hypotheses": list(call.hypotheses), "summary": observation.summary,
                  "data": observation.data,
                  "artifacts": [a.__dict__ for a in observation.artifacts],
                  "error": observation.error, "duration_s": round(observation.duration_s, 3)}
        experiments.append(record)
        emit("observation", experiment=exp_id, tool=call.tool, summary=observation.summary,
             data=observation.data, artifacts=record["artifacts"], error=observation.error,
             duration_s=record["duration_s"], hypotheses=record["hypotheses"])
        for h in hypotheses:
            if h["id"] in call.hypotheses and exp_id not in h.get("experiments", []):
                h["experiments"] = [*h.get("experiments", []), exp_id]
    return {"experiments": experiments, "tool_calls": tool_calls, "hypotheses": hypotheses,
            "policy_state": env.policy_state, "elapsed_s": _tick(state, ctx), "errors": errors}


def observe(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    env = _env(state, ctx)
    new = [e for e in state.get("experiments", []) if e.get("round") == state["round"]]
    _, errors = _guarded("observe", _errors(state),
                         lambda: ctx.policy.observe(state, new, env), None, resets=False)
    return {"policy_state": env.policy_state, "elapsed_s": _tick(state, ctx), "errors": errors}


def revise(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    env = _env(state, ctx)
    updates, errors = _guarded("revise", _errors(state), lambda: ctx.policy.revise(state, env),
                               [])
    return {"policy_state": env.policy_state, "elapsed_s": _tick(state, ctx), "errors": errors,
            "hypotheses": _merge(state.get("hypotheses", []), updates, state["round"], False)}


def route(state: AgentState, runtime: Runtime[RunContext]) -> str:
    ctx = runtime.context
    if ctx.stop.is_set():
        return "conclude"
    if _failing(_errors(state)):
        return "conclude"
    left = _budget_left(state, ctx)
    if min(left.values()) <= 0:
        return "conclude"
    env = _env(state, ctx)
    try:
        if ctx.policy.should_conclude(state, env):
            return "conclude"
    except Exception as error:  # noqa: BLE001
        emit("error", step="route", message=f"{type(error).__name__}: {error}")
        return "conclude"
    return "hypothesize"


def _stop_reason(state: AgentState, ctx: RunContext) -> StopReason:
    if ctx.stop.is_set():
        return StopReason(kind="user", detail="stopped by the user")
    if _failing(_errors(state)):
        return StopReason(kind="failing", detail=f"{MAX_CONSECUTIVE_ERRORS} policy errors in "
                                                 f"a row (backbone outage?)")
    try:  # a policy that finished within its last allowed round stopped on its own
        finished = ctx.policy.should_conclude(state, _env(state, ctx))
    except Exception:  # noqa: BLE001 (reported by route already)
        finished = False
    left = _budget_left(state, ctx)
    spent = [name for name, value in left.items() if value <= 0]
    if spent and not finished:
        b = ctx.budgets
        limits = {"rounds": b.max_rounds, "tool_calls": b.max_tool_calls,
                  "seconds": b.max_seconds}
        return StopReason(kind="budget", detail="budget exhausted: " + ", ".join(
            f"{n} ({limits[n]:g})" for n in spent))
    return StopReason(kind="policy", detail="the policy judged the evidence sufficient")


def conclude(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    stop = _stop_reason(state, ctx)
    reason = stop["detail"]
    if stop["kind"] == "budget":
        emit("budget_exhausted", reason=reason)
    env = _env(state, ctx)
    errors = _errors(state)
    try:
        raw = ctx.policy.conclude(state, env, reason)
        final = validate_final({**raw, "stop_reason": raw.get("stop_reason") or reason})
    except Exception as error:  # noqa: BLE001
        errors = _policy_error("conclude", error, errors)
        final = validate_final(fallback_conclusion(state, reason))
    final["stop_reason"] = final.get("stop_reason") or reason
    final["question"] = state["question"]
    final["subject"] = state["subject"]
    final["hypotheses"] = final.get("hypotheses") or [
        {k: h.get(k) for k in ("id", "statement", "status", "confidence", "experiments")}
        for h in state.get("hypotheses", [])]
    for hypothesis in final["hypotheses"]:
        # every hypothesis ends with a status: one still open was not settled
        if hypothesis.get("status") in (None, "open"):
            hypothesis["status"] = "inconclusive"
    if stop["kind"] in ("budget", "user", "failing"):
        # concluded before the policy was done: the evidence is incomplete
        final["confidence"] = min(final["confidence"], EARLY_CONFIDENCE_CAP)
    if stop["kind"] == "budget" and "budget" not in final["description"]:
        final["description"] += f" (concluded early: {reason})"
    emit("final_answer", **final)
    return {"final": final, "stop": stop, "policy_state": env.policy_state, "errors": errors,
            "elapsed_s": _tick(state, ctx)}


def counted(node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A node that also checkpoints how many events the graph has emitted so far, so that a
    resumed run can tell the events of a step a crash cut short from the committed ones."""

    @functools.wraps(node)
    def run(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        with counting() as counter:
            update = node(state, runtime)
        return {**update, "emitted": state.get("emitted", 0) + counter[0]}

    return run


def build_graph() -> StateGraph:
    """The uncompiled graph; compile it with a checkpointer to run."""
    graph = StateGraph(AgentState, context_schema=RunContext)
    graph.add_node("hypothesize", counted(hypothesize))
    graph.add_node("experiment", counted(experiment))
    graph.add_node("observe", counted(observe))
    graph.add_node("revise", counted(revise))
    graph.add_node("conclude", counted(conclude))
    graph.add_edge(START, "hypothesize")
    graph.add_edge("hypothesize", "experiment")
    graph.add_edge("experiment", "observe")
    graph.add_edge("observe", "revise")
    graph.add_conditional_edges("revise", route, ["hypothesize", "conclude"])
    graph.add_edge("conclude", END)
    return graph
