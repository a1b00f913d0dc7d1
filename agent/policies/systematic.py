"""The systematic experimenter: a policy that needs no LLM and follows a fixed scientific plan.

Round 1 surveys: which vocabulary concepts are over-represented among the unit's top exemplars
(correlational), and which raise the unit when present in fresh contrastive stimuli (causal
screen, AUC per concept). Round 2 takes the best concept `a` and screens every other concept
with `a` already present: a concept that silences the unit suggests AND-NOT, one that is
needed suggests AND. Round 3 runs a 2x2 factorial design (a, b present or absent) for each
candidate partner and fits single, OR, AND and AND-NOT response patterns to the four cell
means; the simplest pattern that fits wins. On procedural exemplars the same round screens
past each OR or AND-NOT partner twice on fresh stimuli (the pair absent: a third alternative;
the exception absent: a second exception), and a concept both screens nearly separate joins
the verdict as a composition tree. Round 4 chooses the answer: the vocabulary verdict only
if it replicated (a second screen on fresh stimuli, or a design cell, shows it; nothing it
measured contradicts it), beside candidates in open words from the evidence tools (WordNet
categories, tokens, phrases, image labels, classes, colours), ranked on the exemplar split by
`rank_descriptions`; on natural exemplars the candidate listing the fewest alternatives among
those within one standard error of the best fit wins. On procedural exemplars up to two more
rounds run experiments where the exemplar split cannot decide: `dissociate` when a vocabulary
verdict and an open property both fit, `conjunction` when a composition ("circles near the
centre") fits within a standard error of the open answer (often one of its halves). Dropped candidates end refuted or inconclusive with the
reason. Model-level questions are reduced to the output unit they are about (a class logit,
or the logit of a quoted token).
"""

from __future__ import annotations

from typing import Any

from agent.evidence import classify_cells  # noqa: F401 (re-exported for tests)
from agent.model_questions import bias_question, cot_question, output_unit_for_question
from agent.policies.base import Policy, PolicyEnv, ToolCall, experiment_result, register_policy
from agent.policies.candidates import Candidate, open_pool
from agent.policies.selection import (
    choose,
    composed_contender,
    contested,
    designs,
    replication,
    screens,
)
from agent.policies.systematic_designs import (
    EXTEND_SEEDS,
    describe,
    describe_verdict,
    extend_verdict,
    extension_key,
    extension_screens,
    judge_factorial,
    partners,
    ranked_singles,
)
from agent.policies.systematic_experiments import (
    binding_call,
    contest,
    read_binding,
    read_conjunction,
    read_dissociation,
    settle,
)
from agent.policies.systematic_report import (
    bias_conclusion,
    concept_evidence,
    cot_conclusion,
    cot_verdict,
    fits_evidence,
    open_answer,
    undetermined,
)
from agent.state import AgentState, Hypothesis
from tools.bias import BackgroundBias
from tools.binding import Binding
from tools.conjunction import Conjunction
from tools.cot import CotCorruption, CotTruncation
from tools.description_fit import MAX_DESCRIPTIONS, DescriptionFit
from tools.dissociation import Dissociation, can_test
from tools.results import ConceptEnrichment, ConceptProbe, ConceptScreen
from tools.text_evidence import TokenEvidence
from tools.vision_evidence import ImageEvidence

#: The seed of the replication screen (the first screen uses 0, design cells 1).
REPLICATION_SEED = 7
#: Fresh stimuli a conjunction experiment draws: texts hold a word with both halves rarely
#: (long family words in about 1 of 70 generated texts), scenes often.
CONJUNCTION_N = {"text": 1200, "vision": 320}
COT_ITEMS = 8  # generated items per chain-of-thought experiment
#: Tool calls kept back for the last round (ranking the candidates).
SELECTION_CALLS = 1


def _another_round(env: PolicyEnv) -> bool:
    """Whether the budgets allow one more round with one tool call."""
    left = env.budget_left
    return left.get("rounds", 1) >= 1 and left.get("tool_calls", 1) >= 1


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
        if state["subject_kind"] == "model" and state["round"] == 1:
            target = bias_question(state["subject"], state["question"])
            if target is not None:
                ps.update(stage="bias", bias_class=target)
                return [Hypothesis(id="H1", statement=(
                    f"{state['subject']} relies on the background to recognise {target!r}"),
                    status="open", confidence=0.5)]
            task = cot_question(state["subject"], state["question"])
            if task is not None:
                ps.update(stage="cot", cot_task=task)
                return [Hypothesis(id="H1", statement=(
                    f"{state['subject']} relies on its chain of thought for {task}: its answer "
                    "follows what the chain says"), status="open", confidence=0.5)]
        if ps.get("stage") in ("bias", "bias_done", "cot", "cot_done"):
            return []
        unit = self._unit(state, env)
        if unit is None:
            ps["stage"] = "unanswerable"
            return []
        if state["round"] == 1:
            ps["stage"] = "survey"
            return [Hypothesis(id="H1", statement=(
                f"{unit} is selective for at least one concept of the {state['modality']} "
                f"vocabulary"), status="open", confidence=0.5)]
        if ps.get("stage") == "survey" and not ranked_singles(ps):
            return self._select(state, env)
        if ps.get("stage") == "survey":
            ps["stage"] = "conditional"
            ranked = ranked_singles(ps)
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
            affordable = max(1, (int(env.budget_left.get("tool_calls", 99))
                                 - SELECTION_CALLS) // 4)
            chosen = partners(ps, a, self.max_partners)[:affordable]
            ps["partners"] = chosen
            hypotheses = []
            for b, composition in chosen:
                text, _ = describe(state["modality"], composition, a, b)
                hypotheses.append(Hypothesis(id=f"C-{composition}-{a}-{b}", statement=text,
                                             concepts=[a, b], composition=composition,
                                             status="open", confidence=0.4))
            return hypotheses
        if ps.get("stage") == "judged":
            return self._select(state, env)
        return []

    def _select(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        """Round 4: the candidates to conclude with, each with its replication status."""
        ps = env.policy_state
        ps["stage"] = "select"
        pool: list[Candidate] = []
        verdict = ps.get("verdict")
        if verdict is None and ranked_singles(ps):
            concept, score = ranked_singles(ps)[0]
            verdict = {"composition": "single", "a": concept, "b": None,
                       "confidence": round(min(score, 1.0) * 0.8, 3)}
        if verdict is not None:
            text, label, concepts = describe_verdict(state["modality"], verdict)
            candidate = Candidate(f"V-{verdict['composition']}-{'-'.join(concepts)}",
                                  text.removeprefix("fires on "),
                                  label, "vocabulary", "", concepts=concepts,
                                  composition=verdict["composition"],
                                  confidence=float(verdict["confidence"]),
                                  alternatives=len(concepts) if verdict["composition"] == "or"
                                  else 1)
            statuses = [replication(c, screens(ps), designs(ps),
                                    ps.get("enrichment", {}).get("rows", []))
                        for c in concepts[:1] if verdict["composition"] != "and"]
            candidate.status, candidate.why = statuses[0] if statuses else (
                ("replicated", "its 2x2 design fits AND") if verdict.get("fit") else
                ("not replicated", "no design measured it"))
            ps["verdict"] = verdict
            pool.append(candidate)
        pool += ps.get("open", [])
        ps["pool"] = pool
        hypotheses = []
        for c in pool:
            dropped = c.status in ("contradicted", "not replicated")
            hypotheses.append(Hypothesis(
                id=c.id, statement=c.description, concepts=c.concepts,
                composition=c.composition,
                status="refuted" if c.status == "contradicted" else
                "inconclusive" if dropped else "open",
                confidence=0.1 if dropped else 0.4,
                note=(f"dropped: {c.why}" if dropped else c.why)))
        return hypotheses

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        ps = env.policy_state
        stage = ps.get("stage")
        if stage == "bias":
            return [ToolCall("background_bias", {"class_name": ps["bias_class"],
                                                 "model": state["subject"]},
                             f"score {ps['bias_class']!r} with the object alone, the background "
                             "alone, and the object on other backgrounds", ["H1"])]
        if stage == "cot":
            common = {"model": state["subject"], "task": ps["cot_task"], "items": COT_ITEMS}
            return [ToolCall("cot_truncate", dict(common),
                             "answer after the first k% of a sound chain: does the answer "
                             "need the chain?", ["H1"]),
                    ToolCall("cot_corrupt", {**common, "mode": "mistake", "step": -1},
                             "a mistake in the chain's last step: does the answer follow it?",
                             ["H1"]),
                    ToolCall("cot_corrupt", {**common, "mode": "mistake"},
                             "a mistake in an earlier step: does the model read the steps or "
                             "only the conclusion?", ["H1"])]
        if stage in ("bias_done", "cot_done"):
            return []
        unit = self._unit(state, env)
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
                ToolCall("token_evidence" if state["modality"] == "text" else "image_evidence",
                         {"unit": unit}, "what the unit's top exemplars share, in open words, "
                         "against the corpus's base rates", ["H1"]),
            ]
        if stage == "conditional":
            a = ps["candidates"][0]
            ids = [f"S-{c}" for c in ps["candidates"]]
            return [ToolCall("screen_concepts", {"unit": unit, "n": self.n, "given": [a]},
                             f"with {a} present, which other concepts raise or silence the unit",
                             ids),
                    ToolCall("screen_concepts", {"unit": unit, "n": self.n, "absent": [a]},
                             f"with {a} absent, does any other concept still drive the unit",
                             ids),
                    ToolCall("screen_concepts", {"unit": unit, "n": self.n,
                                                 "concepts": list(ps["candidates"]),
                                                 "seed": REPLICATION_SEED},
                             "replication: screen the leading concepts again on fresh stimuli",
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
            # on procedural exemplars, look past each pair: a third alternative or a second
            # exception, shown on two fresh screens (on natural exemplars the exemplar split
            # decides and a vocabulary composition has not been the answer)
            spare = int(env.budget_left.get("tool_calls", 99)) - len(calls) - SELECTION_CALLS
            for key, arguments in extension_screens(ps.get("partners", []), a):
                if ps.get("natural_exemplars") or spare < len(EXTEND_SEEDS):
                    break
                spare -= len(EXTEND_SEEDS)
                composition, _, b = key.split("|")
                question = (f"with {a} and {b} absent, does a third concept still drive the "
                            "unit?" if composition == "or" else
                            f"with {a} present and {b} absent, does another concept silence "
                            "the unit?")
                calls += [ToolCall("screen_concepts", {"unit": unit, "n": self.n, **arguments,
                                                       "seed": seed}, question,
                                   [f"C-{composition}-{a}-{b}"]) for seed in EXTEND_SEEDS]
            return calls
        if stage == "dissociate":
            causal, other = contest(ps)
            return [ToolCall("dissociate", {"unit": unit, "concepts": causal.concepts,
                                            "composition": causal.composition,
                                            "property": other.description},
                             f"fresh stimuli split by {causal.label!r} and by "
                             f"{other.description!r}: which drives the unit without the "
                             "other?", [causal.id, other.id])]
        if stage == "conjoin":
            composed = {c.id: c for c in ps.get("pool", [])}[ps["composed"]]
            spec = composed.conjunction or {}
            return [ToolCall("conjunction",
                             {"unit": unit, "part": spec["part"], "property": spec["property"],
                              "n": CONJUNCTION_N[state["modality"]]},
                             f"fresh stimuli where {spec['part']!r} and {spec['property']!r} "
                             f"meet and where they do not: is {composed.description!r} "
                             "needed, or does one half drive the unit alone?",
                             [composed.id] + [i for i in spec["part_ids"] + spec["property_ids"]
                                              if i in {c.id for c in ps.get("pool", [])}])]
        if stage == "select":
            calls = binding_call(state, ps, unit)
            live = [c for c in ps.get("pool", []) if c.status not in ("contradicted",
                                                                      "not replicated")]
            if len(live) < 2:
                return calls
            # a vocabulary verdict is also read by its short label: the reader's embedder
            # should not prefer a candidate for its wording alone
            vocabulary = [c for c in live if c.source == "vocabulary"]
            texts = [c.description for c in vocabulary] + [
                c.label.replace("&", "and") for c in vocabulary] + [
                c.description for c in live if c.source != "vocabulary"]
            return calls + [ToolCall("rank_descriptions",
                                     {"unit": unit, "fresh": True,
                                      "descriptions": list(dict.fromkeys(texts))[
                                          :MAX_DESCRIPTIONS]},
                                     "which candidate description predicts the unit best on "
                                     "the exemplar split, on the top exemplars the evidence "
                                     "was read from and on fresh ones", [c.id for c in live])]
        return []

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        for exp in new_experiments:
            if exp.get("error"):
                ps.setdefault("failed", []).append({"id": exp["id"], "error": exp["error"]})
                continue
            result = experiment_result(exp, state["modality"])
            if isinstance(result, CotTruncation | CotCorruption):
                cot = ps.setdefault("cot", {})
                key = ("truncation" if isinstance(result, CotTruncation) else
                       "final" if (exp.get("arguments") or {}).get("step") == -1 else "step")
                cot[key] = {"id": exp["id"], "result": result.to_json(),
                            "figures": exp.get("artifacts", [])}
                if {"truncation", "final"} <= cot.keys():
                    ps["stage"] = "cot_done"
            elif isinstance(result, BackgroundBias):
                ps["stage"] = "bias_done"
                ps["bias"] = {"id": exp["id"], "result": result.to_json(),
                              "figures": exp.get("artifacts", [])}
            elif isinstance(result, ConceptEnrichment):
                ps["natural_exemplars"] = result.natural
                ps["enrichment"] = {"id": exp["id"],
                                    "rows": [r.model_dump() for r in result.concepts],
                                    "top_values": result.top_values}
            elif isinstance(result, TokenEvidence | ImageEvidence):
                ps["open"] = open_pool(result.to_json(), state["modality"])
                ps["open_id"] = exp["id"]
            elif isinstance(result, DescriptionFit):
                fits = {f.description: f for f in result.fits}
                for c in ps.get("pool", []):
                    options = [fits.get(c.description)] + (
                        [fits.get(c.label.replace("&", "and"))] if c.source == "vocabulary"
                        else [])
                    found = [f for f in options if f is not None]
                    if found:
                        fit = max(found, key=lambda f: f.score)
                        c.fit, c.fit_se = fit.score, fit.se
                ps["fits_id"] = exp["id"]
                ps["fits_natural"] = result.natural
                # photos' labels come in two levels (a label and its category): `choose`
                # weighs how many firing photos a candidate speaks for
                ps["fits_broad"] = result.natural and state["modality"] == "vision"
                ps["fits_informative"] = result.informative
            elif isinstance(result, Binding):
                ps["binding"] = {"id": exp["id"], "result": result.to_json()}
            elif isinstance(result, Conjunction):
                ps["conjunction"] = {"id": exp["id"], "result": result.to_json()}
            elif isinstance(result, Dissociation):
                ps["dissociation"] = {"id": exp["id"], "result": result.to_json()}
            elif isinstance(result, ConceptScreen):
                rows = [r.model_dump() for r in result.concepts]
                if (exp.get("arguments") or {}).get("seed") in EXTEND_SEEDS:
                    key = extension_key(result.given, result.absent)
                    ps.setdefault("extend", {}).setdefault(key, []).append(rows)
                    ps.setdefault("extend_ids", {}).setdefault(key, []).append(exp["id"])
                elif (exp.get("arguments") or {}).get("seed") == REPLICATION_SEED:
                    ps["replication"] = {"id": exp["id"], "rows": rows}
                elif result.absent:
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
        if stage == "bias_done" and ps.get("bias"):
            verdict = ps["bias"]["result"]["verdict"]
            status = {"biased": "supported", "not biased": "refuted"}.get(verdict,
                                                                        "inconclusive")
            return [Hypothesis(id="H1", status=status,  # type: ignore[typeddict-item]
                               confidence=0.8 if status != "inconclusive" else 0.3)]
        if stage == "cot_done":
            verdict, _ = cot_verdict(ps["cot"])
            status = {"relies": "supported", "does not rely": "refuted"}.get(verdict,
                                                                           "inconclusive")
            return [Hypothesis(id="H1", status=status,  # type: ignore[typeddict-item]
                               confidence=0.8 if status != "inconclusive" else 0.3)]
        if stage == "survey":
            ranked = ranked_singles(ps)
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
            return judge_factorial(ps, state["modality"], self.n) + extend_verdict(
                ps, state["modality"])
        if stage == "select":
            bound = read_binding(ps, state["modality"])
            contest = None if ps.get("dissociation") or not ps.get("fits_informative", True) \
                else contested(ps.get("pool", []), bool(ps.get("fits_natural")),
                               lambda d: can_test(d, state["modality"]))
            if contest is not None and _another_round(env):  # an experiment decides
                ps["stage"] = "dissociate"
                ps["contest"] = [c.id for c in contest]  # ids: the pool holds the objects
                return bound
            return bound + self._conjoin_or_settle(ps, state, env)
        if stage == "dissociate":
            return read_dissociation(ps) + self._conjoin_or_settle(ps, state, env)
        if stage == "conjoin":
            return read_conjunction(ps) + settle(ps, state.get("hypotheses", []))
        return []

    def _conjoin_or_settle(self, ps: dict[str, Any], state: AgentState,
                           env: PolicyEnv) -> list[Hypothesis]:
        """One more round when a composition fits about as well as the answer: fresh stimuli
        where its halves come apart decide (`conjunction`); else (or with no round or tool
        call left) settle."""
        composed = None if ps.get("conjunction") else composed_contender(
            ps.get("pool", []), bool(ps.get("fits_natural")),
            ps.get("fits_informative", True))
        if composed is None or not _another_round(env):
            return settle(ps, state.get("hypotheses", []))
        chosen = choose(ps.get("pool", []), natural=bool(ps.get("fits_natural")))
        ps["stage"] = "conjoin"
        ps["composed"] = composed.id
        ps["composed_over"] = chosen.source if chosen else None
        # the answer the experiment may replace: the composition or one of its halves
        spec = composed.conjunction or {}
        ps["composed_or_half"] = chosen is not None and chosen.id in (
            [composed.id] + spec.get("part_ids", []) + spec.get("property_ids", []))
        return []

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        ps = env.policy_state
        if ps.get("stage") in ("unanswerable", "selected", "bias_done", "cot_done"):
            return True
        return False

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        ps = env.policy_state
        modality = state["modality"]
        if ps.get("bias"):
            return bias_conclusion(ps["bias"])
        if ps.get("stage") == "cot_done":
            return cot_conclusion(state["subject"], ps["cot_task"], ps["cot"])
        if ps.get("stage") == "unanswerable":
            return {"description": (
                "could not tell which output the question is about: name an ImageNet class "
                "(vision) or put the token in quotes (text), e.g. 'which inputs make this "
                "model say \"Paris\"?'"), "label": "unanswerable", "confidence": 0.0,
                "evidence": []}
        if ps.get("stage") == "selected":
            chosen = ps.get("chosen")
            if chosen is None:
                return undetermined(ps)
            if chosen.source == "evidence":
                return open_answer(state, ps, chosen)
        verdict = ps.get("verdict")
        if verdict is None:
            ranked = ranked_singles(ps)
            if not ranked:
                return {"description": "no concept of the vocabulary changed the unit's "
                        "activation in the experiments run", "label": "undetermined",
                        "confidence": 0.0, "evidence": concept_evidence(ps)}
            concept, score = ranked[0]
            verdict = {"composition": "single", "a": concept, "b": None,
                       "confidence": round(min(score, 1.0) * 0.8, 3)}
        text, label, concepts = describe_verdict(modality, verdict)
        if state["subject_kind"] == "model":
            text = (f"the output {ps.get('target_unit')} named in the question {text}; "
                    f"these inputs raise its score")
        return {"description": text, "label": label, "confidence": verdict["confidence"],
                "concepts": concepts,
                "composition": verdict["composition"],
                "evidence": concept_evidence(ps, verdict) + fits_evidence(ps)}

