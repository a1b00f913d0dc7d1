"""The run-time context every node receives: policy, tool context, budgets, stop flag."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from agent.policies.base import Policy
from tools.context import ToolContext


@dataclass(frozen=True)
class Budgets:
    """Limits on one run; when one runs out the agent concludes with what it has."""

    max_rounds: int = 6
    max_tool_calls: int = 40
    max_seconds: float = 900.0

    def recursion_limit(self) -> int:
        """LangGraph steps a run can take: five nodes a round, plus start and conclusion."""
        return 5 * self.max_rounds + 10


@dataclass
class RunContext:
    """Objects a run needs that are not state (not checkpointed)."""

    policy: Policy
    tools: ToolContext
    budgets: Budgets = field(default_factory=Budgets)
    stop: threading.Event = field(default_factory=threading.Event)
    session_start: float = field(default_factory=time.monotonic)
