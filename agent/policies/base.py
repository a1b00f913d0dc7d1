"""The policy interface: who decides inside the graph's nodes (LLM, built-in experimenter, script)."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.state import AgentState, Hypothesis
from tools.registry import ToolSpec, parse_result
from tools.results import ToolResult


@dataclass
class ToolCall:
    """A planned experiment: which tool, with what arguments, and why."""

    tool: str
    arguments: dict[str, Any]
    rationale: str = ""
    hypotheses: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"tool": self.tool, "arguments": self.arguments, "rationale": self.rationale,
                "hypotheses": self.hypotheses}


@dataclass
class PolicyEnv:
    """What a policy sees besides the state: the tools it may call and a scratchpad.

    Attributes:
        tools: the tools of the subject's modality.
        policy_state: the policy's JSON scratchpad; changes are saved with the state.
        emit: sends an event to the run's stream (LLM policies report each call).
        budget_left: what is left of each budget (rounds, tool_calls, seconds).
        stop: set when the user stops the run (long waits end early).
    """

    tools: list[ToolSpec]
    policy_state: dict[str, Any]
    emit: Callable[..., None]
    budget_left: dict[str, float]
    stop: threading.Event | None = None

    def llm_call(self, purpose: str, messages: list[dict[str, Any]], reply: str,
                 usage: dict[str, int] | None, started: float, **extra: Any) -> None:
        """Record one LLM call (prompt, reply, token counts, duration) in the transcript."""
        self.emit("llm_call", purpose=purpose, messages=messages, reply=reply,
                  usage=usage or {}, duration_s=round(time.perf_counter() - started, 3),
                  **extra)


class Policy(ABC):
    """Decides what happens in each node. Subclasses implement the five steps.

    A policy registers under a name with `@register_policy(name)`; `make_policy(name,
    options)` builds it from JSON options (as stored in a run's config) and, for LLM
    policies, a key that is never part of the options.
    """

    name: str = "policy"
    #: whether benchmark reports may show it (a scripted test policy is not a result)
    reported: bool = True
    #: position in menus (the offline default first)
    order: int = 100

    def config(self) -> dict[str, Any]:
        """Settings recorded in the run's config (never secrets)."""
        return {"policy": self.name}

    def secrets(self) -> tuple[str, ...]:
        """Strings (keys) that must be redacted from every event before anyone sees it."""
        return ()

    @abstractmethod
    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        """New hypotheses, or existing ones (same id) restated."""

    @abstractmethod
    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        """The experiments to run this round."""

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:  # noqa: B027
        """Digest this round's observations (update the scratchpad); optional."""

    @abstractmethod
    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        """Hypotheses whose status or confidence changed."""

    @abstractmethod
    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        """Whether the evidence suffices to conclude now."""

    @abstractmethod
    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        """The final answer: description, label, confidence, evidence."""


def best_hypothesis(state: AgentState) -> Hypothesis | None:
    """The most confident non-refuted hypothesis (supported first)."""
    ranked = sorted(state.get("hypotheses", []),
                    key=lambda h: (h.get("status") == "supported", h.get("status") != "refuted",
                                   h.get("confidence", 0.0)), reverse=True)
    return ranked[0] if ranked else None


def fallback_conclusion(state: AgentState, reason: str) -> dict[str, Any]:
    """A conclusion from the state alone, used when a policy cannot conclude (e.g. an outage)."""
    best = best_hypothesis(state)
    if best is None or best.get("status") == "refuted":
        return {"description": "no hypothesis survived the experiments run so far",
                "label": "undetermined", "confidence": 0.0, "evidence": [],
                "stop_reason": reason}
    evidence = [{"experiment": e} for e in best.get("experiments", [])]
    return {"description": best["statement"], "label": best["statement"][:60],
            "confidence": float(best.get("confidence", 0.0)) * 0.5, "evidence": evidence,
            "stop_reason": reason}


_POLICIES: dict[str, type[Policy]] = {}


def register_policy(name: str, reported: bool = True) -> Callable[[type[Policy]], type[Policy]]:
    """Register a Policy subclass under `name` (the CLI's --policy, a run config's policy)."""

    def register(cls: type[Policy]) -> type[Policy]:
        cls.name = name
        cls.reported = reported
        _POLICIES[name] = cls
        return cls

    return register


def unregister_policy(name: str) -> None:
    """Remove a policy (for tests that plug one in and out)."""
    _POLICIES.pop(name, None)


def registered_policies() -> dict[str, type[Policy]]:
    """The policies registered so far, by name."""
    return dict(sorted(_POLICIES.items(), key=lambda kv: (kv[1].order, kv[0])))


def experiment_result(experiment: dict[str, Any], modality: str) -> ToolResult | None:
    """The typed result of a recorded experiment (None for a failed or unreadable one)."""
    if experiment.get("error"):
        return None
    return parse_result(experiment["tool"], modality, experiment.get("data") or {})
