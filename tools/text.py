"""The observational text tools of MAIA-LLM: exemplars with token highlights and unit calls.

Stimulus building lives in tools/text_stimuli.py, interventions in tools/causal.py."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np

from models.exemplars import exemplars
from models.recording import activations, resolve_unit
from models.units import UnitAddress
from tools.context import Limits, ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import Range, tool
from tools.text_plots import highlight_tokens

SUBJECT_LM = "smollm2-135m-instruct"
_DEFAULTS = Limits()
TOP_TOKENS = 5  # next-token rows shown before/after an intervention
MARKS_PER_TEXT = 3  # tokens wrapped in ⟦ ⟧ per text in summaries
TEMPERATURE = 0.8
TOP_K = 50
CONTINUATION_TOKENS = 20  # greedy tokens compared by the causal tools (capped by the limits)

# ---------------------------------------------------------------------------------------
# shared checks and formatting


def _check_texts(ctx: ToolContext, texts: Any, what: str = "texts") -> list[str]:
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


def _text_unit(unit: str) -> tuple[UnitAddress, Any, Any]:
    """Resolve a unit and check it belongs to a text model."""
    address, model, info = resolve_unit(unit)
    if model.modality != "text":
        raise ToolError(f"{unit!r} is a {model.modality} unit; text tools take text units such as "
                        f"'{SUBJECT_LM}:model.layers.3.mlp:42'")
    return address, model, info



def _join(tokens: list[str]) -> str:
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


def _marked(tokens: list[str], values: np.ndarray, threshold: float) -> str:
    """The text with its strongest tokens (at or over threshold, at most 3) as ⟦tok⟧(value)."""
    if len(values) == 0:
        return _join(tokens)
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
    return _join(shown)


def _threshold(maps: list[np.ndarray]) -> float:
    """Where a unit 'fires' for highlighting: half its largest positive value over the maps."""
    peak = max((float(m.max()) for m in maps if len(m)), default=0.0)
    return 0.5 * peak if peak > 0 else math.inf


def _token_rows(texts: list[str], acts) -> list[dict[str, Any]]:
    rows = []
    for text, tokens, values in zip(texts, acts.tokens, acts.maps, strict=True):
        peak = int(np.argmax(values)) if len(values) else 0
        rows.append({"text": text, "tokens": tokens,
                     "values": [round(float(v), 5) for v in values],
                     "max": float(values.max()) if len(values) else 0.0,
                     "max_token": tokens[peak] if tokens else ""})
    return rows


# ---------------------------------------------------------------------------------------
# reading units


@tool("text")
def dataset_exemplars(
    ctx: ToolContext, unit: str, k: Annotated[int, Range(1, _DEFAULTS.max_exemplars)] = 8
) -> Observation:
    """The unit's top-activating texts of the exemplar corpus, with the tokens where it fires.

    Tokens at or above half the unit's peak value are marked as ⟦token⟧(value) in the summary
    (at most 3 per text); the plot colours every token by the unit's value. The first call for
    a layer builds that layer's exemplar cache (one pass over the corpus), later calls are fast.

    Args:
        unit: the unit address '<model>:<layer>:<index>', e.g.
            'smollm2-135m-instruct:model.layers.12.mlp:100'.
        k: how many top texts to show, highest first.
    """
    if k > ctx.limits.max_exemplars:
        raise ToolError(f"k={k} is over the limit of {ctx.limits.max_exemplars} exemplars")
    address, _, info = _text_unit(unit)
    found = exemplars(address, k=k, corpus=ctx.corpus)
    texts = [str(e.stimulus) for e in found]
    # The cache keeps only each text's value; recompute the per-token maps for these k texts.
    acts = activations(address, texts)
    threshold = _threshold(acts.maps)
    rows = _token_rows(texts, acts)
    lines = [f"Top {len(found)} of corpus {ctx.corpus!r} for {address} ({info.kind}):"]
    for exemplar, row, tokens, values in zip(found, rows, acts.tokens, acts.maps, strict=True):
        row.update(rank=exemplar.rank, stimulus_id=exemplar.stimulus_id,
                   cached_value=exemplar.value)
        lines.append(f"{exemplar.rank + 1}. [{exemplar.value:.3f}] "
                     f"{_marked(tokens, values, threshold)}")
    path = highlight_tokens(
        ctx.plot_path(f"exemplars-{address.index}"),
        [(f"#{r['rank'] + 1}  max {r['max']:.3f}", r["tokens"], r["values"]) for r in rows],
        title=f"top exemplars of {address}")
    return Observation(
        tool="dataset_exemplars", summary="\n".join(lines),
        artifacts=[Artifact(str(path), "plot", f"top {len(found)} exemplars of {address}")],
        data={"unit": str(address), "kind": info.kind, "corpus": ctx.corpus, "exemplars": rows})


@tool("text")
def call_unit(
    ctx: ToolContext, unit: str, texts: Annotated[list[str], Range(1, _DEFAULTS.max_texts)]
) -> Observation:
    """Run texts through the model and report the unit's activation on every token and its max.

    Args:
        unit: the unit address '<model>:<layer>:<index>'.
        texts: the texts to test (each non-empty); compare contrasting texts in one call.
    """
    texts = _check_texts(ctx, texts)
    address, _, info = _text_unit(unit)
    acts = activations(address, texts)
    rows = _token_rows(texts, acts)
    threshold = _threshold(acts.maps)
    lines = [f"{address} ({info.kind}) on {len(texts)} texts (max per text, top tokens marked):"]
    for i, (row, tokens, values) in enumerate(zip(rows, acts.tokens, acts.maps, strict=True)):
        lines.append(f"{i}. max {row['max']:.3f}: {_marked(tokens, values, threshold)}")
    path = highlight_tokens(
        ctx.plot_path(f"call-{address.index}"),
        [(f"text {i}  max {r['max']:.3f}", r["tokens"], r["values"]) for i, r in enumerate(rows)],
        title=f"{address}")
    return Observation(
        tool="call_unit", summary="\n".join(lines),
        artifacts=[Artifact(str(path), "plot", f"per-token activations of {address}")],
        data={"unit": str(address), "kind": info.kind, "texts": rows,
              "max": [r["max"] for r in rows]})
