"""Detection (Paulo et al. 2024, delphi): telling held-out activating stimuli from
non-activating ones from the description alone."""

from __future__ import annotations

from typing import Any

from bench.judge import Parsed, parse
from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import HeldOut, pool_tags
from bench.protocols.simulation import simulate, unit_data


def detection(parsed: Parsed, data: HeldOut, modality: str) -> dict[str, Any]:
    """Balanced accuracy of telling held-out activating stimuli from non-activating ones."""
    tags = [pool_tags(modality)[i] for i in data.indices]
    predicted = simulate(parsed, tags) > 0.5
    positive = data.is_top & (data.values >= data.cut)
    negative = ~data.is_top & (data.values < data.cut)
    if not positive.any() or not negative.any():
        return {"balanced_accuracy": None, "n_pos": int(positive.sum()),
                "n_neg": int(negative.sum())}
    hit = float(predicted[positive].mean())
    reject = float((~predicted[negative]).mean())
    return {"balanced_accuracy": round((hit + reject) / 2, 4), "n_pos": int(positive.sum()),
            "n_neg": int(negative.sum())}


@register_protocol
class Detection(ScoringProtocol):
    """Paulo et al. (2024): balanced accuracy of picking out the activating stimuli."""

    name = "detection"
    order = 3
    metrics = (Metric("detection_bacc", "balanced_accuracy", "detection bal. acc."),)

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return detection(parse(description, context.modality), unit_data(context),
                         context.modality)
