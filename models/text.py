"""Language subject models: causal LMs and encoders from transformers, one wrapper."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from models.base import HookedModel, LayerInfo, LayerRecording, frozen_on_device
from models.errors import ModelsError
from models.hooks import HookPoint, capture

# Where a block's MLP neurons and attention-head outputs are read, by architecture family:
# (path inside the block, port, name of the layer printed to users).
_MLP_POINTS = (
    ("mlp.down_proj", "input", "mlp"),  # Llama, Gemma, Mistral, Qwen, SmolLM
    ("mlp.c_proj", "input", "mlp"),  # GPT-2
    ("mlp.dense_4h_to_h", "input", "mlp"),  # Pythia / GPT-NeoX
    ("mlp.fc_out", "input", "mlp"),  # GPT-J
    ("mlp.fc2", "input", "mlp"),  # CLIP text, Phi
    ("fc2", "input", "fc2"),  # OPT
    ("intermediate", "output", "intermediate"),  # BERT, MiniLM
)
_ATTENTION_POINTS = (
    ("self_attn.o_proj", "input", "self_attn"),
    ("attn.c_proj", "input", "attn"),
    ("attention.dense", "input", "attention"),
    ("attn.out_proj", "input", "attn"),
    ("self_attn.out_proj", "input", "self_attn"),
    ("attention.output.dense", "input", "attention"),
)


@dataclass(frozen=True)
class TextLayer:
    """A layer of a language model and how to turn its captured tensor into `[b, units, t]`."""

    info: LayerInfo
    point: HookPoint
    to_maps: Callable[[torch.Tensor], torch.Tensor]
    final: bool = False


def _per_token(raw: torch.Tensor) -> torch.Tensor:
    return raw.transpose(1, 2)


def _find_blocks(net: nn.Module, count: int) -> str:
    """The path of the ModuleList holding the net's `count` transformer blocks."""
    for path, module in net.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) == count:
            return path
    raise ValueError(f"could not find the {count} transformer blocks of {type(net).__name__}")


def output_matrix(module: nn.Module) -> torch.Tensor:
    """The weight as `[out, in]` (GPT-2's Conv1D stores it transposed)."""
    weight = module.weight
    if isinstance(module, nn.Linear):
        return weight
    return weight.t()


class TextModel(HookedModel):
    """A transformers language model wrapped for unit addressing and recording.

    Layers per block: MLP neurons (`<block>.mlp`), attention heads (`<block>.self_attn`:
    the norm of each head's write into the residual stream), the residual stream after the
    block (`<block>`, one unit per basis direction), and for causal LMs the vocabulary logits.
    `add_layer` adds layers computed from those activations (SAE latents, `models.sae`).
    Maps are per token; texts are right-padded, so padding never changes real tokens' values.
    """

    modality = "text"
    max_batch = 32

    def __init__(
        self,
        name: str,
        net: nn.Module,
        tokenizer,
        max_tokens: int = 256,
        device: str | torch.device | None = None,
    ) -> None:
        self.name = name
        self._device, self.net = frozen_on_device(net, device)
        self.tokenizer = tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        tokenizer.padding_side = "right"
        self.max_tokens = max_tokens
        self.config = net.config
        self._set_layers(self._build_layers())

    def add_layer(self, layer: TextLayer, after: str | None = None, replace: bool = False) -> None:
        """Add a layer computed from the net's activations (for example SAE latents).

        The layer reads its hook point like any built-in layer; `to_maps` turns the captured
        `[b, t, d]` tensor into `[b, units, t]`. It is listed right after `after` (a layer name),
        else before the final layer. With `replace`, a layer of the same name is swapped in place.

        Raises:
            ModelsError: the name is taken (without `replace`) or malformed, or the hook point
                is not in the net.
        """
        name = layer.info.layer
        if not name or ":" in name:
            raise ModelsError(f"bad layer name {name!r}: non-empty, without ':'")
        if not _has(self.net, layer.point.module):
            raise ModelsError(f"model {self.name!r} has no module {layer.point.module!r} to hook")
        if name in self._specs:
            if not replace:
                raise ModelsError(f"model {self.name!r} already has a layer {name!r}")
            at = next(i for i, known in enumerate(self._layers) if known.info.layer == name)
            self._layers[at] = layer
            self._specs[name] = layer
            return
        if after is not None:
            self.layer_info(after)
            position = next(i for i, known in enumerate(self._layers)
                            if known.info.layer == after) + 1
        else:
            position = next((i for i, known in enumerate(self._layers) if known.final),
                            len(self._layers))
        self._layers.insert(position, layer)
        self._specs[name] = layer

    def _build_layers(self) -> list[TextLayer]:
        config = self.config
        blocks_path = _find_blocks(self.net, config.num_hidden_layers)
        heads = config.num_attention_heads
        hidden = config.hidden_size
        layers: list[TextLayer] = []
        for i in range(config.num_hidden_layers):
            block = f"{blocks_path}.{i}"
            for sub, port, label in _MLP_POINTS:
                if _has(self.net, f"{block}.{sub}"):
                    module = self.net.get_submodule(f"{block}.{sub}")
                    width = output_matrix(module).shape[1] if port == "input" else (
                        [m for m in module.modules() if isinstance(m, nn.Linear)][-1].out_features)
                    layers.append(TextLayer(
                        LayerInfo(f"{block}.{label}", "mlp_neuron", width,
                                  f"MLP neurons of block {i}"),
                        HookPoint(f"{block}.{sub}", port), _per_token))
                    break
            for sub, _port, label in _ATTENTION_POINTS:
                if _has(self.net, f"{block}.{sub}"):
                    out_proj = self.net.get_submodule(f"{block}.{sub}")
                    layers.append(TextLayer(
                        LayerInfo(f"{block}.{label}", "attention_head", heads,
                                  f"attention heads of block {i} (norm of each head's output)"),
                        HookPoint(f"{block}.{sub}", "input"),
                        _head_norms(output_matrix(out_proj), heads)))
                    break
            layers.append(TextLayer(
                LayerInfo(block, "residual", hidden,
                          f"residual stream after block {i}, one unit per basis direction"),
                HookPoint(block, "output"), _per_token))
        head = self.net.get_output_embeddings() if hasattr(self.net, "get_output_embeddings") else None
        if head is not None:
            path = next(p for p, m in self.net.named_modules() if m is head)
            layers.append(TextLayer(
                LayerInfo(path, "logit", head.out_features, "next-token logits over the vocabulary"),
                HookPoint(path, "output"), _per_token, final=True))
        return layers

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return self.tokenizer(
            list(texts), return_tensors="pt", padding=True, truncation=True,
            max_length=self.max_tokens,
        )

    def token_strings(self, input_ids: torch.Tensor, length: int) -> list[str]:
        """Readable token strings (decoded one by one, so spaces show as spaces)."""
        return [self.tokenizer.decode([int(t)]) for t in input_ids[:length]]

    def record(
        self, layer: str, stimuli: Sequence[str], units: Sequence[int] | None = None
    ) -> LayerRecording:
        spec = self.layer_spec(layer)
        batch = self.tokenize(stimuli)
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        inputs = {k: v.to(self._device) for k, v in batch.items()}
        with torch.inference_mode(), capture(self.net, spec.point, stop=not spec.final) as store:
            self.net(**inputs, use_cache=False) if self.is_causal else self.net(**inputs)
        maps = spec.to_maps(store["value"])
        if units is not None:
            maps = maps[:, list(units)]
        tokens = [self.token_strings(batch["input_ids"][i], n) for i, n in enumerate(lengths)]
        return LayerRecording(maps=maps.float().cpu(), lengths=lengths, tokens=tokens)

    @property
    def is_causal(self) -> bool:
        """Whether the model predicts next tokens (has an LM head), unlike an encoder."""
        return hasattr(self.net, "generation_config") and self.net.get_output_embeddings() is not None


def _head_norms(w_out: torch.Tensor, heads: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Per-head write norms: `||W_O[:, head] z_head||` for each token, as `[b, heads, t]`."""
    d_out, d_in = w_out.shape
    head_dim = d_in // heads
    # [heads, head_dim, d_out]: each head's slice of the output projection
    per_head = w_out.t().reshape(heads, head_dim, d_out)

    def to_maps(raw: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = raw.shape
        z = raw.reshape(batch, tokens, heads, head_dim)
        writes = torch.einsum("bthd,hdo->bhto", z, per_head.to(raw.dtype))
        return writes.norm(dim=-1)

    return to_maps


def _has(net: nn.Module, path: str) -> bool:
    try:
        net.get_submodule(path)
        return True
    except AttributeError:
        return False
