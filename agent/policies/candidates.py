"""Descriptions in open words from the evidence tools' results: the candidates a policy may
conclude with, and where each came from.

From `token_evidence` and `image_evidence`: the WordNet category the firing words share, the
tokens and phrases over-represented where the unit fires, word forms and shapes, the labels,
classes and colours of top images, and the layout of generated scenes. `text_candidates` and
`image_candidates` give the strongest few (the one-shot control's); `open_pool` gives the broad
pool the systematic policy ranks on the exemplar split: weaker single items, "A, B or C"
listings, "A or B" of word forms, and compositions of a part and a property
(`Candidate.conjunction`, for the `conjunction` experiment). Choosing among them is
`agent.policies.selection`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tools.text_evidence import FEATURE_PHRASES, FEATURE_QUALIFIERS
from tools.vision_evidence import SCENE_PHRASES, SCENE_QUALIFIERS
from tools.word_shape import length_phrase

#: Kinds of text (the natural corpus's sources, see models.natural.sources) in plain words.
TEXT_KINDS = {
    "wordnet": "dictionary definitions of words",
    "gcide": "dictionary entries and definitions",
    "devil": "satirical, cynical definitions of words",
    "fortunes": "short quotations, jokes and witty sayings",
    "fortunes-de": "text in German",
    "fortunes-es": "text in Spanish",
    "python": "Python source code",
    "sotu": "political speeches about the nation, government and Congress",
    "moby-dick": "nineteenth-century novel prose about whaling, ships and the sea",
}


@dataclass
class Candidate:
    """A description the run may conclude with, and where it came from."""

    id: str
    description: str
    label: str
    source: str  # "vocabulary" or "evidence"
    why: str
    strength: float = 0.0  # evidence share x log lift (open candidates)
    coverage: float = 0.0  # share of the firing exemplars its evidence speaks for
    concepts: list[str] = field(default_factory=list)
    composition: str = "open"
    status: str = "open"  # open | replicated | not replicated | contradicted
    fit: float | None = None  # rank correlation + AUC on the exemplar split
    confidence: float = 0.0  # vocabulary verdicts: their design's confidence
    alternatives: int = 1  # things it says the unit fires on any of ("A, B or C": 3)
    fit_se: float | None = None  # bootstrap standard error of `fit`
    # a composition of a part and a property (`tools.conjunction`): {"part", "property",
    # "part_ids", "property_ids"}, the ids of the pool's candidates for each alone
    conjunction: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _listing(items: list[str]) -> str:
    items = [repr(i) if " " not in i.strip() else f"'{i.strip()}'" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _cover(rows: list[dict[str, Any]], joint: str = "any") -> float:
    """The share of the firing exemplars a candidate speaks for: any of its items ("any": a
    listing, at most the sum of their shares) or all of them together ("all": a composition,
    at most the smallest share)."""
    shares = [float(r["share"]) for r in rows] or [0.0]
    return round(min(shares) if joint == "all" else min(1.0, sum(shares)), 4)


def _strength(row: dict[str, Any]) -> float:
    import math

    return round(row["share"] * math.log(max(row["lift"], 1.0)), 4)


def text_candidates(evidence: dict[str, Any]) -> list[Candidate]:
    """Open candidates from a `token_evidence` result (its JSON)."""
    found: list[Candidate] = []
    for c in evidence.get("categories", [])[:2]:
        if c["share"] >= 0.3:
            name = c["name"] if c["definition"].startswith("WordNet's class") else _plural(
                c["name"])
            found.append(Candidate(
                f"O-category-{c['name']}", f"words for {name}, such as "
                f"{', '.join(c['members'][:3])}", c["name"], "evidence",
                f"{c['share']:.0%} of the firing words are {c['name']} words in WordNet "
                f"({c['definition']}), {c['base_share']:.1%} at random", _strength(c), c["share"]))
    tokens = [t for t in evidence.get("tokens", []) if t["lift"] >= 3][:3]
    if tokens:
        share = sum(t["share"] for t in tokens)
        found.append(Candidate(
            "O-tokens", f"the tokens {_listing([t['item'] for t in tokens])}",
            "tokens " + ", ".join(t["item"] for t in tokens), "evidence",
            f"these tokens are {share:.0%} of the firing positions",
            sum(_strength(t) for t in tokens), _cover(tokens), alternatives=len(tokens)))
    phrases = [g for g in evidence.get("ngrams", []) if g["share"] >= 0.15
               and sum(w.isalpha() for w in g["item"].split()) >= 2]
    if phrases:
        g = phrases[0]
        found.append(Candidate(f"O-phrase-{g['item']}", f"the last word of the phrase "
                               f"'{g['item']}'", g["item"], "evidence",
                               f"{g['share']:.0%} of firing positions end this phrase",
                               _strength(g), g["share"]))
    for e in evidence.get("endings", [])[:1]:
        if e["share"] >= 0.3:
            found.append(Candidate(f"O-ending-{e['item']}", f"words ending in '-{e['item']}'",
                                   f"-{e['item']}", "evidence",
                                   f"{e['share']:.0%} of firing words end so", _strength(e),
                                   e["share"]))
    for row in evidence.get("lengths", [])[:1]:
        if row["share"] >= 0.7 and row["lift"] >= 1.8:
            found.append(_length_candidate(row))
    for f in evidence.get("features", []):
        phrase = FEATURE_PHRASES.get(f["item"])
        if phrase and f["share"] >= 0.5 and f["lift"] >= 1.8:
            found.append(Candidate(f"O-feature-{f['item']}", phrase, f["item"], "evidence",
                                   f"{f['share']:.0%} of firing positions vs "
                                   f"{f['base_share']:.0%} at random", _strength(f), f["share"]))
            break
    for r in evidence.get("sources", [])[:1]:
        if r["share"] >= 0.4 and r["lift"] >= 1.8 and r["item"] in TEXT_KINDS:
            found.append(_kind_candidate(r))
    return _ranked(found)


def _length_candidate(row: dict[str, Any]) -> Candidate:
    return Candidate(f"O-length-{row['item']}", length_phrase(row), row["item"], "evidence",
                     f"{row['share']:.0%} of the firing words have {row['item']} vs "
                     f"{row['base_share']:.0%} of words at random", _strength(row), row["share"])


def _kind_candidate(r: dict[str, Any]) -> Candidate:
    return Candidate(f"O-kind-{r['item']}", TEXT_KINDS[r["item"]], r["item"], "evidence",
                     f"{r['share']:.0%} of the top texts are {r['item']} texts vs "
                     f"{r['base_share']:.0%} at random", _strength(r), r["share"])


def image_candidates(evidence: dict[str, Any]) -> list[Candidate]:
    """Open candidates from an `image_evidence` result (its JSON)."""
    found: list[Candidate] = []
    for row in evidence.get("labels", [])[:2]:
        if row["share"] >= 0.25:
            found.append(Candidate(f"O-label-{row['item']}", f"images of {row['item']}",
                                   row["item"], "evidence",
                                   f"{row['share']:.0%} of top images vs {row['base_share']:.0%}"
                                   " at random", _strength(row), row["share"]))
    for row in evidence.get("classes", [])[:2]:
        if row["share"] >= 0.2:
            found.append(Candidate(f"O-class-{row['item']}",
                                   f"things that look like a {row['item']}", row["item"],
                                   "evidence", f"a classifier sees a {row['item']} in "
                                   f"{row['share']:.0%} of top images vs "
                                   f"{row['base_share']:.0%} at random", _strength(row),
                                   row["share"]))
    colours = [row for row in evidence.get("colours", []) if row["share"] >= 0.4][:2]
    if colours:
        names = " and ".join(row["item"] for row in colours)
        found.append(Candidate(f"O-colour-{names}", f"{names} regions", names, "evidence",
                               "the regions that drive it are " + ", ".join(
                                   f"{r['item']} in {r['share']:.0%} of top images vs "
                                   f"{r['base_share']:.0%} at random" for r in colours),
                               sum(_strength(r) for r in colours), _cover(colours, "all")))
    words = [row for row in evidence.get("words", []) if row["share"] >= 0.6][:2]
    for row in words:
        found.append(Candidate(f"O-word-{row['item']}", f"images showing {row['item']}",
                               row["item"], "evidence", f"{row['share']:.0%} of top images "
                               f"vs {row['base_share']:.0%} at random", _strength(row),
                               row["share"]))
    for row in evidence.get("scene", []):
        if SCENE_PHRASES.get(row["item"]) and row["share"] >= 0.5 and row["lift"] >= 1.8:
            found.append(_scene_candidate(row))
    return _ranked(found)


def _scene_candidate(row: dict[str, Any]) -> Candidate:
    return Candidate(f"O-scene-{row['item']}", SCENE_PHRASES[row["item"]], row["item"],
                     "evidence", f"{row['item']} in {row['share']:.0%} of top scenes vs "
                     f"{row['base_share']:.0%} at random", _strength(row), row["share"])


def _ranked(found: list[Candidate], limit: int = 6) -> list[Candidate]:
    seen, out = set(), []
    for c in sorted(found, key=lambda c: -c.strength):
        if c.description not in seen:
            seen.add(c.description)
            out.append(c)
    return out[:limit]


#: Lift an item needs to enter the broad pool (weaker than the one-shot's thresholds: the
#: exemplar split, not the evidence's strength, decides between them).
POOL_LIFT = 1.2
#: A category and a word form are composed ("words for animals spelt with a doubled letter")
#: only when each holds for at least this share of the firing words: a conjunction claims
#: both of every word it fires on.
COMPOSE_SHARE = 0.75
#: A scene's layout property composes with a shape when it holds in this share of the top
#: scenes (layout is read from the scene, where the unit's own notion of "centre" or "large"
#: may draw the line elsewhere).
SCENE_COMPOSE_SHARE = 0.6
#: Shapes the generated scenes draw (words of their labels that a layout property may
#: qualify).
SHAPE_WORDS = frozenset({"circle", "square", "triangle", "star", "hexagon", "cross", "ring",
                         "oval", "rectangle"})
#: Most candidates the broad pool offers to `rank_descriptions`.
POOL_LIMIT = 24


def _conj(part: str | None, prop: str, part_id: str, prop_id: str) -> dict[str, Any] | None:
    """A composition's two halves for `tools.conjunction` (None without a testable part: a
    category from evidence recorded before categories carried their WordNet id)."""
    return {"part": part, "property": prop, "part_ids": [part_id],
            "property_ids": [prop_id]} if part else None


def _or_list(items: list[str], article: str = "") -> str:
    items = [f"{article}{i}" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _lifted(rows: list[dict[str, Any]], n: int, lift: float = POOL_LIFT) -> list[dict[str, Any]]:
    return [r for r in rows if r["lift"] > lift][:n]


#: Word forms (not positions or punctuation) an "A or B" candidate may join, and pairs of
#: which one contains the other.
WORD_FORMS = ("long word (9+ letters)", "doubled letter", "reads the same backwards",
              "past-tense form", "capitalised inside a sentence", "number of 100 or more",
              "word in capitals")
#: A word form joins an "A or B" candidate when it holds for this share of the firing
#: positions, neither alone holds for OR_ALONE, and the two hold for OR_TOGETHER.
OR_SHARE, OR_ALONE, OR_TOGETHER = 0.3, 0.8, 0.8


def word_form_alternatives(features: list[dict[str, Any]]
                           ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of word forms that split the firing positions between them: each holds for at
    least OR_SHARE of them (and above its base rate), neither for OR_ALONE, their shares add
    up to OR_TOGETHER (an upper bound of the union: the policy's ranking decides)."""
    forms = [f for f in features if f["item"] in WORD_FORMS and OR_SHARE <= f["share"]
             < OR_ALONE and f["lift"] >= 1.5][:3]
    return [(a, b) for i, a in enumerate(forms) for b in forms[i + 1:]
            if a["share"] + b["share"] >= OR_TOGETHER]


def open_pool(evidence: dict[str, Any], modality: str) -> list[Candidate]:
    """Every description in open words the evidence supports, for ranking on the exemplar
    split: the one-shot's candidates first, then weaker single items and "A, B or C" listings
    of the items over-represented among the top exemplars (a unit that fires on several
    things is described by all of them). Dropped later if they fit the exemplar split worse."""
    found = text_candidates(evidence) if modality == "text" else image_candidates(evidence)
    extra: list[Candidate] = []

    def add(cid: str, text: str, label: str, rows: list[dict[str, Any]], why: str,
            joint: str = "any", conj: dict[str, Any] | None = None) -> None:
        extra.append(Candidate(cid, text, label, "evidence", why,
                               sum(_strength(r) for r in rows), _cover(rows, joint),
                               alternatives=len(rows) if joint == "any" else 1,
                               conjunction=conj))

    def listings(rows: list[dict[str, Any]], kind: str, phrase: str, article: str = "") -> None:
        for r in rows:
            add(f"O-{kind}-{r['item']}", phrase + article + r["item"], r["item"], [r],
                f"{r['share']:.0%} of top exemplars vs {r['base_share']:.1%} at random")
        for size in range(2, len(rows) + 1):
            chosen = rows[:size]
            add(f"O-{kind}s-{size}", phrase + _or_list([r["item"] for r in chosen], article),
                ", ".join(r["item"] for r in chosen), chosen,
                "each over-represented among the top exemplars: " + ", ".join(
                    f"{r['item']} {r['share']:.0%} vs {r['base_share']:.1%}" for r in chosen))

    if modality == "vision":
        labels = _lifted(evidence.get("labels", []), 4)
        classes = _lifted(evidence.get("classes", []), 3)
        # layout first (photos have none): the pool is cut at POOL_LIMIT, and the listings
        # below would crowd out a property that explains more than any single label; up to
        # five, since each property is measured at both ends
        scenes = [r for r in evidence.get("scene", []) if r["item"] in SCENE_PHRASES
                  and r["share"] >= 0.3 and r["lift"] >= 1.5][:5]
        extra += [_scene_candidate(r) for r in scenes]
        # a shape in every top scene and a layout property of most: both may be needed
        # ("circles near the centre of the image"); the exemplar split decides
        shapes = [r for r in evidence.get("words", []) if r["item"] in SHAPE_WORDS
                  and r["share"] >= COMPOSE_SHARE][:1]
        for shape in shapes:
            for r in [r for r in scenes if r["share"] >= SCENE_COMPOSE_SHARE][:2]:
                add(f"O-shape-{shape['item']}-{r['item']}",
                    f"{_plural(shape['item'])} {SCENE_QUALIFIERS[r['item']]}",
                    f"{shape['item']} + {r['item']}", [shape, r],
                    f"a {shape['item']} in {shape['share']:.0%} of top scenes, "
                    f"{r['item']} in {r['share']:.0%} ({r['base_share']:.0%} at random)",
                    joint="all", conj=_conj(shape["item"], SCENE_PHRASES[r["item"]],
                                            f"O-word-{shape['item']}", f"O-scene-{r['item']}"))
        listings(labels, "label", "images of ")
        listings(classes[:2], "class", "things that look like ", "a ")
        listings(_lifted(evidence.get("words", []), 4), "word", "images showing ")
        for r in [r for r in evidence.get("colours", []) if r["share"] >= 0.25][:2]:
            add(f"O-colour-{r['item']}", f"{r['item']} regions", r["item"], [r],
                f"{r['share']:.0%} of the driving regions vs {r['base_share']:.0%} at random")
        if labels and classes:
            add("O-label-class", f"images of {labels[0]['item']}, or things that look like a "
                f"{classes[0]['item']}", f"{labels[0]['item']} / {classes[0]['item']}",
                [labels[0], classes[0]], "the strongest label and classifier class together")
    else:
        tokens = [t for t in evidence.get("tokens", []) if t["lift"] >= 3]
        for size in (1, 2, 5, 8):
            if len(tokens) >= size:
                add(f"O-tokens-{size}", f"the tokens {_listing([t['item'] for t in tokens[:size]])}",
                    "tokens " + ", ".join(t["item"] for t in tokens[:size]), tokens[:size],
                    f"these tokens are {sum(t['share'] for t in tokens[:size]):.0%} of the "
                    "firing positions")
        for c in [c for c in evidence.get("categories", []) if c["lift"] >= 2][:3]:
            name = c["name"] if c["definition"].startswith("WordNet's class") else _plural(
                c["name"])
            add(f"O-category-{c['name']}", f"words for {name}, such as "
                f"{', '.join(c['members'][:3])}", c["name"], [c],
                f"{c['share']:.0%} of the firing words are {c['name']} words in WordNet")
            # a category and a form the firing words share: both may be needed ("animals
            # spelt with a doubled letter"); the exemplar split decides
            for f in [f for f in evidence.get("features", []) if f["item"] in
                      FEATURE_QUALIFIERS and f["share"] >= COMPOSE_SHARE and f["lift"] >= 1.5
                      and c["share"] >= COMPOSE_SHARE][:2]:
                add(f"O-category-{c['name']}-{f['item']}", f"words for {name} "
                    f"{FEATURE_QUALIFIERS[f['item']]}, such as {', '.join(c['members'][:3])}",
                    f"{c['name']} + {f['item']}", [c, f],
                    f"{c['share']:.0%} of the firing words are {c['name']} words and "
                    f"{f['share']:.0%} are {f['item']} ({f['base_share']:.0%} at random)",
                    joint="all", conj=_conj(c.get("synset"), FEATURE_PHRASES[f["item"]],
                                            f"O-category-{c['name']}", f"O-feature-{f['item']}"))
            # ... or a category and a word shape: an ending or a length (not first letters:
            # a set of letters picked from the top exemplars and then tested on them won the
            # exemplar-split ranking on units it did not describe, see tools/word_shape.py)
            shapes = [(f"ending in '-{e['item']}'", e["item"], [e], f"O-ending-{e['item']}",
                       f"words ending in '-{e['item']}'")
                      for e in evidence.get("endings", [])[:2] if e["share"] >= COMPOSE_SHARE]
            shapes += [(f"of {r['item']}", r["item"], [r], f"O-length-{r['item']}",
                        length_phrase(r))
                       for r in evidence.get("lengths", [])[:1] if r["share"] >= COMPOSE_SHARE]
            if c["share"] >= COMPOSE_SHARE:
                for qualifier, label, rows, alone, phrase in shapes[:2]:
                    add(f"O-category-{c['name']}-{label}", f"words for {name} {qualifier}, "
                        f"such as {', '.join(c['members'][:3])}", f"{c['name']} + {label}",
                        [c] + rows, f"{c['share']:.0%} of the firing words are {c['name']} "
                        f"words and they share the word shape {label!r}", joint="all",
                        conj=_conj(c.get("synset"), phrase, f"O-category-{c['name']}", alone))
        for row in evidence.get("lengths", [])[:2]:
            if row["share"] >= 0.5 and row["lift"] >= 1.5:
                extra.append(_length_candidate(row))
        for g in [g for g in evidence.get("ngrams", []) if g["lift"] >= 3
                  and any(w.isalpha() for w in g["item"].split())][:2]:
            add(f"O-phrase-{g['item']}", f"the last word of the phrase '{g['item']}'",
                g["item"], [g], f"{g['share']:.0%} of firing positions end this phrase")
        for e in [e for e in evidence.get("endings", []) if e["share"] >= 0.15][:2]:
            add(f"O-ending-{e['item']}", f"words ending in '-{e['item']}'", f"-{e['item']}",
                [e], f"{e['share']:.0%} of firing words end so")
        for f in evidence.get("features", []):
            if FEATURE_PHRASES.get(f["item"]) and f["share"] >= 0.3 and f["lift"] >= 1.5:
                add(f"O-feature-{f['item']}", FEATURE_PHRASES[f["item"]], f["item"], [f],
                    f"{f['share']:.0%} of firing positions vs {f['base_share']:.0%} at random")
        # two word forms that each hold for part of the firing words and together for nearly
        # all: the unit may fire on either ("palindromes or long words")
        for a, b in word_form_alternatives(evidence.get("features", [])):
            add(f"O-features-{a['item']}-{b['item']}", f"{FEATURE_PHRASES[a['item']]} or "
                f"{FEATURE_PHRASES[b['item']]}", f"{a['item']} | {b['item']}", [a, b],
                f"{a['share']:.0%} and {b['share']:.0%} of the firing positions: together "
                "nearly all")
        kinds = [r for r in evidence.get("sources", []) if r["lift"] >= 1.5
                 and r["item"] in TEXT_KINDS][:2]
        extra += [_kind_candidate(r) for r in kinds]
        if len(kinds) == 2:
            add("O-kinds-2", f"{TEXT_KINDS[kinds[0]['item']]} or "
                f"{TEXT_KINDS[kinds[1]['item']]}", " / ".join(r["item"] for r in kinds), kinds,
                "both kinds of text are over-represented among the top texts")
        if kinds and tokens:
            add("O-kind-tokens", f"{TEXT_KINDS[kinds[0]['item']]}, especially the tokens "
                f"{_listing([t['item'] for t in tokens[:3]])}",
                f"{kinds[0]['item']} + tokens", [kinds[0]] + tokens[:3],
                "the kind of text it fires in and the tokens it fires on", joint="all")
    seen, ids, out = set(), set(), []
    for c in found + extra:
        if c.description not in seen and c.id not in ids:
            seen.add(c.description)
            ids.add(c.id)
            out.append(c)
    return out[:POOL_LIMIT]
