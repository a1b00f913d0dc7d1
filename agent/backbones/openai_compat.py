"""A backbone behind any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp, TGI).

The transport's concerns live here and nowhere else: the client and its key, model discovery,
retries with backoff (tenacity; each retry reported through a hook so that it shows as an
event), a hard wall-clock bound on every request (a hanging or slowly dripping server cannot
hold a run past its deadline), images turned into data URLs, and the switch to plain-text
actions when a server rejects native tool calling.
"""

from __future__ import annotations

import random
import re
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from agent.backbones.base import (
    Backbone,
    BackboneError,
    BackboneUnavailable,
    ChatReply,
    RetryHook,
    ToolCallRequest,
    ToolsUnsupported,
    remaining,
)
from agent.settings import agent_settings, backbone_key_for

# Model names that accept images (used when `vision` is left to auto-detection).
VISION_MODELS = re.compile(r"gpt-4o|gpt-4\.1|gpt-5|o[34]\b|vision|-vl\b|vl-|llava|pixtral|"
                           r"gemma-3|claude|gemini|llama-4|minicpm-v|internvl", re.I)
SMALL_MODELS = re.compile(r"135m|360m|smol|tiny", re.I)
#: Statuses worth retrying: timeouts, conflicts, rate limits, server errors.
TRANSIENT = (408, 409, 429)


class _RequestTimeout(Exception):
    """A request that outlived its wall-clock bound (hang or slow drip)."""


def is_transient(error: BaseException) -> bool:
    """Whether an error from the endpoint is worth retrying."""
    import openai

    if isinstance(error, _RequestTimeout | openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in TRANSIENT or error.status_code >= 500
    return False


def _describe_error(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    if status:
        return f"HTTP {status}"
    if isinstance(error, _RequestTimeout):
        return "no complete reply in time"
    return type(error).__name__


class OpenAIBackbone(Backbone):
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        base_url: the endpoint (None: OpenAI's).
        model: the model name (None: the endpoint's first listed model).
        api_key: the key for this endpoint (never stored in configs or transcripts).
        vision: send images; None guesses from the model name.
        timeout: seconds one request may take at most, all of it (connect, wait, read).
        max_retries: retries after a transient failure.
        retry_base_delay: first backoff delay (doubled per retry, with jitter).
        max_delay: longest single backoff, also the cap on a server's Retry-After.
    """

    name = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None,
                 api_key: str | SecretStr | None = None, vision: bool | None = None,
                 timeout: float = 60.0, max_retries: int = 4, retry_base_delay: float = 1.0,
                 max_delay: float = 30.0) -> None:
        self.base_url = base_url or None
        self.model = model or None
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._key = SecretStr(key or "not-needed")  # local servers take any key
        self.vision = vision
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.retry_base_delay = float(retry_base_delay)
        self.max_delay = float(max_delay)
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, base_url: str | None = None, model: str | None = None,
                      api_key: str | None = None, **options: Any) -> OpenAIBackbone:
        """A backbone for `base_url` (default: the environment's), with a key bound to it.

        An explicit `api_key` is used as given; otherwise the environment's key is used only
        when `base_url` is the endpoint the environment configures.
        """
        settings = agent_settings()
        url = base_url or settings.base_url
        key = api_key or backbone_key_for(url, settings)
        options.setdefault("retry_base_delay", settings.retry_base_delay)
        return cls(base_url=url, model=model or settings.model, api_key=key, **options)

    @property
    def api_key(self) -> str | None:
        """The key (for redaction only); None for the placeholder of keyless local servers."""
        key = self._key.get_secret_value()
        return None if key == "not-needed" else key

    def __repr__(self) -> str:
        return f"OpenAIBackbone(base_url={self.base_url!r}, model={self.model!r})"

    def describe(self) -> dict[str, Any]:
        return {"backbone": self.name, "base_url": self.base_url, "model": self.model,
                "vision": self.vision, "timeout": self.timeout,
                "max_retries": self.max_retries}

    # --- the client ---------------------------------------------------------------------

    def client(self) -> Any:
        """The OpenAI client, built on first use with this backbone's own key."""
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                # max_retries=0: retries are ours, bounded by the run's deadline and visible.
                self._client = OpenAI(base_url=self.base_url,
                                      api_key=self._key.get_secret_value(),
                                      timeout=self.timeout, max_retries=0)
            return self._client

    def _drop_client(self) -> None:
        """Close the connection of a request that was abandoned (it may still be dripping)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 (closing is best effort)
                pass

    def resolved_model(self, deadline: float | None = None,
                       on_retry: RetryHook | None = None,
                       cancel: threading.Event | None = None) -> str:
        """The model name, asking the endpoint for its first model when none was given."""
        if self.model is None:
            listing = self._with_retries(lambda bound: self.client().models.list(timeout=bound),
                                         deadline, on_retry, "listing models", cancel)
            names = [m.id for m in listing.data]
            if not names:
                raise BackboneUnavailable(f"the endpoint {self.base_url} lists no models")
            self.model = names[0]
        return self.model

    @property
    def sees_images(self) -> bool:
        if self.vision is None:
            return bool(self.model and VISION_MODELS.search(self.model))
        return self.vision

    @property
    def context_chars(self) -> int:
        return 3500 if self.model and SMALL_MODELS.search(self.model) else 60000

    # --- requests -----------------------------------------------------------------------

    def _bounded(self, request: Any, deadline: float | None,
                 cancel: threading.Event | None = None) -> Any:
        """Run `request(timeout)` on a worker thread; give up after the wall-clock bound, or
        as soon as the run is stopped."""
        left = remaining(deadline)
        bound = self.timeout if left is None else max(0.0, min(self.timeout, left))
        if bound <= 0:
            raise BackboneUnavailable("the run's time ran out before the backbone answered")
        if cancel is not None and cancel.is_set():
            raise BackboneUnavailable("the run was stopped")
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = request(bound)
            except BaseException as error:  # noqa: BLE001 (handed to the caller)
                box["error"] = error

        worker = threading.Thread(target=work, name="backbone-request", daemon=True)
        worker.start()
        give_up = time.monotonic() + bound + 0.5
        while worker.is_alive() and time.monotonic() < give_up:
            worker.join(0.2)
            if cancel is not None and cancel.is_set() and worker.is_alive():
                self._drop_client()
                raise BackboneUnavailable("the run was stopped while the backbone was busy")
        if worker.is_alive():
            self._drop_client()
            raise _RequestTimeout(f"no complete reply within {bound:.1f} s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins, capped by max_delay."""
        attempt = state.attempt_number - 1
        delay = self.retry_base_delay * (2 ** attempt) * (0.5 + random.random())
        error = state.outcome.exception() if state.outcome else None
        response = getattr(error, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                delay = float(retry_after)
            except ValueError:
                pass
        return min(max(delay, 0.0), self.max_delay)

    def _with_retries(self, request: Any, deadline: float | None, on_retry: RetryHook | None,
                      purpose: str, cancel: threading.Event | None = None) -> Any:
        """`request(bound)` with retries of transient failures, all within the deadline."""

        def sleep(seconds: float) -> None:
            if cancel is not None and cancel.wait(seconds):
                raise BackboneUnavailable("the run was stopped")
            if cancel is None:
                time.sleep(seconds)

        def stop_at_deadline(state: RetryCallState) -> bool:
            left = remaining(deadline)
            return left is not None and left <= self._wait(state)

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None and state.outcome is not None:
                error = state.outcome.exception()
                on_retry(state.attempt_number, _describe_error(error),
                         state.next_action.sleep if state.next_action else 0.0)

        retrying = Retrying(stop=stop_after_attempt(self.max_retries + 1) | stop_at_deadline,
                            wait=self._wait, retry=retry_if_exception(is_transient),
                            before_sleep=before_sleep, sleep=sleep, reraise=True)
        try:
            return retrying(self._bounded, request, deadline, cancel)
        except BackboneError:
            raise
        except Exception as error:
            if not is_transient(error):
                raise
            attempts = retrying.statistics.get("attempt_number", 1)
            where = self.base_url or "api.openai.com"
            raise BackboneUnavailable(
                f"the backbone at {where} failed {attempts} time(s) "
                f"({_describe_error(error)}); giving up on {purpose}") from None

    def chat(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, max_tokens: int = 1024, temperature: float = 0.2,
             deadline: float | None = None, on_retry: RetryHook | None = None,
             cancel: threading.Event | None = None) -> ChatReply:
        import openai

        model = self.resolved_model(deadline, on_retry, cancel)
        outgoing = [self._inline_images(m) for m in messages]
        attempts = {"n": 0}

        def request(bound: float) -> Any:
            attempts["n"] += 1
            kwargs: dict[str, Any] = {"model": model, "temperature": temperature,
                                      "max_tokens": max_tokens, "messages": outgoing,
                                      "timeout": bound}
            if tools:
                kwargs["tools"] = tools
                if tool_choice is not None:
                    kwargs["tool_choice"] = tool_choice
            return self.client().chat.completions.create(**kwargs)

        try:
            response = self._with_retries(request, deadline, on_retry, "the chat request",
                                          cancel)
        except openai.BadRequestError as error:
            if tools and re.search(r"tool|function", str(error), re.I):
                raise ToolsUnsupported(f"endpoint rejected tool calling "
                                       f"({error.status_code})") from None
            raise BackboneError(f"the endpoint refused the request (HTTP "
                                f"{error.status_code})") from None
        except openai.APIStatusError as error:
            raise BackboneError(f"the endpoint answered HTTP {error.status_code}") from None
        return self._reply(response, model, attempts["n"])

    @staticmethod
    def _reply(response: Any, model: str, attempts: int) -> ChatReply:
        choices = getattr(response, "choices", None) or []
        choice = choices[0] if choices else None
        message = getattr(choice, "message", None)
        calls = []
        for call in (getattr(message, "tool_calls", None) or []):
            function = getattr(call, "function", None)
            calls.append(ToolCallRequest(id=getattr(call, "id", None) or f"call_{len(calls)}",
                                         name=getattr(function, "name", "") or "",
                                         arguments=getattr(function, "arguments", "") or ""))
        usage = getattr(response, "usage", None)
        usage_dict = {"prompt_tokens": usage.prompt_tokens,
                      "completion_tokens": usage.completion_tokens,
                      "total_tokens": usage.total_tokens} if usage is not None else {}
        return ChatReply(content=(getattr(message, "content", None) or ""), tool_calls=calls,
                         usage=usage_dict, finish_reason=getattr(choice, "finish_reason", None),
                         attempts=attempts, model=model)

    def _inline_images(self, message: dict[str, Any]) -> dict[str, Any]:
        """Image-path parts as data URLs (vision models) or as their captions (the rest)."""
        from models.stimuli_io import load_image, png_data_url

        content = message.get("content")
        if not isinstance(content, list):
            return message
        parts = []
        side = 224 if self.context_chars < 10000 else 384
        for part in content:
            if part.get("type") != "image_path":
                parts.append(part)
                continue
            if not self.sees_images:
                parts.append({"type": "text", "text": f"[figure: {part.get('title', '')}]"})
                continue
            try:
                url = png_data_url(load_image(Path(part["path"])), side)
            except Exception:  # noqa: BLE001 (a missing figure becomes a note)
                parts.append({"type": "text", "text": f"[missing image {part['path']}]"})
                continue
            parts.append({"type": "image_url", "image_url": {"url": url}})
        return {**message, "content": parts}

    def score(self, messages: list[dict[str, Any]], candidates: list[str]) -> list[float]:
        """A chat endpoint exposes no likelihoods: the model picks one option (1.0), else 0.0."""
        listing = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(candidates))
        ask = [*messages, {"role": "user", "content": f"Options:\n{listing}\nReply with the "
                                                       "number of the best option only."}]
        reply = self.chat(ask, max_tokens=8, temperature=0.0)
        found = re.search(r"\d+", reply.content)
        chosen = int(found.group()) - 1 if found else -1
        return [1.0 if i == chosen else 0.0 for i in range(len(candidates))]
