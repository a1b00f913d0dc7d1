"""Everyday knowledge the judge reads image descriptions with, from WordNet's definitions and
hypernyms: "lemon- and banana-coloured patches" is a claim about yellow, "crimson" one about
red, "six-cornered" one about six sides.

A sentence embedder alone does not know what colour a tomato is: the judge's glosses name
colours by their names, and a description that names a colour by a thing of that colour named
nothing (the labelled set's plain paraphrases, `python -m bench calibrate`). WordNet does:
"tomato: mildly acid red or yellow pulpy fruit", "crimson: a deep and vivid red color" (a
hyponym of red), "sky-blue". The rewrite puts the basic colour's name where the description
names it by reference, before the spans are matched to glosses.

WordNet is read through the same loader as the agent's tools (`tools.wordnet.reader`: the
database, not the agent's categories); what is looked up here, and how, is the judge's own.
Without WordNet installed the text is left as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The colours the judge's glosses name, and the WordNet synsets that are each of them.
BASIC = {"red": "red", "orange": "orange", "yellow": "yellow", "green": "green",
         "cyan": "cyan", "blue": "blue", "purple": "purple", "violet": "purple", "pink": "pink",
         "brown": "brown", "black": "black", "white": "white", "grey": "gray", "gray": "gray"}
#: Words that say how light or strong a colour is, not which: "light-coloured" is no colour.
MODIFIERS = frozenset("light dark pale deep bright cool warm vivid muted pastel neutral same "
                      "different other solid single multi strong rich soft".split())


@lru_cache(maxsize=1)
def _gloss_colours() -> dict[str, str]:
    """Colour words of the judge's own colour glosses ("scarlet or crimson areas" for red,
    "turquoise or aqua areas" for cyan): the judge's word for them wins over WordNet's
    hypernyms (which put turquoise under blue and teal under green)."""
    from bench.judge.glosses import GLOSSES

    found: dict[str, str] = {}
    for concept, glosses in GLOSSES["vision"].items():
        if concept in BASIC.values():
            for gloss in glosses:
                for word in re.findall(r"[a-z]+", gloss.lower()):
                    if word not in ("or", "and", "areas", "regions", "coloured", "pitch",
                                    "pale", "blank", "dark", "golden"):
                        found.setdefault(word, concept)
    return found
#: "X-coloured", "X- and Y-coloured", "X-hued", "X-tinted".
_COLOURED = re.compile(r"\b((?:[a-z]+-?\s+(?:and|or)\s+)?[a-z]+)[- ](?:colou?red|hued|tinted)\b",
                       re.I)
#: "the colour of (a|the) (ripe) X (or of Y)": the things run to the end of the phrase.
_COLOUR_OF = re.compile(r"\b(?:the\s+)?(?:colou?r|shade|hue)\s+of\s+((?:[a-z]+\s*)+)", re.I)
#: Words that end the things a colour is "of" ("the colour of blood, but not ...").
_PHRASE_END = frozenset("that which with on in at but except unless only when where while "
                        "not if whose against near".split())
_DETERMINERS = frozenset("a an the of some any ripe".split())
#: Polygons by their corners: "six-cornered" is "six-sided".
_CORNERED = re.compile(r"\b([a-z]+)-(?:cornered|angled)\b", re.I)


@lru_cache(maxsize=1)
def _wordnet():
    from tools.wordnet import reader

    return reader()


def _basic_in(names: list[str]) -> str | None:
    for name in names:
        if name in BASIC:
            return BASIC[name]
    return None


@lru_cache(maxsize=4096)
def colour_sense(word: str) -> str | None:
    """The basic colour a word names as a colour ("crimson" -> red, "lemon" -> yellow: one
    of its senses is a shade of it), else None."""
    wn = _wordnet()
    if wn is None or word in BASIC:
        return BASIC.get(word)
    if word in _gloss_colours():
        return _gloss_colours()[word]
    for synset in wn.synsets(word, pos="n"):
        if synset.lexname() != "noun.attribute":
            continue
        chain = [synset, *synset.closure(lambda s: s.hypernyms())]
        if not any(s.name() in ("color.n.01", "chromatic_color.n.01") for s in chain):
            continue
        found = _basic_in([lemma.name().lower() for s in chain for lemma in s.lemmas()])
        if found:
            return found
    return None


@lru_cache(maxsize=4096)
def colour_of(word: str) -> str | None:
    """The colour of a thing: its colour sense, a compound adjective ("sky-blue"), else the
    first basic colour its definitions name ("grass: narrow-leaved green herbage")."""
    wn = _wordnet()
    if wn is None or word in MODIFIERS:
        return None
    lemma = wn.morphy(word, "n") or word
    found = colour_sense(lemma)
    if found:
        return found
    for name in BASIC:  # adjectives only: "grass pink" is an orchid
        if any(s.pos() in ("a", "s") for s in wn.synsets(f"{lemma}-{name}")):
            return BASIC[name]
    for synset in wn.synsets(lemma, pos="n")[:3]:
        words = re.findall(r"[a-z]+", synset.definition().lower())
        found = _basic_in(words)
        if found:
            return found
    return None


def _colours_of(words: str) -> tuple[str, str]:
    """(the colours of the things a "colour of" phrase lists, the rest of the phrase)."""
    tokens = words.split()
    end = next((i for i, t in enumerate(tokens) if t in _PHRASE_END), len(tokens))
    colours = []
    for segment in re.split(r"\b(?:or|and)\b", " ".join(tokens[:end])):
        things = [t for t in segment.split() if t not in _DETERMINERS]
        colour = next((c for c in (colour_of(t) for t in reversed(things)) if c), None)
        if colour and colour not in colours:
            colours.append(colour)
    return " or ".join(colours), " ".join(tokens[end:])


def _names_a_colour(word: str) -> str | None:
    """The colour a single word names when its first sense is one ("crimson", "azure"), or
    the judge's gloss says so; not "lemon" or "gold", whose first senses are things."""
    if word in BASIC or word in MODIFIERS:
        return None
    if word in _gloss_colours():
        return _gloss_colours()[word]
    wn = _wordnet()
    first = wn.synsets(word, pos="n")[:1] if wn is not None else []
    return colour_sense(word) if first and first[0].lexname() == "noun.attribute" else None


def rewrite(description: str, modality: str) -> str:
    """A description with colours named by reference replaced by their names (images only);
    the rest of the text, capitals included, as it was."""
    if modality != "vision" or _wordnet() is None:
        return description

    def coloured(match: re.Match) -> str:
        things = re.findall(r"[a-z]+", match.group(1).lower())
        colours = list(dict.fromkeys(c for c in (colour_of(t) for t in things
                                                 if t not in ("and", "or")) if c))
        return " and ".join(colours) if colours else match.group(0)

    def colour_of_phrase(match: re.Match) -> str:
        colours, rest = _colours_of(match.group(1).lower())
        return f"{colours} {rest}".strip() + " " if colours else match.group(0)

    text = _COLOURED.sub(coloured, description)
    text = _COLOUR_OF.sub(colour_of_phrase, text)
    text = _CORNERED.sub(r"\1-sided", text)
    words = re.split(r"(\W+)", text)
    return "".join((_names_a_colour(w.lower()) or w) if w.isalpha() else w
                   for w in words).strip()
