"""The text experiment tools of MAIA-LLM: exemplars, unit calls, stimuli, edits, interventions."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

import numpy as np
import torch

from models.exemplars import exemplars
from models.interventions import ablate, direct_logit_effect, steer
from models.recording import activations, resolve_unit
from models.registry import get_model
from models.text import TextModel
from models.units import UnitAddress
from tools.context import Limits, ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import Range, tool
from tools.text_plots import distribution_bars, highlight_tokens

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


def _causal_unit(unit: str) -> tuple[UnitAddress, TextModel, Any]:
    """Resolve a unit of a real (neural) language model, as interventions need."""
    address, model, info = _text_unit(unit)
    if not isinstance(model, TextModel):
        raise ToolError(
            f"{unit!r} is a synthetic unit computed from the text alone: there is no network to "
            f"ablate or steer. Causal tools need a real language model unit, e.g. "
            f"'{SUBJECT_LM}:model.layers.20.mlp:100'; use call_unit and dataset_exemplars here"
        )
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


# ---------------------------------------------------------------------------------------
# making stimuli


def _stop_ids(model: TextModel) -> set[int]:
    ids = {model.tokenizer.eos_token_id}
    configured = getattr(model.net.generation_config, "eos_token_id", None)
    ids.update(configured if isinstance(configured, list) else [configured])
    end = model.tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(end, int) and end != model.tokenizer.unk_token_id:
        ids.add(end)
    return {i for i in ids if i is not None}


def _decode_loop(
    model: TextModel, prompt_ids: torch.Tensor, n: int, max_new: int,
    generator: torch.Generator | None,
) -> tuple[list[str], torch.Tensor]:
    """n continuations of one prompt with the KV cache: greedy, or sampled from `generator`.

    Sampling runs on the CPU with an explicit torch.Generator, so a seed gives the same texts
    on any device and whatever else uses the global RNG.

    Returns:
        The continuations, and the next-token logits after the prompt (`[vocab]`, float32 CPU),
        so callers that also need the next-token distribution skip a forward pass.
    """
    stop = _stop_ids(model)
    # transformers 5 renamed the KV-cache argument `past_key_values` to `cache`; accept both.
    cache_arg = "cache" if "cache" in inspect.signature(model.net.forward).parameters else (
        "past_key_values")
    ids = prompt_ids.to(model.device).repeat(n, 1)
    out_ids: list[list[int]] = [[] for _ in range(n)]
    done = [False] * n
    with torch.inference_mode():
        output = model.net(input_ids=ids, use_cache=True)
        first = output.logits[0, -1].float().cpu()
        for _ in range(max_new):
            logits = output.logits[:, -1].float().cpu()
            if generator is None:
                chosen = logits.argmax(dim=-1)
            else:
                top = torch.topk(logits / TEMPERATURE, min(TOP_K, logits.shape[-1]))
                picks = torch.multinomial(torch.softmax(top.values, -1), 1, generator=generator)
                chosen = top.indices.gather(1, picks)[:, 0]
            for i, token in enumerate(chosen.tolist()):
                if not done[i]:
                    if token in stop:
                        done[i] = True
                    else:
                        out_ids[i].append(token)
            if all(done):
                break
            cache = output.get("cache")
            cache = output.get("past_key_values") if cache is None else cache
            output = model.net(input_ids=chosen[:, None].to(model.device),
                               **{cache_arg: cache}, use_cache=True)
    return [model.tokenizer.decode(t, skip_special_tokens=True) for t in out_ids], first


def _chat_ids(model: TextModel, message: str) -> torch.Tensor:
    """The subject LM's chat-template prompt for one user message, as `[1, tokens]` ids."""
    text = model.tokenizer.apply_chat_template(
        [{"role": "user", "content": message}], add_generation_prompt=True, tokenize=False)
    return model.tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]


def _clean(text: str, limit: int) -> str:
    text = text.strip().strip('"“”').strip()
    return text[:limit]


def _subject_lm() -> TextModel:
    model = get_model(SUBJECT_LM)
    if not isinstance(model, TextModel) or not model._is_causal:
        raise ToolError(f"{SUBJECT_LM} is not available as a causal LM here")
    return model


@tool("text")
def generate_texts(
    ctx: ToolContext,
    prompt: str,
    n: Annotated[int, Range(1, _DEFAULTS.max_generated)] = 5,
    seed: int = 0,
) -> Observation:
    """Write n new stimulus texts from a description (e.g. 'sentences about cooking pasta').

    Uses the configured text backbone when there is one; offline, the subject LM
    SmolLM2-135M-Instruct samples them (same prompt and seed: same texts; change the seed for
    other samples). Texts are short (bounded new tokens) and may be rough with the small model.

    Args:
        prompt: what the texts should be about or look like.
        n: how many texts.
        seed: sampling seed for the offline generator.
    """
    if not prompt.strip():
        raise ToolError("prompt: describe the texts to write")
    if len(prompt) > ctx.limits.max_text_chars:
        raise ToolError(f"prompt: over the limit of {ctx.limits.max_text_chars} characters")
    if n > ctx.limits.max_generated:
        raise ToolError(f"n={n} is over the limit of {ctx.limits.max_generated} texts per call")
    limit = ctx.limits.max_text_chars
    backend = ctx.backends.get("text_lm")
    if backend is not None:
        texts = [t for t in (_clean(t, limit) for t in backend.generate(prompt, n)) if t][:n]
        source = f"backbone {getattr(backend, 'describe', lambda: type(backend).__name__)()}"
    else:
        model = _subject_lm()
        message = (f"{prompt.strip()}\n\nWrite one short text of one or two sentences. "
                   "Reply with the text only.")
        generator = torch.Generator().manual_seed(int(seed))
        ids = _chat_ids(model, message)
        texts = []
        for _ in range(3):  # a sample can end at once; draw again (same stream: deterministic)
            samples, _ = _decode_loop(model, ids, n - len(texts), ctx.limits.max_new_tokens,
                                      generator)
            texts += [t for t in (_clean(s, limit) for s in samples) if t]
            if len(texts) >= n:
                break
        source = f"subject LM {SUBJECT_LM} (sampled, T={TEMPERATURE}, top-{TOP_K}, seed {seed})"
    if not texts:
        raise ToolError(f"the generator ({source}) returned no text for this prompt; rephrase it")
    lines = [f"{len(texts)} texts from {source}:"] + [f"{i}. {t}" for i, t in enumerate(texts)]
    if len(texts) < n:
        lines.append(f"(asked for {n}; {n - len(texts)} came back empty)")
    return Observation(tool="generate_texts", summary="\n".join(lines),
                       data={"texts": texts, "source": source, "prompt": prompt})


# Deterministic edits, tried in order; anything else is a free-form instruction.
_QUOTED = r"[\"'`“”‘’]?(.+?)[\"'`“”‘’]?"
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("replace", re.compile(rf"^(?:replace|change|swap)\s+{_QUOTED}\s+(?:with|by|to|->)\s+"
                           rf"{_QUOTED}$", re.I | re.S)),
    ("remove", re.compile(rf"^(?:remove|delete)\s+{_QUOTED}$", re.I | re.S)),
    ("append", re.compile(rf"^append\s+{_QUOTED}$", re.I | re.S)),
    ("prepend", re.compile(rf"^prepend\s+{_QUOTED}$", re.I | re.S)),
    ("uppercase", re.compile(r"^(?:uppercase|upper\s*case|to\s+uppercase)$", re.I)),
    ("lowercase", re.compile(r"^(?:lowercase|lower\s*case|to\s+lowercase)$", re.I)),
    ("negate", re.compile(r"^negate(?:\s+it)?$", re.I)),
]
_AUXILIARY = re.compile(r"\b(is|are|was|were|am|can|could|will|would|should|must|may|might|"
                        r"does|do|did|has|have|had)\b( not\b)?", re.I)


def _rule_edit(kind: str, args: tuple[str, ...], text: str) -> tuple[str | None, str]:
    """Apply one parsed edit; (edited text, "") or (None, why it cannot apply)."""
    if kind == "replace":
        old, new = args
        if old not in text:
            return None, f"{old!r} does not occur in the text (matching is exact)"
        return text.replace(old, new), ""
    if kind == "remove":
        if args[0] not in text:
            return None, f"{args[0]!r} does not occur in the text (matching is exact)"
        edited = re.sub(r" {2,}", " ", text.replace(args[0], "")).strip()
        edited = re.sub(r" ([.,;:!?])", r"\1", edited)
        return (edited, "") if edited else (None, "removing it leaves an empty text")
    if kind == "append":
        return f"{text.rstrip()} {args[0].strip()}", ""
    if kind == "prepend":
        return f"{args[0].strip()} {text.lstrip()}", ""
    if kind == "uppercase":
        return text.upper(), ""
    if kind == "lowercase":
        return text.lower(), ""
    match = _AUXILIARY.search(text)  # negate: toggle "not" after the first auxiliary verb
    if match is None or "n't" in text:
        return None, "no auxiliary verb to negate deterministically"
    if match.group(2):
        return text[: match.end(1)] + text[match.end(2):], ""
    return text[: match.end(1)] + " not" + text[match.end(1):], ""


def _parse_edit(edit: str) -> tuple[str, tuple[str, ...]] | None:
    for kind, pattern in _RULES:
        match = pattern.match(edit.strip())
        if match:
            return kind, tuple(g for g in match.groups())
    return None


def _free_edit(ctx: ToolContext, text: str, instruction: str) -> tuple[str, str]:
    """Rewrite a text by an instruction with the backbone, else the subject LM (greedy)."""
    request = ("Rewrite the text below following the instruction. Change only what the "
               f"instruction asks and reply with the rewritten text only.\n"
               f"Instruction: {instruction}\nText: {text}")
    backend = ctx.backends.get("text_lm")
    if backend is not None:
        replies = backend.generate(request, 1)
        return (_clean(replies[0], ctx.limits.max_text_chars) if replies else ""), "backbone"
    model = _subject_lm()
    reply, _ = _decode_loop(model, _chat_ids(model, request), 1, ctx.limits.max_new_tokens, None)
    return _clean(reply[0], ctx.limits.max_text_chars), "subject-lm"


@tool("text")
def edit_texts(
    ctx: ToolContext,
    texts: Annotated[list[str], Range(1, _DEFAULTS.max_texts)],
    edits: Annotated[list[str], Range(1, _DEFAULTS.max_texts)],
    unit: str | None = None,
) -> Observation:
    """Make contrastive texts by editing given ones, and optionally measure a unit on both.

    Pairing: one edit per text (equal lengths), one edit applied to every text, or one text
    with several edits (one variant per edit). Edits of these forms are applied exactly, by
    rule: "replace X with Y", "remove X", "append X", "prepend X", "uppercase", "lowercase",
    "negate" (adds or removes "not" after the first auxiliary verb). Any other instruction is
    carried out by the text backbone, or offline by the small subject LM (check its output);
    each pair says which path was used. Edits that cannot be applied are reported, not guessed.

    Args:
        texts: the texts to edit.
        edits: the edit instructions (see pairing above).
        unit: optional unit address; when given, its max activation on each original and
            edited text is reported.
    """
    texts = _check_texts(ctx, texts)
    edits = _check_texts(ctx, edits, "edits")
    if len(edits) == len(texts) or len(edits) == 1:
        pairs = [(t, edits[0] if len(edits) == 1 else edits[i]) for i, t in enumerate(texts)]
    elif len(texts) == 1:
        pairs = [(texts[0], e) for e in edits]
    else:
        raise ToolError(f"{len(texts)} texts and {len(edits)} edits do not pair: give one edit "
                        "per text, one edit for all texts, or one text with several edits")
    if len(pairs) > ctx.limits.max_texts:
        raise ToolError(f"{len(pairs)} edited texts, over the limit of {ctx.limits.max_texts}")
    results: list[dict[str, Any]] = []
    for original, edit in pairs:
        parsed = _parse_edit(edit)
        edited, reason, path = None, "", "rule"
        if parsed is not None:
            edited, reason = _rule_edit(parsed[0], parsed[1], original)
        if parsed is None or (parsed[0] == "negate" and edited is None):
            edited, path = _free_edit(ctx, original, edit)
            reason = "" if edited else "the generator returned nothing"
            edited = edited or None
        if edited is not None and edited == original:
            edited, reason = None, "the edit leaves the text unchanged"
        results.append({"original": original, "edit": edit, "edited": edited, "path": path,
                        "applied": edited is not None, "reason": reason})
    applied = [r for r in results if r["applied"]]
    if unit is not None and applied:
        address, _, _ = _text_unit(unit)
        acts = activations(address, [r["original"] for r in applied]
                           + [r["edited"] for r in applied])
        half = len(applied)
        for i, r in enumerate(applied):
            r["original_max"] = float(acts.values[i])
            r["edited_max"] = float(acts.values[half + i])
    lines = [f"{len(applied)} of {len(results)} edits applied"
             + (f"; {unit} max original -> edited" if unit and applied else "") + ":"]
    for i, r in enumerate(results):
        if not r["applied"]:
            lines.append(f"{i}. NOT APPLIED ({r['edit']!r}): {r['reason']}")
            continue
        measure = (f" [{r['original_max']:.3f} -> {r['edited_max']:.3f}]"
                   if "edited_max" in r else "")
        lines.append(f"{i}. ({r['path']}: {r['edit']!r}){measure} {r['original']!r} -> "
                     f"{r['edited']!r}")
    return Observation(tool="edit_texts", summary="\n".join(lines),
                       data={"pairs": results, "unit": unit})


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
    _check_texts(ctx, [prompt], "prompt")
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

    if not model._is_causal:
        # Encoders have no next token: report how the sentence embedding moves instead.
        before = _embedding(model, prompt)
        after = under_intervention(lambda: _embedding(model, prompt))
        cosine = float(torch.nn.functional.cosine_similarity(before, after, dim=0))
        data.update(next_token=None, embedding_cosine=cosine,
                    embedding_l2_change=float((after - before).norm()))
        summary = (f"{head} {model.name} is an encoder: no next-token distribution or "
                   f"continuation. Mean-pooled sentence embedding before vs after: cosine "
                   f"{cosine:.4f}, L2 change {data['embedding_l2_change']:.4f}.")
        return Observation(tool=tool_name, summary=summary, data=data)
    prompt_ids = model.tokenize([prompt])["input_ids"]
    max_new = min(CONTINUATION_TOKENS, ctx.limits.max_new_tokens)
    (text_before,), logits_before = _decode_loop(model, prompt_ids, 1, max_new, None)
    (text_after,), logits_after = under_intervention(
        lambda: _decode_loop(model, prompt_ids, 1, max_new, None))
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
    return Observation(tool=tool_name, summary=summary, data=data,
                       artifacts=[Artifact(str(path), "plot", f"next token, {label} {address}")])


@tool("text")
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


@tool("text")
def steer_unit(
    ctx: ToolContext, unit: str, prompt: str, scale: Annotated[float, Range(-100, 100)]
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


@tool("text")
def logit_effect(
    ctx: ToolContext, unit: str, k: Annotated[int, Range(1, 50)] = 10,
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
        _check_texts(ctx, [prompt], "prompt")
    effect = direct_logit_effect(model, address.layer, address.index, k=k, prompt=prompt)

    def show(rows) -> str:
        return ", ".join(f"{r.token!r} {r.weight:+.2f}" for r in rows)

    summary = (f"Direct logit effect of {address} ({info.kind}; {effect.method}):\n"
               f"promoted: {show(effect.promoted)}\nsuppressed: {show(effect.suppressed)}")
    return Observation(tool="logit_effect", summary=summary, data={
        "unit": str(address), "kind": info.kind, "method": effect.method,
        "promoted": [vars(r) for r in effect.promoted],
        "suppressed": [vars(r) for r in effect.suppressed]})
