"""The system prompt and per-step instructions that LLM policies send to their backbone."""

from __future__ import annotations

import json
from typing import Any

# Every step instruction starts with a tag ("STEP: PLAN") so that replies can be traced to the
# step that asked for them, and so that scripted test servers can answer by step.
STEPS = ("HYPOTHESIZE", "PLAN", "OBSERVE", "REVISE", "CONCLUDE")

SYSTEM_FULL = """\
You are an interpretability researcher. You study one unit of a neural network (a {modality} \
model) and answer a question about it by running experiments on the real model, like a \
scientist: form hypotheses, design experiments that could refute them, observe, revise, and \
conclude with a description you can defend with evidence.

Subject: {subject}
Question: {question}

How to work:
- Start broad (the unit's top dataset exemplars, concept screens), then test specific \
hypotheses with contrastive stimuli: inputs that differ only in the hypothesized feature.
- A hypothesis is supported only when inputs with the feature activate the unit clearly more \
than matched inputs without it. Correlation among exemplars is weaker evidence than a \
controlled contrast.
- Name what you find in your own words, not only the screen's vocabulary: the evidence tools \
(token_evidence for text, image_evidence for images) say what the top exemplars share \
against the corpus's base rates, in open words.
- Never report a concept from a single screen: it must hold again on fresh stimuli (another \
seed, a contrast) and survive the design cells that would refute it; drop a candidate its own \
cells contradict and say why.
- Before concluding, rank_descriptions scores your candidate descriptions by how well each \
predicts the unit on its exemplar split, with a standard error; prefer the one that predicts \
best, and of those within one standard error of it, the one that lists fewest alternatives.
- When a vocabulary concept and an open property (a scene layout, a word's shape or form) \
both fit, dissociate splits fresh stimuli by both and says which drives the unit without the \
other. When a composition ("words for relatives of 11 letters or more", "circles near the \
centre") fits about as well as one of its halves, conjunction draws fresh stimuli where the \
halves meet and where they do not, and says whether both are needed. For images, when two properties one object can have (a colour and a shape, a shape and a side) are both needed, or one excepts the other, binding says whether they must be on one object ("red circles") or only somewhere in the image.
- Prefer simple descriptions; consider compositions (A or B, A and B, A but not B) when a \
single concept does not fit.
- Cite experiment ids (E1, E2, ...) and numbers (activations, AUCs) as evidence.
- Call tools with the exact unit address `{subject}` where a tool asks for a unit.
- Questions about a whole model: background_bias answers whether an image classifier relies on the background for a class; cot_truncate (answering after k% of a chain of thought), cot_corrupt (a mistake, paraphrase or filler in one step) and patch_positions (which layer and token carry the answer) answer whether a language model relies on its chain of thought; pass `model` as the model's name.
- When asked for JSON, reply with one JSON object only, no prose around it.
- If tool calling is unavailable, request an experiment as a JSON object \
{{"tool": NAME, "arguments": {{...}}}} (or a list of them).

Tools available: {tool_names}.
"""

SYSTEM_COMPACT = """\
You study a unit of a {modality} model with experiments.
Unit: {subject}
Question: {question}
Tools: {tool_names}. Use unit "{subject}".
Reply with one JSON object when asked for JSON.
"""

HYPOTHESIZE_FULL = """\
STEP: HYPOTHESIZE (round {round}, {rounds_left} rounds and {calls_left} tool calls left)
{current}
Propose up to {max_new} new hypotheses about the unit, or restate existing ones (same id) \
with a sharper statement. Reply with JSON:
{{"hypotheses": [{{"id": "H1", "statement": "fires on ...", "confidence": 0.5}}]}}"""

HYPOTHESIZE_COMPACT = """\
STEP: HYPOTHESIZE (round {round})
{current}
Reply JSON: {{"hypotheses": [{{"id": "H1", "statement": "fires on ...", "confidence": 0.5}}]}}"""

PLAN_FULL = """\
STEP: PLAN (round {round})
Call up to {max_calls} tools now to test the open hypotheses; choose experiments whose result \
would change your mind. Each call's results come back as a tool message."""

PLAN_COMPACT = """\
STEP: PLAN (round {round})
Call up to {max_calls} tools to test the hypotheses."""

PLAN_TEXT_SUFFIX = """
Reply with JSON: {{"tool": "NAME", "arguments": {{...}}}} or a list of such objects."""

REVISE_FULL = """\
STEP: REVISE (round {round}, {rounds_left} rounds and {calls_left} tool calls left)
{current}
Given the results so far, update each hypothesis: status open, supported or refuted, and a \
confidence 0..1. Set "conclude" to true when the evidence suffices to answer the question. \
Reply with JSON:
{{"updates": [{{"id": "H1", "status": "supported", "confidence": 0.8, \
"statement": "optional sharper wording"}}], "conclude": false}}"""

REVISE_COMPACT = """\
STEP: REVISE (round {round})
{current}
Reply JSON: {{"updates": [{{"id": "H1", "status": "supported", "confidence": 0.8}}], \
"conclude": false}}"""

CONCLUDE_FULL = """\
STEP: CONCLUDE ({reason})
{current}
Experiments: {experiments}
Answer the question. Reply with JSON:
{{"final": {{"description": "what the unit does, in one or two sentences", \
"label": "a short label", "confidence": 0.7, "evidence": [{{"experiment": "E1", \
"finding": "what it showed", "numbers": {{"mean_with": 1.0, "mean_without": 0.1}}}}]}}}}"""

CONCLUDE_COMPACT = """\
STEP: CONCLUDE
{current}
Reply JSON: {{"final": {{"description": "...", "label": "...", "confidence": 0.5, \
"evidence": [{{"experiment": "E1", "finding": "...", "numbers": {{}}}}]}}}}"""

NOTE_BAD_CALL = "Your tool call was not run: {problem}. Valid tools: {tool_names}."
NOTE_NO_JSON = "Your reply had no usable JSON object; the previous state is kept."


def _hypothesis_lines(hypotheses: list[dict[str, Any]], limit: int) -> str:
    if not hypotheses:
        return "Current hypotheses: none yet."
    lines = [f"{h.get('id')}: {h.get('statement', '')[:160]} [{h.get('status', 'open')}, "
             f"{float(h.get('confidence') or 0):.2f}]" for h in hypotheses[-limit:]]
    return "Current hypotheses:\n" + "\n".join(lines)


def system_prompt(subject: str, question: str, modality: str, tool_names: list[str],
                  compact: bool = False) -> str:
    """The system message that frames the whole conversation.

    Args:
        subject: the unit address (or model name) under study.
        question: the user's question.
        modality: "vision" or "text".
        tool_names: the tools offered to the backbone.
        compact: the short variant for small models with small context windows.
    """
    template = SYSTEM_COMPACT if compact else SYSTEM_FULL
    return template.format(subject=subject, question=question, modality=modality,
                           tool_names=", ".join(tool_names))


def step_prompt(step: str, compact: bool = False, **values: Any) -> str:
    """The user message that asks for one step's output.

    Args:
        step: one of hypothesize, plan, revise, conclude.
        compact: the short variant for small models.
        **values: fields of the template: round, rounds_left, calls_left, max_new, max_calls,
            hypotheses (a list of Hypothesis dicts), reason, experiments (id list), text_mode
            (plan: ask for JSON actions instead of native tool calls).
    """
    templates = {
        "hypothesize": (HYPOTHESIZE_FULL, HYPOTHESIZE_COMPACT),
        "plan": (PLAN_FULL, PLAN_COMPACT),
        "revise": (REVISE_FULL, REVISE_COMPACT),
        "conclude": (CONCLUDE_FULL, CONCLUDE_COMPACT),
    }
    if step not in templates:
        raise ValueError(f"unknown step {step!r}; valid: {', '.join(templates)}")
    template = templates[step][1 if compact else 0]
    fields = {"round": 1, "rounds_left": "?", "calls_left": "?", "max_new": 3, "max_calls": 3,
              "reason": "", "experiments": "none", **values}
    fields["current"] = _hypothesis_lines(values.get("hypotheses") or [], 3 if compact else 8)
    if isinstance(fields["experiments"], list):
        fields["experiments"] = json.dumps(fields["experiments"]) if fields["experiments"] \
            else "none"
    text = template.format(**fields)
    if step == "plan" and values.get("text_mode"):
        text += PLAN_TEXT_SUFFIX.format()
    return text
