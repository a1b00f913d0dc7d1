"""The observational text tools of MAIA-LLM: exemplars with token highlights and unit calls.

Stimulus building lives in tools/text_stimuli.py, interventions in tools/causal.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from models.exemplars import exemplars
from models.recording import activations
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import TextCall, TextExemplars
from tools.text_common import (
    DEFAULT_LIMITS,
    check_texts,
    firing_threshold,
    marked,
    text_unit,
    token_rows,
)
from tools.text_plots import highlight_tokens


@tool("text", result=TextExemplars)
def dataset_exemplars(
    ctx: ToolContext, unit: str, k: Annotated[int, Field(ge=1, le=DEFAULT_LIMITS.max_exemplars)] = 8
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
    address, _, info = text_unit(unit)
    found = exemplars(address, k=k, corpus=ctx.corpus)
    texts = [str(e.stimulus) for e in found]
    # The cache keeps only each text's value; recompute the per-token maps for these k texts.
    acts = activations(address, texts)
    threshold = firing_threshold(acts.maps)
    rows = token_rows(texts, acts)
    lines = [f"Top {len(found)} of corpus {ctx.corpus!r} for {address} ({info.kind}):"]
    for exemplar, row, tokens, values in zip(found, rows, acts.tokens, acts.maps, strict=True):
        row.update(rank=exemplar.rank, stimulus_id=exemplar.stimulus_id,
                   cached_value=exemplar.value)
        lines.append(f"{exemplar.rank + 1}. [{exemplar.value:.3f}] "
                     f"{marked(tokens, values, threshold)}")
    path = highlight_tokens(
        ctx.plot_path(f"exemplars-{address.index}"),
        [(f"#{r['rank'] + 1}  max {r['max']:.3f}", r["tokens"], r["values"]) for r in rows],
        title=f"top exemplars of {address}")
    return Observation(
        tool="dataset_exemplars", summary="\n".join(lines),
        artifacts=[Artifact(str(path), "plot", f"top {len(found)} exemplars of {address}")],
        result=TextExemplars(unit=str(address), kind=info.kind, corpus=ctx.corpus, exemplars=rows))


@tool("text", result=TextCall)
def call_unit(
    ctx: ToolContext, unit: str,
    texts: Annotated[list[str], Field(min_length=1, max_length=DEFAULT_LIMITS.max_texts)],
) -> Observation:
    """Run texts through the model and report the unit's activation on every token and its max.

    Args:
        unit: the unit address '<model>:<layer>:<index>'.
        texts: the texts to test (each non-empty); compare contrasting texts in one call.
    """
    texts = check_texts(ctx, texts)
    address, _, info = text_unit(unit)
    acts = activations(address, texts)
    rows = token_rows(texts, acts)
    threshold = firing_threshold(acts.maps)
    lines = [f"{address} ({info.kind}) on {len(texts)} texts (max per text, top tokens marked):"]
    for i, (row, tokens, values) in enumerate(zip(rows, acts.tokens, acts.maps, strict=True)):
        lines.append(f"{i}. max {row['max']:.3f}: {marked(tokens, values, threshold)}")
    path = highlight_tokens(
        ctx.plot_path(f"call-{address.index}"),
        [(f"text {i}  max {r['max']:.3f}", r["tokens"], r["values"]) for i, r in enumerate(rows)],
        title=f"{address}")
    return Observation(
        tool="call_unit", summary="\n".join(lines),
        artifacts=[Artifact(str(path), "plot", f"per-token activations of {address}")],
        result=TextCall(unit=str(address), kind=info.kind, texts=rows,
                        max=[r["max"] for r in rows]))
