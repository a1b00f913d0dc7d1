"""The systematic experimenter: a policy that needs no LLM and follows a fixed scientific plan.

Round 1 surveys: which vocabulary concepts are over-represented among the unit's top exemplars
(correlational), and which raise the unit when present in fresh contrastive stimuli (causal
screen, AUC per concept). Round 2 takes the best concept `a` and screens every other concept
with `a` already present: a concept that silences the unit suggests AND-NOT, one that is
needed suggests AND. Round 3 runs a 2x2 factorial design (a, b present or absent) for each
candidate partner and fits single, OR, AND and AND-NOT response patterns to the four cell
means; the simplest pattern that fits wins. Model-level questions are reduced to the output
unit they are about (a class logit, or the logit of a quoted token).
"""

from __future__ import annotations

import re
from typing import Any

from agent.evidence import CELLS, classify_cells
from agent.policies.base import Policy, PolicyEnv, ToolCall, experiment_result, register_policy
from agent.state import AgentState, Hypothesis
from models.concepts import describe as describe_concepts
from tools.results import ConceptEnrichment, ConceptProbe, ConceptScreen


def describe(modality: str, composition: str, a: str, b: str | None = None) -> tuple[str, str]:
    """A description in plain words and a short label for a (composed) vocabulary concept."""
    return describe_concepts(modality, "single" if b is None else composition,
                             [a] if b is None else [a, b])


@register_policy("systematic")
class SystematicPolicy(Policy):
    """The built-in experimenter (offline default and the baseline LLM policies must beat).

    Args:
        n: stimuli per condition in screens and design cells.
        exemplars: how many top exemplars to tag.
        max_partners: candidate partner concepts tested in the factorial round.
    """

    order = 0

    def __init__(self, n: int = 8, exemplars: int = 16, max_partners: int = 3) -> None:
        self.n = n
        self.k = exemplars
        self.max_partners = max_partners

    def config(self) -> dict[str, Any]:
        return {"policy": self.name, "n": self.n, "exemplars": self.k,
                "max_partners": self.max_partners}

    # --- the subject -----------------------------------------------------------------------

    def _unit(self, state: AgentState, env: PolicyEnv) -> str | None:
        """The unit under study; for model-level questions, the output unit they name."""
        if state["subject_kind"] == "unit":
            return state["subject"]
        if "target_unit" in env.policy_state:
            return env.policy_state["target_unit"]
        target = output_unit_for_question(state["subject"], state["question"])
        env.policy_state["target_unit"] = target
        return target

    # --- the five steps --------------------------------------------------------------------

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        unit = self._unit(state, env)
        if unit is None:
            ps["stage"] = "unanswerable"
            return []
        if state["round"] == 1:
            ps["stage"] = "survey"
            return [Hypothesis(id="H1", statement=(
                f"{unit} is selective for at least one concept of the {state['modality']} "
                f"vocabulary"), status="open", confidence=0.5)]
        if ps.get("stage") == "survey":
            ps["stage"] = "conditional"
            ranked = self._ranked_singles(ps)
            ps["candidates"] = [c for c, _ in ranked[:3]]
            hypotheses = []
            for concept, score in ranked[:3]:
                text, _ = describe(state["modality"], "single", concept)
                hypotheses.append(Hypothesis(id=f"S-{concept}", statement=text,
                                             concepts=[concept], composition="single",
                                             status="open",
                                             confidence=round(min(score, 1.0), 3)))
            return hypotheses
        if ps.get("stage") == "conditional":
            ps["stage"] = "factorial"
            a = ps["candidates"][0]
            # each partner costs four tool calls (one per design cell): stay within budget
            affordable = max(1, int(env.budget_left.get("tool_calls", 99)) // 4)
            partners = self._partners(ps, a)[:affordable]
            ps["partners"] = partners
            hypotheses = []
            for b, composition in partners:
                text, _ = describe(state["modality"], composition, a, b)
                hypotheses.append(Hypothesis(id=f"C-{composition}-{a}-{b}", statement=text,
                                             concepts=[a, b], composition=composition,
                                             status="open", confidence=0.4))
            return hypotheses
        return []

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        ps = env.policy_state
        unit = self._unit(state, env)
        stage = ps.get("stage")
        if unit is None or stage == "unanswerable":
            return []
        if stage == "survey":
            return [
                ToolCall("dataset_exemplars", {"unit": unit, "k": 8},
                         "look at what the unit responds to most in the corpus", ["H1"]),
                ToolCall("exemplar_concepts", {"unit": unit, "k": self.k},
                         "which concepts are over-represented among the top exemplars", ["H1"]),
                ToolCall("screen_concepts", {"unit": unit, "n": self.n},
                         "causal screen: each concept present vs absent in fresh stimuli",
                         ["H1"]),
            ]
        if stage == "conditional":
            a = ps["candidates"][0]
            ids = [f"S-{c}" for c in ps["candidates"]]
            return [ToolCall("screen_concepts", {"unit": unit, "n": self.n, "given": [a]},
                             f"with {a} present, which other concepts raise or silence the unit",
                             ids),
                    ToolCall("screen_concepts", {"unit": unit, "n": self.n, "absent": [a]},
                             f"with {a} absent, does any other concept still drive the unit",
                             ids)]
        if stage == "factorial":
            a = ps["candidates"][0]
            calls = []
            for b, composition in ps.get("partners", []):
                hid = [f"C-{composition}-{a}-{b}", f"S-{a}"]
                for cell, include, exclude in (("ab", [a, b], []), ("a_only", [a], [b]),
                                               ("b_only", [b], [a]), ("neither", [], [a, b])):
                    calls.append(ToolCall(
                        "probe_concepts",
                        {"unit": unit, "include": include, "exclude": exclude, "n": self.n,
                         "seed": 1},
                        f"2x2 design {a} x {b}: cell {cell}", hid))
            return calls
        return []

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        for exp in new_experiments:
            if exp.get("error"):
                ps.setdefault("failed", []).append({"id": exp["id"], "error": exp["error"]})
                continue
            result = experiment_result(exp, state["modality"])
            if isinstance(result, ConceptEnrichment):
                ps["enrichment"] = {"id": exp["id"],
                                    "rows": [r.model_dump() for r in result.concepts],
                                    "top_values": result.top_values}
            elif isinstance(result, ConceptScreen):
                rows = [r.model_dump() for r in result.concepts]
                if result.absent:
                    ps["without"] = {"id": exp["id"], "absent": result.absent, "rows": rows}
                elif not result.given:
                    ps["singles"] = {"id": exp["id"], "rows": rows}
                else:
                    ps["conditional"] = {"id": exp["id"], "given": result.given, "rows": rows}
            elif isinstance(result, ConceptProbe):
                include, exclude = result.include, result.exclude
                key = "|".join(sorted(include + exclude))
                cell = ("ab" if len(include) == 2 else "neither" if not include else
                        "a_only" if include[0] == ps["candidates"][0] else "b_only")
                ps.setdefault("cells", {}).setdefault(key, {})[cell] = {
                    "id": exp["id"], "mean": result.mean, "std": result.std}

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        stage = ps.get("stage")
        if stage == "survey":
            ranked = self._ranked_singles(ps)
            best = ranked[0][1] if ranked else 0.0
            status = "supported" if best >= 0.4 else "refuted"
            return [Hypothesis(id="H1", status=status, confidence=round(min(best, 1.0), 3))]
        if stage == "conditional":
            updates = []
            rows = {r["concept"]: r for r in ps.get("singles", {}).get("rows", [])}
            for concept in ps.get("candidates", []):
                if concept in rows:
                    auc_value = rows[concept]["auc"]
                    updates.append(Hypothesis(
                        id=f"S-{concept}", confidence=round(max(auc_value - 0.5, 0) * 2, 3),
                        status="supported" if auc_value >= 0.8 else "open"))
            return updates
        if stage == "factorial":
            return self._judge_factorial(state, env)
        return []

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        ps = env.policy_state
        if ps.get("stage") in ("unanswerable", "judged"):
            return True
        if ps.get("stage") == "survey" and not self._ranked_singles(ps):
            return True
        return False

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        ps = env.policy_state
        modality = state["modality"]
        if ps.get("stage") == "unanswerable":
            return {"description": (
                "could not tell which output the question is about: name an ImageNet class "
                "(vision) or put the token in quotes (text), e.g. 'which inputs make this "
                "model say \"Paris\"?'"), "label": "unanswerable", "confidence": 0.0,
                "evidence": []}
        verdict = ps.get("verdict")
        if verdict is None:
            ranked = self._ranked_singles(ps)
            if not ranked:
                return {"description": "no concept of the vocabulary changed the unit's "
                        "activation in the experiments run", "label": "undetermined",
                        "confidence": 0.0, "evidence": self._evidence(ps)}
            concept, score = ranked[0]
            verdict = {"composition": "single", "a": concept, "b": None,
                       "confidence": round(min(score, 1.0) * 0.8, 3)}
        text, label = describe(modality, verdict["composition"], verdict["a"], verdict.get("b"))
        if state["subject_kind"] == "model":
            text = (f"the output {ps.get('target_unit')} named in the question {text}; "
                    f"these inputs raise its score")
        return {"description": text, "label": label, "confidence": verdict["confidence"],
                "evidence": self._evidence(ps, verdict)}

    # --- analysis ----------------------------------------------------------------------------

    def _ranked_singles(self, ps: dict[str, Any]) -> list[tuple[str, float]]:
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

    def _partners(self, ps: dict[str, Any], a: str) -> list[tuple[str, str]]:
        """Candidate (partner, composition) pairs for the factorial round."""
        partners: list[tuple[str, str]] = []
        without = [r for r in ps.get("without", {}).get("rows", []) if r["concept"] != a]
        if without:
            strongest = max(without, key=lambda r: r["auc"])
            if strongest["auc"] >= 0.75:  # it drives the unit even without a: OR candidate
                partners.append((strongest["concept"], "or"))
        conditional = [r for r in ps.get("conditional", {}).get("rows", []) if r["concept"] != a]
        if conditional:
            lowest = min(conditional, key=lambda r: r["auc"])
            if lowest["auc"] <= 0.25 and all(lowest["concept"] != b for b, _ in partners):
                partners.append((lowest["concept"], "and_not"))
            highest = max(conditional, key=lambda r: r["auc"])
            if highest["auc"] >= 0.75 and all(highest["concept"] != b for b, _ in partners):
                partners.append((highest["concept"], "and"))
        for concept in ps.get("candidates", [])[1:]:
            if all(concept != b for b, _ in partners):
                singles = {r["concept"]: r for r in ps.get("singles", {}).get("rows", [])}
                composition = "or" if singles.get(concept, {}).get("auc", 0) >= 0.7 else "and"
                partners.append((concept, composition))
        return partners[: self.max_partners]

    def _judge_factorial(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        a = ps["candidates"][0]
        best = None
        results = []
        for b, composition in ps.get("partners", []):
            cells = ps.get("cells", {}).get("|".join(sorted([a, b])), {})
            # concepts that cannot co-occur (two background patterns) have no "ab" cell, and
            # one that implies the other (prices imply numbers) has no "b_only" cell
            if "neither" not in cells or len(cells) < 3:
                continue
            reading = classify_cells(cells, self.n)
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
            text, _ = describe(state["modality"], "single", first)
            updates.append(Hypothesis(id=hid, statement=text, concepts=[first],
                                      composition="single", status="supported",
                                      confidence=confidence,
                                      experiments=result["experiments"]))
        elif pattern == "and_not_ba":
            text, _ = describe(state["modality"], "and_not", first, second)
            updates.append(Hypothesis(id=f"C-and_not-{first}-{second}", statement=text,
                                      concepts=[first, second], composition="and_not",
                                      status="supported", confidence=confidence,
                                      experiments=result["experiments"]))
        elif composition != next((c for bb, c in ps["partners"] if bb == b), None):
            text, _ = describe(state["modality"], composition, first, second)
            updates.append(Hypothesis(id=f"C-{composition}-{first}-{second}", statement=text,
                                      concepts=[first, second], composition=composition,
                                      status="supported", confidence=confidence,
                                      experiments=result["experiments"]))
        return updates

    def _evidence(self, ps: dict[str, Any], verdict: dict | None = None) -> list[dict[str, Any]]:
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
                             "numbers": {r["concept"]: [r["top_fraction"], r["base_fraction"]]
                                         for r in rows}})
        if verdict and verdict.get("means"):
            evidence.append({"experiment": ",".join(verdict["experiments"]),
                             "finding": f"2x2 design cell means, best fit {verdict['fit']}",
                             "numbers": {k: round(v, 4) for k, v in verdict["means"].items()}})
        return evidence


def output_unit_for_question(model_name: str, question: str) -> str | None:
    """The output unit a model-level question is about: an ImageNet class or a quoted token."""
    from models.registry import get_model

    model = get_model(model_name)
    output_layers = [info for info in model.layers() if info.kind == "logit"]
    if not output_layers:
        return None
    layer = output_layers[-1].layer
    if model.modality == "vision":
        names = getattr(model, "class_names", None) or []
        lowered = question.lower()
        matches = [(len(n), i) for i, n in enumerate(names) if n.lower() in lowered]
        if not matches:
            return None
        return f"{model_name}:{layer}:{max(matches)[1]}"
    quoted = re.findall(r"[\"“']([^\"”']+)[\"”']", question)
    if not quoted:
        return None
    token_ids = model.tokenizer(" " + quoted[0].strip(), add_special_tokens=False).input_ids
    return f"{model_name}:{layer}:{token_ids[0]}" if token_ids else None
