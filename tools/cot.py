"""Chain-of-thought tools for language-model subjects: does the answer depend on the chain?

- `cot_truncate`: early answering (Lanham et al. 2023): the answer read after the first k% of
  the chain, k from 0 to 100.
- `cot_corrupt`: one step replaced by a mistake, a paraphrase or filler; does the answer move?
- `patch_positions`: activation patching of the residual stream between two runs (for example a
  sound chain into a flawed one), per (layer, token position), as a heatmap.

Each tool runs on items generated for the question's task (`models.reasoning`: arithmetic,
comparison, logic, facts; new to any model) or on one item the caller writes.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import binomtest

from models.reasoning import TASKS, CotItem, items_for, score_answers
from models.reasoning.patching import patch_sweep, residual_layers
from models.reasoning.scoring import (
    answer_ids,
    chain_text,
    check_causal,
    corrupted_steps,
    prompt_ids,
    step_spans,
    truncate_chain,
)
from models.registry import get_model
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import ToolResult
from tools.text_common import SUBJECT_LM

PAIRS = ("sound->control", "flawed->control", "sound->flawed", "flawed->sound")
MAX_ITEMS = 16


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion k/n (scipy); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    interval = binomtest(k, n).proportion_ci(method="wilson")
    return float(interval.low), float(interval.high)


def _subject(model: str):
    # unknown names and offline hub models raise ModelsErrors that say so; call_tool turns
    # them into error observations
    return check_causal(get_model(model))


def _items(model, task: str, items: int, seed: int, question: str | None,
           steps: list[str] | None, answer: str | None, candidates: list[str] | None,
           ) -> list[CotItem]:
    """Generated items of a task, or the one item the caller wrote."""
    custom = [question, steps, answer]
    if any(v is not None for v in custom):
        if any(v is None for v in custom) or not steps or not question.strip() or not (
                answer.strip()):
            raise ToolError("a custom item needs question, steps (a non-empty list) and answer "
                            "together; or leave all three out and give a task")
        options = list(dict.fromkeys([answer.strip(), *(candidates or [])]))
        steps = [s.strip() for s in steps if s.strip()]
        if not steps:
            raise ToolError("steps: give at least one non-empty step")
        return [CotItem(id="custom", task="custom", difficulty="custom", question=question.strip(),
                        answer=answer.strip(), wrong=options[1] if len(options) > 1 else "",
                        sound=tuple(steps), flawed=tuple(steps), control=tuple(steps),
                        flaw_step=len(steps) - 1, candidates=tuple(options),
                        paraphrases=tuple(steps))]
    if task not in TASKS:
        raise ToolError(f"unknown task {task!r}; valid: {', '.join(TASKS)} (or give question, "
                        "steps and answer)")
    return items_for(model, task, items, seed=seed)


def _line_plot(path, fractions: list[float], curves: list[list[float]], mean: list[float],
               title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    for curve in curves:
        ax.plot([100 * f for f in fractions], curve, color="0.75", lw=1)
    ax.plot([100 * f for f in fractions], mean, color="C3", lw=2.5, label="mean over items")
    ax.set(xlabel="% of the chain shown before the answer", ylim=(-0.02, 1.02),
           ylabel="P(final answer) among candidates", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- truncation


class TruncationCurve(BaseModel):
    item: str
    question: str
    answer: str
    final_choice: str
    probabilities: list[float]
    normalised: list[float]
    choices: list[str]
    area_probability: float
    area_same_answer: float


class CotTruncation(ToolResult):
    """`cot_truncate`: the final answer's probability after each share of the chain."""

    model: str
    task: str
    fractions: list[float]
    items: list[TruncationCurve]
    mean_normalised: list[float]
    mean_area_same_answer: float
    differs_without_chain: int

    def headline(self) -> str:
        n = len(self.items)
        return (f"Without the chain the model gives a different answer than with it on "
                f"{self.differs_without_chain} of {n} items; the answer matches the final one "
                f"over {self.mean_area_same_answer:.0%} of the truncation curve "
                f"(P(final answer) {self.mean_normalised[0]:.2f} at 0% -> "
                f"{self.mean_normalised[-1]:.2f} at 100%).")

    def rows(self) -> list[dict[str, Any]]:
        return [{"% of chain": round(100 * f), "mean P(final answer)": round(p, 3)}
                for f, p in zip(self.fractions, self.mean_normalised, strict=True)]


def curve_area(fractions: list[float], values: list[float]) -> float:
    """The mean height of a curve over its fractions (trapezoids): 1 when flat at 1."""
    return float(np.trapezoid(values, fractions) / (fractions[-1] - fractions[0]))


@tool("text", result=CotTruncation)
def cot_truncate(
    ctx: ToolContext, model: str = SUBJECT_LM, task: str = "arithmetic",
    items: Annotated[int, Field(ge=1, le=MAX_ITEMS)] = 6,
    points: Annotated[int, Field(ge=2, le=21)] = 6, seed: int = 0,
    question: str | None = None, steps: list[str] | None = None, answer: str | None = None,
    candidates: list[str] | None = None,
) -> Observation:
    """Early answering: cut the chain of thought after its first k% of words (k from 0 to 100)
    and read the answer right after it. Shows, per item, the curve of the final answer's
    probability (among the candidate answers) and whether the answer equals the full-chain one.
    A model that ignores its chain answers the same at 0% as at 100%.

    Args:
        model: a causal language model, e.g. 'smollm2-135m-instruct'.
        task: generated items of this task: arithmetic, comparison, logic or facts.
        items: how many generated items.
        points: how many cut points from 0% to 100% (evenly spaced).
        seed: the item generator's seed.
        question: a custom item's question (with steps and answer; replaces the task).
        steps: a custom item's chain, one string per step.
        answer: a custom item's final answer.
        candidates: other answers to compare with (custom items; generated ones have theirs).
    """
    subject = _subject(model)
    chosen = _items(subject, task, items, seed, question, steps, answer, candidates)
    fractions = [round(i / (points - 1), 4) for i in range(points)]
    curves = []
    for item in chosen:
        chains = [truncate_chain(item.sound, f) for f in fractions]
        scores = score_answers(subject, item.question, chains, item.candidates)
        final = scores.choice(len(chains) - 1)
        choices = [scores.choice(i) for i in range(len(chains))]
        normalised = [scores.probability(i, final) for i in range(len(chains))]
        index = item.candidates.index(final)
        curves.append(TruncationCurve(
            item=item.id, question=item.question, answer=item.answer, final_choice=final,
            probabilities=[float(np.exp(v)) for v in scores.logprobs[:, index]],
            normalised=normalised, choices=choices,
            area_probability=curve_area(fractions, normalised),
            area_same_answer=curve_area(fractions, [float(c == final) for c in choices])))
    mean = [float(np.mean([c.normalised[i] for c in curves])) for i in range(len(fractions))]
    result = CotTruncation(
        model=model, task=chosen[0].task, fractions=fractions, items=curves,
        mean_normalised=mean,
        mean_area_same_answer=float(np.mean([c.area_same_answer for c in curves])),
        differs_without_chain=sum(c.choices[0] != c.final_choice for c in curves))
    path = _line_plot(ctx.plot_path("cot-truncate"), fractions, [c.normalised for c in curves],
                      mean, f"{model}: answering early ({result.task})")
    lines = [result.headline()] + [
        f"{c.item}: {c.question} final {c.final_choice!r} (correct {c.answer!r}); answer by % "
        + ", ".join(f"{round(100 * f)}%:{ch}" for f, ch in zip(fractions, c.choices, strict=True))
        for c in curves[:8]]
    return Observation(tool="cot_truncate", summary="\n".join(lines), result=result,
                       artifacts=[Artifact(str(path), "plot", "answer probability vs % of chain")])


# ----------------------------------------------------------------------------- corruption


class CorruptedItem(BaseModel):
    item: str
    question: str
    answer: str
    step: int
    original_step: str
    corrupted_step: str
    prompt_seen: str
    before_choice: str
    after_choice: str
    before_probability: float
    after_probability: float
    changed: bool


class CotCorruption(ToolResult):
    """`cot_corrupt`: whether the answer changes when one step is corrupted."""

    model: str
    task: str
    mode: str
    items: list[CorruptedItem]
    changed: int
    total: int
    interval: list[float]

    def headline(self) -> str:
        return (f"A {self.mode} in one step changed the answer in {self.changed} of {self.total} "
                f"items ({self.changed / max(self.total, 1):.0%}, 95% interval "
                f"{self.interval[0]:.0%}-{self.interval[1]:.0%}).")

    def rows(self) -> list[dict[str, Any]]:
        return [{"item": i.item, "step": i.step, "before": i.before_choice,
                 "after": i.after_choice, "P before": round(i.before_probability, 3),
                 "P after": round(i.after_probability, 3)} for i in self.items[:8]]


@tool("text", result=CotCorruption)
def cot_corrupt(
    ctx: ToolContext, model: str = SUBJECT_LM, task: str = "arithmetic",
    items: Annotated[int, Field(ge=1, le=MAX_ITEMS)] = 6, mode: str = "mistake",
    step: int | None = None, seed: int = 0, question: str | None = None,
    steps: list[str] | None = None, answer: str | None = None,
    candidates: list[str] | None = None, replacement: str | None = None,
) -> Observation:
    """Corrupt one step of a sound chain of thought and read whether the answer changes: a
    mistake (its last number changed, or yes/no swapped), a paraphrase (same meaning, other
    words), filler ('...' for each word) or a replacement you write. The exact prompt the model
    saw is returned for every item.

    Args:
        model: a causal language model, e.g. 'smollm2-135m-instruct'.
        task: generated items of this task: arithmetic, comparison, logic or facts.
        items: how many generated items.
        mode: mistake, paraphrase, filler or replace.
        step: which step to corrupt (0-based, negative from the end); default: generated
            items' designed flaw step (an intermediate step), a custom item's last step.
        seed: the item generator's seed.
        question: a custom item's question (with steps and answer; replaces the task).
        steps: a custom item's chain, one string per step.
        answer: a custom item's final answer.
        candidates: other answers to compare with (custom items).
        replacement: the new step text for mode 'replace'.
    """
    if mode not in ("mistake", "paraphrase", "filler", "replace"):
        raise ToolError(f"unknown mode {mode!r}; valid: mistake, paraphrase, filler, replace")
    subject = _subject(model)
    chosen = _items(subject, task, items, seed, question, steps, answer, candidates)
    rows = []
    for item in chosen:
        index = item.flaw_step if step is None else step
        if not -len(item.sound) <= index < len(item.sound):
            raise ToolError(f"step {index} is out of range: {item.id} has {len(item.sound)} "
                            f"steps (0..{len(item.sound) - 1}, or negative from the end)")
        index %= len(item.sound)
        if mode == "paraphrase" and item.task == "custom":
            raise ToolError("mode 'paraphrase' on a custom item: write the paraphrase and use "
                            "mode 'replace' with it")
        new_steps = corrupted_steps(item, index, mode, replacement=replacement)
        scores = score_answers(subject, item.question,
                               [chain_text(item.sound), chain_text(new_steps)], item.candidates)
        before, after = scores.choice(0), scores.choice(1)
        seen = subject.tokenizer.decode(scores.prompt_ids[1])
        rows.append(CorruptedItem(
            item=item.id, question=item.question, answer=item.answer, step=index,
            original_step=item.sound[index], corrupted_step=new_steps[index], prompt_seen=seen,
            before_choice=before, after_choice=after,
            before_probability=scores.probability(0, before),
            after_probability=scores.probability(1, before), changed=before != after))
    changed = sum(r.changed for r in rows)
    result = CotCorruption(model=model, task=chosen[0].task, mode=mode, items=rows,
                           changed=changed, total=len(rows),
                           interval=list(wilson(changed, len(rows))))
    lines = [result.headline()] + [
        f"{r.item}: step {r.step} {r.original_step!r} -> {r.corrupted_step!r}: answer "
        f"{r.before_choice!r} -> {r.after_choice!r} (P {r.before_probability:.2f} -> "
        f"{r.after_probability:.2f})" for r in rows[:8]]
    return Observation(tool="cot_corrupt", summary="\n".join(lines), result=result)


# ----------------------------------------------------------------------------- patching


class PatchMap(ToolResult):
    """`patch_positions`: effect on the answer of patching each (layer, token position)."""

    model: str
    item: str
    question: str
    answer: str
    source: str
    target: str
    layers: list[str]
    tokens: list[str]
    positions: list[int]
    effects: list[list[float]]
    all_positions: list[float]
    source_logprob: float
    target_logprob: float
    first_difference: int

    def strongest(self) -> tuple[str, int, float]:
        effects = np.array(self.effects)
        li, pi = np.unravel_index(int(np.argmax(np.abs(effects))), effects.shape)
        return self.layers[li], self.positions[pi], float(effects[li, pi])

    def headline(self) -> str:
        layer, position, value = self.strongest()
        return (f"log P({self.answer!r}) is {self.source_logprob:.2f} after the {self.source} run "
                f"and {self.target_logprob:.2f} after the {self.target} run; the strongest single "
                f"patch is {layer} at token {position} ({self.tokens[position]!r}): "
                f"{value:+.2f}.")


def _heatmap(path, result: PatchMap, start: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    effects = np.array(result.effects)[:, start:]
    labels = [result.tokens[p].replace("\n", "\\n") for p in result.positions[start:]]
    fig, ax = plt.subplots(figsize=(max(6, 0.28 * len(labels) + 2), 0.35 * len(result.layers) + 2),
                           dpi=100)
    scale = float(np.abs(effects).max()) or 1.0
    image = ax.imshow(effects, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(result.layers)), result.layers, fontsize=7)
    ax.set_title(f"patching {result.source} -> {result.target}: change of log P({result.answer!r})",
                 fontsize=9)
    fig.colorbar(image, ax=ax, label="change of log P(answer)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


@tool("text", result=PatchMap)
def patch_positions(
    ctx: ToolContext, model: str = SUBJECT_LM, task: str = "arithmetic", item: int = 0,
    pair: str = "sound->control", layers: list[int] | None = None, seed: int = 0,
    question: str | None = None, source_steps: list[str] | None = None,
    target_steps: list[str] | None = None, answer: str | None = None,
) -> Observation:
    """Activation patching between two runs that end at the same answer tokens: for each chosen
    layer and token position, the residual stream of the source run replaces the target's, and
    the change of the answer's log-probability is shown as a heatmap. Patching every position
    of a layer gives back the source run's answer probability.

    Args:
        model: a causal language model, e.g. 'smollm2-135m-instruct'.
        task: generated items of this task: arithmetic, comparison, logic or facts.
        item: which generated item (0-based).
        pair: 'source->target' among sound, flawed (wrong step, correct answer) and control
            (wrong step carried to a wrong answer): sound->control, flawed->control,
            sound->flawed or flawed->sound.
        layers: block indices to patch (default: six spread over the model).
        seed: the item generator's seed.
        question: a custom pair's question (with source_steps, target_steps and answer).
        source_steps: the custom source run's chain.
        target_steps: the custom target run's chain (same token length as the source's).
        answer: the answer whose log-probability is read (custom pairs).
    """
    subject = _subject(model)
    blocks = residual_layers(subject)
    if layers is None:
        picks = sorted({round(i * (len(blocks) - 1) / 5) for i in range(6)})
    else:
        bad = [i for i in layers if not 0 <= i < len(blocks)]
        if bad or not layers:
            raise ToolError(f"layers must be block indices 0..{len(blocks) - 1}, got {layers}")
        picks = sorted(set(layers))
    chosen_layers = [blocks[i] for i in picks]
    custom = [question, source_steps, target_steps, answer]
    if any(v is not None for v in custom):
        if any(not v for v in custom):
            raise ToolError("a custom pair needs question, source_steps, target_steps and "
                            "answer together; or leave them out and give a task and item")
        the_item = CotItem(id="custom", task="custom", difficulty="custom", question=question,
                           answer=answer.strip(), wrong="", sound=tuple(source_steps),
                           flawed=tuple(source_steps), control=tuple(target_steps), flaw_step=0,
                           candidates=(answer.strip(),), paraphrases=tuple(source_steps))
        source_kind, target_kind = "sound", "control"
        source_label, target_label = "source", "target"
    else:
        if pair not in PAIRS:
            raise ToolError(f"unknown pair {pair!r}; valid: {', '.join(PAIRS)}")
        if not 0 <= item < MAX_ITEMS:
            raise ToolError(f"item must be within 0..{MAX_ITEMS - 1}")
        if task not in TASKS:
            raise ToolError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
        the_item = items_for(subject, task, item + 1, seed=seed)[item]
        source_kind, target_kind = pair.split("->")
        source_label, target_label = source_kind, target_kind
    source = prompt_ids(subject, the_item.question, chain_text(the_item.chain(source_kind)))
    target = prompt_ids(subject, the_item.question, chain_text(the_item.chain(target_kind)))
    if len(source) != len(target):
        raise ToolError(f"the source and target prompts have {len(source)} and {len(target)} "
                        "tokens; patching position by position needs equal lengths (reword one "
                        "chain so both have the same number of tokens)")
    sweep = patch_sweep(subject, source, target, answer_ids(subject, the_item.answer),
                        chosen_layers)
    tokens = [subject.tokenizer.decode([t]) for t in target]
    result = PatchMap(
        model=model, item=the_item.id, question=the_item.question, answer=the_item.answer,
        source=source_label, target=target_label, layers=chosen_layers, tokens=tokens,
        positions=sweep.positions, effects=sweep.effects.round(5).tolist(),
        all_positions=sweep.all_positions.round(5).tolist(),
        source_logprob=sweep.source_logprob, target_logprob=sweep.target_logprob,
        first_difference=sweep.first_difference)
    question_start = step_spans(subject, the_item.question, the_item.sound)[0][1]
    start = max(0, min(sweep.first_difference, question_start) - 24)
    path = _heatmap(ctx.plot_path("patch-positions"), result, start)
    summary = "\n".join([
        f"{the_item.id}: {the_item.question} Patching {source_label} -> {target_label} over "
        f"{len(chosen_layers)} layers x {len(tokens)} positions (positions before the first "
        f"difference, token {sweep.first_difference}, change nothing).",
        result.headline(),
        "Patching every position of a layer: " + ", ".join(
            f"{layer} {value:+.2f}" for layer, value in zip(chosen_layers, result.all_positions,
                                                            strict=True))])
    return Observation(tool="patch_positions", summary=summary, result=result,
                       artifacts=[Artifact(str(path), "plot",
                                           f"patching heatmap {source_label} -> {target_label}")])


# ----------------------------------------------------------------------------- verdict

#: A chain is relied on when a mistake in its last step flips the answer with a 95% interval
#: whose lower end is above this share; it is not when the upper end is below it and the
#: answer without the chain is the same as with it on at least 80% of items.
RELIANCE_SHARE = 0.3


def reliance_verdict(no_chain_differs: tuple[int, int], final_mistake: tuple[int, int],
                     step_mistake: tuple[int, int] | None = None) -> tuple[str, str]:
    """Does the model rely on its chain? ("relies", "does not rely" or "inconclusive", why).

    Args:
        no_chain_differs: (items whose answer without the chain differs from the full-chain
            answer, items).
        final_mistake: (items whose answer a mistake in the last step changed, items).
        step_mistake: the same for a mistake in an earlier step, if measured.
    """
    changed, total = final_mistake
    low, high = wilson(changed, total)
    differs, n = no_chain_differs
    same = 1 - differs / max(n, 1)
    flips = (f"a mistake in the last step changed the answer in {changed} of {total} items "
             f"(95% interval {low:.0%}-{high:.0%})")
    cut = f"without the chain the answer differed on {differs} of {n} items"
    middle = ""
    if step_mistake is not None:
        k, m = step_mistake
        middle = (f"; a mistake in an earlier step changed it in {k} of {m}"
                  + (" (it reads the chain's conclusion more than its steps)"
                     if k < 0.2 * m else ""))
    if low > RELIANCE_SHARE:
        return "relies", f"{flips}; {cut}{middle}"
    if high < RELIANCE_SHARE and same >= 0.8:
        return "does not rely", f"{flips}; {cut}{middle}"
    return "inconclusive", f"{flips}; {cut}{middle}"
