"""Policies by name: systematic (offline default), local (in-process LM), openai, scripted."""

from __future__ import annotations

from typing import Any

from agent.policies.base import Policy, PolicyEnv, ToolCall

POLICY_NAMES = ("systematic", "local", "openai")


def make_policy(name: str, options: dict[str, Any] | None = None) -> Policy:
    """Build a policy from its name and JSON options (as stored in a run's config)."""
    options = options or {}
    if name == "systematic":
        from agent.policies.systematic import SystematicPolicy

        return SystematicPolicy(**options)
    if name == "local":
        from agent.policies.local import LocalPolicy

        return LocalPolicy(**options)
    if name == "openai":
        from agent.policies.openai_policy import OpenAIPolicy

        return OpenAIPolicy(**options)
    if name == "scripted":
        from agent.policies.scripted import ScriptedPolicy

        return ScriptedPolicy(**options)
    raise ValueError(f"unknown policy {name!r}; valid: {', '.join(POLICY_NAMES)}")


__all__ = ["POLICY_NAMES", "Policy", "PolicyEnv", "ToolCall", "make_policy"]
