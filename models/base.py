"""The subject-model interface every family implements: layers to list, layers to record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from models.errors import UnitIndexError, UnknownLayerError, choices

Modality = Literal["vision", "text"]


@dataclass(frozen=True)
class LayerInfo:
    """One addressable layer: its module path, the kind of unit it holds and how many."""

    layer: str
    kind: str
    units: int
    description: str = ""

    def to_json(self) -> dict:
        return {
            "layer": self.layer,
            "kind": self.kind,
            "units": self.units,
            "description": self.description,
        }


@dataclass
class LayerRecording:
    """Activations of some units of one layer over a batch of stimuli.

    Attributes:
        maps: float32 CPU tensor `[batch, units, *map]`; the map is `[h, w]` for images and
            `[tokens]` (right-padded) for texts.
        lengths: texts only: how many map positions of each stimulus are real tokens.
        tokens: texts only: the token strings of each stimulus, `lengths[i]` of them.
    """

    maps: torch.Tensor
    lengths: list[int] | None = None
    tokens: list[list[str]] | None = None

    def values(self) -> torch.Tensor:
        """Each unit's value per stimulus, `[batch, units]`: the max over its map."""
        flat = self.maps.flatten(2)
        if self.lengths is not None:
            positions = torch.arange(flat.shape[-1])
            pad = positions[None, :] >= torch.tensor(self.lengths)[:, None]  # [batch, tokens]
            flat = flat.masked_fill(pad[:, None, :], float("-inf"))
        return flat.max(dim=-1).values


def frozen_on_device(
    net: torch.nn.Module, device: str | torch.device | None = None
) -> tuple[torch.device, torch.nn.Module]:
    """Put a net in eval mode without gradients on `device` (CUDA when present by default)."""
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    net = net.eval().to(target)
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    return target, net


class SubjectModel(ABC):
    """A model being interpreted. Families subclass this; `models.registry` builds them.

    Subclasses set `name`, `modality` and implement `layers` and `record`.
    """

    name: str
    modality: Modality
    #: how many stimuli one forward pass takes at most (memory guard, also the cache's batch)
    max_batch: int = 32

    @abstractmethod
    def layers(self) -> list[LayerInfo]:
        """Every addressable layer, in forward order."""

    @abstractmethod
    def record(
        self, layer: str, stimuli: Sequence, units: Sequence[int] | None = None
    ) -> LayerRecording:
        """One no-grad forward over at most `max_batch` validated stimuli.

        Args:
            layer: a layer name from `layers()`.
            stimuli: PIL RGB images (vision) or non-empty strings (text), already validated.
            units: indices to keep (all units when None), in the order given.
        """

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def layer_info(self, layer: str) -> LayerInfo:
        """The LayerInfo of `layer`, or an error that lists the valid layers."""
        for info in self.layers():
            if info.layer == layer:
                return info
        names = [info.layer for info in self.layers()]
        raise UnknownLayerError(
            f"model {self.name!r} has no layer {layer!r}; valid layers: {choices(names, limit=40)} "
            f"(`python -m models layers {self.name}` lists them all)"
        )

    def check_index(self, layer: str, index: int) -> LayerInfo:
        """Validate a unit index against its layer's range."""
        info = self.layer_info(layer)
        if not 0 <= index < info.units:
            raise UnitIndexError(
                f"unit index {index} is out of range for {self.name}:{layer} "
                f"({info.kind}, valid indices 0..{info.units - 1})"
            )
        return info


class HookedModel(SubjectModel):
    """A subject model backed by a torch network whose layers are read through hooks.

    Subclasses call `_set_layers` with their layer specs (objects with an `info: LayerInfo`);
    `layer_spec` returns the spec of a layer for recording and interventions.
    """

    _device: torch.device

    def _set_layers(self, layers: Sequence[Any]) -> None:
        self._layers = list(layers)
        self._specs = {layer.info.layer: layer for layer in self._layers}

    @property
    def device(self) -> torch.device:
        return self._device

    def layers(self) -> list[LayerInfo]:
        return [layer.info for layer in self._layers]

    def layer_spec(self, layer: str) -> Any:
        """The spec (hook point and map function) of `layer`; a clear error if unknown."""
        self.layer_info(layer)
        return self._specs[layer]
