"""The errors of the models layer: each says what was wrong and what would be valid."""

from __future__ import annotations


class ModelsError(ValueError):
    """Base class: a request to the models layer that cannot be served as asked."""


class UnitAddressError(ModelsError):
    """A unit address that does not parse or names nothing that exists."""


class UnknownModelError(UnitAddressError):
    """A model name that no loader knows."""


class UnknownLayerError(UnitAddressError):
    """A layer that the model does not have."""


class UnitIndexError(UnitAddressError):
    """A unit index outside the layer's range."""


class ModelUnavailableError(ModelsError):
    """A known model that cannot be loaded on this machine (no weights, no network)."""


class StimulusError(ModelsError):
    """A stimulus of the wrong type, unreadable, too large or empty."""


def choices(names: list[str] | tuple[str, ...], limit: int = 12) -> str:
    """Format a list of valid choices for an error message, eliding long lists."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    head = ", ".join(names[: limit - 2])
    return f"{head}, ... , {names[-1]} ({len(names)} in all)"
