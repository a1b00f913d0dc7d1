"""A text-generation backbone over any OpenAI-compatible chat endpoint, configured from env."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.settings import ToolsSettings, tools_settings

SYSTEM_PROMPT = (
    "You write short stimulus texts for experiments on language models. Reply with the "
    "requested text only: no preamble, no quotes, no numbering."
)


@dataclass
class OpenAITextGenerator:
    """Generates texts with a chat model behind an OpenAI-compatible API (OpenAI, vLLM, Ollama,
    llama.cpp server, TGI).

    The API key is held privately and never shown by `repr` or in error messages.

    Attributes:
        model: the served model name.
        base_url: the endpoint (None: the OpenAI default).
        temperature: sampling temperature, so that n calls give n different texts.
        max_tokens: a cap on each reply.
        timeout_s: per-request timeout.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.9
    max_tokens: int = 128
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            # Local servers accept any key; the client insists on one being set.
            self._client = OpenAI(base_url=self.base_url, api_key=self.api_key or "unused",
                                  timeout=self.timeout_s)
        return self._client

    def generate(self, prompt: str, n: int) -> list[str]:
        """n texts answering `prompt`, one request each (many servers ignore `n > 1`).

        Args:
            prompt: what to write.
            n: how many texts.

        Returns:
            The non-empty replies, stripped; fewer than n if the server returned empty ones.

        Raises:
            RuntimeError: the endpoint failed (the message names the endpoint, never the key).
        """
        client = self._get_client()
        texts: list[str] = []
        for _ in range(n):
            try:
                reply = client.chat.completions.create(
                    model=self.model,
                    messages=[{"role": "system", "content": SYSTEM_PROMPT},
                              {"role": "user", "content": prompt}],
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                )
            except Exception as error:  # noqa: BLE001  (any client failure reads the same)
                raise RuntimeError(
                    f"text backbone {self.model!r} at {self.base_url or 'api.openai.com'} "
                    f"failed: {type(error).__name__}"
                ) from None
            content = (reply.choices[0].message.content or "").strip() if reply.choices else ""
            if content:
                texts.append(content)
        return texts

    def describe(self) -> str:
        """Which backbone this is, for summaries (no key)."""
        return f"{self.model} via {self.base_url or 'OpenAI'}"


def from_settings(settings: ToolsSettings | None = None) -> OpenAITextGenerator | None:
    """The backbone configured by WORKBENCH_TEXT_* variables, or None when no model is set.

    WORKBENCH_TEXT_MODEL names the model (required), WORKBENCH_TEXT_BASE_URL the endpoint
    (default: OpenAI), WORKBENCH_TEXT_API_KEY the key (falls back to OPENAI_API_KEY).
    """
    settings = settings or tools_settings()
    model = (settings.text_model or "").strip()
    if not model:
        return None
    key = settings.text_api_key.get_secret_value() if settings.text_api_key else None
    return OpenAITextGenerator(model=model, base_url=settings.text_base_url or None,
                               api_key=key)
