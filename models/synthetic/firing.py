"""How often each unit of a synthetic layer fires on a corpus, and on which stimuli most: the
measure of whether a ground-truth unit can be discovered from exemplars at all."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from models.corpora import Corpus
from models.errors import ModelsError

#: A unit fires on a stimulus where its value exceeds this.
FIRES_ABOVE = 0.5


@dataclass
class UnitFiring:
    """One unit's firing on a corpus.

    Attributes:
        index: the unit's index in its layer.
        id: the unit's id; label: its label.
        count: on how many stimuli it fires; rate: that count over the corpus size.
        top: the ids (texts: the texts) and values of its highest stimuli.
    """

    index: int
    id: str
    label: str
    count: int
    rate: float
    top: list[tuple[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def layer_firing(model_name: str, layer: str, corpus: Corpus, k: int = 3,
                 limit: int | None = None, batch: int = 64) -> list[UnitFiring]:
    """Firing counts, rates and top-`k` stimuli of every unit of a synthetic layer.

    Args:
        model_name: synthetic-vision or synthetic-text (or any model with `specs`).
        layer: the layer (single, or, and, and_not, composed, hidden, a suite's layer).
        corpus: the stimuli.
        k: how many top stimuli to list per unit.
        limit: use only the first `limit` stimuli of the corpus.
        batch: stimuli per recording call (all units of the layer share the concept maps).
    """
    from models.registry import get_model

    model = get_model(model_name)
    if not hasattr(model, "specs"):
        raise ModelsError(f"{model_name} has no ground-truth units; use synthetic-vision or "
                          f"synthetic-text")
    specs = model.specs(layer)  # type: ignore[attr-defined]
    size = len(corpus) if limit is None else min(limit, len(corpus))
    values = np.zeros((size, len(specs)), np.float32)
    for start in range(0, size, batch):
        stimuli = corpus.items(list(range(start, min(start + batch, size))))
        values[start:start + len(stimuli)] = model.record(layer, stimuli).values().numpy()
    rows = []
    for j, spec in enumerate(specs):
        order = np.argsort(-values[:, j], kind="stable")[:k]
        count = int((values[:, j] > FIRES_ABOVE).sum())
        rows.append(UnitFiring(j, spec.id, spec.label, count, count / max(size, 1),
                               [(corpus.ids[int(i)], float(values[int(i), j])) for i in order]))
    return rows
