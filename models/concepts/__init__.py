"""The concept vocabulary: named concepts of each modality and their detectors.

`vision` detects colours, shapes, patterns, counts, positions and text from pixels; `text`
detects lexicon, pattern and semantic concepts per token; `base` holds the Concept record and
the one phrasing of compositions; `lexicons` the word lists.
"""

from __future__ import annotations

from models.concepts.base import (
    COMPOSITIONS,
    Composition,
    Concept,
    composition_label,
    phrase_composition,
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


def describe(modality: str, composition: str, concepts: list[str]) -> tuple[str, str]:
    """(description, label) of vocabulary concepts composed one way, in plain words."""
    known = vocabulary(modality)
    phrases = [known[c].phrase if c in known else c.replace("_", " ") for c in concepts]
    return phrase_composition(composition, phrases), composition_label(composition, concepts)


__all__ = ["COMPOSITIONS", "Composition", "Concept", "composition_label", "describe",
           "phrase_composition", "vocabulary"]
