"""Which units an atlas describes: a model's layers and unit selections, split into chunks."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from models.registry import get_model

#: Unit kinds an atlas describes by default (every layer of these kinds when none is named).
DEFAULT_KINDS = ("mlp_neuron", "conv_channel", "sae_latent")


class AtlasPlanError(ValueError):
    """An atlas request that names no units, or names ones that do not exist."""


@dataclass(frozen=True)
class Chunk:
    """Units of one layer that one task describes (the model is loaded once per worker)."""

    model: str
    layer: str
    indices: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.layer}-{self.indices[0]}-{self.indices[-1]}-{len(self.indices)}"

    def addresses(self) -> list[str]:
        return [f"{self.model}:{self.layer}:{i}" for i in self.indices]


def parse_units(text: str | None, count: int, seed: int = 0) -> list[int]:
    """Unit indices from a selection: "all", "0-99,120", or "sample:64" (seeded)."""
    if text in (None, "", "all"):
        return list(range(count))
    found = re.fullmatch(r"sample:(\d+)", text.strip())
    if found:
        size = int(found.group(1))
        if not 1 <= size <= count:
            raise AtlasPlanError(f"sample:{size} must take 1 to {count} units")
        return sorted(random.Random(seed).sample(range(count), size))
    indices: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise AtlasPlanError(f"bad unit selection {part!r}: use 'all', 'sample:N', or "
                                 "indices and ranges such as '0-99,120'")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if low > high or high >= count:
            raise AtlasPlanError(f"unit range {part!r} is outside 0..{count - 1}")
        indices.update(range(low, high + 1))
    return sorted(indices)


def plan(model: str, layers: list[str] | None = None, units: str | None = None,
         chunk_size: int = 16, seed: int = 0) -> list[Chunk]:
    """The chunks of an atlas: per layer, its selected units in chunks of `chunk_size`.

    Args:
        model: a registry model name.
        layers: layer names (default: every layer of a kind in DEFAULT_KINDS).
        units: the selection applied in every layer ("all", "0-99", "sample:64").
        chunk_size: units per task.
        seed: for "sample:N" selections.
    """
    subject = get_model(model)
    infos = {info.layer: info for info in subject.layers()}
    if layers:
        unknown = [name for name in layers if name not in infos]
        if unknown:
            raise AtlasPlanError(f"{model} has no layer(s) {unknown}; `python -m models layers "
                                 f"{model}` lists them")
        chosen = [infos[name] for name in layers]
    else:
        chosen = [info for info in infos.values() if info.kind in DEFAULT_KINDS]
    if not chosen:
        raise AtlasPlanError(f"no layer of {model} to describe; name some with --layers")
    if chunk_size < 1:
        raise AtlasPlanError("chunk size must be at least 1")
    chunks = []
    for info in chosen:
        selected = parse_units(units, info.units, seed)
        for start in range(0, len(selected), chunk_size):
            chunks.append(Chunk(subject.name, info.layer,
                                tuple(selected[start:start + chunk_size])))
    return chunks
