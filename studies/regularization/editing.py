"""Rank-one factual edits of an MLP output projection, after ROME (Meng et al. 2022).

The MLP output projection W of one block is treated as a linear key-value memory: a key k is
the projection's input (the MLP neuron activations) at the subject's last token, its value is
W k. An edit finds a key k* for the subject (averaged over a few context prefixes), a value
change d that makes the model prefer the new object when added at that position, and then
the minimal change of W (under the key covariance C) that maps k* to W k* + d:

    W' = W + d u^T,   u = C^-1 k* / (k*^T C^-1 k*)

so W' k* = W k* + d, and keys uncorrelated with k* under C move little. Edits are applied to the
live weights inside `applied(...)` and restored exactly when it exits.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from models.hooks import HookPoint, capture
from models.text import TextModel
from models.variants import mlp_neuron_input
from studies.regularization.config import EditConfig, StudyConfigError
from studies.regularization.facts import Fact, object_logprobs
from studies.regularization.train import mlp_blocks


@dataclass(frozen=True)
class RankOneEdit:
    """One computed edit: `weight += outer(delta, u)` on the module at `module` (d_out x d_in)."""

    fact: Fact
    module: str
    delta: torch.Tensor  # [d_out], the value change at the subject's last token
    u: torch.Tensor  # [d_in], C^-1 k* / (k*^T C^-1 k*)
    loss_before: float
    loss_after: float


@dataclass(frozen=True)
class EditScores:
    """How an edit did, in CounterFact's terms (Meng et al. 2022).

    Attributes:
        efficacy: 1.0 if the new object is more probable than the old on the edit prompt.
        generalization: fraction of paraphrases where the new object beats the old.
        specificity: fraction of neighbour prompts where the neighbour's true object still
            beats the new object.
        margin: mean log-prob of the new object minus the old one on the edit prompt.
    """

    efficacy: float
    generalization: float
    specificity: float
    margin: float

    def to_json(self) -> dict:
        return dict(self.__dict__)


def edit_module(model: TextModel, layer: int) -> str:
    """The path of block `layer`'s MLP output projection (the module ROME edits)."""
    blocks = mlp_blocks(model)
    if not 0 <= layer < len(blocks):
        raise StudyConfigError(f"edit.layer {layer} is out of range: {model.name} has blocks "
                         f"0..{len(blocks) - 1}")
    path = mlp_neuron_input(model.net, blocks[layer])
    module = model.net.get_submodule(path) if path else None
    if not isinstance(module, nn.Linear):
        raise StudyConfigError(f"{model.name}: block {layer} has no nn.Linear MLP output projection "
                         f"to edit (found {type(module).__name__})")
    return path


def _batch(model: TextModel, texts: Sequence[str]) -> dict[str, torch.Tensor]:
    return {k: v.to(model.device) for k, v in model.tokenize(texts).items()}


def key_covariance(model: TextModel, module: str, texts: Sequence[str],
                   batch_size: int = 16) -> torch.Tensor:
    """The uncentered second moment E[k k^T] of `module`'s input over real tokens, `[d_in, d_in]`."""
    total, count = None, 0
    for start in range(0, len(texts), batch_size):
        batch = _batch(model, texts[start:start + batch_size])
        with torch.no_grad(), capture(model.net, HookPoint(module, "input")) as store:
            model.net(**batch, use_cache=False)
        keys = store["value"][batch["attention_mask"].bool()].double()  # [tokens, d_in]
        total = keys.T @ keys if total is None else total + keys.T @ keys
        count += keys.shape[0]
    return (total / count).cpu()


def subject_position(model: TextModel, text: str, subject: str) -> int:
    """Index of the token holding the last character of the last `subject` in `text`."""
    end = text.rindex(subject) + len(subject)
    offsets = model.tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
    for index, (begin, stop) in enumerate(offsets):
        if begin < end <= stop:
            return index
    raise ValueError(f"no token covers the end of {subject!r} in {text!r}")


def context_prefixes(texts: Sequence[str], count: int, seed: int) -> list[str]:
    """The empty prefix plus `count` short ones: the first six words of random texts."""
    rng = random.Random(seed)
    chosen = rng.sample(list(texts), min(count, len(texts)))
    return [""] + [" ".join(text.split()[:6]).rstrip(".!?,;:") + "." for text in chosen]


def subject_key(model: TextModel, fact: Fact, module: str,
                prefixes: Sequence[str]) -> torch.Tensor:
    """k*: `module`'s input at the subject's last token, averaged over the prefixed prompts,
    `[d_in]` (float64)."""
    prompts = [f"{p} {fact.prompt}".strip() for p in prefixes]
    positions = [subject_position(model, p, fact.subject) for p in prompts]
    with torch.no_grad(), capture(model.net, HookPoint(module, "input")) as store:
        model.net(**_batch(model, prompts), use_cache=False)
    return store["value"][torch.arange(len(prompts)), positions].double().mean(dim=0)


def value_change(model: TextModel, fact: Fact, module: str, prefixes: Sequence[str],
                 limit: float, config: EditConfig) -> tuple[torch.Tensor, list[float]]:
    """d: the change of `module`'s output at the subject's last token that makes the new object
    likely after every prefixed prompt, while a KL term keeps the next-token distribution after
    "<subject> is a" (ROME's essence prompt). The norm of d is kept <= `limit`.

    Returns:
        d `[d_out]`, and the new object's mean negative log-likelihood at each step.
    """
    net, tokenizer, device = model.net, model.tokenizer, model.device
    prompts = [f"{p} {fact.prompt}".strip() for p in prefixes]
    essence = f"{fact.subject} is a"
    target = tokenizer(" " + fact.new_object, add_special_tokens=False)["input_ids"]
    rows = [tokenizer(p)["input_ids"] + target for p in prompts] + [tokenizer(essence)["input_ids"]]
    positions = [subject_position(model, text, fact.subject) for text in [*prompts, essence]]
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=device)
    mask = (torch.arange(width)[None, :] < torch.tensor([len(r) for r in rows])[:, None])
    mask = mask.long().to(device)
    targets = torch.tensor(target, device=device)[:, None]
    essence_row, essence_end = len(prompts), len(rows[-1]) - 1
    hook_rows = torch.arange(len(rows), device=device)
    hook_cols = torch.tensor(positions, device=device)
    with torch.no_grad():
        logits = net(input_ids=ids, attention_mask=mask, use_cache=False).logits
        essence_before = logits[essence_row, essence_end].float().log_softmax(-1)
    delta = torch.zeros(net.get_submodule(module).weight.shape[0], device=device,
                        requires_grad=True)

    def add_delta(_module, _args, output):
        output = output.clone()
        output[hook_rows, hook_cols] += delta.to(output.dtype)
        return output

    optimizer = torch.optim.Adam([delta], lr=config.learning_rate)
    losses = []
    for _ in range(config.steps):
        handle = net.get_submodule(module).register_forward_hook(add_delta)
        try:
            logp = net(input_ids=ids, attention_mask=mask,
                       use_cache=False).logits.float().log_softmax(-1)
        finally:
            handle.remove()
        nll = torch.stack([
            -logp[row, len(rows[row]) - len(target) - 1:len(rows[row]) - 1].gather(
                -1, targets).mean() for row in range(len(prompts))]).mean()
        kl = torch.nn.functional.kl_div(logp[essence_row, essence_end], essence_before,
                                        log_target=True, reduction="sum")
        losses.append(float(nll.detach()))
        optimizer.zero_grad()
        (nll + config.kl_weight * kl).backward()
        optimizer.step()
        with torch.no_grad():
            if delta.norm() > limit:
                delta.mul_(limit / delta.norm())
    return delta.detach(), losses


def compute_edit(model: TextModel, fact: Fact, module: str, covariance: torch.Tensor,
                 prefixes: Sequence[str], config: EditConfig) -> RankOneEdit:
    """Find k*, the value change d and u for one fact (nothing in the model is changed)."""
    key = subject_key(model, fact, module, prefixes)
    weight = model.net.get_submodule(module).weight
    value = (weight.double() @ key).float()  # [d_out], W k*
    delta, losses = value_change(model, fact, module, prefixes,
                                 config.max_delta_ratio * float(value.norm()), config)
    # u = C^-1 k* / (k*^T C^-1 k*), with a small ridge for rank-deficient estimates
    cov = covariance.double().to(key.device)
    ridge = 1e-4 * cov.diagonal().mean() * torch.eye(cov.shape[0], dtype=cov.dtype,
                                                      device=cov.device)
    solved = torch.linalg.solve(cov + ridge, key)
    u = solved / (key @ solved)
    return RankOneEdit(fact, module, delta.float(), u.float(), losses[0], losses[-1])


@contextmanager
def applied(model: TextModel, edit: RankOneEdit) -> Iterator[None]:
    """Apply `edit` to the live weights; the original tensor is restored exactly on exit."""
    weight = model.net.get_submodule(edit.module).weight
    original = weight.detach().clone()
    with torch.no_grad():
        weight.add_(torch.outer(edit.delta, edit.u).to(weight.device, weight.dtype))
    try:
        yield
    finally:
        with torch.no_grad():
            weight.copy_(original)


def score_fact(model: TextModel, fact: Fact) -> EditScores:
    """CounterFact-style scores of the model's current weights on one fact (one forward)."""
    prompts, objects = [], []
    for prompt in (fact.prompt, *fact.paraphrases):
        prompts += [prompt, prompt]
        objects += [fact.new_object, fact.true_object]
    for prompt, true in fact.neighbours:
        prompts += [prompt, prompt]
        objects += [fact.new_object, true]
    scores = object_logprobs(model, prompts, objects).view(-1, 2)  # [prompts, (new, true)]
    wins = (scores[:, 0] > scores[:, 1]).float()
    paraphrases = len(fact.paraphrases)
    return EditScores(
        efficacy=float(wins[0]),
        generalization=float(wins[1:1 + paraphrases].mean()),
        specificity=float(1 - wins[1 + paraphrases:].mean()),
        margin=float(scores[0, 0] - scores[0, 1]))
