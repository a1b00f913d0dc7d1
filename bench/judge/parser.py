"""Reading a description into vocabulary concepts and a composition (no model needed)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from models.concepts import vocabulary

# Synonyms too short or too generic to mark a concept on their own ("I", "me", "not", ...):
# "not" is a composition cue and "dates" is shared by years and weekday names.
_SKIP_TERMS = {"i", "me", "we", "not", "never", "dates", "words", "hours", "games", "tech"}


# Composition cues. Parenthesised examples are removed first: "(not, no, never)" names the
# negation concept, it is not a cue.
_EXCLUDE_CUES = re.compile(
    r"\b(unless|except|excluding|exclude[sd]?|but not|and not|not when|not if|not on|not in|not "
    r"for|other than|without|absent|suppress\w*|inhibit\w*|silenc\w*|silent when|silent if|"
    r"never when|not (?:a |an |the )?\w+ (?:that|which|where))\b", re.I)


_AND_CUES = re.compile(
    r"\b(only together|together with|that are also|which are also|both|all of|only when|only "
    r"if|only in|only with|only on|also contains?|in combination|combined with|conjunction|"
    r"co-?occur\w*|in the presence of|at the same time|same time|along with|requires?|"
    r"accompanied by|paired with|joint|simultaneous\w*|when (?:there (?:is|are) )?also)\b",
    re.I)


_OR_CUES = re.compile(r"\b(or|either|whether|any of|as well as|and also|alike)\b", re.I)


# Gaps between two concept mentions that bind them into one thing ("red circles",
# "circles on the left", "triangles drawn over a striped background"): a conjunction.
_BINDING_GAP = re.compile(
    r"^(?:[\s,-]|\b(?:the|a|an|on|in|at|of|over|located|placed|drawn|positioned|shown|"
    r"coloured|colored|painted|that|which|are|is|with|against)\b)*$", re.I)


@dataclass(frozen=True)
class Parsed:
    """What a description says: concepts in order of first mention and their composition."""

    concepts: tuple[str, ...]
    composition: str  # single | or | and | and_not | none

    def to_json(self) -> dict[str, Any]:
        return {"concepts": list(self.concepts), "composition": self.composition}


# Words that name a concept in this vocabulary but are not in its phrase or synonyms.
_EXTRA_TERMS: dict[str, tuple[str, ...]] = {
    "horizontal_stripes": ("horizontally", "horizontal"),
    "vertical_stripes": ("vertically", "vertical"),
    "diagonal_stripes": ("diagonally", "diagonal"),
    "places": ("country", "city", "capital", "place"),
    "questions": ("question", "interrogative sentences"),
    "many_objects": ("many objects", "lots of objects", "five or more objects"),
    "text": ("written text", "lettering"),
    "emotions_positive": ("positive emotions", "positive emotion", "happy words"),
    "emotions_negative": ("negative emotions", "negative emotion", "sad words"),
    "first_person": ("first person", "first-person pronouns"),
    "number_words": ("spelled out numbers", "number words"),
    "negation": ("negated", "negation word", "negations"),
    "all_caps": ("all caps", "capitalised words", "capitalized words"),
}


def _variants(term: str) -> set[str]:
    """A term and its simple plural and singular forms."""
    term = term.strip().lower()
    out = {term}
    if term.endswith("ies") and len(term) > 5:
        out.add(term[:-3] + "y")
    if term.endswith("s") and len(term) > 4:
        out.add(term[:-1])
    if term.endswith("es") and len(term) > 5:
        out.add(term[:-2])
    out |= {term + "s", term + "es"} if not term.endswith("s") else set()
    return {t for t in out if t}


def _terms(concept: Any) -> set[str]:
    """Every surface form that names a concept in a description."""
    phrase = re.sub(r"\s*\(.*?\)", "", concept.phrase).strip().lower()
    phrase = re.sub(r"^(a|an|the)\s+", "", phrase)
    terms = {concept.name.replace("_", " "), concept.name.replace("_", "-"), phrase,
             *(s.lower() for s in concept.synonyms), *_EXTRA_TERMS.get(concept.name, ())}
    # the phrase's words without a generic head ("red regions" -> "red", "music words" ->
    # "music"): descriptions often use the bare word
    for head in (" regions", " words", " word", " background", " texture in the background"):
        if phrase.endswith(head):
            terms.add(phrase[: -len(head)])
    for lead in ("words for ", "words about ", "names of ", "sentences about "):
        if phrase.startswith(lead):
            terms.add(phrase[len(lead):])
    found = set()
    for term in terms:
        found |= _variants(term)
    return {t for t in found if t not in _SKIP_TERMS and len(t) > 2}


@functools.cache
def _term_table(modality: str) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, concept) pairs, longest terms first so "numbers written as words" wins."""
    pairs: dict[str, str] = {}
    for concept in vocabulary(modality).values():
        for term in _terms(concept):
            pairs.setdefault(term, concept.name)
    table = []
    for term in sorted(pairs, key=len, reverse=True):
        words = [re.escape(w) for w in re.split(r"[\s-]+", term)]
        table.append((re.compile(r"\b" + r"[\s-]+".join(words) + r"\b", re.I), pairs[term]))
    return table


def mentions(description: str, modality: str) -> list[tuple[int, int, str]]:
    """Concept mentions `(start, end, concept)` in text order; longer terms win overlaps."""
    taken = [False] * len(description)
    found = []
    for pattern, concept in _term_table(modality):
        for match in pattern.finditer(description):
            a, b = match.span()
            if any(taken[a:b]):
                continue
            taken[a:b] = [True] * (b - a)
            found.append((a, b, concept))
    return sorted(found)


# Clause boundaries: a sentence end, a semicolon, or just before "but"/"while"/"whereas".
_CLAUSE = re.compile(r"[;.]\s+|[;.]$|(?=,?\s\b(?:but|while|whereas)\b)", re.I)


# A clause that says what silences the unit ("... leave it silent", "... suppresses it").
_SILENCING = re.compile(
    r"\b(silenc\w*|silent|suppress\w*|inhibit\w*|turns? it off|shuts? it off|kills? it|"
    r"blocks? it|prevents? it|stops? it)\b", re.I)


def _relation(gap: str, head: str) -> str:
    """The relation a gap of text between two concept mentions expresses."""
    if _EXCLUDE_CUES.search(gap):
        return "exclude"
    if _AND_CUES.search(gap) or _AND_CUES.search(head) or _BINDING_GAP.match(gap):
        return "and"
    if _OR_CUES.search(gap) or re.search(r"\band\b|,", gap):
        return "or"
    return "and"


def parse(description: str, modality: str) -> Parsed:
    """Read a description into vocabulary concepts and a composition (no model needed).

    The description is cut into clauses. In the main claim (the first clause with a concept,
    and any later clause that is not about what silences the unit) the text between a
    concept's first mention and the previous one decides the relation: an exclusion cue
    ("unless", "except", "but not", "without") marks that concept as the one that silences the
    unit (AND-NOT); a conjunction cue ("only together", "both", "that are also") or a binding
    gap ("red circles") gives AND; otherwise a listing gives OR. A clause saying what silences
    the unit ("a negation word silences it") adds its new concepts as excluded ones, unless the
    main claim is already a conjunction (then they are the usual controls: "red squares leave
    it silent").
    """
    text = re.sub(r"\([^()]*\)", lambda m: " " * len(m.group()), description)
    found = mentions(text, modality)
    if not found:
        return Parsed((), "none")
    bounds = [0, *sorted({m.end() for m in _CLAUSE.finditer(text)} | {m.start() for m in
                                                                      _CLAUSE.finditer(text)}),
              len(text)]

    def clause_of(position: int) -> tuple[int, int]:
        for a, b in zip(bounds, bounds[1:], strict=False):
            if a <= position < b:
                return a, b
        return bounds[-2], bounds[-1]

    order: list[str] = []
    relations: list[str] = []
    excluded_late: list[str] = []
    previous_end = None
    head = ""
    for a, b, concept in found:
        if concept in order or concept in excluded_late:
            # a repeated mention does not move the gap start: "red regions except where the
            # red thing is a circle" keeps its "except"
            continue
        start, end = clause_of(a)
        silencing = bool(order) and bool(_SILENCING.search(text[start:end])) and \
            not _EXCLUDE_CUES.search(text[previous_end or 0:a])
        if silencing:
            excluded_late.append(concept)
        elif not order:
            head = text[:a]
            order.append(concept)
        else:
            relations.append(_relation(text[previous_end or 0:a], head))
            order.append(concept)
        previous_end = b
    excluded = [c for c, r in zip(order[1:], relations, strict=True) if r == "exclude"]
    kept = [c for c in order if c not in excluded]
    kinds = {r for r in relations if r != "exclude"}
    if excluded_late and "and" not in kinds:
        excluded += excluded_late
    if excluded and kept:
        return Parsed((*kept, *excluded), "and_not")
    if len(kept) == 1:
        return Parsed(tuple(kept), "single")
    if kinds == {"and"}:
        return Parsed(tuple(order), "and")
    if kinds == {"or"}:
        return Parsed(tuple(order), "or")
    return Parsed(tuple(order), "and" if _AND_CUES.search(text) else "or")
