"""The local policy's bookkeeping of evidence per concept: scores from screens, probes, text
contrasts and exemplar lift, and the confidence they give a hypothesis or a verdict.

Functions of the policy's JSON scratchpad (`ps`), so they are testable without a model.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from agent.evidence import CELLS, classify_cells, clip, standardised
from agent.policies.base import experiment_result
from agent.state import AgentState, Hypothesis
from tools.results import (
    ConceptEnrichment,
    ConceptProbe,
    ConceptScreen,
    ConceptScreenRow,
    TextCall,
)

UMBRELLA = "H0"
# Only the evidence kinds that manipulate the input count as causal; exemplar lift is
# correlational and only nominates concepts.
CAUSAL_KINDS = ("screen", "probe", "call")


def call_key(tool: str, arguments: dict[str, Any]) -> str:
    """A canonical key for a tool call, to recognise repeats and match observations."""
    return json.dumps([tool, arguments], sort_keys=True)


def ranked_concepts(ps: dict[str, Any]) -> list[tuple[str, float]]:
    """Concepts with any evidence, by score: the mean causal score, else half the lift."""
    scores = {}
    for concept, kinds in ps.get("evidence", {}).items():
        causal = [kinds[k] for k in CAUSAL_KINDS if k in kinds]
        scores[concept] = (float(np.mean(causal)) if causal
                           else 0.5 * kinds.get("lift", 0.0))
    return sorted(((c, round(s, 3)) for c, s in scores.items() if s > 0),
                  key=lambda kv: -kv[1])

def cell_key(include: list[str], exclude: list[str]) -> str:
    return "+" + ",".join(sorted(include)) + "-" + ",".join(sorted(exclude))

def probe_evidence(ps: dict[str, Any]) -> None:
    """A concept's probe score: its cell against its baseline cell, when both ran."""
    probes = ps.get("probes", {})
    for cell in probes.values():
        if len(cell["include"]) != 1 or cell["exclude"]:
            continue
        concept = cell["include"][0]
        base = probes.get(cell_key([], [concept]))
        if base:
            ps.setdefault("evidence", {}).setdefault(concept, {})["probe"] = standardised(
                cell, base)

def hypothesis_evidence(h: Hypothesis, ps: dict[str, Any]) -> tuple[str, float]:
    """The numbers that bear on a hypothesis (as text for the LM) and a confidence."""
    if h["id"] == UMBRELLA:
        ranked = ranked_concepts(ps)
        if not ps.get("evidence"):
            return "", 0.5
        if not ranked:
            return "no concept raised the unit", 0.0
        return (f"best concepts {', '.join(f'{c} {s:.2f}' for c, s in ranked[:3])}",
                clip(ranked[0][1]))
    concepts = h.get("concepts") or []
    if not concepts:
        return "", 0.5
    kinds = ps.get("evidence", {}).get(concepts[0], {})
    parts = []
    if "screen" in kinds:
        parts.append(f"screen AUC {ps.get('aucs', {}).get(concepts[0], 0.5):.2f}")
    probes = ps.get("probes", {})
    with_c = probes.get(cell_key([concepts[0]], []))
    without = probes.get(cell_key([], [concepts[0]]))
    if with_c:
        parts.append(f"mean with {with_c['mean']:.3g}")
    if without:
        parts.append(f"mean without {without['mean']:.3g}")
    if "call" in kinds:
        parts.append(f"texts with vs without separation {kinds['call']:.2f}")
    if "lift" in kinds:
        parts.append(f"exemplar lift {kinds['lift']:.2f}")
    score = dict(ranked_concepts(ps)).get(concepts[0], 0.0)
    return "; ".join(parts), clip(score)

def verdict_confidence(verdict: dict[str, Any], ps: dict[str, Any], n: int) -> float:
    """Confidence of the chosen description, from the numbers alone."""
    scores = dict(ranked_concepts(ps))
    a, b, composition = verdict["a"], verdict["b"], verdict["composition"]
    reading = factorial(ps, a, b, n) if b else None
    if composition == "single":
        base = scores.get(a, 0.0)
        # without a causal experiment the score is only exemplar lift: halve it again
        causal = any(k in ps.get("evidence", {}).get(a, {}) for k in CAUSAL_KINDS)
        return clip(base * (0.8 if causal else 0.4))
    if reading is not None:
        expected = {"or": ("or",), "and": ("and",), "and_not": ("and_not_ab",)}[composition]
        return clip(reading["confidence"] if reading["pattern"] in expected else 0.1)
    if composition == "or":
        return clip(0.6 * min(scores.get(a, 0.0), scores.get(b, 0.0)))
    return 0.15  # a conjunction never tested in a 2x2 design is a guess

def factorial(ps: dict[str, Any], a: str, b: str, n: int) -> dict[str, Any] | None:
    probes = ps.get("probes", {})
    layout = {"ab": ([a, b], []), "a_only": ([a], [b]), "b_only": ([b], [a]),
              "neither": ([], [a, b])}
    cells = {name: probes.get(cell_key(*parts)) for name, parts in layout.items()}
    if any(cells[c] is None for c in CELLS):
        return None
    return classify_cells({c: cells[c] for c in CELLS}, n)

def evidence_for(state: AgentState, ps: dict[str, Any],
              concepts: list[str]) -> list[dict[str, Any]]:
    """Experiments that bear on the chosen concepts, with their numbers."""
    evidence = []
    for exp in state.get("experiments", []):
        if exp.get("error"):
            continue
        result = experiment_result(exp, state["modality"])
        if isinstance(result, ConceptScreen | ConceptEnrichment):
            rows = {r.concept: r for r in result.concepts if r.concept in concepts}
            if rows:
                numbers = {c: (r.auc if isinstance(r, ConceptScreenRow) else r.lift)
                           for c, r in rows.items()}
                evidence.append({"experiment": exp["id"], "finding": exp["summary"][:160],
                                 "numbers": numbers})
        elif isinstance(result, ConceptProbe) and set(
                result.include + result.exclude) & set(concepts):
            evidence.append({"experiment": exp["id"], "finding": exp["summary"][:160],
                             "numbers": {"mean": round(result.mean, 5),
                                         "std": round(result.std, 5)}})
        elif isinstance(result, TextCall):
            meta = ps.get("call_meta", {}).get(call_key("call_unit", exp["arguments"]))
            if meta and meta["concept"] in concepts:
                evidence.append({"experiment": exp["id"],
                                 "finding": f"texts with vs without {meta['concept']}",
                                 "numbers": {"max": result.max,
                                             "positives": meta["positives"]}})
    return evidence
