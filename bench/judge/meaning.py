"""The offline ground-truth judge reads a description as language: the benchmark's reader
(`bench.reader`) splits it into what fires and what is excepted, each clause's spans are matched
to the judge's own glosses of the concepts by MiniLM similarity, and the resulting structure is
compared with the unit's true composition.

Span matching: of all word n-grams of a clause (and the whole clause), the one most similar to
some gloss names that concept if the similarity reaches a first threshold; another part of the
clause names a second concept only above a stricter one ("red circles"). The two thresholds are
the only numbers fitted on the labelled set (`python -m bench calibrate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.judge.glosses import GLOSSES
from bench.judge.knowledge import rewrite
from bench.reader import Reading, embed, read

#: Longest span matched to a gloss, in words.
MAX_SPAN = 4


@dataclass(frozen=True)
class Named:
    """A description's structure in concepts.

    Attributes:
        alternatives: per alternative, the concepts its conjuncts name.
        excepted: concepts named by exceptions (and by silencers that name something new).
        everything: "anything except ...".
        spans: (span, concept, similarity) per match, for the verdict's record.
        scene: per alternative, whether its concepts are said to meet in the input (named in
            separate clauses, "only together with", "in scenes that also contain") rather than
            on one object or word ("red circles", "animals spelt with a double letter").
        excepted_scene: whether the exception is said of the input ("but not when the image
            also contains ...") rather than of the object ("circles, unless they are red").
    """

    alternatives: tuple[frozenset[str], ...]
    excepted: frozenset[str]
    everything: bool
    spans: tuple[tuple[str, str, float], ...]
    scene: tuple[bool, ...] = ()
    excepted_scene: bool = False

    def positive(self) -> frozenset[str]:
        return frozenset().union(*self.alternatives) if self.alternatives else frozenset()


def _gloss_table(modality: str) -> tuple[list[str], np.ndarray]:
    concepts, texts = [], []
    for concept, glosses in GLOSSES[modality].items():
        for gloss in glosses:
            concepts.append(concept)
            texts.append(gloss)
    return concepts, embed(texts)


#: Words that name no concept on their own: the things a description is about ("objects",
#: "words") and function words. A span made only of these names nothing ("objects" is not
#: "many objects").
GENERIC = {
    "vision": frozenset("object objects shape shapes thing things item items region regions "
                        "area areas image images picture pictures background backgrounds "
                        "scene scenes part parts figure figures form forms one ones patch "
                        "patches backdrop backdrops colour colours color colors hue hues shade "
                        "shades".split()),
    "text": frozenset("word words token tokens text texts sentence sentences thing things "
                      "term terms name names".split()),
}
FUNCTION_WORDS = frozenset("a an the of in on at to and or with that which is are any some "
                           "its their it something anything everything".split())

#: Concepts that contain others: naming both in one conjunction says no more than the
#: narrower one ("numbers of 100 or more written in digits" is a claim about large numbers).
#: Only where the narrower concept is the broader one with a qualifier: "animals, such as
#: cats" is a claim about animals, not about cats.
CONTAINS = {
    "numbers": frozenset({"large_numbers", "years"}),
}


def _spans(clause: str, modality: str = "") -> list[tuple[int, int, str]]:
    words = re.findall(r"[\w'@.:/-]+", clause.lower())[:16]
    generic = GENERIC.get(modality, frozenset()) | FUNCTION_WORDS
    spans = [(i, j, " ".join(words[i:j])) for i in range(len(words))
             for j in range(i + 1, min(len(words), i + MAX_SPAN) + 1)
             if not all(w in generic for w in words[i:j])]
    if len(words) > MAX_SPAN:
        spans.append((0, len(words), " ".join(words)))
    return spans


def name_concepts(clause: str, modality: str, threshold: tuple[float, float, float]
                  ) -> list[tuple[str, str, float]]:
    """The concepts a clause names: (span, concept, similarity).

    The clause names its best-matching concept (over all its word spans) when that similarity
    reaches `threshold[0]`; it also names further concepts whose best span is clearly a
    different part of the clause and reaches the stricter `threshold[1]` ("red circles").
    A span names a concept only if it matches it better than any other concept by at least
    `threshold[2]` (a generic word like "colour" is close to every colour and names none).
    """
    spans = _spans(clause, modality)
    if not spans:
        return []
    concepts, glosses = _gloss_table(modality)
    names = sorted(set(concepts))
    sims = embed([s for _, _, s in spans]) @ glosses.T  # [spans, glosses]
    per_concept = np.stack([sims[:, [k for k, c in enumerate(concepts) if c == name]].max(axis=1)
                            for name in names], axis=1)  # [spans, concepts]
    low, high, margin = threshold
    ranked = np.sort(per_concept, axis=1)
    specific = (ranked[:, -1] - ranked[:, -2]) >= margin if len(names) > 1 else \
        np.ones(len(spans), dtype=bool)
    per_concept = np.where(specific[:, None], per_concept, -1.0)
    order = np.dstack(np.unravel_index(np.argsort(-per_concept, axis=None),
                                       per_concept.shape))[0]
    first = order[0]
    if per_concept[first[0], first[1]] < low:
        return []
    found = [(spans[first[0]][2], names[first[1]], round(float(per_concept[tuple(first)]), 4))]
    taken = set() if spans[first[0]][1] - spans[first[0]][0] > MAX_SPAN else set(
        range(spans[first[0]][0], spans[first[0]][1]))
    named = {names[first[1]]}
    for k, c in order[1:]:
        score = float(per_concept[k, c])
        if score < high:
            break
        i, j, text = spans[k]
        if names[c] in named or j - i > MAX_SPAN or taken & set(range(i, j)):
            continue
        # the span's own best concept must be this one (not a weaker echo of the first)
        if per_concept[k].argmax() != c:
            continue
        taken |= set(range(i, j))
        named.add(names[c])
        found.append((text, names[c], round(score, 4)))
    return found


#: Concepts an object (a word) has, as opposed to a scene (a text): the only ones for which "on
#: the same object" and "in the same image" are different claims.
OBJECT_LEVEL = {
    "vision": frozenset("red orange yellow green cyan blue purple pink brown black white gray "
                        "circle square triangle star hexagon cross ring oval rectangle left right "
                        "top bottom warm_objects dark_objects centre_objects large_objects "
                        "small_objects light_objects corner_objects".split()),
    "text": frozenset("animals food colours family body vehicles places emotions_positive "
                      "emotions_negative music clothing professions days_months number_words "
                      "pets cats numbers years prices double_letters palindromes past_tense "
                      "long_words title_case_inside large_numbers vowel_initial ing_forms "
                      "short_words ly_words".split()),
}
#: Words that put a clause's concepts in the same input rather than on the same object ("also
#: contains", "in images that ..."; not a bare "anywhere" or "present": "red circles anywhere
#: in the image" is still about red circles).
SCENE_MARKER = re.compile(r"\b(?:also\s+contains?|also\s+includes?|also\s+has|also\s+shows?|"
                          r"elsewhere|somewhere\s+else|anywhere\s+else|another\s+object|"
                          r"(?:is|are)\s+also\s+present|"
                          r"in\s+(?:the\s+)?(?:same\s+)?(?:images?|scenes?|pictures?|inputs?|"
                          r"texts?|sentences?)\s+(?:that|which|with|where|as|containing|"
                          r"holding|showing)|"
                          r"in\s+the\s+same\s+(?:image|scene|picture|input|text|sentence))\b",
                          re.I)
#: A clause that starts by pointing back ("circles, but only when they are red") is about the
#: same object as the clause before it.
ANAPHORA = re.compile(r"^\s*(?:they|it|these|those|which|that|who|each\s+one)\b", re.I)


def _narrowest(conjuncts: frozenset[str]) -> frozenset[str]:
    """A conjunction without the concepts that another of its concepts implies."""
    return frozenset(c for c in conjuncts if not CONTAINS.get(c, frozenset()) & conjuncts)


#: A clause about literal strings ("the tokens 'dog', 'hamster' and 'cat'", "the last word of
#: the phrase 'costs $'"): it claims those strings, not a category they belong to.
LITERAL = re.compile(r"^\s*(?:the\s+)?(?:(?:last|first)\s+word\s+of\s+the\s+phrase|tokens?|"
                     r"strings?|words?|phrases?)\s+['\"‘“]", re.I)


def _literal(clause: str) -> bool:
    """A clause made only of quoted strings after its head ("the tokens 'a', 'b' and 'c'");
    not "the words 'one', 'two' and other number words", which names a category too."""
    head = LITERAL.match(clause)
    if not head:
        return False
    # (the reader may have cut a closing quote off the clause's end)
    rest = re.sub(r"(['\"‘“])[^'\"’”]*(?:['\"’”]|$)", " ",
                  clause[head.end() - 1:])
    return not re.sub(r"\b(?:and|or)\b|[,;.]", " ", rest).strip()


def structure(reading: Reading, modality: str, threshold: tuple[float, float, float]) -> Named:
    """A reading's clauses as concepts (a clause about literal strings names none)."""
    spans: list[tuple[str, str, float]] = []

    def named(clause: str) -> frozenset[str]:
        if _literal(clause):
            return frozenset()
        found = name_concepts(clause, modality, threshold)
        spans.extend(found)
        return frozenset(c for _, c, _ in found)

    alternatives, scene = [], []
    for alt in reading.alternatives:
        per_clause = [named(c) for c in alt]
        concepts = _narrowest(frozenset().union(*per_clause)) if per_clause else frozenset()
        if concepts:
            alternatives.append(concepts)
            separate = [c for c, found in zip(alt, per_clause, strict=True)
                        if found and not ANAPHORA.match(c)]
            scene.append(len(separate) > 1 or any(SCENE_MARKER.search(c) for c in alt))
    positive = frozenset().union(*alternatives) if alternatives else frozenset()
    excepted = frozenset().union(*(named(c) for c in reading.exceptions)) \
        if reading.exceptions else frozenset()
    # an elaboration that silences what the main clause already names restates its scope
    silenced = frozenset().union(*(named(c) for c in reading.silencers)) \
        if reading.silencers else frozenset()
    return Named(tuple(alternatives), excepted | (silenced - positive), reading.everything,
                 tuple(spans), tuple(scene),
                 any(SCENE_MARKER.search(c) for c in (*reading.exceptions, *reading.silencers)))


def truth_structure(tree: Any) -> tuple[list[frozenset[str]], frozenset[str]]:
    """A composition tree as what the judge compares: the alternatives the unit fires on (each
    a set of concepts that must hold together) and the concepts that switch it off."""
    from models.concepts.trees import leaves

    def dnf(node: Any) -> list[frozenset[str]]:
        if isinstance(node, str):
            return [frozenset([node])]
        if node.op == "or":
            return [a for arg in node.args for a in dnf(arg)]
        if node.op in ("and", "bound_and"):
            out = [frozenset()]
            for arg in node.args:
                out = [a | b for a in out for b in dnf(arg)]
            return out
        return dnf(node.args[0])  # a nested exclusion: its positive side

    if not isinstance(tree, str) and tree.op in ("and_not", "bound_and_not"):
        return dnf(tree.args[0]), frozenset(leaves(tree.args[1]))
    return dnf(tree), frozenset()


def _binding(named: Named, tree: Any, modality: str) -> str | None:
    """Why a description that names the right concepts binds them too loosely, else None.

    Only for a truth that binds two concepts one object (word) can both have: then "purple
    hexagons" (on one object) and "hexagons only together with purple regions" (anywhere in
    the image) are different units, and so are "circles of any colour except red" and
    "circles, but not when the image also contains red regions". The reverse (an object-level
    description of a scene-level truth) is not checked: the labelled set's first truths were
    written with object-level meaning under scene-level names ("squares at the top")."""
    from models.concepts.trees import leaves

    # a side may be an OR of such concepts ("circles that are red or orange", "circles except
    # red or blue ones"): each of its alternatives binds the same way
    if isinstance(tree, str) or not tree.op.startswith("bound_") or len(tree.args) != 2 or \
            not all(c in OBJECT_LEVEL.get(modality, ()) for a in tree.args for c in leaves(a)):
        return None
    where = "one object" if modality == "vision" else "one word"
    if tree.op == "bound_and":
        for pair in truth_structure(tree)[0]:
            says = [scene for alt, scene in zip(named.alternatives, named.scene, strict=False)
                    if alt >= pair]
            if says and all(says):
                return (f"says {sorted(pair)} need only be in the same input; the unit needs "
                        f"them on {where}")
    elif named.excepted and named.excepted_scene:
        return (f"says the exception switches off the whole input; the unit excepts only "
                f"{where} that has it")
    return None


def agrees(named: Named, tree: Any, modality: str = "") -> tuple[bool, str]:
    """Whether a description's structure is the truth's; with the reason when it is not."""
    alternatives, excepted = truth_structure(tree)
    truth = frozenset().union(*alternatives)
    positive = named.positive()
    if named.everything:
        return False, "says the unit fires on everything except something"
    if not positive:
        return False, "names none of the concepts the unit fires on"
    if named.excepted != excepted:
        if named.excepted & truth:
            return False, f"excepts {sorted(named.excepted & truth)}, which the unit fires on"
        return False, (f"excepts {sorted(named.excepted) or 'nothing'}; what switches the unit "
                       f"off is {sorted(excepted) or 'nothing'}")
    if positive != truth:
        return False, f"names {sorted(positive)}, the unit fires on {sorted(truth)}"
    missing = [sorted(a) for a in alternatives if not any(n >= a for n in named.alternatives)]
    if missing:
        return False, f"does not say that {missing[0]} must hold together"
    for i, a in enumerate(alternatives):
        for b in alternatives[i + 1:]:
            if not (a <= b or b <= a) and any(n >= a | b for n in named.alternatives):
                return False, f"needs {sorted(a | b)} together; the unit fires on either"
    wrongly = _binding(named, tree, modality)
    if wrongly:
        return False, wrongly
    return True, "same concepts and composition"


def meaning_verdict(description: str, modality: str, tree: Any,
                    threshold: tuple[float, float, float]) -> dict[str, Any]:
    """The judge's verdict on one description against a composition tree: correct, the
    reason, and what it read."""
    reading = read(rewrite(description, modality))
    named = structure(reading, modality, threshold)
    correct, why = agrees(named, tree, modality)
    return {"correct": correct, "why": why, "reading": reading.to_json(),
            "named": {"alternatives": [sorted(a) for a in named.alternatives],
                      "excepted": sorted(named.excepted), "everything": named.everything,
                      "spans": [list(s) for s in named.spans], "scene": list(named.scene),
                      "excepted_scene": named.excepted_scene}}
