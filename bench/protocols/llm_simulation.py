"""The LLM reader's simulation and detection (`bench.llm_reader`), on the same held-out
stimuli as the offline reader's protocols. Runs only when asked (`bench score --llm-reader`)
and an OpenAI-compatible endpoint is configured; images are read through their labels and
captions, as the offline reader reads them."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol
from bench.protocols.heldout import HeldOut, pool_texts
from bench.protocols.simulation import correlation, unit_data

#: Texts per unit read token by token (half top, half random): each is one request.
TOKEN_TEXTS = 6


def _balanced_accuracy(called: np.ndarray, data: HeldOut) -> float | None:
    positive = data.is_top & (data.values >= data.cut)
    negative = ~data.is_top & (data.values < data.cut)
    usable = ~np.isnan(called)
    positive, negative = positive & usable, negative & usable
    if not positive.any() or not negative.any():
        return None
    return round((float((called[positive] >= 0.5).mean())
                  + float((called[negative] < 0.5).mean())) / 2, 4)


def llm_scores(description: str, data: HeldOut, modality: str, reader) -> dict[str, Any]:
    """LLM simulation r, per-token r (texts) and detection balanced accuracy."""
    texts = [pool_texts(modality, data.kind)[i] for i in data.indices]
    predicted = reader.simulate(description, texts, modality)
    usable = ~np.isnan(predicted)
    out: dict[str, Any] = {
        "correlation": round(correlation(predicted[usable], data.values[usable]), 4),
        "n": int(usable.sum()),
        "balanced_accuracy": _balanced_accuracy(reader.detect(description, texts, modality),
                                                data),
        "reader": reader.name, "data": data.kind}
    if modality == "text" and data.tokens and data.token_values:
        top = [i for i in range(len(data.tokens)) if data.is_top[i]][: TOKEN_TEXTS // 2]
        rest = [i for i in range(len(data.tokens)) if not data.is_top[i]][: TOKEN_TEXTS // 2]
        guessed, real = [], []
        for i in top + rest:
            values = reader.simulate_tokens(description, data.tokens[i])
            keep = ~np.isnan(values)
            guessed.extend(values[keep])
            real.extend(np.asarray(data.token_values[i])[: len(values)][keep])
        out["token_correlation"] = (round(correlation(np.array(guessed), np.array(real)), 4)
                                    if guessed else None)
    out["malformed_replies"] = reader.malformed
    out["requests"] = reader.asked
    return out


@register_protocol
class LLMSimulation(ScoringProtocol):
    """Bills et al. (2023) simulation and delphi detection, read by an LLM."""

    name = "llm_simulation"
    order = 5
    metrics = (Metric("llm_simulation_r", "correlation", "LLM sim r"),
               Metric("llm_simulation_token_r", "token_correlation", "LLM per-token r"),
               Metric("llm_detection_bacc", "balanced_accuracy", "LLM detection"))

    def enabled(self, context: ScoringContext) -> bool:
        return bool(context.options.get("llm_reader"))

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        from bench.llm_reader import LLMReader

        reader = context.shared("llm_reader", LLMReader.from_settings)
        reader.malformed = reader.asked = 0
        return llm_scores(description, unit_data(context), context.modality, reader)
