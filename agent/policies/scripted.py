"""A scripted policy for tests of graph mechanics; never reported as agent performance."""

from __future__ import annotations

import time
from typing import Any

from agent.policies.base import Policy, PolicyEnv, ToolCall, register_policy
from agent.state import AgentState, Hypothesis


@register_policy("scripted", reported=False)
class ScriptedPolicy(Policy):
    """Plays a fixed script: per round, hypotheses to propose, tool calls, revisions.

    Args:
        rounds: one dict per round with optional keys "hypotheses", "calls" (each
            {"tool", "arguments", "hypotheses"}), "revise", "sleep" (seconds, to test the wall
            budget), "raise" (a step name whose method raises, to test error handling).
        final: the conclusion; defaults to the first hypothesis.
        conclude_after: conclude once this many rounds ran (default: after the last round).
    """

    def __init__(self, rounds: list[dict[str, Any]], final: dict[str, Any] | None = None,
                 conclude_after: int | None = None) -> None:
        self.rounds = rounds
        self.final = final
        self.conclude_after = conclude_after if conclude_after is not None else len(rounds)

    def config(self) -> dict[str, Any]:
        return {"policy": self.name, "rounds": len(self.rounds)}

    def _round(self, state: AgentState) -> dict[str, Any]:
        index = state.get("round", 1) - 1
        return self.rounds[index] if 0 <= index < len(self.rounds) else {}

    def _maybe_raise(self, state: AgentState, step: str) -> None:
        if self._round(state).get("raise") == step:
            raise RuntimeError(f"scripted failure in {step}")

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        self._maybe_raise(state, "hypothesize")
        return [Hypothesis(**h) for h in self._round(state).get("hypotheses", [])]

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        self._maybe_raise(state, "plan")
        if self._round(state).get("sleep"):
            time.sleep(self._round(state)["sleep"])
        calls = []
        for call in self._round(state).get("calls", []):
            calls.append(ToolCall(call["tool"], call.get("arguments", {}),
                                  call.get("rationale", ""), call.get("hypotheses", [])))
        return calls

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        self._maybe_raise(state, "observe")
        env.policy_state.setdefault("seen", []).extend(e["id"] for e in new_experiments)

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        self._maybe_raise(state, "revise")
        return [Hypothesis(**h) for h in self._round(state).get("revise", [])]

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        return state.get("round", 0) >= self.conclude_after

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        if self.final is not None:
            return dict(self.final)
        first = state["hypotheses"][0]
        return {"description": first["statement"], "label": first["statement"][:40],
                "confidence": first.get("confidence", 0.5),
                "evidence": [{"experiment": e} for e in first.get("experiments", [])]}
