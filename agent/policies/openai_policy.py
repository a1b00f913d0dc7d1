"""The `openai` policy: an LLM backbone behind any OpenAI-compatible endpoint drives the agent."""

from __future__ import annotations

import base64
import io
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import jsonschema

from agent import prompts
from agent.policies.base import Policy, PolicyEnv, ToolCall, fallback_conclusion
from agent.state import AgentState, Hypothesis, validate_final
from tools.registry import ToolSpec

# Tools offered in compact mode: few and cheap, so their schemas fit a 2k-token context.
COMPACT_TOOLS = ("dataset_exemplars", "call_unit", "probe_concepts", "text2image")
# Model names that accept images (used when `vision` is left to auto-detection).
_VISION_MODELS = re.compile(r"gpt-4o|gpt-4\.1|gpt-5|o[34]\b|vision|-vl\b|vl-|llava|pixtral|"
                            r"gemma-3|claude|gemini|llama-4|minicpm-v|internvl", re.I)
_SMALL_MODELS = re.compile(r"135m|360m|smol|tiny", re.I)
_STATUSES = ("open", "supported", "refuted")


class BackboneUnavailable(RuntimeError):
    """The endpoint kept failing (rate limits, server errors, timeouts) after every retry."""


def extract_json(text: str) -> Any:
    """The first JSON object or list in a reply: a ```json block, the whole text, or embedded.

    Returns None when the text holds no JSON value.
    """
    if not text:
        return None
    candidates = re.findall(r"```(?:json)?\s*(.*?)```", text, re.S) + [text]
    for candidate in candidates:
        try:
            value = json.loads(candidate.strip())
            if isinstance(value, dict | list):
                return value
        except json.JSONDecodeError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text[match.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict | list):
            return value
    return None


def _number(value: Any, default: float) -> float:
    try:
        return min(max(float(value), 0.0), 1.0)
    except (TypeError, ValueError):
        return default


def compact_schema(spec: ToolSpec) -> dict[str, Any]:
    """A tool's OpenAI entry cut down for small contexts: first sentence, no argument prose."""
    schema = spec.openai_schema()
    function = schema["function"]
    function["description"] = re.split(r"(?<=\.)\s", function["description"])[0][:120]
    properties = {}
    for name, prop in function["parameters"]["properties"].items():
        properties[name] = {k: v for k, v in prop.items() if k not in ("description", "default")}
    function["parameters"] = {**function["parameters"], "properties": properties}
    return schema


def _image_data_url(path: str, max_side: int) -> str:
    """A PNG as a base64 data URL, downscaled so a few fit in one request."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((max_side, max_side))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _for_record(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as the transcript keeps them: images become placeholders, never base64."""
    recorded = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            parts = []
            for part in content:
                if part.get("type") == "image_url":
                    parts.append({"type": "image", "placeholder": "[image omitted]"})
                elif part.get("type") == "image_path":
                    parts.append({"type": "image", "path": part.get("path"),
                                  "title": part.get("title", "")})
                else:
                    parts.append(part)
            message = {**message, "content": parts}
        recorded.append(message)
    return recorded


def _chars(message: dict[str, Any]) -> int:
    content = message.get("content")
    if isinstance(content, list):
        size = sum(len(p.get("text", "")) + (800 if p.get("type") != "text" else 0)
                   for p in content)
    else:
        size = len(content or "")
    return size + sum(len(json.dumps(c)) for c in message.get("tool_calls") or []) + 16


class OpenAIPolicy(Policy):
    """An LLM backbone behind an OpenAI-compatible chat-completions endpoint.

    The chat history lives in `env.policy_state["messages"]` (so a resumed run continues the
    conversation); images are kept there as file paths and only turned into base64 when a
    request is sent. The API key is read from the environment (WORKBENCH_API_KEY or
    OPENAI_API_KEY) when the client is built and never stored in the config or the state.

    Args:
        base_url: the endpoint (default: env WORKBENCH_BASE_URL, else OpenAI's).
        model: the backbone (default: env WORKBENCH_MODEL, else the endpoint's first model).
        vision: send images to the backbone; None guesses from the model name.
        timeout: seconds per request before it counts as a timeout.
        max_retries: retries after a rate limit, server error, timeout or connection error.
        temperature: sampling temperature.
        retry_base_delay: first backoff delay in seconds (doubled per retry, with jitter;
            default env WORKBENCH_RETRY_BASE_DELAY or 1).
        max_delay: longest single backoff, also the cap on a server's Retry-After.
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

    name = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None,
                 vision: bool | None = None, timeout: float = 60, max_retries: int = 4,
                 temperature: float = 0.2, retry_base_delay: float | None = None,
                 max_delay: float = 30.0, compact: bool | None = None,
                 tools: list[str] | None = None, tool_choice: str = "auto",
                 tool_results: str = "tool", max_calls_per_round: int = 3,
                 max_images: int = 3, max_tokens: int | None = None,
                 context_chars: int | None = None) -> None:
        self.base_url = base_url or os.environ.get("WORKBENCH_BASE_URL") or None
        self.model = model or os.environ.get("WORKBENCH_MODEL") or None
        self.vision = vision
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.temperature = float(temperature)
        delay = retry_base_delay if retry_base_delay is not None else os.environ.get(
            "WORKBENCH_RETRY_BASE_DELAY", 1.0)
        self.retry_base_delay = float(delay)
        self.max_delay = float(max_delay)
        self.compact = compact
        self.tool_names = list(tools) if tools else None
        if tool_results not in ("tool", "user"):
            raise ValueError("tool_results must be 'tool' or 'user'")
        self.tool_choice = tool_choice
        self.tool_results = tool_results
        self.max_calls_per_round = int(max_calls_per_round)
        self.max_images = int(max_images)
        self.max_tokens = max_tokens
        self.context_chars = context_chars
        self._client: Any = None

    def config(self) -> dict[str, Any]:
        return {"policy": self.name, "base_url": self.base_url, "model": self.model,
                "vision": self.vision, "timeout": self.timeout, "max_retries": self.max_retries,
                "temperature": self.temperature, "retry_base_delay": self.retry_base_delay,
                "compact": self.compact, "tools": self.tool_names,
                "tool_choice": self.tool_choice, "tool_results": self.tool_results,
                "max_calls_per_round": self.max_calls_per_round}

    # --- the backbone ----------------------------------------------------------------------

    def client(self) -> Any:
        """The OpenAI client (built on first use; the key comes from the environment)."""
        if self._client is None:
            from openai import OpenAI

            # Local servers (llama.cpp, vLLM, Ollama) need no key, but the client wants one.
            key = (os.environ.get("WORKBENCH_API_KEY") or os.environ.get("OPENAI_API_KEY")
                   or "not-needed")
            # max_retries=0: the retry loop is ours, so each attempt is visible and testable.
            self._client = OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout,
                                  max_retries=0)
        return self._client

    def _model(self) -> str:
        if self.model is None:
            models = self._with_retries(lambda: self.client().models.list(), None)
            names = [m.id for m in models.data]
            if not names:
                raise BackboneUnavailable(f"the endpoint {self.base_url} lists no models")
            self.model = names[0]
        return self.model

    def _is_compact(self) -> bool:
        if self.compact is None:
            self.compact = bool(_SMALL_MODELS.search(self._model()))
        return self.compact

    def _sees_images(self) -> bool:
        if self.vision is None:
            self.vision = bool(_VISION_MODELS.search(self._model()))
        return self.vision

    def _delay(self, attempt: int, error: Exception) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins when it is shorter."""
        delay = self.retry_base_delay * (2 ** attempt) * (0.5 + random.random())
        response = getattr(error, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                delay = float(retry_after)
            except ValueError:
                pass
        return min(max(delay, 0.0), self.max_delay)

    def _with_retries(self, request: Any, env: PolicyEnv | None, purpose: str = "") -> Any:
        """Run `request()`, retrying transient failures; raise BackboneUnavailable at the end."""
        import openai

        for attempt in range(self.max_retries + 1):
            try:
                return request()
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                    openai.APIConnectionError, openai.APIStatusError) as error:
                status = getattr(error, "status_code", None)
                transient = status is None or status in (408, 409, 429) or status >= 500
                if not transient:
                    raise
                what = f"HTTP {status}" if status else type(error).__name__
                if attempt >= self.max_retries:
                    raise BackboneUnavailable(
                        f"the backbone at {self.base_url or 'api.openai.com'} failed "
                        f"{attempt + 1} times ({what}); giving up on {purpose or 'the call'}"
                    ) from error
                delay = self._delay(attempt, error)
                if env is not None:
                    env.emit("error", step=f"llm_retry:{purpose}", attempt=attempt + 1,
                             message=f"{what}; retrying in {delay:.2f}s")
                time.sleep(delay)
        raise AssertionError("unreachable")

    # --- messages --------------------------------------------------------------------------

    def _tools(self, env: PolicyEnv) -> list[ToolSpec]:
        names = self.tool_names
        if names is None and self._is_compact():
            names = list(COMPACT_TOOLS)
        if names is None:
            return list(env.tools)
        return [spec for spec in env.tools if spec.name in names] or list(env.tools)

    def _schemas(self, env: PolicyEnv) -> list[dict[str, Any]]:
        if self._is_compact():
            return [compact_schema(spec) for spec in self._tools(env)]
        return [spec.openai_schema() for spec in self._tools(env)]

    def _messages(self, state: AgentState, env: PolicyEnv) -> list[dict[str, Any]]:
        ps = env.policy_state
        if not ps.get("messages"):
            names = [spec.name for spec in self._tools(env)]
            ps["messages"] = [{"role": "system", "content": prompts.system_prompt(
                state["subject"], state["question"], state["modality"], names,
                compact=self._is_compact())}]
        return ps["messages"]

    def _limits(self) -> tuple[int, int, int]:
        """(history chars per request, chars kept per old message, chars per observation)."""
        if self._is_compact():
            return self.context_chars or 3500, 160, 500
        return self.context_chars or 60000, 600, 2500

    def _outgoing(self, messages: list[dict[str, Any]], text_mode: bool,
                  inline: bool = True) -> list[dict[str, Any]]:
        """The history as sent: answered tool calls, trimmed to the budget, images inlined."""
        budget, old_chars, _ = self._limits()
        out: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            message = dict(message)
            if message["role"] == "assistant" and message.get("tool_calls"):
                # Every tool call must be answered before the next turn, even if a step failed
                # in between; strict servers reject the history otherwise.
                answered = {m.get("tool_call_id") for m in messages[i + 1:]
                            if m["role"] == "tool"}
                out.append(message)
                for call in message["tool_calls"]:
                    if call["id"] not in answered:
                        out.append({"role": "tool", "tool_call_id": call["id"],
                                    "content": "not run"})
                continue
            out.append(message)
        if text_mode or self.tool_results == "user":
            out = [self._as_plain(m, tool_calls=not text_mode) for m in out]
        # Old messages are cut short; the newest six stay whole (they are what the step needs).
        for message in out[1:-6]:
            if isinstance(message.get("content"), str) and len(message["content"]) > old_chars:
                message["content"] = message["content"][:old_chars] + " …"
        head, tail = out[:1], out[1:]
        while tail and sum(map(_chars, head + tail)) > budget and len(tail) > 1:
            tail.pop(0)
            while tail and tail[0]["role"] == "tool":  # a tool reply needs its call
                tail.pop(0)
        return [self._inline_images(m) if inline else m for m in head + tail]

    @staticmethod
    def _as_plain(message: dict[str, Any], tool_calls: bool) -> dict[str, Any]:
        """A message without the tool role (and, in text mode, without native tool calls)."""
        if message["role"] == "tool":
            return {"role": "user", "content": f"Result: {message.get('content', '')}"}
        if message["role"] == "assistant" and message.get("tool_calls") and not tool_calls:
            calls = [{"tool": c["function"]["name"], "arguments": c["function"]["arguments"]}
                     for c in message["tool_calls"]]
            text = (message.get("content") or "") + "\n" + json.dumps(calls)
            return {"role": "assistant", "content": text.strip()}
        return message

    def _inline_images(self, message: dict[str, Any]) -> dict[str, Any]:
        content = message.get("content")
        if not isinstance(content, list):
            return message
        parts = []
        for part in content:
            if part.get("type") == "image_path":
                try:
                    url = _image_data_url(part["path"], 384 if not self._is_compact() else 224)
                except OSError:
                    parts.append({"type": "text", "text": f"[missing image {part['path']}]"})
                    continue
                parts.append({"type": "image_url", "image_url": {"url": url}})
            else:
                parts.append(part)
        return {**message, "content": parts}

    def _chat(self, purpose: str, state: AgentState, env: PolicyEnv, instruction: str,
              use_tools: bool = False, tool_choice: Any = None) -> dict[str, Any]:
        """One chat call: append the instruction, send, append and record the reply.

        Returns:
            {"content": str, "tool_calls": [{"id", "name", "arguments"}]}
        """
        import openai

        model = self._model()
        messages = self._messages(state, env)
        messages.append({"role": "user", "content": instruction})
        ps = env.policy_state
        max_tokens = self.max_tokens or (200 if self._is_compact() else 1024)
        started = time.perf_counter()
        attempts = {"n": 0}

        def request() -> Any:
            attempts["n"] += 1
            text_mode = bool(ps.get("text_mode"))
            kwargs: dict[str, Any] = {"model": model, "temperature": self.temperature,
                                      "max_tokens": max_tokens,
                                      "messages": self._outgoing(messages, text_mode)}
            if use_tools and not text_mode:
                kwargs["tools"] = self._schemas(env)
                if tool_choice is not None:
                    kwargs["tool_choice"] = tool_choice
            return self.client().chat.completions.create(**kwargs)

        try:
            try:
                response = self._with_retries(request, env, purpose)
            except openai.BadRequestError as error:
                about_tools = re.search(r"tool|function", str(error), re.I)
                if not use_tools or ps.get("text_mode") or not about_tools:
                    raise
                # A server without tool support rejects `tools`: carry on with JSON actions.
                ps["text_mode"] = True
                env.emit("error", step=f"llm:{purpose}",
                         message=f"endpoint rejected tool calling ({error.status_code}); "
                                 "switching to JSON actions in text")
                messages[-1]["content"] += prompts.PLAN_TEXT_SUFFIX.format()
                response = self._with_retries(request, env, purpose)
        except Exception:
            messages.pop()  # an unanswered instruction would only confuse the next step
            raise
        choice = response.choices[0] if response.choices else None
        message = choice.message if choice is not None else None
        content = (message.content if message is not None else None) or ""
        calls = []
        for call in (message.tool_calls if message is not None else None) or []:
            function = getattr(call, "function", None)
            calls.append({"id": call.id or f"call_{len(calls)}",
                          "name": getattr(function, "name", "") or "",
                          "arguments": getattr(function, "arguments", "") or ""})
        usage = response.usage
        usage_dict = {"prompt_tokens": usage.prompt_tokens,
                      "completion_tokens": usage.completion_tokens,
                      "total_tokens": usage.total_tokens} if usage is not None else {}
        sent = self._outgoing(messages, bool(ps.get("text_mode")), inline=False)
        reply_text = content + ("\n" + json.dumps(calls) if calls else "")
        env.llm_call(purpose, _for_record(sent), reply_text, usage_dict, started, model=model,
                     attempts=attempts["n"], tool_calls=calls,
                     finish_reason=getattr(choice, "finish_reason", None))
        stored: dict[str, Any] = {"role": "assistant", "content": content[:2000]}
        if calls:
            stored["tool_calls"] = [{"id": c["id"], "type": "function",
                                     "function": {"name": c["name"],
                                                  "arguments": c["arguments"]}}
                                    for c in calls]
        messages.append(stored)
        self._trim_history(ps)
        return {"content": content, "tool_calls": calls}

    def _trim_history(self, ps: dict[str, Any]) -> None:
        """Keep the stored history bounded (the checkpoint stores it every node)."""
        messages = ps["messages"]
        limit = 40 if self._is_compact() else 160
        if len(messages) > limit:
            rest = messages[-(limit - 1):]
            while rest and rest[0]["role"] == "tool":
                rest.pop(0)
            ps["messages"] = [messages[0], *rest]

    # --- the five steps --------------------------------------------------------------------

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        existing = {h["id"]: h for h in state.get("hypotheses", [])}
        left = env.budget_left
        reply = self._chat("hypothesize", state, env, prompts.step_prompt(
            "hypothesize", self._is_compact(), round=state["round"],
            rounds_left=int(left.get("rounds", 0)), calls_left=int(left.get("tool_calls", 0)),
            hypotheses=list(existing.values()), max_new=3))
        value = extract_json(reply["content"])
        items = value.get("hypotheses", []) if isinstance(value, dict) else value
        out: list[Hypothesis] = []
        next_id = len(existing) + 1
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                item = {"statement": item}
            if not isinstance(item, dict) or not str(item.get("statement") or "").strip():
                continue
            hid = str(item.get("id") or "")
            if hid not in existing:
                if len([h for h in out if h["id"] not in existing]) >= 3:
                    continue
                hid = hid if re.fullmatch(r"H\d+", hid) and hid not in existing else ""
                while not hid or hid in existing or any(h["id"] == hid for h in out):
                    hid, next_id = f"H{next_id}", next_id + 1
            out.append(Hypothesis(id=hid, statement=str(item["statement"]).strip()[:300],
                                  confidence=_number(item.get("confidence"), 0.5)))
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
            "plan", self._is_compact(), round=state["round"], max_calls=room,
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
        for call_id, name, arguments in raw:
            problem, parsed = self._check_call(name, arguments, specs, state)
            if problem is None and len(calls) >= room:
                problem = f"more than {room} calls this round"
            if problem is not None:
                notes.append(problem)
                if call_id is not None:
                    ps["messages"].append({"role": "tool", "tool_call_id": call_id,
                                           "content": prompts.NOTE_BAD_CALL.format(
                                               problem=problem,
                                               tool_names=", ".join(specs))})
                continue
            calls.append(ToolCall(name, parsed, rationale=reply["content"][:300],
                                  hypotheses=list(open_ids)))
            ps["pending"].append({"call_id": call_id, "tool": name})
        if notes and any(c[0] is None for c in raw):
            ps["messages"].append({"role": "user", "content": prompts.NOTE_BAD_CALL.format(
                problem="; ".join(notes), tool_names=", ".join(specs))})
        if notes:
            env.emit("error", step="plan", message="malformed tool call(s) fed back to the "
                     "backbone: " + "; ".join(notes))
        return calls

    @staticmethod
    def _check_call(name: str, arguments: Any, specs: dict[str, ToolSpec],
                    state: AgentState) -> tuple[str | None, dict[str, Any]]:
        """(problem or None, parsed arguments) of one requested tool call."""
        if name not in specs:
            return f"unknown tool {name!r}", {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as error:
                return f"arguments of {name} are not valid JSON ({error.msg})", {}
        if not isinstance(arguments, dict):
            return f"arguments of {name} must be a JSON object", {}
        parameters = specs[name].parameters
        # Small models often leave out the unit; the subject is the only sensible default.
        if ("unit" in parameters["properties"] and "unit" not in arguments
                and state.get("subject_kind") == "unit"):
            arguments = {**arguments, "unit": state["subject"]}
        try:
            jsonschema.validate(arguments, parameters)
        except jsonschema.ValidationError as error:
            return f"invalid arguments for {name}: {error.message[:200]}", {}
        return None, arguments

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        messages = self._messages(state, env)
        _, _, obs_chars = self._limits()
        pending = ps.pop("pending", [])
        texts = []
        for i, experiment in enumerate(new_experiments):
            text = f"{experiment['id']} {experiment['tool']}: {experiment.get('summary', '')}"
            titles = [a.get("title", "") for a in experiment.get("artifacts", [])]
            if titles and not self._sees_images():
                # Text-only backbones get the figures' captions instead of the figures.
                text += " | figures: " + "; ".join(t for t in titles[:6] if t)
            text = text[:obs_chars]
            call_id = pending[i]["call_id"] if i < len(pending) else None
            if call_id:
                messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
            else:
                texts.append(text)
        for skipped in pending[len(new_experiments):]:
            if skipped.get("call_id"):
                messages.append({"role": "tool", "tool_call_id": skipped["call_id"],
                                 "content": "not run: budget exhausted"})
        if texts:
            messages.append({"role": "user", "content": "Results:\n" + "\n".join(texts)})
        if self._sees_images():
            images = [a for e in new_experiments for a in e.get("artifacts", [])
                      if a.get("path") and Path(a["path"]).exists()][:self.max_images]
            if images:
                parts: list[dict[str, Any]] = [{"type": "text",
                                                "text": "Figures from these experiments:"}]
                for artifact in images:
                    parts.append({"type": "text", "text": artifact.get("title", "")})
                    parts.append({"type": "image_path", "path": artifact["path"],
                                  "title": artifact.get("title", "")})
                messages.append({"role": "user", "content": parts})
        self._trim_history(ps)

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        hypotheses = {h["id"]: h for h in state.get("hypotheses", [])}
        left = env.budget_left
        reply = self._chat("revise", state, env, prompts.step_prompt(
            "revise", self._is_compact(), round=state["round"],
            rounds_left=int(left.get("rounds", 0)), calls_left=int(left.get("tool_calls", 0)),
            hypotheses=list(hypotheses.values())))
        value = extract_json(reply["content"])
        if isinstance(value, list):
            value = {"updates": value}
        if not isinstance(value, dict):
            env.policy_state["ready"] = False
            return []
        env.policy_state["ready"] = bool(value.get("conclude"))
        round_ids = [e["id"] for e in state.get("experiments", [])
                     if e.get("round") == state["round"]]
        updates: list[Hypothesis] = []
        items = value.get("updates", value.get("hypotheses", []))
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or item.get("id") not in hypotheses:
                continue
            before = hypotheses[item["id"]]
            update = Hypothesis(id=item["id"], experiments=round_ids)
            status = str(item.get("status") or "").lower()
            update["status"] = status if status in _STATUSES else before.get("status", "open")
            update["confidence"] = _number(item.get("confidence"),
                                           float(before.get("confidence", 0.5)))
            if str(item.get("statement") or "").strip():
                update["statement"] = str(item["statement"]).strip()[:300]
            updates.append(update)
        return updates

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        # The revise reply carries the backbone's verdict; no extra call needed.
        return bool(env.policy_state.get("ready")) and bool(state.get("experiments"))

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        experiments = [f"{e['id']} {e['tool']}" for e in state.get("experiments", [])]
        reply = self._chat("conclude", state, env, prompts.step_prompt(
            "conclude", self._is_compact(), reason=reason,
            hypotheses=state.get("hypotheses", []), experiments=experiments))
        value = extract_json(reply["content"])
        if isinstance(value, dict) and isinstance(value.get("final"), dict):
            value = value["final"]
        try:
            if not isinstance(value, dict):
                raise ValueError("no JSON object in the reply")
            known = {e["id"] for e in state.get("experiments", [])}
            evidence = []
            for item in value.get("evidence") or []:
                if not isinstance(item, dict):
                    item = {"finding": str(item)}
                numbers = item.get("numbers")
                entry = {"experiment": str(item.get("experiment") or ""),
                         "finding": str(item.get("finding") or ""),
                         "numbers": numbers if isinstance(numbers, dict) else {}}
                if entry["experiment"] and entry["experiment"] not in known:
                    entry["finding"] = f"(unknown experiment) {entry['finding']}".strip()
                evidence.append(entry)
            final = validate_final({**value, "evidence": evidence, "stop_reason": reason})
        except (ValueError, TypeError) as error:
            env.emit("error", step="conclude",
                     message=f"unusable final answer from the backbone ({error}); "
                             "concluding from the state")
            return fallback_conclusion(state, reason)
        return dict(final)
