"""From candidates to one description: replication of vocabulary concepts, and the choice
between them and the open candidates (`agent.policies.candidates`) on the exemplar split.

A vocabulary concept is reported only when it replicates: its first screen and a second screen
on fresh stimuli (another seed) both show it raising the unit, or a 2x2 design shows it driving
the unit on its own; a concept its own exemplar statistics or design cells contradict is
dropped. The survivors, with the broad open pool, are ranked by `rank_descriptions` on the
exemplar split (the top exemplars and fresh ones), never on held-out data.
"""

from __future__ import annotations

from typing import Any

from agent.policies.candidates import Candidate

#: A screen "shows" a concept when its AUC reaches this; replication needs it twice.
REPLICATION_AUC = 0.65
#: How much better (rank correlation + AUC) an open candidate must fit to replace a vocabulary
#: verdict that experiments support causally: this much, plus CAUSAL_WEIGHT times the
#: verdict's own confidence (a clean 2x2 design is worth more than a correlation).
CAUSAL_MARGIN = 0.1
CAUSAL_WEIGHT = 0.4


def replication(concept: str, screens: list[dict[str, Any]], designs: list[dict[str, Any]],
                enrichment: list[dict[str, Any]]) -> tuple[str, str]:
    """(status, why) of a vocabulary concept from every screen, design and exemplar statistic
    that measured it: "replicated", "not replicated" or "contradicted"."""
    aucs = [row["auc"] for screen in screens for row in screen["rows"]
            if row["concept"] == concept]
    alone = [d["effects"]["a_alone" if d["a"] == concept else "b_alone"] for d in designs
             if concept in (d["a"], d["b"]) and d.get("effects")]
    lift = next((row for row in enrichment if row["concept"] == concept), None)
    if alone and all(e["size"] < 0.15 for e in alone) and not any(
            d["pattern"] in ("and",) and concept in (d["a"], d["b"]) for d in designs):
        return "contradicted", (f"alone it moves the unit by at most "
                                f"{max(e['size'] for e in alone):.0%} of the design's range in "
                                f"{len(alone)} 2x2 design(s)")
    if lift is not None and lift["top_fraction"] < lift["base_fraction"] and not any(
            a >= REPLICATION_AUC for a in aucs):
        return "contradicted", (f"in {lift['top_fraction']:.0%} of top exemplars vs "
                                f"{lift['base_fraction']:.0%} at random")
    if any(e["size"] >= 0.25 and e["z"] >= 3 for e in alone) or any(
            d["pattern"] not in ("none", "single_a", "single_b") and concept in (d["a"], d["b"])
            for d in designs):
        return "replicated", "a 2x2 design on fresh stimuli shows its effect"
    strong = [a for a in aucs if a >= REPLICATION_AUC]
    if len(strong) >= 2:
        return "replicated", (f"AUC {', '.join(f'{a:.2f}' for a in aucs)} in "
                              f"{len(aucs)} screens on different stimuli")
    return "not replicated", ("AUC " + ", ".join(f"{a:.2f}" for a in aucs) + " across screens"
                              if aucs else "never screened")


def choose(candidates: list[Candidate], natural: bool = False,
           informative: bool = True, broad: bool = False) -> Candidate | None:
    """The candidate to conclude with: the best fit on the exemplar split among those not
    contradicted (vocabulary ones must have replicated). On procedural exemplars a replicated
    vocabulary verdict keeps the answer unless an open one fits clearly better. On natural
    exemplars (`natural`) the verdict, measured on generated stimuli, gets no head start (the
    question is what the unit does on real data), and of the candidates that fit within one
    standard error of the best the one that names the fewest alternatives wins: the
    one-standard-error rule (Breiman et al. 1984, "Classification and Regression Trees";
    Hastie et al. 2009, "The Elements of Statistical Learning", 7.10). A listing "A, B or C"
    is said only when it fits clearly better than a shorter one, since an item read off the
    top exemplars raises the fit on those exemplars whether or not the unit fires on it
    elsewhere. With `broad` (natural photos, whose labels come in two levels: "giraffe" and
    its category "animal"), of the equally short candidates within that standard error the
    one that speaks for the most firing exemplars (`Candidate.coverage`) wins, then the best
    fit: the label read off a few top photos fits those photos a little better than their
    category and predicts the unit's other photos worse (on real EfficientNet units "giraffe",
    "farm animal" and "bovines" each told held-out photos apart less well than "animal", in
    `bench report` of 1c1e3a0). A verdict from generated stimuli speaks for an unknown share
    of the photos and comes last among equals. Without fits, or with fits that cannot tell
    descriptions apart (`informative` False: random stimuli fire as much as the top ones),
    the replicated vocabulary verdict, else the open candidate that speaks for the most
    firing exemplars (then the strongest)."""
    eligible = [c for c in candidates if c.status not in ("contradicted", "not replicated")]
    if not eligible:
        return None
    fitted = [c for c in eligible if c.fit is not None] if informative else []
    causal = [c for c in eligible if c.source == "vocabulary"]
    if not fitted:
        return causal[0] if causal else max(eligible, key=lambda c: (c.coverage, c.strength))
    best = max(fitted, key=lambda c: c.fit)
    if natural:
        near = [c for c in fitted if c.fit >= best.fit - (best.fit_se or 0.0)]
        if broad:
            return min(near, key=lambda c: (c.alternatives, -c.coverage, -c.fit))
        return min(near, key=lambda c: (c.alternatives, -c.fit))
    margin = CAUSAL_MARGIN + CAUSAL_WEIGHT * (causal[0].confidence if causal else 0.0)
    if causal and causal[0].fit is not None and causal[0].fit >= best.fit - margin:
        return causal[0]
    return best


def contested(candidates: list[Candidate], natural: bool, testable: Any
               ) -> tuple[Candidate, Candidate] | None:
    """(vocabulary verdict, open candidate) when `choose` would keep the verdict only by its
    head start over an open candidate that fits the exemplar split better and names a property
    `testable(description)` says can be checked on fresh stimuli: the two should be told apart
    by experiment (`dissociate`), not by the head start."""
    eligible = [c for c in candidates if c.status not in ("contradicted", "not replicated")]
    causal = [c for c in eligible if c.source == "vocabulary"]
    if natural or not causal or causal[0].fit is None or causal[0].composition not in (
            "single", "or", "and") or len(causal[0].concepts) > 2:
        return None
    better = [c for c in eligible if c.source != "vocabulary" and c.fit is not None
              and c.fit > causal[0].fit and testable(c.description)]
    if not better or choose(candidates, natural) is not causal[0]:
        return None
    return causal[0], max(better, key=lambda c: c.fit)


def composed_contender(candidates: list[Candidate], natural: bool, informative: bool = True
                       ) -> Candidate | None:
    """On procedural exemplars, the best-fitting composition of a part and a property
    (`Candidate.conjunction`) that is the open answer `choose` gives or fits within one
    standard error of it: on the exemplar split a composition and its parts often fit alike,
    and only fresh stimuli where they come apart (`conjunction`) tell which one the unit
    reads. When the answer is a vocabulary verdict that is itself a conjunction ("circles
    only together with objects at the top", kept by its causal head start), a composition
    that fits better outright: both claim that two things must meet, and once the open one is
    tested too they meet on fit alone. A single-concept verdict keeps its head start ("names
    of weekdays and months" over "words for time periods capitalised inside a sentence", a
    special case that fits the exemplars a little better). None on natural exemplars (no
    generator to draw fresh ones) or when no composition is close."""
    if natural or not informative:
        return None
    chosen = choose(candidates, natural)
    if chosen is None or chosen.fit is None:
        return None
    if chosen.source == "vocabulary":
        if chosen.composition not in ("and", "bound_and"):
            return None
        close = [c for c in candidates if c.conjunction and c.fit is not None
                 and c.status not in ("contradicted", "not replicated") and c.fit > chosen.fit]
        return max(close, key=lambda c: c.fit) if close else None
    close = [c for c in candidates if c.conjunction and c.fit is not None
             and c.status not in ("contradicted", "not replicated")
             and (c is chosen or c.fit >= chosen.fit - (chosen.fit_se or 0.0))]
    return max(close, key=lambda c: c.fit) if close else None


def confidence(c: Candidate, verdict: dict[str, Any] | None) -> float:
    """A chosen candidate's confidence: a replicated vocabulary verdict keeps its design's; an
    open candidate gets its fit on the exemplar split (rank correlation + AUC - 0.5), never
    more than 0.8 without a causal experiment."""
    if c.source == "vocabulary":
        return round(max(0.2, float((verdict or {}).get("confidence", c.confidence))), 3)
    if c.fit is None:
        return round(min(0.5, 0.2 + c.strength / 4), 3)
    return round(min(0.8, max(0.2, c.fit - 0.5)), 3)


def screens(ps: dict[str, Any]) -> list[dict[str, Any]]:
    """The unconditional screens a run made (the first and the replication)."""
    return [ps[k] for k in ("singles", "replication") if ps.get(k)]


def designs(ps: dict[str, Any]) -> list[dict[str, Any]]:
    """The 2x2 designs a run read: {a, b, pattern, effects}."""
    a = (ps.get("candidates") or [None])[0]
    return [{"a": a, "b": r["b"], "pattern": r["pattern"], "effects": r["effects"]}
            for r in ps.get("factorial", []) if r.get("effects")]
