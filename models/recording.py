"""MAIA's call_neuron: a unit's activations (value and map) over a batch of stimuli."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.base import LayerInfo, LayerRecording, SubjectModel
from models.cancellation import check_cancelled
from models.errors import StimulusError
from models.registry import get_model
from models.stimuli_io import check_texts, load_images
from models.units import UnitAddress, parse_unit


@dataclass
class UnitActivations:
    """One unit's response to each stimulus.

    Attributes:
        unit: the unit address.
        kind: the unit kind of its layer.
        values: `[n]` the value per stimulus (max over the map).
        maps: per stimulus, the map: `[h, w]` for images, `[tokens]` for texts.
        tokens: texts only: the token strings each map position belongs to.
    """

    unit: str
    kind: str
    values: np.ndarray
    maps: list[np.ndarray]
    tokens: list[list[str]] | None = None

    def to_json(self, with_maps: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": self.unit, "kind": self.kind,
                               "activations": [float(v) for v in self.values]}
        if self.tokens is not None:
            out["tokens"] = self.tokens
        if with_maps:
            out["maps"] = [np.round(m, 5).tolist() for m in self.maps]
        return out


def resolve_unit(address: str | UnitAddress) -> tuple[UnitAddress, SubjectModel, LayerInfo]:
    """Parse an address and check it against the model: the model, layer and index exist.

    Raises:
        UnitAddressError (or a subclass): with the valid models, layers or index range.
        ModelUnavailableError: the model is known but cannot load here.
    """
    unit = parse_unit(address)
    model = get_model(unit.model)
    info = model.check_index(unit.layer, unit.index)
    return unit, model, info


def prepare_stimuli(model: SubjectModel, stimuli: Sequence[Any]) -> list:
    """Validate stimuli for the model's modality (images for vision, strings for text)."""
    if model.modality == "vision":
        if stimuli and all(isinstance(s, str) and not _looks_like_path(s) for s in stimuli):
            raise StimulusError(
                f"{model.name} is a vision model: pass images (PIL images, file paths, "
                f"bytes or HxWx3 uint8 arrays), not texts"
            )
        return load_images(stimuli)
    return check_texts(stimuli)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "." in text.rsplit("/", 1)[-1]


def layer_activations(
    model: SubjectModel, layer: str, stimuli: Sequence[Any], units: Sequence[int] | None = None,
    batch_size: int | None = None,
):
    """Record a layer batch by batch; yields (start index, LayerRecording) per batch."""
    size = min(batch_size or model.max_batch, model.max_batch)
    for start in range(0, len(stimuli), size):
        check_cancelled()  # a Stop takes effect between batches
        yield start, model.record(layer, stimuli[start : start + size], units)


def activations(
    unit: str | UnitAddress, stimuli: Sequence[Any], batch_size: int | None = None
) -> UnitActivations:
    """The unit's value and map for each stimulus (batched, no grad, hooks always removed).

    Args:
        unit: `<model>:<layer>:<index>`.
        stimuli: images (vision models) or texts (text models).
        batch_size: stimuli per forward pass (default and cap: the model's `max_batch`).
    """
    address, model, info = resolve_unit(unit)
    items = prepare_stimuli(model, stimuli)
    recordings = [r for _, r in layer_activations(model, address.layer, items,
                                                  [address.index], batch_size)]
    return _unit_activations(recordings, 0, address, info.kind, model.modality)


def _unit_activations(recordings: Sequence[LayerRecording], column: int, address: UnitAddress,
                      kind: str, modality: str) -> UnitActivations:
    """One unit's values and maps (cut to each text's length) read from batch recordings."""
    values, maps, tokens = [], [], []
    for recording in recordings:
        values.append(recording.values()[:, column].numpy())
        for i in range(recording.maps.shape[0]):
            unit_map = recording.maps[i, column]
            if recording.lengths is not None:
                unit_map = unit_map[: recording.lengths[i]]
            maps.append(unit_map.numpy())
        if recording.tokens is not None:
            tokens.extend(recording.tokens)
    return UnitActivations(
        unit=str(address), kind=kind, values=np.concatenate(values), maps=maps,
        tokens=tokens if modality == "text" else None,
    )


#: Whole-layer recordings of fixed stimulus sets, kept per process (see `shared_activations`).
_SHARED: OrderedDict[tuple[str, str, str], list[LayerRecording]] = OrderedDict()
SHARED_KEEP = 2


def shared_activations(unit: str | UnitAddress, stimuli: Sequence[Any], key: str
                       ) -> UnitActivations:
    """Like `activations`, for a stimulus set many units of a layer read (a cache's random
    sample): the first call records every unit of the layer on it, later calls for other units
    of the layer reuse that recording (`key` names the set; the last SHARED_KEEP sets are kept).
    """
    address, model, info = resolve_unit(unit)
    slot = (model.name, address.layer, key)
    if slot not in _SHARED:
        items = prepare_stimuli(model, stimuli)
        _SHARED[slot] = [r for _, r in layer_activations(model, address.layer, items)]
        while len(_SHARED) > SHARED_KEEP:
            _SHARED.popitem(last=False)
    _SHARED.move_to_end(slot)
    return _unit_activations(_SHARED[slot], address.index, address, info.kind, model.modality)


_SHARED_VALUES: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()


def shared_values(unit: str | UnitAddress, stimuli: Sequence[Any], key: str) -> np.ndarray:
    """A unit's value per stimulus of a fixed set many units of a layer are scored on (a
    held-out pool): one forward pass records every unit's values (not maps, so even a wide
    early layer stays small); later units of the layer read their column. Same keys and
    eviction as `shared_activations`."""
    address, model, _ = resolve_unit(unit)
    slot = (model.name, address.layer, key)
    if slot not in _SHARED_VALUES:
        items = prepare_stimuli(model, stimuli)
        _SHARED_VALUES[slot] = np.concatenate(
            [r.values().numpy() for _, r in layer_activations(model, address.layer, items)])
        while len(_SHARED_VALUES) > SHARED_KEEP:
            _SHARED_VALUES.popitem(last=False)
    _SHARED_VALUES.move_to_end(slot)
    return _SHARED_VALUES[slot][:, address.index].astype(float)
