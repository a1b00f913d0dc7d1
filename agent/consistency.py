"""Does a run's answer follow from its own evidence? Checks any policy's transcript can pass.

An answer may not name a concept that its own experiments refute: a concept the exemplar
statistics show under-represented among the unit's top exemplars, or one that every 2x2
design showed doing nothing on its own. Every hypothesis ends with a final status; a
"supported" hypothesis has a confidence to match; an answer cut short by a budget claims little.
"""

from __future__ import annotations

from typing import Any

from agent.events import Event
from agent.policies.base import experiment_result
from tools.results import ConceptEnrichment, ConceptProbe

FINAL_STATUSES = ("supported", "refuted", "inconclusive")
#: A design cell "does nothing" when a-alone differs from neither by less than this share of
#: the design's range (the same scale the systematic policy reads designs on).
NO_EFFECT = 0.15


def _designs(experiments: list[dict[str, Any]], modality: str) -> list[dict[str, dict]]:
    """2x2 designs from probe experiments: {concept: {"alone": mean, "neither": mean, ...}}."""
    cells: dict[frozenset, dict[str, float]] = {}
    for experiment in experiments:
        result = experiment_result(experiment, modality)
        if isinstance(result, ConceptProbe):
            pair = frozenset(result.include + result.exclude)
            if len(pair) == 2:
                cells.setdefault(pair, {})["|".join(sorted(result.include))] = result.mean
    designs = []
    for pair, means in cells.items():
        a, b = sorted(pair)
        if {"", a, b, f"{a}|{b}"} <= set(means):
            designs.append({"a": a, "b": b, "means": means})
    return designs


def problems(events: list[Event]) -> list[str]:
    """What in a run's answer its own evidence contradicts (empty when nothing does)."""
    started = next((e.data for e in events if e.type == "run_started"), {})
    modality = started.get("modality", "vision")
    experiments = [{"id": e.data.get("experiment"), "tool": e.data.get("tool"),
                    "data": e.data.get("data"), "error": e.data.get("error")}
                   for e in events if e.type == "observation"]
    finals = [e.data for e in events if e.type == "final_answer"]
    if not finals:
        return ["the run has no answer"]
    final = finals[-1]
    found: list[str] = []
    for hypothesis in final.get("hypotheses") or []:
        status = hypothesis.get("status")
        if status not in FINAL_STATUSES:
            found.append(f"hypothesis {hypothesis.get('id')} ends without a final status "
                         f"({status!r})")
        if status == "supported" and float(hypothesis.get("confidence") or 0) < 0.2:
            found.append(f"hypothesis {hypothesis.get('id')} is supported with confidence "
                         f"{float(hypothesis.get('confidence') or 0):.2f}")
    if "budget" in str(final.get("stop_reason", "")) and float(final.get("confidence", 0)) > 0.5:
        found.append("an answer cut short by a budget claims more than 0.5 confidence")
    named = [c for c in final.get("concepts") or [] if isinstance(c, str)]
    excluded = set(final.get("excluded_concepts") or [])
    for experiment in experiments:
        result = experiment_result(experiment, modality)
        if isinstance(result, ConceptEnrichment) and max(result.top_values or [0]) > 0:
            for row in result.concepts:
                if row.concept in named and row.concept not in excluded and (
                        row.top_fraction < row.base_fraction):
                    found.append(f"the answer names {row.concept!r}, which is rarer among the "
                                 f"top exemplars ({row.top_fraction:.0%}) than at random "
                                 f"({row.base_fraction:.0%}) in {experiment['id']}")
    if final.get("composition") == "single" and len(named) == 1:
        concept = named[0]
        designs = [d for d in _designs(experiments, modality) if concept in (d["a"], d["b"])]
        inert = []
        for design in designs:
            means = design["means"]
            span = max(means.values()) - min(means.values())
            alone = means[concept] - means[""]
            if span > 0 and alone / span < NO_EFFECT:
                inert.append(design)
        if designs and len(inert) == len(designs):
            found.append(f"the answer names {concept!r} alone, but in every 2x2 design "
                         f"({len(designs)}) it does nothing without its partner")
    return found
