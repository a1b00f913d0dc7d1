"""The run-time context every node receives: policy, tool context, budgets, stop flag."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from agent.policies.base import Policy
from agent.requests import Budgets
from tools.context import ToolContext


@dataclass
class RunContext:
    """Objects a run needs that are not state (not checkpointed)."""

    policy: Policy
    tools: ToolContext
    budgets: Budgets = field(default_factory=Budgets)
    stop: threading.Event = field(default_factory=threading.Event)
    session_start: float = field(default_factory=time.monotonic)
