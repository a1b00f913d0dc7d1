"""An LLM policy's conversation: the stored chat history and what of it each request sends.

The history lives in the policy's JSON scratchpad (so a resumed run continues the same
conversation); images stay file paths there and become data URLs only in the backbone. What
is sent is trimmed to the backbone's context: old messages are cut short, the oldest dropped,
and every tool call keeps its answer (strict servers reject a history otherwise).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tools.registry import ToolSpec


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


def for_record(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as the transcript keeps them: images as paths or placeholders, never base64."""
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


def size_of(message: dict[str, Any]) -> int:
    """About how many characters a message costs (an image counts as 800)."""
    content = message.get("content")
    if isinstance(content, list):
        size = sum(len(p.get("text", "")) + (800 if p.get("type") != "text" else 0)
                   for p in content)
    else:
        size = len(content or "")
    return size + sum(len(json.dumps(c)) for c in message.get("tool_calls") or []) + 16


def as_plain(message: dict[str, Any], tool_calls: bool) -> dict[str, Any]:
    """A message without the tool role (and, without `tool_calls`, without native calls)."""
    if message["role"] == "tool":
        return {"role": "user", "content": f"Result: {message.get('content', '')}"}
    if message["role"] == "assistant" and message.get("tool_calls") and not tool_calls:
        calls = [{"tool": c["function"]["name"], "arguments": c["function"]["arguments"]}
                 for c in message["tool_calls"]]
        text = (message.get("content") or "") + "\n" + json.dumps(calls)
        return {"role": "assistant", "content": text.strip()}
    return message


class Conversation:
    """The chat history of one run, kept in the policy's scratchpad under "messages".

    Args:
        scratchpad: the policy's JSON state (the history is stored in it).
        budget: characters of history sent per request.
        old_chars: characters kept of each old message.
        keep: messages stored at most (the checkpoint stores the history every node).
    """

    def __init__(self, scratchpad: dict[str, Any], budget: int, old_chars: int,
                 keep: int) -> None:
        self.scratchpad = scratchpad
        self.budget = budget
        self.old_chars = old_chars
        self.keep = keep

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.scratchpad.setdefault("messages", [])

    def start(self, system: str) -> None:
        """Begin with the system message, unless the history already has one."""
        if not self.messages:
            self.messages.append({"role": "system", "content": system})

    def append(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.trim()

    def pop(self) -> None:
        self.messages.pop()

    def outgoing(self, plain_tools: bool, text_mode: bool) -> list[dict[str, Any]]:
        """The history as sent: answered tool calls, plain roles if asked, within budget.

        Args:
            plain_tools: send tool results as user messages (servers whose chat template
                drops tool messages).
            text_mode: the server has no native tool calling: calls become JSON text.
        """
        messages = self.messages
        out: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            message = dict(message)
            out.append(message)
            if message["role"] == "assistant" and message.get("tool_calls"):
                # Every tool call must be answered before the next turn, even if a step failed
                # in between; strict servers reject the history otherwise.
                answered = {m.get("tool_call_id") for m in messages[i + 1:]
                            if m["role"] == "tool"}
                for call in message["tool_calls"]:
                    if call["id"] not in answered:
                        out.append({"role": "tool", "tool_call_id": call["id"],
                                    "content": "not run"})
        if text_mode or plain_tools:
            out = [as_plain(m, tool_calls=not text_mode) for m in out]
        # Old messages are cut short; the newest six stay whole (they are what the step needs).
        for message in out[1:-6]:
            content = message.get("content")
            if isinstance(content, str) and len(content) > self.old_chars:
                message["content"] = content[: self.old_chars] + " …"
        head, tail = out[:1], out[1:]
        while tail and sum(map(size_of, head + tail)) > self.budget and len(tail) > 1:
            tail.pop(0)
            while tail and tail[0]["role"] == "tool":  # a tool reply needs its call
                tail.pop(0)
        return head + tail

    def trim(self) -> None:
        """Keep the stored history bounded: the system message and the newest ones."""
        messages = self.messages
        if len(messages) > self.keep:
            rest = messages[-(self.keep - 1):]
            while rest and rest[0]["role"] == "tool":
                rest.pop(0)
            self.scratchpad["messages"] = [messages[0], *rest]
