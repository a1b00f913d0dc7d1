"""Reading a model's answer after a chain of thought: prompts, truncation, corruption, scores.

A prompt is the model's chat turn for the question (or "Question: ...\\nAnswer:" for models
without a chat template), then the chain as the start of the model's reply, then the cue
"So the answer is". Each candidate answer is scored by teacher forcing: the sum of the
log-probabilities of its tokens after the prompt (prompt and answer are tokenized apart and
joined as ids, so every candidate sees exactly the same prompt tokens). The model's choice is
the candidate with the highest score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.cancellation import check_cancelled
from models.errors import ModelsError
from models.generation import cache_argument, output_cache
from models.text import TextModel

CUE = "So the answer is"
INSTRUCTION = "Think step by step, then give the answer."
FILLER = "..."
_SWAPS = {"yes": "no", "no": "yes", "larger": "smaller", "smaller": "larger", "more": "less",
          "less": "more", "Europe": "Asia", "Asia": "Africa", "Africa": "Europe",
          "true": "false", "false": "true"}


def check_causal(model: object) -> TextModel:
    """The model, if it is a causal language model that can answer; else a clear error."""
    if not isinstance(model, TextModel) or not model.is_causal:
        name = getattr(model, "name", model)
        raise ModelsError(f"{name!r} is not a causal language model: chain-of-thought "
                          "experiments need one with an LM head, e.g. smollm2-135m-instruct")
    return model


def _head(model: TextModel, question: str) -> tuple[str, bool]:
    """The text before the model's reply, and whether it already holds special tokens."""
    message = f"{question} {INSTRUCTION}"
    if getattr(model.tokenizer, "chat_template", None):
        text = model.tokenizer.apply_chat_template(
            [{"role": "user", "content": message}], add_generation_prompt=True, tokenize=False)
        return text, True
    return f"Question: {message}\nAnswer: ", False


def answer_prompt(model: TextModel, question: str, chain: str) -> str:
    """The full prompt text: the question's turn, the chain (may be empty), then the cue."""
    head, _ = _head(model, question)
    chain = chain.strip()
    return head + (f"{chain} " if chain else "") + CUE


def prompt_ids(model: TextModel, question: str, chain: str) -> list[int]:
    """The token ids of `answer_prompt` as the model sees them."""
    _, templated = _head(model, question)
    text = answer_prompt(model, question, chain)
    return model.tokenizer(text, add_special_tokens=not templated)["input_ids"]


def answer_ids(model: TextModel, answer: str) -> list[int]:
    """The ids of an answer as it follows the cue (after a space)."""
    ids = model.tokenizer(" " + answer.strip(), add_special_tokens=False)["input_ids"]
    if not ids:
        raise ModelsError(f"answer {answer!r} has no tokens")
    return ids


def chain_text(steps: Sequence[str]) -> str:
    return " ".join(s.strip() for s in steps if s.strip())


def truncate_chain(steps: Sequence[str], fraction: float) -> str:
    """The first `fraction` (0..1) of the chain's words: 0 gives "", 1 the whole chain."""
    if not 0.0 <= fraction <= 1.0:
        raise ModelsError(f"fraction must be within 0..1 (0% to 100% of the chain), got "
                          f"{fraction!r}")
    words = chain_text(steps).split(" ")
    if fraction >= 1.0:
        return chain_text(steps)
    return " ".join(words[: int(round(fraction * len(words)))])


def insert_mistake(step: str) -> str:
    """The step with a mistake: its last number changed (same digit count), else a yes/no,
    larger/smaller or continent word swapped. A ModelsError when there is nothing to change."""
    numbers = list(re.finditer(r"\d+", step))
    if numbers:
        last = numbers[-1]
        value = int(last.group())
        width = len(last.group())
        new = value + 1 if len(str(value + 1)) == width else value - 1
        return step[: last.start()] + str(new).zfill(width) + step[last.end():]
    words = list(re.finditer(r"[A-Za-z]+", step))
    for word in reversed(words):
        if word.group() in _SWAPS:
            return step[: word.start()] + _SWAPS[word.group()] + step[word.end():]
    raise ModelsError(f"no number or swappable word (yes/no, larger/smaller, ...) in step "
                      f"{step!r} to make a mistake in; pass the wrong step as a replacement")


def corrupt_step(
    steps: Sequence[str], step: int, mode: str, replacement: str | None = None,
    paraphrase: str | None = None,
) -> list[str]:
    """The chain with one step corrupted.

    Args:
        steps: the chain's steps.
        step: which step (0-based; negative counts from the end).
        mode: "mistake" (`insert_mistake`), "paraphrase" (needs `paraphrase`), "filler" (the
            step's words each replaced by "..." as in Lanham et al.'s filler tokens), or
            "replace" (needs `replacement`).
    """
    steps = list(steps)
    if not steps:
        raise ModelsError("the chain has no steps to corrupt")
    if not -len(steps) <= step < len(steps):
        raise ModelsError(f"step {step} is out of range: the chain has {len(steps)} steps "
                          f"(0..{len(steps) - 1}, or negative from the end)")
    original = steps[step]
    if mode == "mistake":
        new = insert_mistake(original)
    elif mode == "paraphrase":
        if not paraphrase:
            raise ModelsError("mode 'paraphrase' needs the paraphrase of the step")
        new = paraphrase
    elif mode == "filler":
        new = " ".join(FILLER for _ in original.split())
    elif mode == "replace":
        if not replacement or not replacement.strip():
            raise ModelsError("mode 'replace' needs a non-empty replacement step")
        new = replacement.strip()
    else:
        raise ModelsError(f"unknown corruption mode {mode!r}; valid: mistake, paraphrase, "
                          "filler, replace")
    steps[step] = new
    return steps


def corrupted_steps(item, step: int, mode: str, replacement: str | None = None) -> list[str]:
    """An item's sound chain with one step corrupted (`corrupt_step`); a mistake at the
    item's flaw step is the generator's own designed mistake (it has one for every item, where
    `insert_mistake` may find nothing to change)."""
    if mode == "mistake" and item.task != "custom" and step % len(item.sound) == item.flaw_step:
        return corrupt_step(item.sound, step, "replace", replacement=item.flawed[item.flaw_step])
    return corrupt_step(item.sound, step, mode, replacement=replacement,
                        paraphrase=item.paraphrases[step])


@dataclass
class AnswerScores:
    """Candidate answers scored after each prompt.

    Attributes:
        logprobs: `[prompts, candidates]`: log P(candidate's tokens | prompt).
        prompt_ids: per prompt, the exact token ids the model saw.
    """

    candidates: list[str]
    logprobs: np.ndarray
    prompt_ids: list[list[int]]

    def choice(self, row: int) -> str:
        return self.candidates[int(np.argmax(self.logprobs[row]))]

    def probability(self, row: int, candidate: str) -> float:
        """P(candidate) after the prompt, renormalised over the candidates."""
        scores = self.logprobs[row]
        shifted = np.exp(scores - scores.max())
        return float(shifted[self.candidates.index(candidate)] / shifted.sum())


def sequence_logprobs(model: TextModel, prompts: Sequence[list[int]],
                      continuations: Sequence[list[int]], batch: int = 16) -> np.ndarray:
    """log P(continuation | prompt) for each (prompt ids, continuation ids) pair, batched."""
    model = check_causal(model)
    pad = model.tokenizer.pad_token_id or 0
    out = np.zeros(len(prompts))
    for start in range(0, len(prompts), batch):
        rows = [list(p) + list(c) for p, c in zip(prompts[start:start + batch],
                                                  continuations[start:start + batch],
                                                  strict=True)]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        with torch.inference_mode():
            logits = model.net(input_ids=ids.to(model.device),
                               attention_mask=mask.to(model.device), use_cache=False).logits
        logp = torch.log_softmax(logits.double().cpu(), dim=-1)
        for i, (p, c) in enumerate(zip(prompts[start:start + batch],
                                       continuations[start:start + batch], strict=True)):
            positions = torch.arange(len(p) - 1, len(p) - 1 + len(c))
            out[start + i] = float(logp[i, positions, torch.tensor(c)].sum())
    return out


def candidate_logprobs(model: TextModel, prompt: list[int],
                       candidates: Sequence[list[int]]) -> np.ndarray:
    """log P(candidate | prompt) for several candidates, running the prompt once.

    The prompt's KV cache is repeated for the candidates, whose tokens (all but the last) run
    as one right-padded batch; `sequence_logprobs` gives the same numbers without the cache.
    """
    model = check_causal(model)
    device = model.device
    with torch.inference_mode():
        out = model.net(input_ids=torch.tensor([prompt], device=device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].double().cpu(), dim=-1)
        scores = np.array([float(first[c[0]]) for c in candidates])
        longest = max(len(c) for c in candidates)
        if longest > 1:
            cache = output_cache(out)
            cache.batch_repeat_interleave(len(candidates))
            pad = model.tokenizer.pad_token_id or 0
            ids = torch.full((len(candidates), longest - 1), pad, dtype=torch.long)
            mask = torch.zeros((len(candidates), len(prompt) + longest - 1), dtype=torch.long)
            mask[:, : len(prompt)] = 1
            for r, c in enumerate(candidates):
                ids[r, : len(c) - 1] = torch.tensor(c[:-1])
                mask[r, len(prompt): len(prompt) + len(c) - 1] = 1
            rest = model.net(input_ids=ids.to(device), attention_mask=mask.to(device),
                             use_cache=True, **{cache_argument(model): cache})
            logp = torch.log_softmax(rest.logits.double().cpu(), dim=-1)
            for r, c in enumerate(candidates):
                scores[r] += sum(float(logp[r, j - 1, c[j]]) for j in range(1, len(c)))
    return scores


def score_answers(model: TextModel, question: str, chains: Sequence[str],
                  candidates: Sequence[str]) -> AnswerScores:
    """Each candidate's log-probability after the question and each chain (one row each)."""
    model = check_causal(model)
    if not candidates:
        raise ModelsError("give at least one candidate answer")
    prompts = [prompt_ids(model, question, chain) for chain in chains]
    answers = [answer_ids(model, c) for c in candidates]
    rows = []
    for prompt in prompts:
        check_cancelled()
        rows.append(candidate_logprobs(model, prompt, answers))
    return AnswerScores(list(candidates), np.array(rows), prompts)


def step_spans(model: TextModel, question: str, steps: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans `[start, end)` in the prompt of: the question turn, each step, the cue.

    Boundaries come from tokenizing growing prefixes of the prompt, so they are exact wherever
    the tokenizer splits at the spaces between steps (byte-level BPE does).
    """
    _, templated = _head(model, question)
    head, _ = _head(model, question)

    def length(text: str) -> int:
        return len(model.tokenizer(text, add_special_tokens=not templated)["input_ids"])

    bounds = [0, length(head)]
    for i in range(len(steps)):
        bounds.append(length(head + chain_text(steps[: i + 1])))
    bounds.append(len(prompt_ids(model, question, chain_text(steps))))
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def items_for(model: TextModel, task: str, n: int, seed: int = 0,
              difficulty: str | None = None) -> list:
    """`make_items` keeping only items whose three chains tokenize to the same length under
    this model's tokenizer (so any two of them can be patched position by position)."""
    from models.reasoning.items import make_items

    def same_length(item) -> bool:
        return len({len(prompt_ids(model, item.question, chain_text(item.chain(kind))))
                    for kind in ("sound", "flawed", "control")}) == 1

    return make_items(task, n, seed=seed, difficulty=difficulty, same_length=same_length)
