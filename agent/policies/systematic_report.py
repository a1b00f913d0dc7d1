"""What the systematic policy's answers say and cite: a vocabulary verdict's evidence rows, an
answer in open words, an undetermined answer, and the model-level answer of a background-bias
experiment, and the model-level answer of chain-of-thought experiments."""

from __future__ import annotations

from typing import Any

from agent.policies.candidates import Candidate
from agent.policies.selection import confidence
from tools.bias import BackgroundBias
from tools.cot import CotCorruption, CotTruncation, reliance_verdict


def concept_evidence(ps: dict[str, Any], verdict: dict | None = None) -> list[dict[str, Any]]:
    """Evidence rows (experiment, finding, numbers) for a vocabulary verdict."""
    evidence = []
    concepts = {c for c in ((verdict or {}).get("a"), (verdict or {}).get("b")) if c}
    singles = ps.get("singles")
    if singles:
        rows = [r for r in singles["rows"] if r["concept"] in concepts] or singles["rows"][:2]
        evidence.append({"experiment": singles["id"], "finding": "concept screen (AUC of "
                         "present vs absent)", "numbers": {r["concept"]: r["auc"]
                                                           for r in rows}})
    enrichment = ps.get("enrichment")
    if enrichment:
        rows = [r for r in enrichment["rows"] if r["concept"] in concepts] or (
            enrichment["rows"][:2])
        evidence.append({"experiment": enrichment["id"], "finding": "fraction of top "
                         "exemplars showing the concept (vs random sample)",
                         "numbers": {r["concept"]: {"share of top exemplars":
                                                    r["top_fraction"],
                                                    "share of a random sample":
                                                    r["base_fraction"]} for r in rows}})
    if verdict and verdict.get("means"):
        evidence.append({"experiment": ",".join(verdict["experiments"]),
                         "finding": f"2x2 design cell means, best fit {verdict['fit']}",
                         "numbers": {k: round(v, 4) for k, v in verdict["means"].items()}})
    if verdict and verdict.get("tree"):
        key = f"{verdict['composition']}|{verdict['a']}|{verdict['b']}"
        evidence.append({"experiment": ",".join(ps.get("extend_ids", {}).get(key, [])),
                         "finding": verdict.get("tree_why", ""), "numbers": {}})
    return evidence


def fits_evidence(ps: dict[str, Any]) -> list[dict[str, Any]]:
    fitted = [c for c in ps.get("pool", []) if c.fit is not None]
    if not fitted or not ps.get("fits_id"):
        return []
    return [{"experiment": ps["fits_id"], "finding": "candidate descriptions ranked on the "
             "exemplar split (rank correlation + AUC)",
             "numbers": {c.description: round(c.fit, 3) for c in fitted}}]

def open_answer(state: dict[str, Any], ps: dict[str, Any],
                chosen: Candidate) -> dict[str, Any]:
    text = f"fires on {chosen.description}"
    if state["subject_kind"] == "model":
        text = (f"the output {ps.get('target_unit')} named in the question {text}; "
                f"these inputs raise its score")
    dropped = [c for c in ps.get("pool", []) if c.source == "vocabulary"
               and c.status in ("contradicted", "not replicated")]
    evidence = [{"experiment": ps.get("open_id", ""), "finding": chosen.why,
                 "numbers": {"strength (share x log lift)": chosen.strength}}]
    evidence += fits_evidence(ps)
    if ps.get("conjunction"):
        cells = ps["conjunction"]["result"]["cells"]
        evidence.append({"experiment": ps["conjunction"]["id"],
                         "finding": "fresh stimuli where the halves of "
                         f"{_described(ps, ps.get('composed'))!r} meet and where they do not: "
                         f"{ps['conjunction']['result']['verdict']}",
                         "numbers": {f"{k} (standardised effect)": v["effect"]
                                     for k, v in cells.items() if v["effect"] is not None}})
    evidence += [{"experiment": ",".join(filter(None, [ps.get("singles", {}).get("id"),
                                                      ps.get("replication", {}).get("id")])),
                  "finding": f"vocabulary answer {c.description!r} dropped: {c.why}",
                  "numbers": {}} for c in dropped]
    return {"description": text, "label": chosen.label,
            "confidence": confidence(chosen, ps.get("verdict")), "concepts": [],
            "composition": "open", "evidence": evidence}

def _described(ps: dict[str, Any], cid: str | None) -> str:
    """A pool candidate's description by its id."""
    return next((c.description for c in ps.get("pool", []) if c.id == cid), cid or "")


def undetermined(ps: dict[str, Any]) -> dict[str, Any]:
    dropped = [f"{c.description!r} ({c.why})" for c in ps.get("pool", [])]
    return {"description": "no description held up: " + ("; ".join(dropped) if dropped
                                                         else "nothing stood out in the "
                                                         "exemplars or the screens"),
            "label": "undetermined", "confidence": 0.0,
            "evidence": concept_evidence(ps)}


def bias_conclusion(bias: dict[str, Any]) -> dict[str, Any]:
    """A model-level answer from a background-bias experiment: verdict, effect sizes, images."""
    result = BackgroundBias.model_validate(bias["result"])
    swap = result.effects["other_background"]
    alone = result.effects["object_only"]
    background = next(c for c in result.conditions if c.condition == "background_only")
    confidence = {"biased": 0.8, "not biased": 0.7}.get(result.verdict, 0.3)
    description = (
        f"{result.verdict.capitalize()}: {result.reason}. On {result.source}: putting the object on other backgrounds changes "
        f"p({result.class_name}) by {swap['probability_change']:+.3f} (95% interval "
        f"{swap['probability_low']:+.3f} to {swap['probability_high']:+.3f}); the object on a "
        f"plain background changes it by {alone['probability_change']:+.3f}; with the object "
        f"greyed out the class stays in the top 5 for {background.top5:.0%} of images.")
    numbers = {c.condition: {"mean p": c.mean_probability, "top-1": c.top1, "top-5": c.top5}
               for c in result.conditions}
    return {"description": description, "label": f"{result.verdict} ({result.class_name})",
            "confidence": confidence,
            "evidence": [{"experiment": bias["id"], "finding": result.headline(),
                          "numbers": numbers, "table": result.rows()}],
            "figures": bias.get("figures", [])}


def cot_verdict(cot: dict[str, Any]) -> tuple[str, str]:
    """The reliance verdict from the recorded truncation and corruption experiments."""
    truncation = CotTruncation.model_validate(cot["truncation"]["result"])
    final = CotCorruption.model_validate(cot["final"]["result"])
    step = CotCorruption.model_validate(cot["step"]["result"]) if "step" in cot else None
    return reliance_verdict((truncation.differs_without_chain, len(truncation.items)),
                            (final.changed, final.total),
                            (step.changed, step.total) if step else None)


def cot_conclusion(model: str, task: str, cot: dict[str, Any]) -> dict[str, Any]:
    """A model-level answer to "does this model rely on its chain of thought for <task>?"."""
    verdict, why = cot_verdict(cot)
    truncation = CotTruncation.model_validate(cot["truncation"]["result"])
    opening = {"relies": f"Yes: {model} relies on its chain of thought for {task}",
               "does not rely": f"No: {model} does not rely on its chain of thought for {task}",
               }.get(verdict, f"Not clear whether {model} relies on its chain of thought for "
                              f"{task}")
    description = (f"{opening}: {why}. The final answer's probability (among the candidate "
                   f"answers) goes from {truncation.mean_normalised[0]:.2f} with no chain to "
                   f"{truncation.mean_normalised[-1]:.2f} with all of it "
                   f"({len(truncation.items)} generated {task} items).")
    evidence = []
    for key in ("truncation", "final", "step"):
        if key in cot:
            result = (CotTruncation if key == "truncation" else CotCorruption).model_validate(
                cot[key]["result"])
            evidence.append({"experiment": cot[key]["id"], "finding": result.headline(),
                             "table": result.rows()})
    figures = [f for key in ("truncation", "final", "step") if key in cot
               for f in cot[key].get("figures", [])]
    return {"description": description, "label": f"{verdict} ({task})",
            "confidence": 0.8 if verdict != "inconclusive" else 0.3,
            "evidence": evidence, "figures": figures}
