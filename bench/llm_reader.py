"""An LLM reader of descriptions, over any OpenAI-compatible endpoint (the agent's configured
backbone, `agent.settings`): simulation in the style of Bills et al. (2023, "Language models
can explain neurons in language models": predict each input's and each token's activation on a
0-10 scale from the explanation alone) and detection in the style of delphi (Paulo et al.
2024: say which inputs activate the unit). The prompts are ours.

Replies are read leniently (the first JSON list in the reply); a reply that is not a list of
the right length is counted as malformed and its inputs are left out, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BATCH = 8
MAX_TOKENS_SHOWN = 48

_SIMULATE = """A unit (a neuron) of a {modality} model is explained as: "{description}"

For each numbered input below, predict how strongly the unit fires on it, from 0 (not at all)
to 10 (as strongly as it ever fires), using only the explanation.
{inputs}
Reply with only a JSON list of {n} integers, one per input, in order."""

_DETECT = """A unit (a neuron) of a {modality} model is explained as: "{description}"

For each numbered input below, say whether the unit fires on it (1) or not (0), using only the
explanation.
{inputs}
Reply with only a JSON list of {n} numbers, each 0 or 1, in order."""

_TOKENS = """A unit (a neuron) of a language model is explained as: "{description}"

Below are the tokens of one text, numbered in order. Predict the unit's activation on each
token from 0 (not at all) to 10 (as strongly as it ever fires), using only the explanation.
{inputs}
Reply with only a JSON list of {n} integers, one per token, in order."""


class LLMReaderError(Exception):
    """The endpoint could not be reached or never gave a usable reply."""


def parse_list(reply: str, n: int, low: float, high: float) -> list[float] | None:
    """The first JSON list of n numbers in a reply, clipped to [low, high]; None otherwise."""
    for found in re.finditer(r"\[[^\[\]]*\]", reply or ""):
        try:
            values = json.loads(found.group())
        except json.JSONDecodeError:
            continue
        if (isinstance(values, list) and len(values) == n
                and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                        for v in values)):
            return [float(min(high, max(low, v))) for v in values]
    return None


def _numbered(items: Sequence[str], limit: int = 300) -> str:
    return "\n".join(f"{i + 1}. {' '.join(str(t).split())[:limit]}" for i, t in enumerate(items))


@dataclass
class LLMReader:
    """Asks an OpenAI-compatible backbone to read descriptions (see the module docstring)."""

    backbone: object
    malformed: int = 0
    asked: int = 0
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls) -> LLMReader:
        from agent.backbones.openai_compat import OpenAIBackbone
        from bench.judge.llm import llm_configured

        if not llm_configured():
            raise LLMReaderError("the LLM reader needs an OpenAI-compatible endpoint: set "
                                 "WORKBENCH_MODEL and WORKBENCH_BASE_URL (or a key)")
        return cls(OpenAIBackbone.from_settings(max_retries=2))

    @property
    def name(self) -> str:
        return f"llm:{getattr(self.backbone, 'model', 'unknown')}"

    def _ask(self, prompt: str, n: int, low: float, high: float) -> list[float] | None:
        self.asked += 1
        try:
            reply = self.backbone.chat([{"role": "user", "content": prompt}], temperature=0.0,
                                       max_tokens=16 + 6 * n)
        except Exception as error:  # noqa: BLE001 (recorded; the other batches still count)
            self.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            return None
        values = parse_list(reply.content or "", n, low, high)
        if values is None:
            self.malformed += 1
        return values

    def _batched(self, template: str, description: str, inputs: Sequence[str], modality: str,
                 low: float, high: float) -> np.ndarray:
        out = np.full(len(inputs), np.nan)
        for start in range(0, len(inputs), BATCH):
            chunk = list(inputs[start:start + BATCH])
            values = self._ask(template.format(modality=modality, description=description,
                                               inputs=_numbered(chunk), n=len(chunk)),
                               len(chunk), low, high)
            if values is not None:
                out[start:start + len(chunk)] = values
        if np.isnan(out).all():
            raise LLMReaderError(self.failure())
        return out

    def failure(self) -> str:
        return (f"no usable reply from the endpoint ({self.malformed} malformed of "
                f"{self.asked} requests" + (f"; last error: {self.errors[-1]}" if self.errors
                                            else "") + ")")

    def simulate(self, description: str, inputs: Sequence[str], modality: str) -> np.ndarray:
        """Predicted activation (0-10) per input; NaN where the reply was unusable."""
        return self._batched(_SIMULATE, description, inputs, modality, 0, 10)

    def detect(self, description: str, inputs: Sequence[str], modality: str) -> np.ndarray:
        """1 where the reader says the unit fires, 0 where not; NaN where unusable."""
        return self._batched(_DETECT, description, inputs, modality, 0, 1)

    def simulate_tokens(self, description: str, tokens: Sequence[str]) -> np.ndarray:
        """Predicted activation (0-10) per token of one text (its first MAX_TOKENS_SHOWN)."""
        shown = [repr(t) for t in tokens[:MAX_TOKENS_SHOWN]]
        values = self._ask(_TOKENS.format(description=description, inputs=_numbered(shown, 40),
                                          n=len(shown)), len(shown), 0, 10)
        return np.array(values if values is not None else [np.nan] * len(shown))
