"""The systematic policy's reading of its three experiments on fresh procedural stimuli:
`binding` (must a verdict's two properties sit on one object?), `conjunction` (is a
composition needed, or does a half drive the unit alone?) and `dissociate` (does a vocabulary
verdict or an open property drive the unit without the other?). Each reader updates the
candidate pool in the policy's state and returns the hypothesis updates it implies; `settle`
then gives every candidate its final status.
"""

from __future__ import annotations

from typing import Any

from agent.policies.base import ToolCall
from agent.policies.candidates import Candidate
from agent.policies.selection import choose, confidence
from agent.policies.systematic_designs import describe
from agent.state import AgentState, Hypothesis
from tools.binding import bindable, binding_row
from tools.conjunction import conjunction_row
from tools.dissociation import dissociation_row


def binding_call(state: AgentState, ps: dict[str, Any], unit: str) -> list[ToolCall]:
    """A vocabulary conjunction or exclusion of two properties one object can have (a
    colour and a shape, a shape and a side): the 2x2 design put both on one object, so
    whether the unit reads that object or the whole scene is still open (`binding`)."""
    verdict = ps.get("verdict") or {}
    if state["modality"] != "vision" or ps.get("binding") or verdict.get("tree") or \
            verdict.get("composition") not in ("and", "and_not") or not verdict.get("b") or \
            not bindable(verdict["a"], verdict["b"]):
        return []
    a, b = verdict["a"], verdict["b"]
    return [ToolCall("binding", {"unit": unit, "a": a, "b": b,
                                 "composition": verdict["composition"]},
                     f"scenes with {a!r} and {b!r} on one object and on two: must one "
                     "object have both, or only the image?",
                     [f"V-{verdict['composition']}-{a}-{b}"])]


def read_binding(ps: dict[str, Any], modality: str) -> list[Hypothesis]:
    """Read the binding experiment: a unit that reads one object gets the bound
    composition ("red circles", "circles, except where they are red")."""
    found = ps.get("binding")
    verdict = ps.get("verdict") or {}
    if not found or verdict.get("composition") not in ("and", "and_not"):
        return []
    result = found["result"]
    why = binding_row(result)
    candidate = {c.id: c for c in ps.get("pool", [])}.get(
        f"V-{verdict['composition']}-{verdict['a']}-{verdict['b']}")
    if result["verdict"] != "object" or candidate is None:
        return [] if candidate is None else [Hypothesis(
            id=candidate.id, note=f"the binding experiment keeps it ({why})",
            experiments=[found["id"]])]
    bound = f"bound_{verdict['composition']}"
    verdict["composition"] = bound
    text, label = describe(modality, bound, verdict["a"], verdict["b"])
    candidate.composition, candidate.label = bound, label
    candidate.description = text.removeprefix("fires on ")
    candidate.why = f"one object must have both ({why})"
    return [Hypothesis(id=candidate.id, statement=candidate.description,
                       composition=bound,  # type: ignore[typeddict-item]
                       note=f"on one object, not anywhere in the image ({why})",
                       experiments=[found["id"]])]


def read_conjunction(ps: dict[str, Any]) -> list[Hypothesis]:
    """Read the conjunction experiment: a needed composition is the answer and the halves
    it was tested against are contradicted; a composition one half explains alone is
    contradicted and that half is the answer."""
    found = ps.get("conjunction")
    if not found:
        return []
    by_id = {c.id: c for c in ps.get("pool", [])}
    composed = by_id[ps["composed"]]
    spec = composed.conjunction or {}
    result = found["result"]
    verdict = result["verdict"]
    why = conjunction_row(result)
    losers: list[Candidate] = []
    if verdict == "conjunction":
        losers = [by_id[i] for i in spec["part_ids"] + spec["property_ids"] if i in by_id]
        composed.status, composed.why = "replicated", f"needed on fresh stimuli ({why})"
        ps["forced"] = composed.id
        note = "alone it does not drive the unit on fresh stimuli; only together with " \
               f"the other half ({why})"
    elif verdict in ("part", "property", "either"):
        # the half that does not drive the unit alone is wrong too (not for "either")
        idle = {"part": "property_ids", "property": "part_ids"}.get(verdict, "")
        losers = [composed] + [by_id[i] for i in spec.get(idle, []) if i in by_id]
        note = f"without the other half it does not drive the unit on fresh stimuli " \
               f"({why})"
        alone = [by_id[i] for i in spec.get(f"{verdict}_ids", []) if i in by_id
                 and by_id[i].status not in ("contradicted", "not replicated")]
        # the driving half replaces an answer the experiment was about (the composition
        # or a half), never a vocabulary verdict or an unrelated candidate
        if alone and ps.get("composed_or_half"):
            ps["forced"] = alone[0].id
    for loser in losers:
        loser.status, loser.why = "contradicted", note
    return [Hypothesis(id=c.id, status="refuted", confidence=0.1, note=note,
                       experiments=[found["id"]]) for c in losers]


def contest(ps: dict[str, Any]) -> tuple[Candidate, Candidate]:
    by_id = {c.id: c for c in ps.get("pool", [])}
    causal, other = ps["contest"]
    return by_id[causal], by_id[other]


def read_dissociation(ps: dict[str, Any]) -> list[Hypothesis]:
    """The loser of a dissociation is contradicted: it moved the unit nowhere without the
    other explanation on fresh stimuli."""
    found = ps.get("dissociation")
    if not found:
        return []
    causal, other = contest(ps)
    result = found["result"]
    loser = {"property": causal, "concept": other}.get(result["verdict"])
    if loser is None:
        return []
    loser.status = "contradicted"
    loser.why = (f"on fresh stimuli without the other explanation it does not drive the "
                 f"unit ({dissociation_row(result)})")
    return [Hypothesis(id=loser.id, status="refuted", confidence=0.1, note=loser.why,
                       experiments=[found["id"]])]


def settle(ps: dict[str, Any], earlier: list[Hypothesis]) -> list[Hypothesis]:
    """Statuses once the candidates are ranked: the chosen one supported, the rest not;
    earlier vocabulary hypotheses stay supported only if the answer is theirs."""
    ps["stage"] = "selected"
    forced = {c.id: c for c in ps.get("pool", [])}.get(ps.get("forced", ""))
    chosen = forced or choose(ps.get("pool", []), natural=bool(ps.get("fits_natural")),
                              informative=ps.get("fits_informative", True),
                              broad=bool(ps.get("fits_broad")))
    ps["chosen"] = chosen
    updates = []
    if chosen is None or chosen.source != "vocabulary":
        final = chosen.description if chosen else "no description"
        updates += [Hypothesis(id=h["id"], status="inconclusive", confidence=0.1,
                               note=f"did not hold up to the last round; the answer is "
                               f"{final!r}")
                    for h in earlier if h.get("status") == "supported" and h["id"] != "H1"
                    and h["id"][:2] not in ("V-", "O-")]
    for c in ps.get("pool", []):
        if c.status in ("contradicted", "not replicated"):
            continue
        if c is chosen:
            updates.append(Hypothesis(id=c.id, status="supported",
                                      confidence=confidence(c, ps.get("verdict"))))
        else:
            worse = chosen is not None and c.fit is not None and chosen.fit is not None \
                and c.fit < chosen.fit - 0.2 and ps.get("fits_informative", True)
            longer = chosen is not None and c.fit is not None and chosen.fit is not None \
                and c.fit > chosen.fit and c.alternatives > chosen.alternatives \
                and bool(ps.get("fits_natural"))
            narrower = chosen is not None and c.fit is not None and chosen.fit is not None \
                and c.fit > chosen.fit and c.alternatives == chosen.alternatives \
                and bool(ps.get("fits_broad")) and c.coverage < chosen.coverage
            updates.append(Hypothesis(
                id=c.id, status="refuted" if worse else "inconclusive", confidence=0.1,
                note=(f"fits the exemplar split worse ({c.fit:.2f} vs {chosen.fit:.2f})"
                      if worse else f"fits the exemplar split a little better ({c.fit:.3f}"
                      f" vs {chosen.fit:.3f}) but within one standard error of the best "
                      f"fit, and names {c.alternatives} alternatives to the answer's "
                      f"{chosen.alternatives}: the shorter description is kept" if longer
                      else f"fits the exemplar split a little better ({c.fit:.3f} vs "
                      f"{chosen.fit:.3f}) but within one standard error of the best fit, and "
                      f"speaks for fewer of the firing photos ({c.coverage:.0%} vs "
                      f"{chosen.coverage:.0%}): the broader description is kept" if narrower
                      else "not chosen: the conjunction experiment on fresh stimuli decided "
                      "the answer" if forced is not None else "not chosen: another candidate fits as well or "
                      "better, or was tested causally" if ps.get("fits_informative", True)
                      else "not chosen: the exemplar split cannot tell candidates apart "
                      "(random stimuli fire as much as the top ones); the answer speaks "
                      "for more of the firing exemplars")))
    return updates
