"""A concept of the vocabulary, the compositions units are built from, and how both are phrased.

This is the one place that says how a (composed) concept reads in words: the synthetic units'
default ground truth and the policies' descriptions both use `phrase_composition`, for flat
compositions and for composition trees (`models.concepts.trees`) alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from models.concepts.trees import OPERATORS, CompositionNode, Tree, is_flat
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


def phrase_composition(composition: str | Tree, phrases: list[str]) -> str:
    """A description in plain words of concepts (given by their phrases) composed one way.

    Args:
        composition: single, or, and, and_not (the first concept unless the second),
            bound_and, bound_and_not, or a composition tree (`CompositionNode`).
        phrases: the concepts' phrases, in order (for a tree: one per leaf, left to right).
    """
    if isinstance(composition, CompositionNode):
        if not is_flat(composition):
            return _phrase_tree(composition, iter(phrases))
        composition = composition.op
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
    if composition == "bound_and":
        return (f"fires on {phrases[0]} that are also {_join(phrases[1:], 'and')}, all at one "
                f"and the same place")
    if composition == "bound_and_not":
        return f"fires on {phrases[0]}, except where they are also {phrases[1]}"
    raise ModelsError(f"unknown composition {composition!r}; valid: "
                      f"{', '.join(('single', *OPERATORS))}")


def _join(parts: list[str], word: str) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def _noun(tree: Tree, phrases: Iterator[str]) -> str:
    """A noun phrase for a subtree nested inside another operator."""
    if isinstance(tree, str):
        return next(phrases)
    args = [_noun(arg, phrases) for arg in tree.args]
    if tree.op == "or":
        return ("either " if len(args) == 2 else "any of ") + _join(args, "or")
    if tree.op == "and":
        return f"{args[0]} in inputs that also contain {_join(args[1:], 'and')}"
    if tree.op == "and_not":
        return f"{args[0]} in inputs without {args[1]}"
    if tree.op == "bound_and":
        return f"{args[0]} that are also {_join(args[1:], 'and')}"
    return f"{args[0]} that are not {args[1]}"


def _phrase_tree(tree: CompositionNode, phrases: Iterator[str]) -> str:
    """The sentence of a nested tree: its root operator, with its arguments as noun phrases."""
    args = [_noun(arg, phrases) for arg in tree.args]
    if tree.op == "or":
        return "fires on " + " or on ".join(args)
    if tree.op == "and":
        return f"fires on {args[0]}, but only when the input also contains {_join(args[1:], 'and')}"
    if tree.op == "and_not":
        return f"fires on {args[0]}, but not when the input also contains {args[1]}"
    if tree.op == "bound_and":
        return (f"fires on {args[0]} that are also {_join(args[1:], 'and')}, all at one and the "
                f"same place")
    return f"fires on {args[0]}, except where they are also {args[1]}"


def composition_label(composition: str, names: list[str]) -> str:
    """A short label for a composition of concept names: "red & circle", "a | b", ..."""
    symbol = {"single": "", "or": " | ", "and": " & ", "and_not": " & not ",
              "bound_and": " * ", "bound_and_not": " * not "}[composition]
    label = names[0] if composition == "single" else symbol.join(names)
    return label.replace("_", " ")
