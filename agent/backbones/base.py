"""The backbone interface: a chat model that policies talk to, whatever serves it.

A backbone does two things: `chat` (messages in the OpenAI format, optionally with tools and
images, returning a reply with text and tool calls) and `score` (the log-likelihood of each
of a set of candidate replies). Policies take a backbone; the transport, retries, images and
keys are the backbone's business.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Called before each retry with (attempt number, what failed, seconds until the retry).
RetryHook = Callable[[int, str, float], None]


class BackboneError(RuntimeError):
    """A backbone request that failed for good (the message says why, never with the key)."""


class BackboneUnavailable(BackboneError):
    """The endpoint kept failing (rate limits, server errors, timeouts) after every retry,
    or the run's time ran out while waiting for it."""


class ToolsUnsupported(BackboneError):
    """The endpoint rejected native tool calling; ask for actions as JSON in text instead."""


@dataclass
class ToolCallRequest:
    """A tool call the backbone asked for (arguments as the JSON text it wrote)."""

    id: str | None
    name: str
    arguments: str | dict[str, Any]


@dataclass
class ChatReply:
    """One reply of a backbone.

    Attributes:
        content: the reply's text.
        tool_calls: native tool calls in the reply.
        usage: token counts (prompt_tokens, completion_tokens, total_tokens) when known.
        finish_reason: why generation stopped, when the backbone says.
        attempts: requests it took (1 + retries).
        model: the model that answered.
    """

    content: str
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    attempts: int = 1
    model: str = ""


class Backbone(ABC):
    """A chat model behind any transport. Subclasses implement `chat` and `score`."""

    name: str = "backbone"

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What this backbone is, for a run's config (never a key)."""

    @property
    def model_name(self) -> str:
        return str(self.describe().get("model") or self.name)

    @property
    def sees_images(self) -> bool:
        """Whether image parts reach the model (otherwise policies send captions)."""
        return False

    @property
    def context_chars(self) -> int:
        """About how much history fits a request (small models get compact prompts)."""
        return 60000

    @abstractmethod
    def chat(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, max_tokens: int = 1024, temperature: float = 0.2,
             deadline: float | None = None, on_retry: RetryHook | None = None,
             cancel: threading.Event | None = None) -> ChatReply:
        """One chat completion.

        Args:
            messages: OpenAI-format messages; image parts are `{"type": "image_path",
                "path": ..., "title": ...}` and are inlined (or captioned) by the backbone.
            tools: OpenAI-format tool schemas, for native tool calling.
            tool_choice: "auto", "required", or a forced function.
            max_tokens: reply length limit.
            temperature: sampling temperature.
            deadline: `time.monotonic()` value after which no wait may last (the run's
                remaining time); past it the call raises BackboneUnavailable.
            on_retry: called before each retry, so retries can be shown as events.
            cancel: set by the user's Stop: any wait ends within a fraction of a second.

        Raises:
            BackboneUnavailable: transient failures outlasted the retries or the deadline.
            ToolsUnsupported: the endpoint rejects `tools`.
            BackboneError: any other failure.
        """

    def count_tokens(self, text: str | list[dict[str, Any]]) -> int:
        """About how many tokens a text or a chat prompt takes (exact where the model is local)."""
        if isinstance(text, list):
            text = " ".join(str(m.get("content", "")) for m in text)
        return max(1, len(text) // 4)

    @abstractmethod
    def score(self, messages: list[dict[str, Any]], candidates: list[str]) -> list[float]:
        """The mean log-probability per token of each candidate as the assistant's reply."""


def remaining(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (a `time.monotonic()` value); None when unbounded."""
    return None if deadline is None else deadline - time.monotonic()
