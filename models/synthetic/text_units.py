"""The built-in synthetic text units (ground truth), their per-token maps, and texts on which
each should fire.

The composition rule is `models.synthetic.base.evaluate`, the same for both modalities: AND
fires on tokens of the first concept in texts that also contain the others; AND-NOT fires on
tokens of the first concept in texts that do not contain the second (text-level gating, since
two concepts rarely share a token); OR is position-wise; the bound operators are per token.
"""

from __future__ import annotations

import numpy as np

from models.concepts.base import composition_label, phrase_composition
from models.concepts.text import TEXT_CONCEPTS
from models.errors import ModelsError
from models.stimuli.texts.writer import sentences_with
from models.synthetic.base import SyntheticUnitSpec, evaluate
from models.synthetic.detect import unit_maps


def text_unit_map(spec: SyntheticUnitSpec, scores: np.ndarray) -> np.ndarray:
    """Combine the concept maps of one text unit into its per-token map.

    Args:
        spec: the unit.
        scores: `[batch, len(spec.concepts), tokens]`, the scores of the unit's concepts in
            order (as `text_concept_scores(spec.concepts, texts)[0]` returns them).

    Returns:
        `[batch, tokens]` float32 in [0, 1], combined by `evaluate` along the unit's tree.
    """
    scores = np.asarray(scores, dtype=np.float32)
    if scores.ndim != 3 or scores.shape[1] != len(spec.concepts):
        raise ModelsError(f"unit {spec.id} has {len(spec.concepts)} concepts, got scores for "
                          f"{scores.shape[1] if scores.ndim == 3 else '?'}")
    maps = {name: scores[:, i] for i, name in enumerate(spec.concepts)}
    return evaluate(spec.unit_tree, maps).astype(np.float32)


def text_unit_activations(
    spec: SyntheticUnitSpec, texts: list[str]
) -> tuple[np.ndarray, list[list[str]]]:
    """The per-token map `[batch, tokens]` of a text unit on texts, and the tokens."""
    maps, tokens = unit_maps(spec, texts)
    assert tokens is not None
    return maps, tokens


def _unit(composition: str, *names: str) -> SyntheticUnitSpec:
    return SyntheticUnitSpec(
        modality="text",
        composition=composition,  # type: ignore[arg-type]
        concepts=names,
        description=phrase_composition(composition, [TEXT_CONCEPTS[n].phrase for n in names]),
        label=composition_label(composition, list(names)),
    )


_SINGLES = [
    "animals",
    "food",
    "colours",
    "family",
    "body",
    "vehicles",
    "places",
    "emotions_positive",
    "emotions_negative",
    "music",
    "days_months",
    "numbers",
    "years",
    "times",
    "prices",
    "urls",
    "emails",
    "all_caps",
    "questions",
    "negation",
    "first_person",
    "quotations",
    "code",
    "sports",
    "medicine",
    "weather",
]


_ORS = [
    ("animals", "vehicles"),
    ("food", "colours"),
    ("urls", "emails"),
    ("questions", "negation"),
    ("family", "professions"),
    ("sports", "weather"),
    ("years", "times"),
    ("emotions_positive", "emotions_negative"),
    ("music", "religion"),
]


_ANDS = [
    ("first_person", "emotions_negative"),
    ("animals", "colours"),
    ("questions", "prices"),
    ("family", "places"),
    ("vehicles", "times"),
    ("food", "prices"),
    ("sports", "places"),
    ("all_caps", "negation"),
    ("animals", "colours", "places"),
]


_AND_NOTS = [
    ("animals", "negation"),
    ("numbers", "prices"),
    ("food", "questions"),
    ("first_person", "quotations"),
    ("colours", "clothing"),
    ("emotions_positive", "negation"),
    ("weather", "places"),
    ("code", "questions"),
    ("family", "first_person"),
]


TEXT_UNITS: list[SyntheticUnitSpec] = [
    *(_unit("single", c) for c in _SINGLES),
    *(_unit("or", *c) for c in _ORS),
    *(_unit("and", *c) for c in _ANDS),
    *(_unit("and_not", *c) for c in _AND_NOTS),
]


def probe_texts(spec: SyntheticUnitSpec, n: int, seed: int, positive: bool) -> list[str]:
    """Texts on which a text unit should fire (positive) or stay silent (negative).

    Positives: single, the concept; OR, any one concept (cycling through them); AND, all
    concepts; AND-NOT, the first concept without the second. Negatives: single, texts
    without it; OR, none of the concepts; AND, some but not all (alternately each concept
    alone, so the hard cases are covered); AND-NOT, alternately both concepts or neither.

    Args:
        spec: a text unit.
        n: how many texts.
        seed: the random seed.
        positive: which side to write.

    Returns:
        `n` texts.
    """
    if spec.modality != "text":
        raise ModelsError(f"unit {spec.id} is a {spec.modality} unit, not a text unit")
    concepts = list(spec.concepts)
    plans: list[tuple[list[str], list[str]]] = []
    if spec.composition == "single":
        plans = [(concepts, []) if positive else ([], concepts)]
    elif spec.composition == "or":
        plans = [([c], []) for c in concepts] if positive else [([], concepts)]
    elif spec.composition == "and":
        if positive:
            plans = [(concepts, [])]
        else:
            plans = [([c], [o for o in concepts if o != c]) for c in concepts]
    else:
        first, second = concepts
        plans = [([first], [second])] if positive else [(concepts, []), ([], concepts)]
    share = [n // len(plans) + (1 if k < n % len(plans) else 0) for k in range(len(plans))]
    texts: list[str] = []
    for k, ((include, exclude), count) in enumerate(zip(plans, share, strict=True)):
        if count:
            texts += sentences_with(include, exclude, count, seed * 101 + k)
    return texts
