"""Predictive evaluation (MAIA, Shaham et al. 2024): stimuli written from the description,
expected to activate vs neutral, measured on the unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.judge import Parsed, parse
from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol

#: Stimuli per side in predictive evaluation.
N_PREDICT = 12


#: Seed of the predictive stimuli; the agent's tools use small seeds from 0.
PREDICT_SEED = 9173


def cell_plans(parsed: Parsed) -> tuple[list[tuple[list[str], list[str]]], list[str]]:
    """(include, exclude) cells expected to activate the unit, and what neutrals exclude."""
    concepts = list(parsed.concepts)
    if parsed.composition == "single":
        return [(concepts[:1], [])], concepts[:1]
    if parsed.composition == "or":
        return [([c], []) for c in concepts], concepts
    if parsed.composition == "and":
        return [(concepts, [])], concepts
    return [(concepts[:-1], concepts[-1:])], concepts[:-1]


def predictive(parsed: Parsed, address: str, modality: str,
               n: int = N_PREDICT) -> dict[str, Any]:
    """Stimuli built from the description alone: expected-activating vs neutral, on the unit."""
    from models.errors import ModelsError
    from models.recording import activations
    from tools.contrast import auc, build_stimuli

    try:
        if parsed.concepts:
            plans, neutral_exclude = cell_plans(parsed)
            positives: list = []
            for k, (include, exclude) in enumerate(plans):
                count = n // len(plans) + (1 if k < n % len(plans) else 0)
                if count:
                    positives += build_stimuli(modality, include, exclude, count,
                                               PREDICT_SEED + k)
            neutrals = build_stimuli(modality, [], neutral_exclude, n, PREDICT_SEED)
        else:
            # a description naming nothing predicts nothing: two random sets
            positives = build_stimuli(modality, [], [], n, PREDICT_SEED + 1)
            neutrals = build_stimuli(modality, [], [], n, PREDICT_SEED + 2)
    except ModelsError as error:
        return {"auc": None, "error": str(error)[:300]}
    values = np.asarray(activations(address, positives + neutrals).values, dtype=float)
    pos, neg = values[: len(positives)], values[len(positives):]
    return {"auc": round(auc(pos, neg), 4), "mean_activating": round(float(pos.mean()), 5),
            "mean_neutral": round(float(neg.mean()), 5),
            "difference": round(float(pos.mean() - neg.mean()), 5)}


@register_protocol
class Predictive(ScoringProtocol):
    """MAIA's predictive evaluation: AUC of described-activating vs neutral stimuli."""

    name = "predictive"
    order = 1
    metrics = (Metric("predictive_auc", "auc", "predictive AUC"),
               Metric("predictive_difference", "difference", "predictive diff", plotted=False))

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return predictive(parse(description, context.modality), context.address,
                          context.modality)
