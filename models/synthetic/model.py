"""Synthetic units as a subject model: layers group units by composition, like any model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from models.base import LayerInfo, LayerRecording, SubjectModel
from models.errors import ModelsError, choices
from models.synthetic.base import COMPOSITIONS, SyntheticUnitSpec, combine


class SyntheticModel(SubjectModel):
    """Ground-truth units computed from stimulus content, addressed `synthetic-<m>:<layer>:<i>`.

    The built-in units sit in one layer per composition (`single`, `or`, `and`, `and_not`);
    `add_layer` registers more (a benchmark suite read from a file, for example).
    """

    max_batch = 64

    def __init__(self, name: str, modality: str, units: Sequence[SyntheticUnitSpec]) -> None:
        self.name = name
        self.modality = modality  # type: ignore[assignment]
        self._layers: dict[str, list[SyntheticUnitSpec]] = {}
        for composition in COMPOSITIONS:
            group = [u for u in units if u.composition == composition]
            if group:
                self._layers[composition] = group

    def add_layer(self, layer: str, units: Sequence[SyntheticUnitSpec]) -> None:
        """Register a layer of extra units; every concept must be in the vocabulary."""
        vocabulary = self.concepts()
        for unit in units:
            if unit.modality != self.modality:
                raise ModelsError(f"unit {unit.id!r} is a {unit.modality} unit; "
                                  f"{self.name} holds {self.modality} units")
            unknown = [c for c in unit.concepts if c not in vocabulary]
            if unknown:
                raise ModelsError(
                    f"unit {unit.id!r}: unknown concept(s) {unknown}; valid {self.modality} "
                    f"concepts: {choices(sorted(vocabulary), limit=200)}"
                )
        if ":" in layer or not layer:
            raise ModelsError(f"bad layer name {layer!r}: non-empty, without ':'")
        self._layers[layer] = list(units)

    def concepts(self) -> dict:
        if self.modality == "vision":
            from models.concepts.vision import VISION_CONCEPTS

            return VISION_CONCEPTS
        from models.concepts.text import TEXT_CONCEPTS

        return TEXT_CONCEPTS

    def layers(self) -> list[LayerInfo]:
        return [LayerInfo(name, "synthetic", len(units), f"{name} synthetic units")
                for name, units in self._layers.items()]

    def spec(self, layer: str, index: int) -> SyntheticUnitSpec:
        """The ground truth of one unit."""
        self.check_index(layer, index)
        return self._layers[layer][index]

    def specs(self, layer: str) -> list[SyntheticUnitSpec]:
        self.layer_info(layer)
        return list(self._layers[layer])

    def record(self, layer, stimuli, units=None) -> LayerRecording:
        self.layer_info(layer)
        group = self._layers[layer]
        chosen = [group[i] for i in (units if units is not None else range(len(group)))]
        concepts = sorted({c for unit in chosen for c in unit.concepts})
        column = {c: i for i, c in enumerate(concepts)}
        if self.modality == "vision":
            from models.concepts.vision import vision_concept_maps

            maps = vision_concept_maps(concepts, list(stimuli))  # [b, concepts, h, w]
            combined = np.stack(
                [combine(u.composition, maps[:, [column[c] for c in u.concepts]].swapaxes(0, 1))
                 for u in chosen], axis=1)
            return LayerRecording(maps=torch.from_numpy(combined.astype(np.float32)))
        from models.concepts.text import text_concept_scores
        from models.synthetic.text_units import text_unit_map

        scores, tokens = text_concept_scores(concepts, list(stimuli))
        per_unit = []
        for u in chosen:
            unit_scores = scores[:, [column[c] for c in u.concepts]]
            per_unit.append(text_unit_map(u, unit_scores))
        combined = np.stack(per_unit, axis=1)  # [b, units, tokens]
        return LayerRecording(maps=torch.from_numpy(combined.astype(np.float32)),
                              lengths=[len(t) for t in tokens], tokens=tokens)


def build_synthetic_model(modality: str) -> SyntheticModel:
    """The built-in synthetic units of one modality."""
    if modality == "vision":
        from models.synthetic.vision_units import VISION_UNITS

        return SyntheticModel("synthetic-vision", "vision", VISION_UNITS)
    from models.synthetic.text_units import TEXT_UNITS

    return SyntheticModel("synthetic-text", "text", TEXT_UNITS)
