"""Detection (Paulo et al. 2024, delphi): telling held-out activating stimuli from
non-activating ones from the description alone (the benchmark's reader decides)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import N_RANDOM, N_TOP, HeldOut
from bench.protocols.simulation import simulated, unit_data
from bench.reader import READER

#: The reader calls a stimulus activating when its predicted activation is in this top share
#: of the pool (the share of top stimuli in the held-out set), fixed before seeing the unit.
CALLED_SHARE = N_TOP / (N_TOP + N_RANDOM)


def detection(description: str, data: HeldOut, modality: str) -> dict[str, Any]:
    """Balanced accuracy of telling held-out activating stimuli from non-activating ones."""
    scores = simulated(description, data, modality)
    if np.std(scores) == 0:
        called = np.zeros(len(data.indices), dtype=bool)  # a reader that says nothing
    else:
        cut = np.quantile(scores, 1 - CALLED_SHARE)
        called = scores[data.indices] >= cut
    positive = data.is_top & (data.values >= data.cut)
    negative = ~data.is_top & (data.values < data.cut)
    if not positive.any() or not negative.any():
        return {"balanced_accuracy": None, "n_pos": int(positive.sum()),
                "n_neg": int(negative.sum()), "reader": READER, "data": data.kind}
    hit = float(called[positive].mean())
    reject = float((~called[negative]).mean())
    return {"balanced_accuracy": round((hit + reject) / 2, 4), "n_pos": int(positive.sum()),
            "n_neg": int(negative.sum()), "reader": READER, "data": data.kind}


@register_protocol
class Detection(ScoringProtocol):
    """Paulo et al. (2024): balanced accuracy of picking out the activating stimuli."""

    name = "detection"
    order = 3
    metrics = (Metric("detection_bacc", "balanced_accuracy", "detection bal. acc."),)

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        return detection(description, unit_data(context), context.modality)
