"""The LLM policy: a chat backbone decides every step (registered as `openai`, its usual
backbone being any OpenAI-compatible endpoint; any Backbone works)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from agent import prompts
from agent.backbones.base import Backbone, ToolsUnsupported
from agent.backbones.openai_compat import SMALL_MODELS, OpenAIBackbone
from agent.policies.base import Policy, PolicyEnv, ToolCall, fallback_conclusion, register_policy
from agent.policies.history import Conversation, compact_schema, for_record
from agent.replies import extract_json, read_final, read_hypotheses, read_revision
from agent.state import AgentState, Hypothesis
from tools.context import ToolError
from tools.registry import ToolSpec

# Tools offered in compact mode: few and cheap, so their schemas fit a 2k-token context.
COMPACT_TOOLS = ("dataset_exemplars", "call_unit", "probe_concepts", "text2image")
#: Options of the OpenAI-compatible backbone (recorded in the run's config; never the key).
BACKBONE_OPTIONS = ("base_url", "model", "vision", "timeout", "max_retries",
                    "retry_base_delay", "max_delay")


@register_policy("openai")
class LLMPolicy(Policy):
    """An LLM backbone hypothesizes, plans tool calls, revises and concludes.

    The chat history lives in the policy's scratchpad (a resumed run continues the
    conversation). The key is a constructor argument bound to its endpoint; it is never part
    of the options recorded in the run's config.

    Args:
        base_url, model, vision, timeout, max_retries, retry_base_delay, max_delay: the
            OpenAI-compatible backbone's options (see OpenAIBackbone); base_url and model
            default to the environment's (WORKBENCH_BASE_URL, WORKBENCH_MODEL).
        api_key: the key for `base_url`; without one, the environment's key is used only for
            the environment's endpoint.
        backbone: a ready Backbone instead (then the backbone options are ignored).
        temperature: sampling temperature.
        compact: short prompts, compact tool schemas and a small history for small-context
            models; None: on for model names that look small (135m, 360m, smol).
        tools: names of the tools offered (default: all of the modality; compact: a few).
        tool_choice: "auto", "required", or a tool name to force that tool each round.
        tool_results: "tool" (standard tool messages) or "user" (results as user messages,
            for servers whose chat template drops tool messages).
        max_calls_per_round: tool calls accepted from one planning reply.
        max_images: images attached per round for vision backbones.
        max_tokens: reply length limit (default 200 compact, 1024 otherwise).
        context_chars: history size sent per request (default 3500 compact, 60000 otherwise).
    """

    order = 2

    def __init__(self, base_url: str | None = None, model: str | None = None,
                 vision: bool | None = None, timeout: float = 60, max_retries: int = 4,
                 retry_base_delay: float | None = None, max_delay: float = 30.0,
                 api_key: str | None = None, backbone: Backbone | None = None,
                 temperature: float = 0.2, compact: bool | None = None,
                 tools: list[str] | None = None, tool_choice: str = "auto",
                 tool_results: str = "tool", max_calls_per_round: int = 3,
                 max_images: int = 3, max_tokens: int | None = None,
                 context_chars: int | None = None) -> None:
        if tool_results not in ("tool", "user"):
            raise ValueError("tool_results must be 'tool' or 'user'")
        if backbone is None:
            options: dict[str, Any] = {"vision": vision, "timeout": timeout,
                                       "max_retries": max_retries, "max_delay": max_delay}
            if retry_base_delay is not None:
                options["retry_base_delay"] = retry_base_delay
            backbone = OpenAIBackbone.from_settings(base_url, model, api_key, **options)
        self.backbone = backbone
        self.temperature = float(temperature)
        self.compact = compact
        self.tool_names = list(tools) if tools else None
        self.tool_choice = tool_choice
        self.tool_results = tool_results
        self.max_calls_per_round = int(max_calls_per_round)
        self.max_images = int(max_images)
        self.max_tokens = max_tokens
        self.context_chars = context_chars

    def config(self) -> dict[str, Any]:
        described = self.backbone.describe()
        return {"policy": self.name, **{k: described.get(k) for k in BACKBONE_OPTIONS
                                        if k in described},
                "backbone": described.get("backbone"), "temperature": self.temperature,
                "compact": self.compact, "tools": self.tool_names,
                "tool_choice": self.tool_choice, "tool_results": self.tool_results,
                "max_calls_per_round": self.max_calls_per_round}

    def secrets(self) -> tuple[str, ...]:
        key = getattr(self.backbone, "api_key", None)
        return (key,) if key else ()

    # --- settings that depend on the backbone ---------------------------------------------

    def _is_compact(self, env: PolicyEnv) -> bool:
        if self.compact is None:
            model = self.backbone.describe().get("model") or ""
            if not model and isinstance(self.backbone, OpenAIBackbone):
                model = self.backbone.resolved_model(self._deadline(env), self._on_retry(
                    env, "model"))
            self.compact = bool(SMALL_MODELS.search(model)) or (
                self.backbone.context_chars < 10000)
        return self.compact

    def _limits(self, env: PolicyEnv) -> tuple[int, int, int]:
        """(history chars per request, chars kept per old message, chars per observation)."""
        if self._is_compact(env):
            return self.context_chars or 3500, 160, 500
        return self.context_chars or 60000, 600, 2500

    def _conversation(self, state: AgentState, env: PolicyEnv) -> Conversation:
        budget, old_chars, _ = self._limits(env)
        conversation = Conversation(env.policy_state, budget, old_chars,
                                    40 if self._is_compact(env) else 160)
        conversation.start(prompts.system_prompt(
            state["subject"], state["question"], state["modality"],
            [spec.name for spec in self._tools(env)], compact=self._is_compact(env)))
        return conversation

    def _tools(self, env: PolicyEnv) -> list[ToolSpec]:
        names = self.tool_names
        if names is None and self._is_compact(env):
            names = list(COMPACT_TOOLS)
        if names is None:
            return list(env.tools)
        return [spec for spec in env.tools if spec.name in names] or list(env.tools)

    def _schemas(self, env: PolicyEnv) -> list[dict[str, Any]]:
        if self._is_compact(env):
            return [compact_schema(spec) for spec in self._tools(env)]
        return [spec.openai_schema() for spec in self._tools(env)]

    @staticmethod
    def _deadline(env: PolicyEnv) -> float:
        return time.monotonic() + max(0.0, float(env.budget_left.get("seconds", 0.0)))

    @staticmethod
    def _on_retry(env: PolicyEnv, purpose: str) -> Any:
        def report(attempt: int, what: str, delay: float) -> None:
            env.emit("error", step=f"llm_retry:{purpose}", attempt=attempt,
                     message=f"{what}; retrying in {delay:.2f}s")

        return report

    # --- one exchange -------------------------------------------------------------------

    def _chat(self, purpose: str, state: AgentState, env: PolicyEnv, instruction: str,
              use_tools: bool = False, tool_choice: Any = None) -> dict[str, Any]:
        """Append the instruction, send the history, append and record the reply.

        Returns:
            {"content": str, "tool_calls": [{"id", "name", "arguments"}]}
        """
        conversation = self._conversation(state, env)
        conversation.append({"role": "user", "content": instruction})
        ps = env.policy_state
        max_tokens = self.max_tokens or (200 if self._is_compact(env) else 1024)
        started = time.perf_counter()

        def send() -> Any:
            text_mode = bool(ps.get("text_mode"))
            return self.backbone.chat(
                conversation.outgoing(self.tool_results == "user", text_mode),
                tools=self._schemas(env) if use_tools and not text_mode else None,
                tool_choice=tool_choice if use_tools and not text_mode else None,
                max_tokens=max_tokens, temperature=self.temperature,
                deadline=self._deadline(env), on_retry=self._on_retry(env, purpose),
                cancel=env.stop)

        try:
            try:
                reply = send()
            except ToolsUnsupported as error:
                # A server without tool support rejects `tools`: carry on with JSON actions.
                ps["text_mode"] = True
                env.emit("error", step=f"llm:{purpose}",
                         message=f"{error}; switching to JSON actions in text")
                conversation.messages[-1]["content"] += prompts.PLAN_TEXT_SUFFIX.format()
                reply = send()
        except Exception:
            conversation.pop()  # an unanswered instruction would only confuse the next step
            raise
        calls = [{"id": c.id, "name": c.name, "arguments": c.arguments}
                 for c in reply.tool_calls]
        sent = conversation.outgoing(self.tool_results == "user", bool(ps.get("text_mode")))
        reply_text = reply.content + ("\n" + json.dumps(calls) if calls else "")
        env.llm_call(purpose, for_record(sent), reply_text, reply.usage, started,
                     model=reply.model, attempts=reply.attempts, tool_calls=calls,
                     finish_reason=reply.finish_reason)
        stored: dict[str, Any] = {"role": "assistant", "content": reply.content[:2000]}
        if calls:
            stored["tool_calls"] = [{"id": c["id"], "type": "function",
                                     "function": {"name": c["name"],
                                                  "arguments": c["arguments"]}}
                                    for c in calls]
        conversation.append(stored)
        return {"content": reply.content, "tool_calls": calls}

    # --- the five steps -----------------------------------------------------------------

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        existing = {h["id"]: h for h in state.get("hypotheses", [])}
        left = env.budget_left
        reply = self._chat("hypothesize", state, env, prompts.step_prompt(
            "hypothesize", self._is_compact(env), round=state["round"],
            rounds_left=int(left.get("rounds", 0)), calls_left=int(left.get("tool_calls", 0)),
            hypotheses=list(existing.values()), max_new=3))
        out: list[Hypothesis] = []
        next_id = len(existing) + 1
        for item in read_hypotheses(reply["content"]):
            hid = item.id
            if hid not in existing:
                if len([h for h in out if h["id"] not in existing]) >= 3:
                    continue
                hid = hid if re.fullmatch(r"H\d+", hid) else ""
                while not hid or hid in existing or any(h["id"] == hid for h in out):
                    hid, next_id = f"H{next_id}", next_id + 1
            out.append(Hypothesis(id=hid, statement=item.statement, confidence=item.confidence))
        if not out and not existing:
            # Without any hypothesis the run could not conclude from evidence; keep the
            # backbone's words (if any) as a first, low-confidence claim.
            text = re.sub(r"[{}\[\]\"`]", " ", reply["content"]).strip()
            text = " ".join(text.split())[:200] or f"{state['subject']} responds to some concept"
            out.append(Hypothesis(id="H1", statement=text, confidence=0.2))
        return out

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        ps = env.policy_state
        ps["pending"] = []
        room = min(self.max_calls_per_round, int(env.budget_left.get("tool_calls", 0)))
        if room <= 0:
            return []
        specs = {spec.name: spec for spec in self._tools(env)}
        choice: Any = self.tool_choice
        if choice not in ("auto", "required", "none"):
            choice = {"type": "function", "function": {"name": choice}}
        reply = self._chat("plan", state, env, prompts.step_prompt(
            "plan", self._is_compact(env), round=state["round"], max_calls=room,
            text_mode=bool(ps.get("text_mode"))), use_tools=True, tool_choice=choice)
        raw = [(c["id"], c["name"], c["arguments"]) for c in reply["tool_calls"]]
        if not raw:
            # Servers without tool support, and replies that ignore it, may still write actions.
            value = extract_json(reply["content"])
            actions = value if isinstance(value, list) else [value] if value else []
            for action in actions:
                if isinstance(action, dict) and "tool" in action:
                    raw.append((None, str(action["tool"]), action.get("arguments", {})))
                elif isinstance(action, dict) and "name" in action:
                    raw.append((None, str(action["name"]),
                                action.get("arguments", action.get("parameters", {}))))
        open_ids = [h["id"] for h in state.get("hypotheses", []) if h.get("status") != "refuted"]
        calls: list[ToolCall] = []
        notes: list[str] = []
        conversation = self._conversation(state, env)
        for call_id, name, arguments in raw:
            problem, parsed = self._check_call(name, arguments, specs, state)
            if problem is None and len(calls) >= room:
                problem = f"more than {room} calls this round"
            if problem is not None:
                notes.append(problem)
                if call_id is not None:
                    conversation.append({"role": "tool", "tool_call_id": call_id,
                                         "content": prompts.NOTE_BAD_CALL.format(
                                             problem=problem, tool_names=", ".join(specs))})
                continue
            calls.append(ToolCall(name, parsed, rationale=reply["content"][:300],
                                  hypotheses=list(open_ids)))
            ps["pending"].append({"call_id": call_id, "tool": name})
        if notes and any(c[0] is None for c in raw):
            conversation.append({"role": "user", "content": prompts.NOTE_BAD_CALL.format(
                problem="; ".join(notes), tool_names=", ".join(specs))})
        if notes:
            env.emit("error", step="plan", message="malformed tool call(s) fed back to the "
                     "backbone: " + "; ".join(notes))
        return calls

    @staticmethod
    def _check_call(name: str, arguments: Any, specs: dict[str, ToolSpec],
                    state: AgentState) -> tuple[str | None, dict[str, Any]]:
        """(problem or None, validated arguments) of one requested tool call."""
        if name not in specs:
            return f"unknown tool {name!r}", {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as error:
                return f"arguments of {name} are not valid JSON ({error.msg})", {}
        if not isinstance(arguments, dict):
            return f"arguments of {name} must be a JSON object", {}
        # Small models often leave out the unit; the subject is the only sensible default.
        if ("unit" in specs[name].parameters["properties"] and "unit" not in arguments
                and state.get("subject_kind") == "unit"):
            arguments = {**arguments, "unit": state["subject"]}
        try:
            specs[name].validate(arguments)
        except ToolError as error:
            return f"invalid arguments: {str(error)[:240]}", {}
        return None, arguments

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        conversation = self._conversation(state, env)
        _, _, obs_chars = self._limits(env)
        pending = ps.pop("pending", [])
        sees_images = self.backbone.sees_images
        texts = []
        for i, experiment in enumerate(new_experiments):
            text = f"{experiment['id']} {experiment['tool']}: {experiment.get('summary', '')}"
            titles = [a.get("title", "") for a in experiment.get("artifacts", [])]
            if titles and not sees_images:
                # Text-only backbones get the figures' captions instead of the figures.
                text += " | figures: " + "; ".join(t for t in titles[:6] if t)
            text = text[:obs_chars]
            call_id = pending[i]["call_id"] if i < len(pending) else None
            if call_id:
                conversation.append({"role": "tool", "tool_call_id": call_id, "content": text})
            else:
                texts.append(text)
        for skipped in pending[len(new_experiments):]:
            if skipped.get("call_id"):
                conversation.append({"role": "tool", "tool_call_id": skipped["call_id"],
                                     "content": "not run: budget exhausted"})
        if texts:
            conversation.append({"role": "user", "content": "Results:\n" + "\n".join(texts)})
        if sees_images:
            images = [a for e in new_experiments for a in e.get("artifacts", [])
                      if a.get("path") and Path(a["path"]).exists()][:self.max_images]
            if images:
                parts: list[dict[str, Any]] = [{"type": "text",
                                                "text": "Figures from these experiments:"}]
                for artifact in images:
                    parts.append({"type": "text", "text": artifact.get("title", "")})
                    parts.append({"type": "image_path", "path": artifact["path"],
                                  "title": artifact.get("title", "")})
                conversation.append({"role": "user", "content": parts})

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        hypotheses = {h["id"]: h for h in state.get("hypotheses", [])}
        left = env.budget_left
        reply = self._chat("revise", state, env, prompts.step_prompt(
            "revise", self._is_compact(env), round=state["round"],
            rounds_left=int(left.get("rounds", 0)), calls_left=int(left.get("tool_calls", 0)),
            hypotheses=list(hypotheses.values())))
        revision = read_revision(reply["content"])
        env.policy_state["ready"] = bool(revision and revision.conclude)
        if revision is None:
            return []
        round_ids = [e["id"] for e in state.get("experiments", [])
                     if e.get("round") == state["round"]]
        updates: list[Hypothesis] = []
        for item in revision.updates:
            if item.id not in hypotheses:
                continue
            before = hypotheses[item.id]
            update = Hypothesis(id=item.id, experiments=round_ids,
                                status=item.status or before.get("status", "open"),  # type: ignore[typeddict-item]
                                confidence=item.confidence if item.confidence is not None
                                else float(before.get("confidence", 0.5)))
            if item.statement:
                update["statement"] = item.statement
            updates.append(update)
        return updates

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        # The revise reply carries the backbone's verdict; no extra call needed.
        return bool(env.policy_state.get("ready")) and bool(state.get("experiments"))

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        experiments = [f"{e['id']} {e['tool']}" for e in state.get("experiments", [])]
        reply = self._chat("conclude", state, env, prompts.step_prompt(
            "conclude", self._is_compact(env), reason=reason,
            hypotheses=state.get("hypotheses", []), experiments=experiments))
        try:
            final = read_final(reply["content"])
        except ValueError as error:
            env.emit("error", step="conclude",
                     message=f"unusable final answer from the backbone ({error}); "
                             "concluding from the state")
            return fallback_conclusion(state, reason)
        known = {e["id"] for e in state.get("experiments", [])}
        evidence = []
        for item in final.evidence:
            entry = item.model_dump()
            if entry["experiment"] and entry["experiment"] not in known:
                entry["finding"] = f"(unknown experiment) {entry['finding']}".strip()
            evidence.append(entry)
        return {"description": final.description, "label": final.label,
                "confidence": final.confidence, "evidence": evidence, "stop_reason": reason}
