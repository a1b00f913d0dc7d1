"""A concept of the vocabulary, the compositions units are built from, and how both are phrased.

This is the one place that says how a (composed) concept reads in words: the synthetic units'
default ground truth and the policies' descriptions both use `phrase_composition`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.errors import ModelsError

Composition = Literal["single", "or", "and", "and_not"]
COMPOSITIONS: tuple[str, ...] = ("single", "or", "and", "and_not")


@dataclass(frozen=True)
class Concept:
    """A detectable concept of the vocabulary.

    Attributes:
        name: identifier used in unit specs and suite files (e.g. "red", "circle", "numbers").
        category: the family it belongs to ("colour", "shape", "lexicon", ...).
        phrase: how a description names it ("red regions", "words for animals").
        synonyms: other words a description may use for it (for judges and parsers).
    """

    name: str
    category: str
    phrase: str
    synonyms: tuple[str, ...] = ()


def phrase_composition(composition: str, phrases: list[str]) -> str:
    """A description in plain words of concepts (given by their phrases) composed one way.

    Args:
        composition: single, or, and, and_not (the first concept unless the second).
        phrases: the concepts' phrases, in order.
    """
    if composition == "single":
        return f"fires on {phrases[0]}"
    if composition == "or":
        return "fires on " + " or on ".join(phrases)
    if composition == "and":
        if len(phrases) == 2:
            return f"fires on {phrases[0]} only together with {phrases[1]} (both must be present)"
        return "fires only when all of these are present: " + "; ".join(phrases)
    if composition == "and_not":
        return f"fires on {phrases[0]}, but not when the input also contains {phrases[1]}"
    raise ModelsError(f"unknown composition {composition!r}; valid: {', '.join(COMPOSITIONS)}")


def composition_label(composition: str, names: list[str]) -> str:
    """A short label for a composition of concept names: "red & circle", "a | b", ..."""
    symbol = {"single": "", "or": " | ", "and": " & ", "and_not": " & not "}[composition]
    label = names[0] if composition == "single" else symbol.join(names)
    return label.replace("_", " ")
