"""Synthetic ground-truth units: vocabulary concepts composed by single, OR, AND and AND-NOT.

A synthetic unit computes its activation from the stimulus content alone (pixels or text),
never from hidden metadata. Each concept detector returns a map of scores in [0, 1]
(spatial for images, per token for texts); a composition combines the maps position by
position: OR is the max, AND the min, AND-NOT `min(a, 1 - b)`. The unit's value is the max
of the combined map, like any real unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from models.concepts.base import COMPOSITIONS, Composition
from models.errors import ModelsError


@dataclass(frozen=True)
class SyntheticUnitSpec:
    """One synthetic unit and its ground truth.

    `concepts` holds one concept for "single", two or more for "or"/"and", and exactly two
    for "and_not" (fires on the first unless the second is present).
    """

    modality: Literal["vision", "text"]
    composition: Composition
    concepts: tuple[str, ...]
    description: str
    label: str
    id: str = field(default="")

    def __post_init__(self) -> None:
        count = len(self.concepts)
        if self.composition not in COMPOSITIONS:
            raise ModelsError(
                f"unknown composition {self.composition!r}; valid: {', '.join(COMPOSITIONS)}"
            )
        expected = {"single": count == 1, "or": count >= 2, "and": count >= 2,
                    "and_not": count == 2}[self.composition]
        if not expected:
            raise ModelsError(
                f"composition {self.composition!r} takes "
                + {"single": "exactly one concept", "or": "two or more concepts",
                   "and": "two or more concepts", "and_not": "exactly two concepts"}[
                    self.composition]
                + f", got {count}: {list(self.concepts)}"
            )
        if not self.id:
            object.__setattr__(self, "id", "_".join([self.composition, *self.concepts]))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "modality": self.modality,
            "composition": self.composition,
            "concepts": list(self.concepts),
            "description": self.description,
            "label": self.label,
        }


def combine(composition: str, maps: np.ndarray) -> np.ndarray:
    """Combine per-concept maps `[concepts, *map]` into one map `[*map]`."""
    if composition == "single":
        return maps[0]
    if composition == "or":
        return maps.max(axis=0)
    if composition == "and":
        return maps.min(axis=0)
    if composition == "and_not":
        return np.minimum(maps[0], 1.0 - maps[1])
    raise ModelsError(f"unknown composition {composition!r}; valid: {', '.join(COMPOSITIONS)}")
