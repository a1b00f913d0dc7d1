"""Causal interventions on one unit of a language model: ablation, steering, direct logit effect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from models.errors import ModelsError
from models.sae.layers import latent_direction, latent_edit, sae_of
from models.text import TextLayer, TextModel, output_matrix

# Final norms before the unembedding, by architecture family (first one present wins).
_FINAL_NORMS = (
    "model.norm",  # Llama, Mistral, Qwen, Gemma, SmolLM
    "transformer.ln_f",  # GPT-2, GPT-J
    "gpt_neox.final_layer_norm",  # Pythia
    "model.final_layernorm",  # Phi
    "model.decoder.final_layer_norm",  # OPT
)
# The MLP output projection that reads a neuron, relative to the block, for layers whose
# neurons are read at a module's output (BERT's `intermediate` feeds `output.dense`).
_DOWN_AFTER_OUTPUT = {"intermediate": "output.dense"}

Edit = Callable[[torch.Tensor], torch.Tensor]


class InterventionError(ModelsError):
    """An intervention that is not defined for this model or unit; the message says why."""


@dataclass(frozen=True)
class TokenWeight:
    """A vocabulary token and its weight in a unit's direct effect on the logits."""

    token_id: int
    token: str
    weight: float


@dataclass(frozen=True)
class LogitEffect:
    """The tokens a unit pushes up and down through the unembedding.

    Attributes:
        promoted: the k tokens with the largest weights, largest first.
        suppressed: the k tokens with the most negative weights, most negative first.
        method: how the direction was obtained, for people.
    """

    promoted: list[TokenWeight]
    suppressed: list[TokenWeight]
    method: str


def _layer(model: TextModel, layer: str, index: int) -> TextLayer:
    """The TextLayer of a unit, after checking the model is a real network and the index."""
    if not isinstance(model, TextModel):
        raise InterventionError(
            f"{getattr(model, 'name', model)!r} is not a neural language model: interventions "
            "need a real LM (for example smollm2-135m-instruct); synthetic units are computed "
            "from the text alone and have no network to intervene on"
        )
    model.check_index(layer, index)
    return model.layer_spec(layer)


def replace_first(value: Any, new: torch.Tensor) -> Any:
    """`value` with its first tensor replaced (module outputs are tensors or tuples)."""
    if isinstance(value, torch.Tensor):
        return new
    if isinstance(value, tuple):
        return (new, *value[1:])
    if isinstance(value, list):
        return [new, *value[1:]]
    raise TypeError(f"cannot edit a {type(value).__name__}")


def first_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    raise TypeError(f"cannot read a tensor from {type(value).__name__}")


@contextmanager
def _edit_at(net: nn.Module, module_path: str, port: str, edit: Edit) -> Iterator[None]:
    """Apply `edit` to the input or output tensor of a module during every forward pass.

    The hook is removed on every exit path, errors included, so a failed experiment never
    leaves the shared model modified.
    """
    module = net.get_submodule(module_path)
    if port == "input":
        def pre_hook(_module, args, kwargs):
            if args:
                return (replace_first(args, edit(first_tensor(args))), kwargs)
            key = next(iter(kwargs))
            return args, {**kwargs, key: edit(kwargs[key])}

        handle = module.register_forward_pre_hook(pre_hook, with_kwargs=True)
    else:
        def post_hook(_module, _args, output):
            return replace_first(output, edit(first_tensor(output)))

        handle = module.register_forward_hook(post_hook)
    try:
        yield
    finally:
        handle.remove()


def _head_edit(heads: int, index: int, factor: float) -> Edit:
    """Scale one head's slice of the `[b, t, heads * head_dim]` output-projection input."""
    def edit(x: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        z = x.reshape(batch, tokens, heads, width // heads).clone()
        z[:, :, index] = z[:, :, index] * factor
        return z.reshape(batch, tokens, width)

    return edit


def _neuron_edit(index: int, value: float, mode: str) -> Edit:
    """Set (`mode="set"`) or shift (`mode="add"`) one coordinate of the last dimension."""
    def edit(x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        if mode == "set":
            x[..., index] = value
        else:
            x[..., index] = x[..., index] + value
        return x

    return edit


def _project_out(index: int) -> Edit:
    def edit(x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        x[..., index] = 0.0  # the projection onto basis direction e_i is coordinate i
        return x

    return edit


@contextmanager
def ablate(model: TextModel, layer: str, index: int) -> Iterator[None]:
    """Zero-ablate one unit during every forward pass run inside the `with` block.

    MLP neuron: its activation (the input of the down projection) is set to zero at every
    position. Attention head: its slice of the output-projection input is zeroed, removing
    its write into the residual stream. Residual direction: basis direction `index` is
    projected out of the block's output. Vocabulary logits cannot be ablated meaningfully
    (logits are only defined up to a shift, so "zero" is arbitrary); use `steer` on them.

    Raises:
        InterventionError: synthetic units, logit units.
        UnknownLayerError, UnitIndexError: a bad layer or index.
    """
    spec = _layer(model, layer, index)
    kind = spec.info.kind
    if kind == "mlp_neuron":
        edit = _neuron_edit(index, 0.0, "set")
    elif kind == "attention_head":
        edit = _head_edit(spec.info.units, index, 0.0)
    elif kind == "residual":
        edit = _project_out(index)
    elif kind == "sae_latent":
        # removes the latent's own contribution, keeping the rest (and the SAE's error)
        edit = latent_edit(spec, index, "ablate")
    else:
        raise InterventionError(
            f"{layer} holds vocabulary logits: a logit cannot be ablated meaningfully (logits "
            "are defined up to a constant, so zero is not 'off'); steer it with a negative "
            "scale instead, or ablate a neuron, head or residual direction that feeds it"
        )
    with _edit_at(model.net, spec.point.module, spec.point.port, edit):
        yield


@contextmanager
def steer(model: TextModel, layer: str, index: int, scale: float) -> Iterator[None]:
    """Steer one unit during every forward pass run inside the `with` block.

    MLP neuron: `scale` is added to its activation at every position (0 changes nothing).
    Residual direction: `scale` times basis direction `index` is added to the block output
    (0 changes nothing). Attention head: its output is multiplied by `scale` (1 changes
    nothing, 0 ablates it). Vocabulary logit: `scale` is added to that token's logit. SAE
    latent: `scale` times its decoder row is added where the SAE reads.

    Raises:
        InterventionError: synthetic units.
        UnknownLayerError, UnitIndexError: a bad layer or index.
    """
    spec = _layer(model, layer, index)
    kind = spec.info.kind
    if kind == "attention_head":
        edit = _head_edit(spec.info.units, index, float(scale))
    elif kind == "sae_latent":
        edit = latent_edit(spec, index, "steer", float(scale))  # scale x its decoder row
    else:
        edit = _neuron_edit(index, float(scale), "add")
    with _edit_at(model.net, spec.point.module, spec.point.port, edit):
        yield


def _final_norm_weight(net: nn.Module) -> tuple[torch.Tensor | None, str]:
    for path in _FINAL_NORMS:
        try:
            norm = net.get_submodule(path)
        except AttributeError:
            continue
        weight = getattr(norm, "weight", None)
        if isinstance(weight, torch.Tensor):
            return weight.detach(), path
    return None, ""


def _unembedding(model: TextModel) -> nn.Module:
    head = model.net.get_output_embeddings() if hasattr(model.net, "get_output_embeddings") else None
    if head is None:
        raise InterventionError(
            f"{model.name} has no unembedding (it is an encoder without a language-model "
            "head), so a unit's effect on next-token logits is not defined for it"
        )
    return head


def _down_column(model: TextModel, spec: TextLayer, index: int) -> torch.Tensor:
    """The residual-stream direction one MLP neuron writes: column `index` of the down proj."""
    if spec.point.port == "input":
        module = model.net.get_submodule(spec.point.module)
    else:
        block, _, label = spec.point.module.rpartition(".")
        module = model.net.get_submodule(f"{block}.{_DOWN_AFTER_OUTPUT[label]}")
    return output_matrix(module)[:, index].detach()


def _head_write(model: TextModel, spec: TextLayer, index: int, prompt: str) -> torch.Tensor:
    """The head's write into the residual stream at the prompt's last token."""
    from models.hooks import capture

    batch = model.tokenize([prompt])
    inputs = {k: v.to(model.device) for k, v in batch.items()}
    with torch.inference_mode(), capture(model.net, spec.point) as store:
        model.net(**inputs, use_cache=False)
    heads = spec.info.units
    last = int(batch["attention_mask"][0].sum()) - 1
    z = store["value"][0, last]
    head_dim = z.shape[-1] // heads
    w_out = output_matrix(model.net.get_submodule(spec.point.module)).detach()
    columns = slice(index * head_dim, (index + 1) * head_dim)
    return w_out[:, columns] @ z[columns]


def direct_logit_effect(
    model: TextModel, layer: str, index: int, k: int = 10, prompt: str | None = None
) -> LogitEffect:
    """The tokens a unit directly promotes and suppresses through the unembedding.

    The unit's write direction `d` into the residual stream (MLP neuron: the down-projection
    column `W_down[:, index]`; residual: the basis direction `e_index`; attention head: its
    actual write `W_O[:, head] z_head` at the last token of `prompt`, since a head has no fixed
    direction) is multiplied elementwise by the final norm's weight and read out by the
    unembedding: `W_U (g * d)`. The final norm's data-dependent part (the division by the RMS
    or the centring of a LayerNorm) is ignored: it rescales every token alike for a given
    input, so the ranking of tokens is what this measures, not calibrated logit changes.

    Args:
        model: a causal language model with an unembedding.
        layer: the unit's layer.
        index: the unit's index.
        k: how many promoted and suppressed tokens to return.
        prompt: attention heads only: the text whose last token the head's write is taken at.

    Raises:
        InterventionError: encoders without an LM head, logit units, heads without a prompt.
    """
    spec = _layer(model, layer, index)
    head = _unembedding(model)
    kind = spec.info.kind
    if kind == "mlp_neuron":
        direction, method = _down_column(model, spec, index), "down-projection column"
    elif kind == "residual":
        direction = torch.zeros(head.in_features, device=model.device)
        direction[index] = 1.0
        method = "residual basis direction"
    elif kind == "attention_head":
        if not prompt:
            raise InterventionError(
                "an attention head writes a different vector for every input, so its logit "
                "effect needs a prompt: the head's write at the prompt's last token is used"
            )
        direction = _head_write(model, spec, index, prompt)
        method = "head write at the prompt's last token"
    elif kind == "sae_latent":
        sae = sae_of(spec)
        assert sae is not None
        direction = latent_direction(sae, index).to(model.device)
        method = "SAE decoder row"
    else:
        raise InterventionError(
            f"{layer}:{index} is itself the logit of one token "
            f"({model.tokenizer.decode([index])!r}); its logit effect is that token alone"
        )
    weight, norm_path = _final_norm_weight(model.net)
    if weight is not None:
        direction = direction * weight
        method += f" x {norm_path}.weight (norm scale ignored)"
    with torch.inference_mode():
        logits = head.weight.detach() @ direction.to(head.weight.dtype)
    k = max(1, min(k, logits.numel()))
    top = torch.topk(logits, k)
    bottom = torch.topk(-logits, k)

    def rows(ids: torch.Tensor) -> list[TokenWeight]:
        return [TokenWeight(int(i), model.tokenizer.decode([int(i)]), float(logits[i]))
                for i in ids.tolist()]

    return LogitEffect(rows(top.indices), rows(bottom.indices), method)
