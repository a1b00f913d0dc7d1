"""The concept vocabulary: named concepts of each modality and their detectors.

`vision` detects colours, shapes, patterns, counts, positions and text from pixels; `text`
detects lexicon, pattern and semantic concepts per token; `base` holds the Concept record and
the one phrasing of compositions; `trees` the composition trees (nested compositions and their
JSON form); `lexicons` the word lists.
"""

from __future__ import annotations

from models.concepts.base import (
    COMPOSITIONS,
    Composition,
    Concept,
    composition_label,
    phrase_composition,
)
from models.concepts.trees import (
    OPERATORS,
    CompositionNode,
    Tree,
    flat_tree,
    is_flat,
    leaves,
    parse_tree,
    tree_label,
    tree_to_json,
)
from models.errors import ModelsError


def vocabulary(modality: str) -> dict[str, Concept]:
    """The concept vocabulary stimuli can be built from and detectors tag, for a modality."""
    if modality == "vision":
        from models.concepts.vision import VISION_CONCEPTS

        return VISION_CONCEPTS
    if modality == "text":
        from models.concepts.text import TEXT_CONCEPTS

        return TEXT_CONCEPTS
    raise ModelsError(f"unknown modality {modality!r}; valid: vision, text")


def describe(modality: str, composition: str | Tree,
             concepts: list[str] | None = None) -> tuple[str, str]:
    """(description, label) of vocabulary concepts composed one way, in plain words.

    Args:
        modality: vision or text.
        composition: a composition name (then `concepts` names the concepts in order) or a
            composition tree (its leaves are the concepts).
        concepts: the concepts of a named composition.
    """
    if isinstance(composition, CompositionNode):
        names = list(leaves(composition))
    else:
        names = list(concepts or [])
    known = vocabulary(modality)
    phrases = [known[c].phrase if c in known else c.replace("_", " ") for c in names]
    if isinstance(composition, CompositionNode):
        label = (composition_label(composition.op, names) if is_flat(composition)
                 else tree_label(composition))
        return phrase_composition(composition, phrases), label
    return phrase_composition(composition, phrases), composition_label(composition, names)


__all__ = ["COMPOSITIONS", "OPERATORS", "Composition", "CompositionNode", "Concept", "Tree",
           "composition_label", "describe", "flat_tree", "leaves", "parse_tree",
           "phrase_composition", "tree_label", "tree_to_json", "vocabulary"]
