"""The local policy: an in-process chat LM that picks every decision from a finite set of valid actions."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from agent.backbones.base import Backbone
from agent.backbones.local import DEFAULT_MODEL, LocalBackbone
from agent.evidence import clip, separation
from agent.model_questions import output_unit_for_question
from agent.policies.base import Policy, PolicyEnv, ToolCall, experiment_result, register_policy
from agent.policies.local_evidence import (
    UMBRELLA,
    call_key,
    cell_key,
    evidence_for,
    factorial,
    hypothesis_evidence,
    probe_evidence,
    ranked_concepts,
    verdict_confidence,
)
from agent.policies.systematic import describe
from agent.state import AgentState, Hypothesis
from models.concepts import vocabulary
from tools.results import (
    ConceptEnrichment,
    ConceptProbe,
    ConceptScreen,
    TextCall,
)

SYSTEM_PROMPT = ("You are an interpretability agent. You study one unit of a neural network by "
                 "running experiments on it. Reply with exactly one of the options.")
STATUSES = ("supported", "refuted", "open")
#: Single concepts offered at the conclusion: the best supported ones.
FINAL_SINGLES = 3


@register_policy("local")
class LocalPolicy(Policy):
    """A chat LM makes each decision by choosing among valid candidate actions.

    The model never writes free text: at each decision the policy builds a finite list of
    valid options (hypotheses, well-formed tool calls, statuses, descriptions), and the LM's
    choice is the option with the highest length-normalised log-likelihood as its reply.
    Numbers (confidences, evidence) always come from the experiments, not from the LM.

    Args:
        model: the chat LM: the offline default, or a hub id where the hub is reachable.
        max_candidates: the most options shown and scored in one decision.
        n: stimuli per condition in screens and probes.
        max_picks: the most hypotheses or tool calls chosen in one decision.
        margin: options within this many nats per token of the best are chosen too.
        max_prompt_tokens: the prompt is trimmed (oldest experiments first) to this length.
        skip_tools: tools never offered (e.g. the corpus tools, whose first call is slow).
        threads: torch threads while scoring (None: leave torch's setting alone).
        backbone: the scorer (default: a LocalBackbone of `model`; any Backbone works).
    """

    order = 1

    def __init__(self, model: str = DEFAULT_MODEL, max_candidates: int = 24, n: int = 8,
                 max_picks: int = 3, margin: float = 0.3, max_prompt_tokens: int = 500,
                 skip_tools: list[str] | tuple[str, ...] = (),
                 threads: int | None = None, backbone: Backbone | None = None) -> None:
        self.model = model
        self.max_candidates = max_candidates
        self.n = n
        self.max_picks = max_picks
        self.margin = margin
        self.max_prompt_tokens = max_prompt_tokens
        self.skip_tools = tuple(skip_tools)
        self.threads = threads
        self.backbone = backbone or LocalBackbone(model, threads)
        self._null: dict[str, dict[str, float]] = {}

    def config(self) -> dict[str, Any]:
        return {"policy": self.name, "model": self.model, "max_candidates": self.max_candidates,
                "n": self.n, "max_picks": self.max_picks, "margin": self.margin,
                "max_prompt_tokens": self.max_prompt_tokens, "skip_tools": list(self.skip_tools),
                "threads": self.threads}

    # --- the LM's one move: pick among options -------------------------------------------

    def choose(self, purpose: str, task: str, candidates: list[str], state: AgentState,
               env: PolicyEnv, picks: int = 1, null_task: str | None = None) -> list[str]:
        """The LM's choice among `candidates` (best first), recorded as an llm_call event.

        Args:
            purpose: the decision (hypothesize, plan, revise, should_conclude, conclude).
            task: the question put to the LM for this decision.
            candidates: the valid replies (at most max_candidates are offered).
            state: the agent state (for the prompt's context).
            env: where the call is recorded.
            picks: how many may be chosen: the best, plus others within `margin` of it.
            null_task: the same task with the evidence left out; when given, each option's
                score without the evidence is subtracted (contextual calibration), so a fixed
                preference of the LM for one label does not decide alone.
        """
        candidates = list(dict.fromkeys(candidates))[: self.max_candidates]
        if not candidates:
            return []
        started = time.perf_counter()
        messages = self._messages(state, env, task, candidates)
        scores = dict(zip(candidates, self.backbone.score(messages, candidates), strict=True))
        baseline = {}
        if null_task is not None:
            baseline = self._null_scores(null_task, candidates)
            scores = {c: round(v - baseline[c], 4) for c, v in scores.items()}
        ranked = sorted(scores, key=lambda c: -scores[c])
        chosen = [ranked[0]] + [c for c in ranked[1:picks]
                                if scores[ranked[0]] - scores[c] <= self.margin]
        env.llm_call(purpose, messages, reply="\n".join(chosen),
                     usage={"prompt_tokens": self.backbone.count_tokens(messages),
                            "completion_tokens": 0, "candidates": len(candidates),
                            "candidate_tokens": sum(self.backbone.count_tokens(c)
                                                    for c in candidates)},
                     started=started, model=self.model,
                     scores={c: scores[c] for c in ranked}, calibration=baseline)
        env.policy_state["llm_calls"] = env.policy_state.get("llm_calls", 0) + 1
        return chosen

    def _null_scores(self, null_task: str, candidates: list[str]) -> dict[str, float]:
        """Option scores for a task without its evidence (cached: they never change)."""
        key = json.dumps([null_task, candidates])
        if key not in self._null:
            user = (f"Task: {null_task}\nOptions:\n" + "\n".join(f"- {c}" for c in candidates)
                    + "\nAnswer with one option, copied exactly.")
            messages = [{"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": user}]
            self._null[key] = dict(zip(candidates, self.backbone.score(messages, candidates),
                                       strict=True))
        return self._null[key]

    def _messages(self, state: AgentState, env: PolicyEnv, task: str,
                  candidates: list[str]) -> list[dict[str, str]]:
        """The chat prompt, trimmed to max_prompt_tokens by dropping the oldest experiments."""
        experiments = [e for e in state.get("experiments", [])]
        while True:
            user = self._context(state, env, experiments) + f"\nTask: {task}\nOptions:\n"
            user += "\n".join(f"- {c}" for c in candidates)
            user += "\nAnswer with one option, copied exactly."
            messages = [{"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": user}]
            if not experiments or self.backbone.count_tokens(messages) <= self.max_prompt_tokens:
                return messages
            experiments = experiments[1:]

    def _context(self, state: AgentState, env: PolicyEnv, experiments: list[dict]) -> str:
        unit = env.policy_state.get("unit") or state["subject"]
        lines = [f"Question: {state['question']}", f"Unit: {unit} ({state['modality']} model)"]
        if experiments:
            lines.append("Experiments so far:")
            for e in experiments:
                text = e.get("error") or " ".join(str(e.get("summary", "")).split())
                lines.append(f"{e['id']} {self._render(e['tool'], e['arguments'])}: "
                             f"{text[:180]}")
        ranked = ranked_concepts(env.policy_state)[:5]
        if ranked:
            lines.append("Evidence per concept (0-1): " + ", ".join(
                f"{c} {s:.2f}" for c, s in ranked))
        hypotheses = state.get("hypotheses", [])
        if hypotheses:
            lines.append("Hypotheses:")
            for h in hypotheses[-6:]:
                lines.append(f"{h['id']} [{h.get('status', 'open')}, "
                             f"{h.get('confidence', 0.5):.2f}]: {h.get('statement', '')}")
        left = env.budget_left
        lines.append(f"Budget left: {int(left.get('rounds', 0))} rounds, "
                     f"{int(left.get('tool_calls', 0))} tool calls.")
        return "\n".join(lines)

    # --- the subject -------------------------------------------------------------------------

    def _unit(self, state: AgentState, env: PolicyEnv) -> str | None:
        """The unit under study; for model-level questions, the output unit they name."""
        ps = env.policy_state
        if "unit" not in ps:
            ps["unit"] = (state["subject"] if state["subject_kind"] == "unit"
                          else output_unit_for_question(state["subject"], state["question"]))
        return ps["unit"]

    # --- the five steps ----------------------------------------------------------------------

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        if self._unit(state, env) is None:
            return []
        modality = state["modality"]
        known = {h["id"] for h in state.get("hypotheses", [])}
        open_singles = [h for h in state.get("hypotheses", [])
                        if h.get("composition") == "single" and h.get("status") != "refuted"]
        mentioned = self._mentioned(state)
        if not ranked_concepts(ps) and not mentioned:
            # nothing to rank concepts by yet: one umbrella hypothesis that the survey tests
            if UMBRELLA in known:
                return []
            return [Hypothesis(id=UMBRELLA, statement=(
                f"the unit is selective for at least one concept of the {modality} vocabulary"),
                status="open", confidence=0.5)]
        if len(open_singles) >= self.max_picks:
            return []
        pool = [c for c in self._priority(state, ps) if f"S-{c}" not in known]
        options = {describe(modality, "single", c)[0]: c for c in pool}
        chosen = self.choose(
            "hypothesize", "Which hypothesis about the unit should we test next?",
            list(options), state, env, picks=self.max_picks - len(open_singles))
        scores = dict(ranked_concepts(ps))
        hypotheses = []
        for statement in chosen:
            concept = options[statement]
            hypotheses.append(Hypothesis(id=f"S-{concept}", statement=statement,
                                         concepts=[concept], composition="single",
                                         status="open",
                                         confidence=clip(scores.get(concept, 0.3))))
        return hypotheses

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        unit = self._unit(state, env)
        if unit is None:
            return []
        options = self._plan_options(state, env, unit)
        if not options:
            return []
        picks = min(self.max_picks, max(int(env.budget_left.get("tool_calls", 1)), 1))
        chosen = self.choose("plan", "Which experiment should we run next?", list(options),
                             state, env, picks=picks)
        return [options[c] for c in chosen]

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        for exp in new_experiments:
            ps.setdefault("done", []).append(call_key(exp["tool"], exp["arguments"]))
            if exp.get("error"):
                ps.setdefault("failed", []).append({"id": exp["id"], "error": exp["error"]})
                continue
            result = experiment_result(exp, state["modality"])
            evidence = ps.setdefault("evidence", {})
            if isinstance(result, ConceptEnrichment):
                firing = max(result.top_values or [0.0]) > 0
                for row in result.concepts:
                    # lift only counts when the top exemplars actually make the unit fire
                    lift = max(row.lift, 0.0) if firing else 0.0
                    evidence.setdefault(row.concept, {})["lift"] = clip(lift)
            elif isinstance(result, ConceptScreen) and not result.given:
                for row in result.concepts:
                    evidence.setdefault(row.concept, {})["screen"] = clip(2 * (row.auc - 0.5))
                    ps.setdefault("aucs", {})[row.concept] = row.auc
            elif isinstance(result, ConceptScreen):
                ps.setdefault("conditional", {})[",".join(result.given)] = {
                    r.concept: r.auc for r in result.concepts}
            elif isinstance(result, ConceptProbe):
                cell = {"id": exp["id"], "include": result.include, "exclude": result.exclude,
                        "mean": result.mean, "std": result.std}
                ps.setdefault("probes", {})[cell_key(result.include,
                                                          result.exclude)] = cell
                probe_evidence(ps)
            elif isinstance(result, TextCall):
                meta = ps.get("call_meta", {}).get(call_key(exp["tool"], exp["arguments"]))
                if meta and result.max:
                    k = meta["positives"]
                    values = np.asarray(result.max, dtype=float)
                    score = separation(values[:k], values[k:])
                    evidence.setdefault(meta["concept"], {})["call"] = score

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        updates = []
        asked = ps.setdefault("revised_on", {})
        for h in state.get("hypotheses", []):
            if h.get("status") == "refuted":
                continue
            numbers, confidence = hypothesis_evidence(h, ps)
            # ask only when there is evidence, and only again when it changed
            if not numbers or asked.get(h["id"]) == numbers:
                continue
            asked[h["id"]] = numbers
            question = "Is the hypothesis supported, refuted, or still open?"
            task = f"Hypothesis: \"{h.get('statement', '')}\". Evidence: {numbers}. {question}"
            null = f"Hypothesis: \"the unit fires on something\". Evidence: none. {question}"
            status = self.choose("revise", task, list(STATUSES), state, env,
                                 null_task=null)[0]
            updates.append(Hypothesis(id=h["id"], status=status, confidence=confidence))
        return updates

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        unit = self._unit(state, env)
        if unit is None:
            return True
        if not any(not e.get("error") for e in state.get("experiments", [])):
            return False
        if not self._plan_options(state, env, unit):
            return True  # nothing new left to try
        # (the graph does not save the scratchpad after this step, so nothing is kept here)
        task = ("Do we have enough evidence to answer the question, or should we run more "
                "experiments?")
        answer = self.choose("should_conclude", task, ["continue", "conclude"], state, env,
                             null_task=task)[0]
        return answer == "conclude"

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        ps = env.policy_state
        modality = state["modality"]
        if self._unit(state, env) is None:
            return {"description": (
                "could not tell which output the question is about: name an ImageNet class "
                "(vision) or put the token in quotes (text)"), "label": "unanswerable",
                "confidence": 0.0, "evidence": []}
        options: dict[str, dict[str, Any]] = {}
        scores = dict(ranked_concepts(ps))
        ranked = [c for c, v in scores.items() if v > 0]
        # only concepts the experiments support are offered: the strongest three, and any
        # hypothesis still open whose evidence is at least half the strongest's
        best = scores[ranked[0]] if ranked else 0.0
        singles = ranked[:FINAL_SINGLES] + [
            c for h in state.get("hypotheses", []) for c in (h.get("concepts") or [])[:1]
            if h.get("composition") == "single" and h.get("status") != "refuted"
            and best > 0 and scores.get(c, 0.0) >= 0.5 * best]
        for concept in dict.fromkeys(singles):
            text, label = describe(modality, "single", concept)
            options[text] = {"composition": "single", "a": concept, "b": None, "label": label}
        if len(ranked) >= 2:
            # a partner is offered only when a 2x2 design of the pair passed the same test the
            # systematic policy uses, and only in the composition that design showed; without
            # one the answer stays the best single concept
            a, b = ranked[:2]
            shown = supported_partner(ps, a, b, self.n)
            if shown is not None:
                composition, first, second = shown
                text, label = describe(modality, composition, first, second)
                options[text] = {"composition": composition, "a": first, "b": second,
                                 "label": label}
            ps["partner_test"] = {"pair": [a, b], "offered": shown is not None}
        if not options:
            return {"description": "no concept of the vocabulary changed the unit's activation "
                    "in the experiments run", "label": "undetermined", "confidence": 0.0,
                    "evidence": evidence_for(state, ps, [])}
        if reason and "budget" in reason and ranked:
            # it could not decide in its budget: the best-supported single concept
            chosen = describe(modality, "single", ranked[0])[0]
            ps["bailed_out"] = reason
        else:
            chosen = self.choose("conclude", "Which description of the unit do the "
                                 "experiments support best?", list(options), state, env)[0]
        verdict = options[chosen]
        ps["verdict"] = {**verdict, "description": chosen}
        confidence = verdict_confidence(verdict, ps, self.n)
        concepts = [c for c in (verdict["a"], verdict["b"]) if c]
        if state["subject_kind"] == "model":
            chosen = (f"the output {ps.get('unit')} named in the question {chosen}; these "
                      f"inputs raise its score")
        return {"description": chosen, "label": verdict["label"], "confidence": confidence,
                "concepts": concepts, "composition": verdict["composition"],
                "evidence": evidence_for(state, ps, concepts)}

    def _mentioned(self, state: AgentState) -> list[str]:
        question = state["question"].lower()
        return [c for c in vocabulary(state["modality"])
                if c.replace("_", " ") in question or c.rstrip("s") in question.split()]

    def _priority(self, state: AgentState, ps: dict[str, Any]) -> list[str]:
        """Vocabulary concepts: those the question names, then by evidence, then the rest."""
        order = self._mentioned(state) + [c for c, _ in ranked_concepts(ps)]
        order += list(vocabulary(state["modality"]))
        return list(dict.fromkeys(order))

    # --- candidate actions -------------------------------------------------------------------

    def _plan_options(self, state: AgentState, env: PolicyEnv, unit: str) -> dict[str, ToolCall]:
        """Valid, not yet run tool calls, rendered as short strings, most useful first."""
        ps = env.policy_state
        tools = {spec.name for spec in env.tools} - set(self.skip_tools)
        done = set(ps.get("done", []))
        hypotheses = state.get("hypotheses", [])
        survey = [h["id"] for h in hypotheses if h["id"] == UMBRELLA]
        open_ids = {h["concepts"][0]: h["id"] for h in hypotheses
                    if h.get("composition") == "single" and h.get("concepts")
                    and h.get("status") != "refuted"}
        calls: list[ToolCall] = []

        def add(tool: str, arguments: dict[str, Any], why: str, ids: list[str]) -> None:
            if tool in tools and call_key(tool, arguments) not in done:
                calls.append(ToolCall(tool, arguments, why, ids or survey))

        add("screen_concepts", {"unit": unit, "n": self.n},
            "causal screen: each concept present vs absent in fresh stimuli", [])
        add("exemplar_concepts", {"unit": unit, "k": 16},
            "which concepts are over-represented among the top exemplars", [])
        add("dataset_exemplars", {"unit": unit, "k": 8}, "the unit's top corpus exemplars", [])
        if self._has_network(unit, state["modality"]):
            add("logit_effect", {"unit": unit, "k": 10}, "which tokens the unit promotes", [])
        for concept, hid in open_ids.items():
            add("probe_concepts", {"unit": unit, "include": [concept], "exclude": [],
                                   "n": self.n, "seed": 1},
                f"stimuli with {concept}", [hid])
            add("probe_concepts", {"unit": unit, "include": [], "exclude": [concept],
                                   "n": self.n, "seed": 1},
                f"baseline: stimuli without {concept}", [hid])
            if state["modality"] == "text":
                texts, positives = _contrast_texts(concept, max(self.n // 2, 2))
                if texts:
                    arguments = {"unit": unit, "texts": texts}
                    ps.setdefault("call_meta", {})[call_key("call_unit", arguments)] = {
                        "concept": concept, "positives": positives}
                    add("call_unit", arguments, f"texts with vs without {concept}", [hid])
            add("screen_concepts", {"unit": unit, "n": self.n, "given": [concept]},
                f"with {concept} present, which other concepts raise or silence the unit",
                [hid])
        ranked = [c for c, s in ranked_concepts(ps) if s > 0]
        if len(ranked) >= 2:
            a, b = ranked[:2]
            ids = [open_ids[c] for c in (a, b) if c in open_ids]
            for include, exclude in (([a, b], []), ([a], [b]), ([b], [a]), ([], [a, b])):
                add("probe_concepts", {"unit": unit, "include": include, "exclude": exclude,
                                       "n": self.n, "seed": 1},
                    f"2x2 design {a} x {b}", ids)
        options: dict[str, ToolCall] = {}
        for call in calls:
            options.setdefault(self._render(call.tool, call.arguments), call)
        return dict(list(options.items())[: self.max_candidates])

    @staticmethod
    def _render(tool: str, arguments: dict[str, Any]) -> str:
        """A tool call as a short option string (the unit and sizes are implied)."""
        shown = []
        for name in ("include", "exclude", "given"):
            if arguments.get(name):
                shown.append(f"{name}=[{', '.join(arguments[name])}]")
        if tool == "call_unit":
            shown.append(f"{len(arguments.get('texts', []))} texts")
        return f"{tool}({', '.join(shown)})"

    @staticmethod
    def _has_network(unit: str, modality: str) -> bool:
        """Whether `logit_effect` applies: a real text LM's MLP neuron or residual direction."""
        model, layer, _ = unit.split(":")
        return modality == "text" and not model.startswith("synthetic") and (
            layer.endswith(".mlp") or layer.split(".")[-1].isdigit())

def supported_partner(ps: dict[str, Any], a: str, b: str, n: int
                      ) -> tuple[str, str, str] | None:
    """(composition, first, second) that a 2x2 design of concepts a and b showed, by the test
    the systematic policy uses (`agent.evidence.classify_cells`); None when no design of the
    pair ran or it showed no composition."""
    reading = factorial(ps, a, b, n)
    return {"or": ("or", a, b), "and": ("and", a, b), "and_not_ab": ("and_not", a, b),
            "and_not_ba": ("and_not", b, a)}.get((reading or {}).get("pattern", ""))


def _contrast_texts(concept: str, n: int) -> tuple[list[str], int]:
    """n generated texts with `concept` followed by n without it (empty if none can be made)."""
    from models.stimuli.texts import sentences_with

    try:
        positives = sentences_with([concept], [], n, 7)
        negatives = sentences_with([], [concept], n, 7)
    except Exception:  # noqa: BLE001 (a concept the generator cannot realise is just skipped)
        return [], 0
    return positives + negatives, len(positives)
