"""The systematic policy's reading of its screens and 2x2 designs: which concepts lead, which
partners to test, and which composition the designs support."""

from __future__ import annotations

from typing import Any

from agent.evidence import CELLS, classify_cells
from agent.state import Hypothesis
from models.concepts import describe as describe_concepts


def describe(modality: str, composition: str, a: str, b: str | None = None) -> tuple[str, str]:
    """A description in plain words and a short label for a (composed) vocabulary concept."""
    return describe_concepts(modality, "single" if b is None else composition,
                             [a] if b is None else [a, b])


def ranked_singles(ps: dict[str, Any]) -> list[tuple[str, float]]:
    """Concepts ranked by causal AUC and exemplar lift; only those with some signal."""
    scores: dict[str, float] = {}
    for row in ps.get("singles", {}).get("rows", []):
        scores[row["concept"]] = max(row["auc"] - 0.5, 0.0) * 2
    firing = max(ps.get("enrichment", {}).get("top_values", [0.0]) or [0.0]) > 0
    # either kind of evidence can nominate a concept: a causal effect alone, or (for
    # conjunctions, where single concepts do nothing alone) over-representation among the
    # exemplars that fire
    for row in ps.get("enrichment", {}).get("rows", []):
        lift = max(row["lift"], 0.0) if firing else 0.0
        scores[row["concept"]] = max(scores.get(row["concept"], 0.0), lift)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return [(c, s) for c, s in ranked if s >= 0.25]

def partners(ps: dict[str, Any], a: str, max_partners: int) -> list[tuple[str, str]]:
    """Candidate (partner, composition) pairs for the factorial round."""
    found: list[tuple[str, str]] = []
    without = [r for r in ps.get("without", {}).get("rows", []) if r["concept"] != a]
    if without:
        strongest = max(without, key=lambda r: r["auc"])
        if strongest["auc"] >= 0.75:  # it drives the unit even without a: OR candidate
            found.append((strongest["concept"], "or"))
    conditional = [r for r in ps.get("conditional", {}).get("rows", []) if r["concept"] != a]
    if conditional:
        lowest = min(conditional, key=lambda r: r["auc"])
        if lowest["auc"] <= 0.25 and all(lowest["concept"] != b for b, _ in found):
            found.append((lowest["concept"], "and_not"))
        highest = max(conditional, key=lambda r: r["auc"])
        if highest["auc"] >= 0.75 and all(highest["concept"] != b for b, _ in found):
            found.append((highest["concept"], "and"))
    for concept in ps.get("candidates", [])[1:]:
        if all(concept != b for b, _ in found):
            singles = {r["concept"]: r for r in ps.get("singles", {}).get("rows", [])}
            composition = "or" if singles.get(concept, {}).get("auc", 0) >= 0.7 else "and"
            found.append((concept, composition))
    return found[:max_partners]

def judge_factorial(ps: dict[str, Any], modality: str, n: int) -> list[Hypothesis]:
    """Read every 2x2 design of the factorial round; set the verdict; statuses of the
    composition hypotheses."""
    a = ps["candidates"][0]
    best = None
    results = []
    for b, composition in ps.get("partners", []):
        cells = ps.get("cells", {}).get("|".join(sorted([a, b])), {})
        # concepts that cannot co-occur (two background patterns) have no "ab" cell, and
        # one that implies the other (prices imply numbers) has no "b_only" cell
        if "neither" not in cells or len(cells) < 3:
            continue
        reading = classify_cells(cells, n)
        results.append({"b": b, "proposed": composition, **reading,
                        "experiments": [cells[c]["id"] for c in CELLS if c in cells]})
        # A composition found in any pair outranks "single" readings of other pairs: those
        # only show that their partner does not matter.
        # Among strong readings prefer the positive conjunction, then OR, then AND-NOT:
        # "circles on the left" and "circles unless on the right" can both fit.
        preference = {"and": 3, "or": 2, "and_not_ab": 1, "and_not_ba": 1}
        rank = (reading["pattern"] not in ("single_a", "single_b", "none"),
                round(reading["confidence"], 1), preference.get(reading["pattern"], 0),
                reading["confidence"])
        if reading["pattern"] != "none" and (best is None or rank > best[3]):
            best = (reading, b, results[-1], rank)
    ps["factorial"] = results
    ps["stage"] = "judged"
    updates: list[Hypothesis] = []
    if best is None:
        return updates
    top, b, result, _ = best
    pattern = top["pattern"]
    composition, first, second = {
        "single_a": ("single", a, None), "single_b": ("single", b, None),
        "or": ("or", a, b), "and": ("and", a, b), "and_not_ab": ("and_not", a, b),
        "and_not_ba": ("and_not", b, a)}[pattern]
    confidence = top["confidence"]
    ps["verdict"] = {"composition": composition, "a": first, "b": second,
                     "confidence": confidence, "fit": {"pattern": pattern,
                                                       "effects": top["effects"]},
                     "means": result["means"],
                     "experiments": result["experiments"]}
    for r in results:
        for b_, comp in [(r["b"], r["proposed"])]:
            hid = f"C-{comp}-{a}-{b_}"
            chosen = composition == comp and second == b_ and first == a
            updates.append(Hypothesis(id=hid, status="supported" if chosen else "refuted",
                                      confidence=confidence if chosen else 0.1))
    if composition == "single":
        hid = f"S-{first}"
        text, _ = describe(modality, "single", first)
        updates.append(Hypothesis(id=hid, statement=text, concepts=[first],
                                  composition="single", status="supported",
                                  confidence=confidence,
                                  experiments=result["experiments"]))
    elif pattern == "and_not_ba":
        text, _ = describe(modality, "and_not", first, second)
        updates.append(Hypothesis(id=f"C-and_not-{first}-{second}", statement=text,
                                  concepts=[first, second], composition="and_not",
                                  status="supported", confidence=confidence,
                                  experiments=result["experiments"]))
    elif composition != next((c for bb, c in ps["partners"] if bb == b), None):
        text, _ = describe(modality, composition, first, second)
        updates.append(Hypothesis(id=f"C-{composition}-{first}-{second}", statement=text,
                                  concepts=[first, second], composition=composition,
                                  status="supported", confidence=confidence,
                                  experiments=result["experiments"]))
    return updates
