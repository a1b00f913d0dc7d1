"""Shared pieces of the text tools: unit and text checks, token marking, limits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from models.recording import resolve_unit
from models.units import UnitAddress
from tools.context import Limits, ToolContext, ToolError

SUBJECT_LM = "smollm2-135m-instruct"
DEFAULT_LIMITS = Limits()
TOP_TOKENS = 5  # next-token rows shown before/after an intervention
MARKS_PER_TEXT = 3  # tokens wrapped in ⟦ ⟧ per text in summaries
CONTINUATION_TOKENS = 20  # greedy tokens compared by the causal tools (capped by the limits)


def check_texts(ctx: ToolContext, texts: Any, what: str = "texts") -> list[str]:
    """Texts within the run's limits, or a ToolError that says which one is wrong and why."""
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        raise ToolError(f"{what}: give a non-empty list of texts")
    if len(texts) > ctx.limits.max_texts:
        raise ToolError(f"{what}: {len(texts)} texts, over the limit of {ctx.limits.max_texts} "
                        "per call; split them over several calls")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ToolError(f"{what}[{i}]: expected a string, got {type(text).__name__}")
        if not text.strip():
            raise ToolError(f"{what}[{i}]: empty text; give at least one visible character")
        if len(text) > ctx.limits.max_text_chars:
            raise ToolError(f"{what}[{i}]: {len(text)} characters, over the limit of "
                            f"{ctx.limits.max_text_chars}")
    return texts


def text_unit(unit: str) -> tuple[UnitAddress, Any, Any]:
    """Resolve a unit and check it belongs to a text model."""
    address, model, info = resolve_unit(unit)
    if model.modality != "text":
        raise ToolError(f"{unit!r} is a {model.modality} unit; text tools take text units such as "
                        f"'{SUBJECT_LM}:model.layers.3.mlp:42'")
    return address, model, info


def join_tokens(tokens: list[str]) -> str:
    """Rebuild readable text from token strings (BPE tokens carry their spaces, words don't)."""
    if any(any(c.isspace() for c in t) for t in tokens):
        return "".join(tokens)
    out = ""
    for token in tokens:
        if token.startswith("##"):
            out += token[2:]
        elif out and (token in ".,;:!?)'" or out.endswith("(")):
            out += token
        else:
            out += (" " if out else "") + token
    return out


def marked(tokens: list[str], values: np.ndarray, threshold: float) -> str:
    """The text with its strongest tokens (at or over threshold, at most 3) as ⟦tok⟧(value)."""
    if len(values) == 0:
        return join_tokens(tokens)
    order = [int(i) for i in np.argsort(-values)[:MARKS_PER_TEXT] if values[i] >= threshold]
    if not order:
        order = [int(np.argmax(values))]
    shown = []
    for i, token in enumerate(tokens):
        if i in order:
            core = token.strip() or token
            lead = token[: len(token) - len(token.lstrip())]
            shown.append(f"{lead}⟦{core}⟧({values[i]:.2f})")
        else:
            shown.append(token)
    return join_tokens(shown)


def firing_threshold(maps: list[np.ndarray]) -> float:
    """Where a unit 'fires' for highlighting: half its largest positive value over the maps."""
    peak = max((float(m.max()) for m in maps if len(m)), default=0.0)
    return 0.5 * peak if peak > 0 else math.inf


def token_rows(texts: list[str], acts: Any) -> list[dict[str, Any]]:
    """Per text: its tokens, the unit's value on each, the max and the token at the max."""
    rows = []
    for text, tokens, values in zip(texts, acts.tokens, acts.maps, strict=True):
        peak = int(np.argmax(values)) if len(values) else 0
        rows.append({"text": text, "tokens": tokens,
                     "values": [round(float(v), 5) for v in values],
                     "max": float(values.max()) if len(values) else 0.0,
                     "max_token": tokens[peak] if tokens else ""})
    return rows
