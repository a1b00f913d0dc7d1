"""Benchmark suites: named lists of units (with their ground truth where there is one), and
the registry that builds a suite by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models.synthetic.base import SyntheticUnitSpec


class SuiteError(ValueError):
    """A suite that does not exist or a suite file that is not valid."""


@dataclass(frozen=True)
class SuiteUnit:
    """One unit of a suite.

    Attributes:
        address: the unit address `<model>:<layer>:<index>`.
        modality: "vision" or "text".
        spec: the ground truth (None for real units, which have none).
    """

    address: str
    modality: str
    spec: SyntheticUnitSpec | None = None

    @property
    def composition(self) -> str | None:
        return self.spec.composition if self.spec else None

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "modality": self.modality,
                "ground_truth": self.spec.to_json() if self.spec else None}


@dataclass
class Suite:
    """A named list of units; file suites also carry the specs to register in every process.

    Attributes:
        name: the suite name (or the file path it was read from).
        modality: "vision" or "text".
        units: the units, in a fixed order (`--limit N` takes the first N).
        extra_layer: (model, layer, specs) to register with `SyntheticModel.add_layer`
            before any unit can be addressed (function and file suites).
    """

    name: str
    modality: str
    units: list[SuiteUnit]
    extra_layer: tuple[str, str, list[SyntheticUnitSpec]] | None = field(default=None)

    @property
    def has_ground_truth(self) -> bool:
        return all(u.spec is not None for u in self.units)

    def register(self) -> None:
        """Make the suite's units addressable in this process (idempotent)."""
        if self.extra_layer is None:
            return
        from models.registry import get_model

        model_name, layer, specs = self.extra_layer
        get_model(model_name).add_layer(layer, specs)  # type: ignore[attr-defined]

    def unit(self, address: str) -> SuiteUnit:
        for unit in self.units:
            if unit.address == address:
                return unit
        raise SuiteError(f"{address} is not a unit of suite {self.name}")


def interleave(units: list[SuiteUnit]) -> list[SuiteUnit]:
    """Round-robin over compositions, so that `--limit N` takes a mix of all of them."""
    groups: dict[str, list[SuiteUnit]] = {}
    for unit in units:
        groups.setdefault(unit.composition or "", []).append(unit)
    out: list[SuiteUnit] = []
    for k in range(max(len(g) for g in groups.values())):
        out += [g[k] for g in groups.values() if k < len(g)]
    return out


_SUITES: dict[str, Callable[[], Suite]] = {}


def register_suite(name: str) -> Callable[[Callable[[], Suite]], Callable[[], Suite]]:
    """Register a function that builds the suite `name` (called each time it is loaded)."""

    def register(build: Callable[[], Suite]) -> Callable[[], Suite]:
        _SUITES[name] = build
        return build

    return register


def unregister_suite(name: str) -> None:
    """Remove a suite (for tests that plug one in and out)."""
    _SUITES.pop(name, None)


def registered_suites() -> dict[str, Callable[[], Suite]]:
    """The suite builders registered so far, by name."""
    return dict(_SUITES)
