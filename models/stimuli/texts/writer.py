"""Writing texts that express given concepts and avoid others, and the offline template corpus."""

from __future__ import annotations

import random
import re

from models.concepts.lexicons import LEXICONS, SUBLEXICON_PARENT, SUBLEXICONS, plural
from models.concepts.text import text_concept_scores
from models.errors import ModelsError, choices
from models.stimuli.texts.templates import (
    ABSTRACT_TEMPLATES,
    CAPS,
    DOMAINS,
    IDENTIFIERS,
    LEXICON_TEMPLATES,
    MIXED_TEMPLATES,
    MONTHS,
    OBJECTS,
    PATHS,
    PATTERN_TEMPLATES,
    PEOPLE,
    ROOMS,
    TOPIC_SENTENCES,
    USERS,
)


def _fill(template: str, rng: random.Random, word: str = "") -> str:
    """Fill a template's slots with words drawn from `rng`."""
    obj = rng.choice(OBJECTS)
    ident = rng.choice(IDENTIFIERS)
    who = rng.choice(PEOPLE)
    values = {
        "w": word,
        "a_w": f"{'an' if word[:1] in 'aeiou' else 'a'} {word}",
        "A_w": f"{'An' if word[:1] in 'aeiou' else 'A'} {word}",
        "pct": str(rng.randint(1, 99)),
        "ws": plural(word),
        "W": word.capitalize(),
        "obj": obj,
        "objs": plural(obj),
        "room": rng.choice(ROOMS),
        "who": who,
        "Who": who.capitalize(),
        "n": str(rng.randint(2, 999)),
        "d": str(rng.randint(1, 9)),
        "y": str(rng.randint(1600, 2030)),
        "h": str(rng.randint(0, 23)),
        "h12": str(rng.randint(1, 12)),
        "mm": f"{rng.randrange(0, 60, 5):02d}",
        "ampm": rng.choice(["am", "pm"]),
        "cc": f"{rng.randint(0, 99):02d}",
        "dom": rng.choice(DOMAINS),
        "path": rng.choice(PATHS),
        "user": rng.choice(USERS),
        "caps": rng.choice(CAPS),
        "ident": ident,
        "Ident": ident.capitalize(),
    }

    # Fill slot by slot so that repeated slots ({food}, {food}) draw fresh words.
    def slot(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in LEXICONS:
            picked = rng.choice(LEXICONS[key])
            return picked.capitalize() if key in ("places", "days_months") else picked
        return values[key]

    return re.sub(r"\{(\w+)\}", slot, template)


def realize(concept: str, rng: random.Random) -> str:
    """One short sentence that expresses `concept` (a text concept name) and little else.

    Raises:
        ModelsError: the concept has no realization here.
    """
    if concept in TOPIC_SENTENCES:
        return rng.choice(TOPIC_SENTENCES[concept])
    if concept in PATTERN_TEMPLATES:
        return _fill(rng.choice(PATTERN_TEMPLATES[concept]), rng)
    if concept in SUBLEXICONS:
        # a narrower concept is written with its parent's templates
        word = rng.choice(SUBLEXICONS[concept])
        template = rng.choice(LEXICON_TEMPLATES.get(SUBLEXICON_PARENT[concept],
                                                    ABSTRACT_TEMPLATES))
        return _fill(template, rng, word)
    if concept in LEXICONS:
        word = rng.choice(LEXICONS[concept])
        if concept == "days_months":
            template = (
                "The {obj} arrived in {W}." if word in MONTHS else "The {obj} arrived on {W}."
            )
            if rng.random() < 0.5:
                template = template.replace("The {obj} arrived", "They cleaned the {room}")
        else:
            template = rng.choice(LEXICON_TEMPLATES.get(concept, ABSTRACT_TEMPLATES))
        return _fill(template, rng, word)
    raise ModelsError(
        f"no way to write a text about {concept!r}; known: {choices(concept_names())}"
    )


def concept_names() -> list[str]:
    """Every concept that `realize` and `sentences_with` can write about."""
    return [*_broad_concepts(), *SUBLEXICONS]


def _broad_concepts() -> list[str]:
    """The concepts the corpus and fillers draw from (sub-lexicons are covered by parents)."""
    return [*LEXICONS, *PATTERN_TEMPLATES, *TOPIC_SENTENCES]


def corpus(n: int = 2000, seed: int = 0) -> list[str]:
    """Diverse short texts (5-40 words) over many topics and forms, deterministic in `seed`.

    Args:
        n: how many texts.
        seed: the random seed; the same seed gives the same list.

    Returns:
        `n` distinct texts.

    Raises:
        ModelsError: `n` is below 1.
    """
    if n < 1:
        raise ModelsError(f"corpus size must be at least 1, got {n}")
    rng = random.Random(seed)
    names = _broad_concepts()
    texts: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(texts) < n:
        attempts += 1
        if attempts > 50 * n:
            # Only reachable for huge n: the templates cannot yield that many distinct texts.
            raise ModelsError(f"could only build {len(texts)} distinct texts, asked for {n}")
        if rng.random() < 0.2:
            text = _fill(rng.choice(MIXED_TEMPLATES), rng)
        else:
            # up to four concepts per text, so that most concept pairs co-occur in a corpus of
            # a few thousand texts (exemplars of AND units need such texts)
            parts = [realize(rng.choice(names), rng) for _ in range(rng.randint(1, 4))]
            text = " ".join(parts)
        if text in seen or not 5 <= len(text.split()) <= 40:
            continue
        seen.add(text)
        texts.append(text)
    return texts


#: Minimum detector score for a concept to count as present, and maximum for absent.
PRESENT_AT = 0.6


ABSENT_BELOW = 0.4


def sentences_with(include: list[str], exclude: list[str], n: int, seed: int) -> list[str]:
    """Texts that contain every concept in `include` and none in `exclude`.

    Each text joins a sentence realizing each included concept with up to two sentences about
    other, non-excluded concepts, in random order. Every candidate is then checked with the
    concept detectors of `models.concepts.text` (present: score >= PRESENT_AT somewhere;
    absent: score < ABSENT_BELOW everywhere), so accidental mentions are filtered out.

    Args:
        include: concept names that must all be present.
        exclude: concept names that must all be absent.
        n: how many texts.
        seed: the random seed; the same arguments give the same texts.

    Returns:
        `n` texts (distinct where the templates allow).

    Raises:
        ModelsError: unknown concept names, a concept both included and excluded, or no
            satisfying texts found within the attempt budget.
    """
    include, exclude = list(include), list(exclude)
    known = concept_names()
    for name in [*include, *exclude]:
        if name not in known:
            raise ModelsError(f"unknown text concept {name!r}; valid: {choices(known)}")
    both = set(include) & set(exclude)
    if both:
        raise ModelsError(f"concepts cannot be both included and excluded: {sorted(both)}")
    if n < 1:
        raise ModelsError(f"n must be at least 1, got {n}")
    rng = random.Random(f"{seed}|{'+'.join(include)}|{'-'.join(exclude)}")
    fillers = [c for c in _broad_concepts() if c not in include and c not in exclude]
    checked = [*include, *exclude]
    accepted: list[str] = []
    seen: set[str] = set()
    for _ in range(40):
        candidates = []
        for _ in range((3 * (n - len(accepted))) // 2 + 4):
            parts = [realize(c, rng) for c in include]
            extra = rng.randint(0 if include else 1, 2)
            parts += [realize(rng.choice(fillers), rng) for _ in range(extra)]
            rng.shuffle(parts)
            candidates.append(" ".join(parts))
        if checked:
            scores, _ = text_concept_scores(checked, candidates)
            presence = scores.max(axis=2)
        for i, text in enumerate(candidates):
            if checked:
                row = presence[i]
                if (row[: len(include)] < PRESENT_AT).any():
                    continue
                if (row[len(include) :] >= ABSENT_BELOW).any():
                    continue
            if text in seen:
                continue
            seen.add(text)
            accepted.append(text)
            if len(accepted) == n:
                return accepted
    raise ModelsError(
        f"could not write {n} texts with {include} and without {exclude} "
        f"(found {len(accepted)}); the combination may be contradictory"
    )
