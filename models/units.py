"""Unit addresses: the one place where `<model>:<layer>:<index>` is parsed and printed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.errors import UnitAddressError

# Kinds of unit a layer can hold; `models layers` prints one of these per layer.
UNIT_KINDS = (
    "conv_channel",  # a channel of a convolutional feature map; value = spatial max
    "mlp_neuron",  # a hidden neuron of a transformer MLP; value = max over tokens/patches
    "attention_head",  # one head's output (L2 norm of its contribution); value = max over tokens
    "residual",  # a basis direction of the residual stream; value = max over tokens
    "logit",  # an output class or vocabulary logit; value = max (over tokens for LMs)
    "sae_latent",  # a sparse-autoencoder latent of a layer; value = max over tokens
    "synthetic",  # a ground-truth synthetic unit computed from the stimulus content
)

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


@dataclass(frozen=True, order=True)
class UnitAddress:
    """The address of one unit: model name, layer (a module path) and an integer index."""

    model: str
    layer: str
    index: int

    def __str__(self) -> str:
        return f"{self.model}:{self.layer}:{self.index}"

    @property
    def layer_address(self) -> str:
        """The `<model>:<layer>` prefix, which names the layer."""
        return f"{self.model}:{self.layer}"


def parse_unit(text: str | UnitAddress) -> UnitAddress:
    """Parse `<model>:<layer>:<index>` into a UnitAddress (syntax only; see `resolve_unit`).

    Model names may contain `/` (hub ids such as `EleutherAI/pythia-70m`) but not `:`.

    Raises:
        UnitAddressError: the text is not of the form `<model>:<layer>:<index>`.
    """
    if isinstance(text, UnitAddress):
        return text
    if not isinstance(text, str):
        raise UnitAddressError(
            f"a unit address is a string '<model>:<layer>:<index>', got {type(text).__name__}"
        )
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(parts):
        raise UnitAddressError(
            f"bad unit address {text!r}: expected '<model>:<layer>:<index>', for example "
            "'efficientnet_lite0:blocks.4:17' or 'smollm2-135m-instruct:model.layers.3.mlp:42'; "
            "`python -m models list` names the models and `python -m models layers MODEL` "
            "their layers"
        )
    model, layer, index = parts
    if not _INDEX.match(index):
        raise UnitAddressError(
            f"bad unit index {index!r} in {text!r}: the index is a non-negative integer"
        )
    return UnitAddress(model=model, layer=layer, index=int(index))


def format_unit(model: str, layer: str, index: int) -> str:
    """Print a unit address; the inverse of `parse_unit`."""
    return str(UnitAddress(model, layer, int(index)))
