"""Telling two explanations apart on fresh stimuli: a vocabulary concept (which the generators
can draw) against an open property the evidence found (a scene's layout, a word's shape or
surface feature), where both fit the exemplars and co-occur there.

A fresh batch of procedural stimuli (a seed the exemplar cache never used) is split four ways:
concept with and without the property, property without the concept, neither. Whichever
drives the unit in the absence of the other is the better explanation; one that moves it
nowhere on its own was riding on the other (a 2x2 design by selection, for properties no
generator can switch on).
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field

from models.concepts import vocabulary
from models.recording import activations, resolve_unit
from tools.context import ToolContext, ToolError
from tools.contrast import concept_tags
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult

#: A cell needs this many stimuli for its mean to count.
MIN_CELL = 5
#: Standardised effect (difference of cell means over the batch's standard deviation) from
#: which an explanation "drives" the unit on its own, and below which it does not.
DRIVES, IDLE = 0.5, 0.2
#: Fresh-stimulus seeds start here (the exemplar caches use seed 0, the held-out pool 7).
SEED_BASE = 9100


class Cell(BaseModel):
    n: int
    mean: float | None


class Dissociation(ToolResult):
    """`dissociate`: the unit in the four cells of concept x property on fresh stimuli."""

    unit: str
    concepts: list[str]
    composition: str
    property: str
    n: int
    cells: dict[str, Cell]  # both, concept_only, property_only, neither
    concept_alone: float | None  # standardised effect of the concept without the property
    property_alone: float | None  # of the property without the concept
    verdict: str  # "property", "concept", "both", "neither" or "too few"

    def headline(self) -> str:
        if self.verdict == "property" and self.concept_alone is None:
            return (f"Without the concept, {self.property!r} still drives the unit; the "
                    "concept never occurs without it here (a special case of it).")
        if self.verdict == "concept" and self.property_alone is None:
            return (f"Without {self.property!r}, the concept still drives the unit; the "
                    "property never occurs without it here (a special case of it).")
        return {"property": f"Without the concept, {self.property!r} still drives the unit; "
                            f"the concept without it does not: the concept was riding on it.",
                "concept": f"The concept drives the unit without {self.property!r}; the "
                           f"property without the concept does not.",
                "both": "Each drives the unit without the other.",
                "neither": "Neither drives the unit without the other.",
                "too few": "Too few fresh stimuli fall in a cell to tell them apart."
                }[self.verdict]


def _concept_holds(tags: set[str], concepts: list[str], composition: str) -> bool:
    if composition == "or":
        return any(c in tags for c in concepts)
    return all(c in tags for c in concepts)


def named_property(description: str, modality: str) -> tuple[set[str], Any]:
    """What a description names that the agent's reader can check on one stimulus: its
    feature or layout items, and (texts) a test of word shape, None when it names none."""
    from tools.description_fit import named_features
    from tools.word_shape import shape_test

    features = named_features(description, modality)
    test = shape_test(description) if modality == "text" else None
    if test is not None:  # "long words of 11 letters or more": the cut, not 9+ letters
        features -= {"long word (9+ letters)"}
    return features, test


def can_test(description: str, modality: str) -> bool:
    """Whether `dissociate` can test a description's property on a stimulus."""
    features, test = named_property(description, modality)
    return bool(features) or test is not None


def property_test(description: str, modality: str, stimuli: list,
                  tokens: list[list[str]] | None = None) -> list[bool] | None:
    """Whether each stimulus has the property a description names in words the agent's
    reader tests (a scene layout phrase, a word shape, a named surface feature of a token;
    texts come with the unit's `tokens`); None when it names none."""
    features, test = named_property(description, modality)
    if not features and test is None:
        return None
    if modality == "vision":
        from tools.vision_evidence import image_scene_features, size_cuts

        cuts = size_cuts(stimuli)
        return [bool(features & set(image_scene_features(s, cuts))) for s in stimuli]
    import re

    from tools.text_evidence import surface_features

    found = []
    for text, words in zip(stimuli, tokens or [[] for _ in stimuli], strict=True):
        hit = any(features & set(surface_features(words, i)) for i in range(len(words))) \
            if features else False
        if test is not None:
            hit = hit or any(test(w) for w in re.findall(r"[A-Za-z]+", text))
        found.append(hit)
    return found


def fresh_stimuli(modality: str, n: int, seed: int) -> list:
    if modality == "vision":
        from models.corpora import generated_images

        return generated_images(n, seed=SEED_BASE + seed).load()
    from models.stimuli.texts.writer import corpus

    return corpus(n, seed=SEED_BASE + seed)


@tool("vision", result=Dissociation)
@tool("text", result=Dissociation)
def dissociate(ctx: ToolContext, unit: str, concepts: list[str], property: str,
               composition: str = "single",
               n: Annotated[int, Field(ge=40, le=400)] = 160, seed: int = 0) -> Observation:
    """Which of two explanations drives the unit when the other is absent: vocabulary
    `concepts` (one, or two joined by `composition` "or"/"and") against an open `property`
    described in words the reader tests ("objects lighter than the background", "words ending
    in '-ly'"), on n fresh procedural stimuli split by both.

    Args:
        unit: the unit address '<model>:<layer>:<index>'.
        concepts: one or two vocabulary concepts.
        property: the open property, in the evidence's own words.
        composition: how two concepts combine: "single", "or" or "and".
        n: fresh stimuli to draw.
        seed: change it for another fresh batch.
    """
    address, model, _ = resolve_unit(unit)
    modality = model.modality
    known = set(vocabulary(modality))
    unknown = [c for c in concepts if c not in known]
    if not concepts or len(concepts) > 2 or unknown:
        raise ToolError(f"concepts: give one or two vocabulary concepts; unknown: {unknown}")
    if composition not in ("single", "or", "and"):
        raise ToolError("composition: 'single', 'or' or 'and'")
    stimuli = fresh_stimuli(modality, n, seed)
    recorded = activations(str(address), stimuli)
    has_property = property_test(property, modality, stimuli, recorded.tokens)
    if has_property is None:
        raise ToolError(f"property: {property!r} names nothing the reader can test on a "
                        "stimulus (a scene layout phrase, a word shape or a surface feature)")
    tags = concept_tags(modality, stimuli)
    values = np.asarray(recorded.values, dtype=float)
    has_concept = [_concept_holds(t, list(concepts), composition) for t in tags]
    masks = {"both": [a and b for a, b in zip(has_concept, has_property, strict=True)],
             "concept_only": [a and not b for a, b in zip(has_concept, has_property,
                                                            strict=True)],
             "property_only": [b and not a for a, b in zip(has_concept, has_property,
                                                             strict=True)],
             "neither": [not a and not b for a, b in zip(has_concept, has_property,
                                                          strict=True)]}
    cells = {k: Cell(n=int(sum(m)), mean=round(float(values[np.array(m)].mean()), 5)
                     if sum(m) else None) for k, m in masks.items()}
    spread = float(values.std()) or 1.0

    def effect(cell: str) -> float | None:
        # a one-sided cell may be small (3): the special-case rule reads it alone
        other = "property_only" if cell == "concept_only" else "concept_only"
        least = 3 if cells[other].n < MIN_CELL else MIN_CELL
        if cells[cell].n < least or cells["neither"].n < MIN_CELL:
            return None
        return round((cells[cell].mean - cells["neither"].mean) / spread, 3)

    concept_alone, property_alone = effect("concept_only"), effect("property_only")
    verdict = _verdict(concept_alone, property_alone)
    result = Dissociation(unit=str(address), concepts=list(concepts), composition=composition,
                          property=property, n=n, cells=cells, concept_alone=concept_alone,
                          property_alone=property_alone, verdict=verdict)
    lines = [result.headline()] + [
        f"  {name}: n={cell.n}, mean {cell.mean if cell.mean is not None else '-'}"
        for name, cell in cells.items()]
    return Observation("dissociate", "\n".join(lines), result=result)


#: One explanation wins outright when its effect alone is at least this many times the
#: other's (a weak correlate's small effect does not make it a co-cause).
DOMINATES = 3.0


def _verdict(concept: float | None, prop: float | None) -> str:
    """Which explanation drives the unit without the other. When one never occurs without the
    other in the batch (the concept is a special case of the property, or the reverse), the
    one that does occur alone decides by whether it drives the unit there."""
    if concept is None and prop is None:
        return "too few"
    if concept is None:
        return "property" if prop >= DRIVES else "too few"
    if prop is None:
        return "concept" if concept >= DRIVES else "too few"
    if prop >= DRIVES and concept < max(IDLE, prop / DOMINATES):
        return "property"
    if concept >= DRIVES and prop < max(IDLE, concept / DOMINATES):
        return "concept"
    if prop >= DRIVES and concept >= DRIVES:
        return "both"
    return "neither" if prop < IDLE and concept < IDLE else "both"


def dissociation_row(result: dict[str, Any]) -> str:
    """One line for a transcript note."""
    return (f"concept alone {result.get('concept_alone')}, property alone "
            f"{result.get('property_alone')} (standardised, fresh stimuli): {result['verdict']}")
