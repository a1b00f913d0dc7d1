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
from studies.regularization.config import EditConfig
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
        raise ValueError(f"edit.layer {layer} is out of range: {model.name} has blocks "
                         f"0..{len(blocks) - 1}")
    path = mlp_neuron_input(model.net, blocks[layer])
    module = model.net.get_submodule(path) if path else None
    if not isinstance(module, nn.Linear):
        raise ValueError(f"{model.name}: block {layer} has no nn.Linear MLP output projection "
                         f"to edit (found {type(module).__name__})")
    return path


def _batch(model: TextModel, texts: Sequence[str]) -> dict[str, torch.Tensor]:
    encoded = model.tokenizer(list(texts), return_tensors="pt", padding=True)
    return {k: v.to(model.device) for k, v in encoded.items()}


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


def compute_edit(model: TextModel, fact: Fact, module: str, covariance: torch.Tensor,
                 prefixes: Sequence[str], config: EditConfig) -> RankOneEdit:
    """Find k*, the value change d, and u for one fact (nothing is changed in the model)."""
    net = model.net
    prompts = [f"{p} {fact.prompt}".strip() for p in prefixes]
    # the key: the module's input at the subject's last token, averaged over prefixes
    batch = _batch(model, prompts)
    positions = [subject_position(model, p, fact.subject) for p in prompts]
    with torch.no_grad(), capture(net, HookPoint(module, "input")) as store:
        net(**batch, use_cache=False)
    rows = torch.arange(len(prompts))
    key = store["value"][rows, positions].double().mean(dim=0)  # [d_in]
    weight = net.get_submodule(module).weight
    value = (weight.double() @ key).float()  # [d_out]

    # the value change: optimise d added at the subject position so the new object wins
    tokenizer = model.tokenizer
    target = tokenizer(" " + fact.new_object, add_special_tokens=False)["input_ids"]
    rows_ids = [tokenizer(p)["input_ids"] + target for p in prompts]
    essence = f"{fact.subject} is a"
    rows_ids.append(tokenizer(essence)["input_ids"])
    positions = positions + [subject_position(model, essence, fact.subject)]
    width = max(len(r) for r in rows_ids)
    pad = tokenizer.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows_ids], device=model.device)
    mask = (torch.arange(width)[None, :] < torch.tensor([len(r) for r in rows_ids])[:, None])
    mask = mask.long().to(model.device)
    delta = torch.zeros_like(value, requires_grad=True)
    hook_rows = torch.arange(len(rows_ids), device=model.device)
    hook_cols = torch.tensor(positions, device=model.device)

    def add_delta(_module, _args, output):
        output = output.clone()
        output[hook_rows, hook_cols] += delta.to(output.dtype)
        return output

    def run() -> torch.Tensor:
        handle = net.get_submodule(module).register_forward_hook(add_delta)
        try:
            return net(input_ids=ids, attention_mask=mask, use_cache=False).logits.float()
        finally:
            handle.remove()

    with torch.no_grad():
        essence_row, essence_end = len(prompts), len(rows_ids[-1]) - 1
        base_essence = net(input_ids=ids, attention_mask=mask, use_cache=False).logits[
            essence_row, essence_end].float().log_softmax(-1)
    optimizer = torch.optim.Adam([delta], lr=config.learning_rate)
    limit = config.max_delta_ratio * value.norm()
    losses = []
    for _ in range(config.steps):
        logp = run().log_softmax(-1)
        nll = []
        for row in range(len(prompts)):
            start = len(rows_ids[row]) - len(target)
            picked = logp[row, start - 1:start - 1 + len(target)].gather(
                -1, torch.tensor(target, device=model.device)[:, None])
            nll.append(-picked.mean())
        kl = torch.nn.functional.kl_div(logp[essence_row, essence_end], base_essence,
                                        log_target=True, reduction="sum")
        loss = torch.stack(nll).mean() + config.kl_weight * kl
        losses.append(float(torch.stack(nll).mean().detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            if delta.norm() > limit:
                delta.mul_(limit / delta.norm())

    # the rank-one direction: u = C^-1 k* / (k*^T C^-1 k*), ridge-stabilised
    cov = covariance.double().to(key.device)
    ridge = 1e-4 * cov.diagonal().mean()
    solved = torch.linalg.solve(cov + ridge * torch.eye(cov.shape[0], dtype=cov.dtype,
                                                         device=cov.device), key)
    u = solved / (key @ solved)
    return RankOneEdit(fact, module, delta.detach().float(), u.float(), losses[0], losses[-1])


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
