"""Causal text tools: ablate or steer a unit and read the change; its direct logit effect."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

import numpy as np
import torch
from pydantic import Field

from models.generation import decode
from models.interventions import ablate, direct_logit_effect, steer
from models.recording import activations
from models.text import TextModel
from models.units import UnitAddress
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import InterventionEffect, LogitEffectResult
from tools.text_common import CONTINUATION_TOKENS, SUBJECT_LM, TOP_TOKENS, check_texts, text_unit
from tools.text_plots import distribution_bars


def _causal_unit(unit: str) -> tuple[UnitAddress, TextModel, Any]:
    """Resolve a unit of a real (neural) language model, as interventions need."""
    address, model, info = text_unit(unit)
    if not isinstance(model, TextModel):
        raise ToolError(
            f"{unit!r} is a synthetic unit computed from the text alone: there is no network to "
            f"ablate or steer. Causal tools need a real language model unit, e.g. "
            f"'{SUBJECT_LM}:model.layers.20.mlp:100'; use call_unit and dataset_exemplars here"
        )
    return address, model, info


# ---------------------------------------------------------------------------------------
# causal tools


def _top(model: TextModel, probs: torch.Tensor) -> list[dict[str, Any]]:
    values, ids = torch.topk(probs, TOP_TOKENS)
    return [{"token": model.tokenizer.decode([int(i)]), "id": int(i), "prob": float(p)}
            for p, i in zip(values, ids, strict=True)]


def _embedding(model: TextModel, prompt: str) -> torch.Tensor:
    """An encoder's mean-pooled last hidden state, the sentence embedding MiniLM is used for."""
    batch = model.tokenize([prompt])
    inputs = {k: v.to(model.device) for k, v in batch.items()}
    with torch.inference_mode():
        hidden = model.net(**inputs).last_hidden_state[0]
    return hidden.mean(dim=0).double().cpu()


def _causal_effect(
    ctx: ToolContext, tool_name: str, unit: str, prompt: str,
    intervention: Callable[[TextModel, UnitAddress], AbstractContextManager[None]],
    describe: Callable[[str], str],
) -> Observation:
    """Compare the model on a prompt without and with an intervention on one unit.

    Args:
        describe: the intervention in words, given the unit kind ("ablating", "steering +5").
    """
    check_texts(ctx, [prompt], "prompt")
    address, model, info = _causal_unit(unit)
    label = describe(info.kind)
    acts = activations(address, [prompt])
    peak = int(np.argmax(acts.maps[0]))
    head = (f"{label} {address} ({info.kind}); its activation on the prompt peaks at "
            f"{float(acts.values[0]):.3f} on token {acts.tokens[0][peak]!r}.")
    data: dict[str, Any] = {"unit": str(address), "kind": info.kind, "prompt": prompt,
                            "intervention": label, "activation_on_prompt": float(acts.values[0])}

    def under_intervention(fn: Callable[[], Any]) -> Any:
        with intervention(model, address):
            return fn()

    if not model.is_causal:
        # Encoders have no next token: report how the sentence embedding moves instead.
        before = _embedding(model, prompt)
        after = under_intervention(lambda: _embedding(model, prompt))
        cosine = float(torch.nn.functional.cosine_similarity(before, after, dim=0))
        data.update(embedding_cosine=cosine,
                    embedding_l2_change=float((after - before).norm()))
        summary = (f"{head} {model.name} is an encoder: no next-token distribution or "
                   f"continuation. Mean-pooled sentence embedding before vs after: cosine "
                   f"{cosine:.4f}, L2 change {data['embedding_l2_change']:.4f}.")
        return Observation(tool=tool_name, summary=summary, result=InterventionEffect(**data))
    prompt_ids = model.tokenize([prompt])["input_ids"]
    max_new = min(CONTINUATION_TOKENS, ctx.limits.max_new_tokens)
    (text_before,), logits_before = decode(model, prompt_ids, 1, max_new, None)
    (text_after,), logits_after = under_intervention(
        lambda: decode(model, prompt_ids, 1, max_new, None))
    before = torch.softmax(logits_before.double(), dim=-1)
    after = torch.softmax(logits_after.double(), dim=-1)
    # KL(before || after), with a floor so a token driven to probability 0 stays finite.
    kl = float((before * (before.clamp_min(1e-30).log() - after.clamp_min(1e-30).log())).sum())
    top_before, top_after = _top(model, before), _top(model, after)
    data.update(kl_divergence=kl, top_before=top_before, top_after=top_after,
                continuation_before=text_before, continuation_after=text_after,
                continuation_changed=text_before != text_after)

    def show(rows: list[dict[str, Any]]) -> str:
        return ", ".join(f"{r['token']!r} {r['prob']:.3f}" for r in rows)

    summary = "\n".join([
        head,
        f"Next token before: {show(top_before)}",
        f"Next token after:  {show(top_after)}",
        f"KL(before || after) = {kl:.4g} nats.",
        f"Greedy continuation before: {text_before!r}",
        f"Greedy continuation after:  {text_after!r}"
        + ("" if text_before != text_after else " (unchanged)"),
    ])
    # Both bars for every token in either top list, so a token that left the top still shows.
    shown = list(dict.fromkeys(r["id"] for r in top_before + top_after))
    labels = [model.tokenizer.decode([i]) for i in shown]
    path = distribution_bars(
        ctx.plot_path(f"{tool_name}-{address.index}"),
        [(t, float(before[i])) for t, i in zip(labels, shown, strict=True)],
        [(t, float(after[i])) for t, i in zip(labels, shown, strict=True)],
        title=f"{label} {address}: next token (KL {kl:.3g})")
    return Observation(tool=tool_name, summary=summary, result=InterventionEffect(**data),
                       artifacts=[Artifact(str(path), "plot", f"next token, {label} {address}")])


@tool("text", result=InterventionEffect)
def ablate_unit(ctx: ToolContext, unit: str, prompt: str) -> Observation:
    """Zero-ablate a unit and show how the next-token distribution and the greedy continuation
    of a prompt change (top tokens with probabilities before/after, KL divergence).

    MLP neuron: its activation is zeroed at every position; attention head: its output is
    zeroed; residual direction: that basis direction is projected out. Logit units cannot be
    ablated meaningfully (use steer_unit). For encoders (minilm-l6) the change of the sentence
    embedding is reported instead. Synthetic units have no network and cannot be ablated.

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a real language model.
        prompt: the text whose next token and continuation are compared.
    """
    def intervention(model: TextModel, address: UnitAddress) -> AbstractContextManager[None]:
        return ablate(model, address.layer, address.index)

    return _causal_effect(ctx, "ablate_unit", unit, prompt, intervention, lambda _: "ablating")


@tool("text", result=InterventionEffect)
def steer_unit(
    ctx: ToolContext, unit: str, prompt: str, scale: Annotated[float, Field(ge=-100, le=100)]
) -> Observation:
    """Steer a unit and show how the next-token distribution and the greedy continuation of a
    prompt change (top tokens with probabilities before/after, KL divergence).

    MLP neuron and residual direction: `scale` is ADDED to the unit's activation at every
    position (0 = no change; try values comparable to its exemplar activations). Attention
    head: its output is MULTIPLIED by `scale` (1 = no change, 0 = ablation, 2 = doubled).
    Logit unit: `scale` is added to that token's logit.

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a real language model.
        prompt: the text whose next token and continuation are compared.
        scale: the steering amount (added for neurons, residual directions and logits;
            a multiplier for attention heads).
    """
    def intervention(model: TextModel, address: UnitAddress) -> AbstractContextManager[None]:
        return steer(model, address.layer, address.index, scale)

    def describe(kind: str) -> str:
        return f"steering (x{scale:g})" if kind == "attention_head" else f"steering ({scale:+g})"

    return _causal_effect(ctx, "steer_unit", unit, prompt, intervention, describe)


@tool("text", result=LogitEffectResult)
def logit_effect(
    ctx: ToolContext, unit: str, k: Annotated[int, Field(ge=1, le=50)] = 10,
    prompt: str | None = None,
) -> Observation:
    """The vocabulary tokens a unit directly promotes and suppresses through the unembedding.

    Reads the unit's write direction (MLP neuron: its down-projection column; residual: the
    basis direction) through the final norm's weight and the LM head, ignoring the norm's
    input-dependent scale and any later layers: it shows what the unit pushes toward, not its
    full effect (steer_unit measures that). Attention heads write a different vector per input,
    so they need a prompt: their write at its last token is used. Needs an LM head (not
    minilm-l6).

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a causal language model.
        k: how many promoted and suppressed tokens to list.
        prompt: attention heads only: the text at whose last token the head's write is read.
    """
    address, model, info = _causal_unit(unit)
    if prompt is not None:
        check_texts(ctx, [prompt], "prompt")
    effect = direct_logit_effect(model, address.layer, address.index, k=k, prompt=prompt)

    def show(rows) -> str:
        return ", ".join(f"{r.token!r} {r.weight:+.2f}" for r in rows)

    summary = (f"Direct logit effect of {address} ({info.kind}; {effect.method}):\n"
               f"promoted: {show(effect.promoted)}\nsuppressed: {show(effect.suppressed)}")
    return Observation(tool="logit_effect", summary=summary, result=LogitEffectResult(
        unit=str(address), kind=info.kind, method=effect.method,
        promoted=[vars(r) for r in effect.promoted],
        suppressed=[vars(r) for r in effect.suppressed]))
