"""Activation patching of the residual stream between two runs of equal length.

Both runs are scored on the same answer tokens (teacher forcing). For each chosen block and
token position, the target run is repeated with the block's output at that position replaced by
the source run's, and the answer's log-probability is read. Patching every position of a block
reproduces the source run exactly (the rest of the network only sees patched values), which the
tests check. Positions before the first token where the two runs differ carry identical
residuals in a causal model, so patching them changes nothing: they are reported as exactly 0
without being run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from models.cancellation import check_cancelled
from models.errors import ModelsError
from models.interventions import first_tensor, replace_first
from models.text import TextModel


def residual_layers(model: TextModel) -> list[str]:
    """The model's residual-stream layers (one per block), in order."""
    return [info.layer for info in model.layers() if info.kind == "residual"]


def record_residuals(model: TextModel, ids: Sequence[int], layers: Sequence[str]
                     ) -> dict[str, torch.Tensor]:
    """Each layer's residual stream `[tokens, d]` over one sequence, from one forward pass."""
    store: dict[str, torch.Tensor] = {}
    handles = []
    for layer in layers:
        module = model.net.get_submodule(model.layer_spec(layer).point.module)

        def keep(_m, _a, output, layer=layer):
            store[layer] = first_tensor(output)[0].detach().clone()

        handles.append(module.register_forward_hook(keep))
    try:
        with torch.inference_mode():
            model.net(input_ids=torch.tensor([list(ids)], device=model.device), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    return store


@contextmanager
def patched(model: TextModel, layer: str, source: torch.Tensor,
            rows: Sequence[Sequence[int]]) -> Iterator[None]:
    """While inside, row r of a batch gets `source` at positions `rows[r]` of `layer`'s output."""
    module = model.net.get_submodule(model.layer_spec(layer).point.module)

    def hook(_m, _a, output):
        hidden = first_tensor(output).clone()
        for r, positions in enumerate(rows):
            if len(positions):
                index = torch.as_tensor(list(positions), device=hidden.device)
                hidden[r, index] = source[index].to(hidden.dtype)
        return replace_first(output, hidden)

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _answer_logprob(logits: torch.Tensor, prompt_len: int, answer: Sequence[int]) -> np.ndarray:
    logp = torch.log_softmax(logits.double().cpu(), dim=-1)
    positions = torch.arange(prompt_len - 1, prompt_len - 1 + len(answer))
    return logp[:, positions, torch.tensor(list(answer))].sum(dim=1).numpy()


@dataclass
class PatchResult:
    """Answer log-probabilities of a patching sweep.

    Attributes:
        effects: `[layers, positions]`: patched minus target log P(answer).
        all_positions: per layer, the effect of patching every position at once.
        first_difference: the first position where source and target differ.
    """

    layers: list[str]
    positions: list[int]
    effects: np.ndarray
    all_positions: np.ndarray
    source_logprob: float
    target_logprob: float
    first_difference: int


def patch_sweep(model: TextModel, source_ids: Sequence[int], target_ids: Sequence[int],
                answer: Sequence[int], layers: Sequence[str],
                positions: Sequence[int] | None = None, batch: int = 16) -> PatchResult:
    """Patch each (layer, position) of the source run into the target run.

    Args:
        source_ids, target_ids: the two prompts' token ids; they must have the same length.
        answer: the answer's token ids, appended to both runs and scored.
        layers: residual layers (`residual_layers`).
        positions: prompt positions to patch one at a time (default: every prompt position).

    Cancellation (`models.cancellation`) is checked between batches.
    """
    if len(source_ids) != len(target_ids):
        raise ModelsError(f"the two prompts have {len(source_ids)} and {len(target_ids)} "
                          "tokens; patching position by position needs prompts of equal length "
                          "(change the wording so both tokenize to the same length)")
    known = set(residual_layers(model))
    bad = [layer for layer in layers if layer not in known]
    if bad:
        raise ModelsError(f"not residual layers of {model.name}: {bad}; valid: "
                          f"{', '.join(residual_layers(model))}")
    length = len(target_ids)
    positions = list(range(length)) if positions is None else list(positions)
    if any(not 0 <= p < length for p in positions):
        raise ModelsError(f"positions must lie within the prompt's {length} tokens")
    source = list(source_ids) + list(answer)
    target = list(target_ids) + list(answer)
    differs = [i for i, (a, b) in enumerate(zip(source, target, strict=True)) if a != b]
    first = differs[0] if differs else len(source)
    residuals = record_residuals(model, source, layers)
    ids = torch.tensor([target], device=model.device)
    with torch.inference_mode():
        base = _answer_logprob(model.net(input_ids=ids, use_cache=False).logits, length, answer)
        src = _answer_logprob(model.net(input_ids=torch.tensor([source], device=model.device),
                                        use_cache=False).logits, length, answer)
    effects = np.zeros((len(layers), len(positions)))
    full = np.zeros(len(layers))
    everything = list(range(len(target)))
    for li, layer in enumerate(layers):
        jobs = [(j, [p]) for j, p in enumerate(positions) if p >= first] + [(-1, everything)]
        for start in range(0, len(jobs), batch):
            check_cancelled()
            chunk = jobs[start:start + batch]
            with torch.inference_mode(), patched(model, layer, residuals[layer],
                                                 [rows for _, rows in chunk]):
                logits = model.net(input_ids=ids.repeat(len(chunk), 1), use_cache=False).logits
            values = _answer_logprob(logits, length, answer) - base[0]
            for (j, _), value in zip(chunk, values, strict=True):
                if j < 0:
                    full[li] = value
                else:
                    effects[li, j] = value
    return PatchResult(list(layers), positions, effects, full, float(src[0]), float(base[0]),
                       first)
