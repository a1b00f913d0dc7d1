"""Policies by name: each module of this package registers its policies with
`@register_policy`, and `make_policy` builds one from its name and JSON options."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from agent.policies.base import Policy, PolicyEnv, ToolCall, registered_policies


def _discover() -> dict[str, type[Policy]]:
    """Import every policy module of this package once, so that they register."""
    for module in pkgutil.iter_modules(__path__, f"{__name__}."):
        importlib.import_module(module.name)
    return registered_policies()


def policy_names(reported_only: bool = True) -> tuple[str, ...]:
    """Registered policy names (by default those whose results may be reported)."""
    return tuple(name for name, cls in _discover().items() if cls.reported or not reported_only)


def make_policy(name: str, options: dict[str, Any] | None = None, **secrets: Any) -> Policy:
    """Build a policy from its name and JSON options (as stored in a run's config).

    Args:
        name: a registered policy name.
        options: its constructor's JSON options.
        **secrets: keyword arguments that must never be recorded (an API key).

    Raises:
        ValueError: an unknown name (the message lists the valid ones) or bad options.
    """
    policies = _discover()
    if name not in policies:
        raise ValueError(f"unknown policy {name!r}; valid: {', '.join(policy_names())}")
    accepted = inspect.signature(policies[name]).parameters
    given = {k: v for k, v in secrets.items() if k in accepted and v is not None}
    try:
        return policies[name](**(options or {}), **given)
    except TypeError as error:
        raise ValueError(f"bad options for policy {name!r}: {error}") from None


__all__ = ["Policy", "PolicyEnv", "ToolCall", "make_policy", "policy_names"]
