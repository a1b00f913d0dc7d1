"""Scoring protocols, one module each, registered by name: the ground-truth judge, predictive
evaluation (MAIA), simulation (Bills et al. 2023), detection (Paulo et al. 2024), and the same
read by an LLM when asked (`llm_simulation`)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from bench.protocols.base import (
    Metric,
    ScoringContext,
    ScoringProtocol,
    register_protocol,
    registered_protocols,
)
from bench.protocols.heldout import HeldOut, held_out
from models.synthetic.base import SyntheticUnitSpec


def protocols() -> list[ScoringProtocol]:
    """Every registered protocol (importing this package's modules once, so they register)."""
    for module in pkgutil.iter_modules(__path__, f"{__name__}."):
        importlib.import_module(module.name)
    return registered_protocols()


def metrics() -> list[tuple[ScoringProtocol, Metric]]:
    """Every (protocol, metric) pair, in registration order."""
    return [(p, m) for p in protocols() for m in p.metrics]


def evaluate(description: str, address: str, modality: str, data: HeldOut | None = None,
             truth: SyntheticUnitSpec | None = None, with_model: bool = True,
             options: dict[str, Any] | None = None,
             context: ScoringContext | None = None) -> dict[str, Any]:
    """Every applicable protocol's result for one description of one unit.

    One failing protocol is recorded as an error; the others still count.
    """
    context = context or ScoringContext(address, modality, truth, options or {})
    if data is not None:
        context.shared("held_out", lambda: data)
    result: dict[str, Any] = {}
    for protocol in protocols():
        if protocol.needs_ground_truth and context.truth is None:
            continue
        if protocol.needs_model and not with_model:
            continue
        if not protocol.enabled(context):
            continue
        try:
            result[protocol.name] = protocol.score(description, context)
        except Exception as error:  # noqa: BLE001 (one failing protocol must not lose others)
            result[protocol.name] = {"error": f"{type(error).__name__}: {error}"[:300]}
    return result


__all__ = ["HeldOut", "Metric", "ScoringContext", "ScoringProtocol", "evaluate", "held_out",
           "metrics", "protocols", "register_protocol"]
