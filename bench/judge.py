"""The ground-truth judge: does a description name a unit's true concepts and composition?

The offline judge needs no LLM. It parses a description into vocabulary concepts (names,
phrases and synonyms of the `Concept` objects) and a composition (cue words such as "or",
"only together", "unless"), compares both with the ground truth, and adds the MiniLM cosine
similarity to the ground-truth description. The weighted score is thresholded at a value
picked on a labelled calibration set (`bench/data/judge_calibration.json`). An LLM judge is
used instead when an OpenAI-compatible backbone is configured.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.synthetic.base import SyntheticUnitSpec

CALIBRATION_FILE = Path(__file__).parent / "data" / "judge_calibration.json"

#: Weights of the judge's score: concept overlap, composition agreement, MiniLM similarity.
WEIGHTS = (0.5, 0.3, 0.2)
#: The threshold `calibrate` picks on the labelled set (`python -m bench calibrate`), kept
#: here so that workers do not recompute it; a test checks that the two agree.
THRESHOLD = 0.8169

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
    from tools.contrast import vocabulary

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


def composition_agrees(parsed: Parsed, truth: SyntheticUnitSpec) -> bool:
    """Same composition; for AND-NOT the same excluded concept (the order matters)."""
    if parsed.composition != truth.composition:
        return False
    if truth.composition == "and_not":
        return parsed.concepts[-1] == truth.concepts[-1]
    return True


def _similarity(a: str, b: str) -> float | None:
    """MiniLM cosine similarity; None when the embedder cannot load (the rules decide)."""
    try:
        from models.embedding import get_embedder

        vectors = get_embedder().embed([a, b])
        return float((vectors[0] @ vectors[1]).item())
    except Exception:  # noqa: BLE001 (the judge must work without any model)
        return None


def features(description: str, truth: SyntheticUnitSpec,
             similarity: float | None = None) -> dict[str, Any]:
    """The judge's evidence: parse, concept overlap (Jaccard), composition, similarity."""
    parsed = parse(description, truth.modality)
    said, true = set(parsed.concepts), set(truth.concepts)
    jaccard = len(said & true) / len(said | true) if said | true else 0.0
    if similarity is None:
        similarity = _similarity(description, truth.description)
    return {"parsed": parsed.to_json(), "concept_overlap": round(jaccard, 4),
            "composition_ok": composition_agrees(parsed, truth),
            "similarity": None if similarity is None else round(similarity, 4)}


def score(feats: dict[str, Any]) -> float:
    """The weighted score that the threshold cuts (rules alone, rescaled, without MiniLM)."""
    w_concepts, w_composition, w_similarity = WEIGHTS
    rules = (w_concepts * feats["concept_overlap"]
             + w_composition * float(feats["composition_ok"] and feats["concept_overlap"] > 0))
    if feats["similarity"] is None:
        return rules / (w_concepts + w_composition)
    return rules + w_similarity * max(feats["similarity"], 0.0)


def judge(description: str, truth: SyntheticUnitSpec, threshold: float | None = None,
          use_llm: bool | None = None) -> dict[str, Any]:
    """Judge one description against a unit's ground truth.

    Args:
        description: the candidate description.
        truth: the unit's ground truth.
        threshold: the score cut (default: THRESHOLD, calibrated on the labelled set).
        use_llm: ask the configured LLM judge (default: when WORKBENCH_MODEL is set).

    Returns:
        {"correct": bool, "score": float, "judge": "rules+minilm" | "llm", ...features}
    """
    feats = features(description, truth)
    value = score(feats)
    cut = THRESHOLD if threshold is None else threshold
    verdict = {"correct": bool(value >= cut), "score": round(value, 4), "judge": "rules+minilm",
               **feats}
    if use_llm is None:
        use_llm = llm_configured()
    if use_llm:
        verdict.update(llm_judge(description, truth))
    return verdict


# --------------------------------------------------------------------------- calibration


def load_calibration(path: Path = CALIBRATION_FILE) -> list[dict[str, Any]]:
    """Labelled pairs: modality, concepts, composition, truth, candidate, label (right/wrong)."""
    return json.loads(Path(path).read_text())["pairs"]


def _truth(row: dict[str, Any]) -> SyntheticUnitSpec:
    return SyntheticUnitSpec(row["modality"], row["composition"], tuple(row["concepts"]),
                             row["truth"], row.get("label", "calibration"))


def _batch_similarities(pairs: list[tuple[str, str]]) -> list[float | None]:
    """MiniLM similarities of many pairs in one batch (None each without the embedder)."""
    texts = sorted({t for pair in pairs for t in pair})
    try:
        from models.embedding import get_embedder

        vectors = get_embedder().embed(texts)
    except Exception:  # noqa: BLE001 (the rules alone still judge)
        return [None] * len(pairs)
    row = {t: i for i, t in enumerate(texts)}
    return [float((vectors[row[a]] @ vectors[row[b]]).item()) for a, b in pairs]


def split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A fixed split: every third pair is held out (pairs are grouped by unit in the file)."""
    return ([r for i, r in enumerate(rows) if i % 3 != 2],
            [r for i, r in enumerate(rows) if i % 3 == 2])


def calibrate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the threshold that maximises accuracy on two thirds of the set; report the rest.

    Returns:
        {"threshold", "train_accuracy", "heldout_accuracy", "accuracy" (all pairs),
         "by_kind": accuracy per near-miss kind, "n"}
    """
    similarities = _batch_similarities([(r["candidate"], r["truth"]) for r in rows])
    scores = [score(features(r["candidate"], _truth(r), sim))
              for r, sim in zip(rows, similarities, strict=True)]
    labels = [r["label"] == "right" for r in rows]
    train_idx = [i for i in range(len(rows)) if i % 3 != 2]
    held_idx = [i for i in range(len(rows)) if i % 3 == 2]

    def accuracy(idx: list[int], cut: float) -> float:
        return sum((scores[i] >= cut) == labels[i] for i in idx) / max(len(idx), 1)

    ordered = sorted({round(s, 4) for s in scores})
    # cuts half-way between neighbouring scores, so no calibration score sits on the cut
    candidates = [(a + b) / 2 for a, b in zip([0.0, *ordered], ordered, strict=False)]
    best = max(accuracy(train_idx, c) for c in candidates)
    # of the best cuts, the one in the middle of the best range keeps a margin both ways
    tied = [c for c in candidates if accuracy(train_idx, c) == best]
    threshold = round((tied[0] + tied[-1]) / 2, 4)
    kinds: dict[str, list[bool]] = {}
    for i, row in enumerate(rows):
        kinds.setdefault(row.get("kind", row["label"]), []).append(
            (scores[i] >= threshold) == labels[i])
    return {"threshold": threshold, "train_accuracy": round(best, 4),
            "heldout_accuracy": round(accuracy(held_idx, threshold), 4),
            "accuracy": round(accuracy(list(range(len(rows))), threshold), 4),
            "by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(kinds.items())},
            "n": len(rows), "n_heldout": len(held_idx)}


# --------------------------------------------------------------------------- LLM judge


def llm_configured() -> bool:
    """Whether an OpenAI-compatible backbone is configured (WORKBENCH_MODEL and a key/URL)."""
    return bool(os.environ.get("WORKBENCH_MODEL") and (
        os.environ.get("WORKBENCH_BASE_URL") or os.environ.get("WORKBENCH_API_KEY")
        or os.environ.get("OPENAI_API_KEY")))


_LLM_PROMPT = """You grade descriptions of neurons against ground truth.
Ground truth: {truth}
Ground-truth concepts: {concepts}; composition: {composition}
Candidate description: {candidate}
The candidate is right when it names the same concepts (synonyms are fine) and the same way of
combining them (single concept; OR: either; AND: only together; AND-NOT: the first unless the
second). Answer with JSON only: {{"right": true or false, "reason": "..."}}"""


def llm_judge(description: str, truth: SyntheticUnitSpec) -> dict[str, Any]:
    """Ask the configured backbone; the rule judge's verdict stands if the call fails."""
    try:
        from openai import OpenAI

        client = OpenAI(base_url=os.environ.get("WORKBENCH_BASE_URL") or None,
                        api_key=os.environ.get("WORKBENCH_API_KEY")
                        or os.environ.get("OPENAI_API_KEY") or "none")
        reply = client.chat.completions.create(
            model=os.environ["WORKBENCH_MODEL"], temperature=0.0,
            messages=[{"role": "user", "content": _LLM_PROMPT.format(
                truth=truth.description, concepts=", ".join(truth.concepts),
                composition=truth.composition, candidate=description)}])
        content = reply.choices[0].message.content or ""
        found = re.search(r"\{.*\}", content, re.S)
        answer = json.loads(found.group()) if found else {}
        return {"correct": bool(answer["right"]), "judge": "llm",
                "llm_reason": str(answer.get("reason", ""))[:500]}
    except Exception as error:  # noqa: BLE001 (an unreachable backbone must not stop scoring)
        return {"llm_error": f"{type(error).__name__}: {error}"[:300]}
