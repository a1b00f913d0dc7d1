"""Simulation (Bills et al. 2023): activations predicted from the description alone,
correlated with the real ones on held-out top and random stimuli."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.judge import Parsed, parse
from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import HeldOut, held_out, pool_tags


def simulate(parsed: Parsed, tags: list[frozenset[str]]) -> np.ndarray:
    """The offline simulator: 1 where the described composition of concepts is present."""
    if not parsed.concepts:
        return np.zeros(len(tags))
    concepts = list(parsed.concepts)
    out = []
    for present in tags:
        has = [c in present for c in concepts]
        if parsed.composition == "single":
            value = has[0]
        elif parsed.composition == "or":
            value = any(has)
        elif parsed.composition == "and":
            value = all(has)
        else:  # and_not: the last concept is the excluded one
            value = all(has[:-1]) and not has[-1]
        out.append(float(value))
    return np.array(out)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either side is constant (the simulator says nothing)."""
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def simulation(parsed: Parsed, data: HeldOut, modality: str) -> dict[str, Any]:
    """Correlation of simulated and real activations on held-out top and random stimuli."""
    tags = [pool_tags(modality)[i] for i in data.indices]
    predicted = simulate(parsed, tags)
    return {"correlation": round(correlation(predicted, data.values), 4),
            "n": len(predicted)}


def unit_data(context: ScoringContext) -> HeldOut:
    """The unit's held-out data, measured once per unit and shared by the protocols."""
    return context.shared("held_out", lambda: held_out(context.address, context.modality))


@register_protocol
class Simulation(ScoringProtocol):
    """Bills et al. (2023): does the description predict the real activations?"""

    name = "simulation"
    order = 2
    metrics = (Metric("simulation_r", "correlation", "simulation r"),)

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return simulation(parse(description, context.modality), unit_data(context),
                          context.modality)
