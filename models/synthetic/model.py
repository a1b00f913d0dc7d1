"""Synthetic units as a subject model: layers group units by composition, like any model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from models.base import LayerInfo, LayerRecording, SubjectModel
from models.concepts import vocabulary
from models.errors import ModelsError
from models.synthetic.base import COMPOSITIONS, SyntheticUnitSpec, evaluate
from models.synthetic.detect import check_concepts, leaf_maps


class SyntheticModel(SubjectModel):
    """Ground-truth units computed from stimulus content, addressed `synthetic-<m>:<layer>:<i>`.

    The flat built-in units sit in one layer per composition (`single`, `or`, `and`,
    `and_not`); further layers (`composed`: nested and three-concept units; `hidden`: units on
    hidden concepts; `unseen`: units on hidden concepts no evidence tool was designed against;
    `blind`: units on hidden concepts chosen without reading the evidence tools) come as
    `extra_layers`, and `add_layer` registers more (a benchmark suite read from a file,
    for example).
    """

    max_batch = 64

    def __init__(self, name: str, modality: str, units: Sequence[SyntheticUnitSpec],
                 extra_layers: Mapping[str, Sequence[SyntheticUnitSpec]] | None = None) -> None:
        self.name = name
        self.modality = modality  # type: ignore[assignment]
        self._layers: dict[str, list[SyntheticUnitSpec]] = {}
        for composition in COMPOSITIONS:
            group = [u for u in units if u.composition == composition]
            if group:
                self._layers[composition] = group
        for layer, group in (extra_layers or {}).items():
            self.add_layer(layer, group)

    def add_layer(self, layer: str, units: Sequence[SyntheticUnitSpec]) -> None:
        """Register a layer of extra units; every concept must be a vocabulary or hidden one."""
        for unit in units:
            if unit.modality != self.modality:
                raise ModelsError(f"unit {unit.id!r} is a {unit.modality} unit; "
                                  f"{self.name} holds {self.modality} units")
            check_concepts(self.modality, unit.concepts, f"unit {unit.id!r}")
        if ":" in layer or not layer:
            raise ModelsError(f"bad layer name {layer!r}: non-empty, without ':'")
        self._layers[layer] = list(units)

    def concepts(self) -> dict:
        """The concept vocabulary of this model's modality (hidden concepts are not in it)."""
        return vocabulary(self.modality)

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
        names = sorted({c for unit in chosen for c in unit.concepts})
        maps, tokens = leaf_maps(self.modality, names, list(stimuli))
        # [b, units, 28, 28] for images, [b, units, tokens] for texts
        combined = np.stack([evaluate(u.unit_tree, maps) for u in chosen], axis=1)
        recording = torch.from_numpy(combined.astype(np.float32))
        if tokens is None:
            return LayerRecording(maps=recording)
        return LayerRecording(maps=recording, lengths=[len(t) for t in tokens], tokens=tokens)


def build_synthetic_model(modality: str) -> SyntheticModel:
    """The built-in synthetic units of one modality."""
    from models.synthetic.composed_units import COMPOSED_UNITS
    from models.synthetic.hidden_units import BLIND_UNITS, HIDDEN_UNITS, UNSEEN_UNITS

    extra = {"composed": COMPOSED_UNITS[modality], "hidden": HIDDEN_UNITS[modality],
             "unseen": UNSEEN_UNITS[modality], "blind": BLIND_UNITS[modality]}
    if modality == "vision":
        from models.synthetic.vision_units import VISION_UNITS

        return SyntheticModel("synthetic-vision", "vision", VISION_UNITS, extra)
    from models.synthetic.text_units import TEXT_UNITS

    return SyntheticModel("synthetic-text", "text", TEXT_UNITS, extra)
