"""Simulation (Bills et al. 2023): activations predicted from the description alone by the
benchmark's reader (`bench.reader`), correlated with the real ones on held-out top and random
stimuli; for text also per token."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import HeldOut, held_out, pool_texts
from bench.reader import READER, Simulator, read, token_windows


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either side is constant (the simulator says nothing)."""
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


@functools.cache
def pool_simulator(modality: str, kind: str) -> Simulator:
    """The reader over a whole held-out pool (its embeddings are computed once)."""
    return Simulator(list(pool_texts(modality, kind)))


def simulated(description: str, data: HeldOut, modality: str) -> np.ndarray:
    """The reader's predicted activation for every stimulus of the unit's pool."""
    return pool_simulator(modality, data.kind).scores(description)


def token_correlation(description: str, data: HeldOut) -> float | None:
    """Per-token simulation: correlation over every token of the held-out texts."""
    if not data.tokens or not data.token_values:
        return None
    windows = [w for tokens in data.tokens for w in token_windows(tokens)]
    real = np.concatenate(data.token_values)
    if len(windows) != len(real):
        return None
    return round(correlation(Simulator(windows).scores(description), real), 4)


def simulation(description: str, data: HeldOut, modality: str) -> dict[str, Any]:
    """Correlation of simulated and real activations on held-out top and random stimuli."""
    predicted = simulated(description, data, modality)[data.indices]
    out = {"correlation": round(correlation(predicted, data.values), 4), "n": len(predicted),
           "reader": READER, "data": data.kind, "reading": read(description).to_json()}
    if modality == "text":
        out["token_correlation"] = token_correlation(description, data)
    return out


def unit_data(context: ScoringContext) -> HeldOut:
    """The unit's held-out data, measured once per unit and shared by the protocols."""
    return context.shared("held_out", lambda: held_out(context.address, context.modality))


@register_protocol
class Simulation(ScoringProtocol):
    """Bills et al. (2023): does the description predict the real activations?"""

    name = "simulation"
    order = 2
    metrics = (Metric("simulation_r", "correlation", "simulation r"),
               Metric("simulation_token_r", "token_correlation", "per-token r"))

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return simulation(description, unit_data(context), context.modality)
