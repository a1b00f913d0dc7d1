"""Predictive evaluation (MAIA, Shaham et al. 2024): stimuli chosen from the description alone,
expected to activate vs neutral, measured on the unit.

MAIA generates them with a text-to-image model; offline, the benchmark's reader retrieves them
from the held-out pool the agent never saw: the N_PREDICT stimuli it predicts most activating
against N_PREDICT drawn from the half it predicts least activating."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import HeldOut
from bench.protocols.simulation import simulated, unit_data
from bench.reader import READER

#: Stimuli per side in predictive evaluation.
N_PREDICT = 12


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(a positive outscores a negative), ties counted half (Mann-Whitney)."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def predictive(description: str, data: HeldOut, modality: str, address: str,
               n: int = N_PREDICT) -> dict[str, Any]:
    """AUC of the unit's values on described-activating vs neutral held-out stimuli."""
    assert data.pool_values is not None
    scores = simulated(description, data, modality)
    rng = np.random.default_rng(zlib.crc32(address.encode()) + 1)
    if np.std(scores) == 0:  # a description naming nothing predicts nothing: two random sets
        chosen = rng.permutation(len(scores))
        positives, neutrals = chosen[:n], chosen[n: 2 * n]
    else:
        order = np.argsort(-scores, kind="stable")
        positives = order[:n]
        lower = order[len(order) // 2:]
        neutrals = rng.choice(lower, size=min(n, len(lower)), replace=False)
    pos, neg = data.pool_values[positives], data.pool_values[neutrals]
    return {"auc": round(auc(pos, neg), 4), "mean_activating": round(float(pos.mean()), 5),
            "mean_neutral": round(float(neg.mean()), 5),
            "difference": round(float(pos.mean() - neg.mean()), 5),
            "reader": READER, "data": data.kind}


@register_protocol
class Predictive(ScoringProtocol):
    """MAIA's predictive evaluation: AUC of described-activating vs neutral stimuli."""

    name = "predictive"
    order = 1
    metrics = (Metric("predictive_auc", "auc", "predictive AUC"),
               Metric("predictive_difference", "difference", "predictive diff", plotted=False))

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return predictive(description, unit_data(context), context.modality, context.address)
