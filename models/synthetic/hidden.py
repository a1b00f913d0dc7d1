"""Hidden concepts: named detectors for ground-truth units that no tool can screen for.

The concept vocabulary (`models.concepts.vocabulary`) is what tools build stimuli from, screen
and tag; hidden concepts are deliberately outside it, so a unit built on one can only be
explained by looking at what it does (design.md: "hidden-concept suites use detectors no tool
exposes"). The detectors live in `hidden_text` and `hidden_vision`; this module names them,
says in plain words what each computes, and computes their maps. Only `models.synthetic` and
the benchmark's suites use it; `tests/models/test_hidden_concepts.py` checks that no tool or
policy imports it. The concepts marked "unseen" below were added after the evidence tools were
written and back the `unseen-<m>` suites alone: nobody designed a tool with them in mind, so
those suites show whether the tools generalise beyond the concepts they were built around. The
concepts marked "blind" were chosen, by someone who did not read the evidence tools or the
agent, after both were written, and back the `blind-<m>` suites alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.errors import ModelsError, choices
from models.synthetic.hidden_text import (
    LONG_WORD,
    SHORT_WORD,
    TEXT_DETECTORS,
    hidden_text_scores,
)
from models.synthetic.hidden_vision import VISION_DETECTORS, hidden_vision_maps


@dataclass(frozen=True)
class HiddenConcept:
    """A hidden concept: its name, modality and how a ground-truth description names it.

    Attributes:
        name: identifier in unit specs and suite files.
        modality: vision or text.
        phrase: how a description names it ("words with a double letter").
    """

    name: str
    modality: str
    phrase: str


_PHRASES: dict[str, dict[str, str]] = {
    "text": {
        "french_words": "French words (bonjour, merci, avec, maison, croissant)",
        "double_letters": "words with a double letter (coffee, rabbit, letter)",
        "palindromes": "palindromic words that read the same backwards (did, dad, level)",
        "past_tense": "past-tense verb forms (regular -ed forms and irregular ones such as "
                      "went, felt, was)",
        "long_words": f"long words of {LONG_WORD} letters or more",
        "time_of_day_words": "words for parts of the day (morning, evening, night, noon), "
                             "not clock times",
        "title_case_inside": "capitalised words inside a sentence (names of places, months "
                             "and weekdays), not the first word",
        "large_numbers": "numbers of 100 or more written in digits",
        "rhyming_endings": "the last words of sentences that rhyme with the last word of "
                           "another sentence in the same text",
        # unseen: no evidence tool was designed against these (the `unseen-text` suite)
        "vowel_initial": "words beginning with a vowel (apple, every, island, orange, under)",
        "ing_forms": "words ending in -ing (running, singing, morning)",
        "short_words": f"short words of {SHORT_WORD} letters or fewer (the, cat, is)",
        "ly_words": "words ending in -ly (quickly, really, early)",
        # blind: chosen without reading the evidence tools (the `blind-text` suite)
        "x_words": "words containing the letter x (box, next, explained, example)",
        "after_comma": "the word right after a comma (everyone, the, my)",
        "no_vowel_words": "words with no vowel letters (by, my, why, rhythm)",
        "wh_words": "words beginning with wh (when, where, while, white)",
    },
    "vision": {
        "three_objects": "scenes with exactly three objects",
        "centre_objects": "objects near the centre of the image",
        "dark_objects": "objects much darker than the background",
        "warm_objects": "objects in warm colours (red, orange, yellow, pink)",
        "large_objects": "large objects (covering at least 3 % of the image)",
        "colour_twins": "objects that share their colour with another object in the scene",
        "symmetric_layout": "scenes whose objects are mirror-symmetric left to right",
        # unseen: no evidence tool was designed against these (the `unseen-vision` suite)
        "two_objects": "scenes with exactly two objects",
        "small_objects": "small objects (the smallest quarter of object sizes)",
        "light_objects": "objects much lighter than the background",
        "corner_objects": "objects near a corner of the image",
        # blind: chosen without reading the evidence tools (the `blind-vision` suite)
        "level_objects": "objects level with another object (at the same height in the image)",
        "close_objects": "objects close to another object (within 30 % of the image side of "
                         "it)",
        "largest_object": "the largest object in a scene that holds more than one",
        "shape_twins": "objects whose shape appears more than once in the scene",
    },
}


HIDDEN_CONCEPTS: dict[str, dict[str, HiddenConcept]] = {
    modality: {name: HiddenConcept(name, modality, phrase) for name, phrase in table.items()}
    for modality, table in _PHRASES.items()
}


assert set(HIDDEN_CONCEPTS["text"]) == set(TEXT_DETECTORS)
assert set(HIDDEN_CONCEPTS["vision"]) == set(VISION_DETECTORS)


def hidden_concepts(modality: str) -> dict[str, HiddenConcept]:
    """The hidden concepts of a modality, by name."""
    if modality not in HIDDEN_CONCEPTS:
        raise ModelsError(f"unknown modality {modality!r}; valid: vision, text")
    return HIDDEN_CONCEPTS[modality]


def hidden_maps(modality: str, names: list[str], stimuli: list) -> np.ndarray:
    """Maps of hidden concepts: `[b, names, 28, 28]` for images, `[b, names, tokens]` for texts.

    Raises:
        ModelsError: a name that is not a hidden concept of the modality.
    """
    known = hidden_concepts(modality)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ModelsError(f"unknown hidden {modality} concept(s) {unknown}; valid: "
                          f"{choices(sorted(known))}")
    if modality == "vision":
        return hidden_vision_maps(names, stimuli)
    return hidden_text_scores(names, stimuli)
