"""The scoring-protocol interface and its registry: each protocol tests a description of a
unit one way and reports named metrics; the runner and the report iterate the registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models.synthetic.base import SyntheticUnitSpec


@dataclass(frozen=True)
class Metric:
    """A number a protocol reports, as the summary and the report show it.

    Attributes:
        key: the summary key ("simulation_r").
        field: the field of the protocol's result that holds it ("correlation").
        header: the report's column header.
        plotted: whether the report's plot shows it (raw differences are not on a 0-1 scale).
    """

    key: str
    field: str
    header: str
    plotted: bool = True


@dataclass
class ScoringContext:
    """What one unit's scoring shares between protocols (computed once, on first use).

    Attributes:
        address: the unit.
        modality: "vision" or "text".
        truth: its ground truth, for suites that have one.
        options: protocol options (e.g. {"use_llm": True} for the judge).
    """

    address: str
    modality: str
    truth: SyntheticUnitSpec | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def shared(self, key: str, build: Callable[[], Any]) -> Any:
        """A value computed once per unit (held-out data, activations) and reused."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


class ScoringProtocol(ABC):
    """One way to test a description. Subclasses set `name`, `metrics` and implement `score`.

    Attributes:
        name: the key of its result in a unit's scores ("simulation").
        needs_ground_truth: only run on units with a ground truth (the judge).
        needs_model: runs the unit (so `bench score --judge-only` skips it).
        metrics: what the summary and the report show.
    """

    name: str = "protocol"
    order: int = 100  # position of its columns in reports
    needs_ground_truth: bool = False
    needs_model: bool = True
    metrics: tuple[Metric, ...] = ()

    def enabled(self, context: ScoringContext) -> bool:
        """Whether it runs for this scoring (opt-in protocols read `context.options`)."""
        return True

    @abstractmethod
    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        """The protocol's result for one description of one unit (JSON)."""


_PROTOCOLS: dict[str, ScoringProtocol] = {}


def register_protocol(cls: type[ScoringProtocol]) -> type[ScoringProtocol]:
    """Register a protocol class (one instance serves every unit)."""
    _PROTOCOLS[cls.name] = cls()
    return cls


def unregister_protocol(name: str) -> None:
    """Remove a protocol (for tests that plug one in and out)."""
    _PROTOCOLS.pop(name, None)


def registered_protocols() -> list[ScoringProtocol]:
    """The protocols registered so far, in registration order."""
    return sorted(_PROTOCOLS.values(), key=lambda p: (p.order, p.name))
