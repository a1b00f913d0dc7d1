"""Text stimuli for contrastive experiments: generate texts and edit them (MAIA-LLM)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import torch
from pydantic import Field

from models.generation import TEMPERATURE, TOP_K, chat_ids, decode
from models.recording import activations
from models.registry import get_model
from models.text import TextModel
from tools.backends import text_gen
from tools.context import ToolContext, ToolError
from tools.observation import Observation
from tools.registry import tool
from tools.results import EditedTexts, GeneratedTexts
from tools.text_common import DEFAULT_LIMITS, SUBJECT_LM, check_texts, text_unit

# ---------------------------------------------------------------------------------------
# making stimuli


def _clean(text: str, limit: int) -> str:
    text = text.strip().strip('"“”').strip()
    return text[:limit]


def _subject_lm() -> TextModel:
    model = get_model(SUBJECT_LM)
    if not isinstance(model, TextModel) or not model.is_causal:
        raise ToolError(f"{SUBJECT_LM} is not available as a causal LM here")
    return model


@tool("text", result=GeneratedTexts)
def generate_texts(
    ctx: ToolContext,
    prompt: str,
    n: Annotated[int, Field(ge=1, le=DEFAULT_LIMITS.max_generated)] = 5,
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
    backend = ctx.backends.get("text_lm") or text_gen.from_settings()
    if backend is not None:
        texts = [t for t in (_clean(t, limit) for t in backend.generate(prompt, n)) if t][:n]
        source = f"backbone {getattr(backend, 'describe', lambda: type(backend).__name__)()}"
    else:
        model = _subject_lm()
        message = (f"{prompt.strip()}\n\nWrite one short text of one or two sentences. "
                   "Reply with the text only.")
        generator = torch.Generator().manual_seed(int(seed))
        ids = chat_ids(model, message)
        texts = []
        for _ in range(3):  # a sample can end at once; draw again (same stream: deterministic)
            samples, _ = decode(model, ids, n - len(texts), ctx.limits.max_new_tokens,
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
                       result=GeneratedTexts(texts=texts, source=source, prompt=prompt))


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
    backend = ctx.backends.get("text_lm") or text_gen.from_settings()
    if backend is not None:
        replies = backend.generate(request, 1)
        return (_clean(replies[0], ctx.limits.max_text_chars) if replies else ""), "backbone"
    model = _subject_lm()
    reply, _ = decode(model, chat_ids(model, request), 1, ctx.limits.max_new_tokens, None)
    return _clean(reply[0], ctx.limits.max_text_chars), "subject-lm"


@tool("text", result=EditedTexts)
def edit_texts(
    ctx: ToolContext,
    texts: Annotated[list[str], Field(min_length=1, max_length=DEFAULT_LIMITS.max_texts)],
    edits: Annotated[list[str], Field(min_length=1, max_length=DEFAULT_LIMITS.max_texts)],
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
    texts = check_texts(ctx, texts)
    edits = check_texts(ctx, edits, "edits")
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
        address, _, _ = text_unit(unit)
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
                       result=EditedTexts(pairs=results, unit=unit))
