"""SAE latents as a layer of a language model: one hook point, every latent of the SAE.

An SAE on `model.layers.6` becomes the layer `sae.layers.6` (its config's name) of kind
`sae_latent`: it reads the same captured tensor `[b, t, d_in]` as the layer it was trained on and
encodes it to per-token latent activations `[b, d_sae, t]`, so `record`, `activations` and the
exemplar cache serve SAE latents exactly as they serve neurons.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from models.base import LayerInfo, SubjectModel
from models.errors import ModelsError
from models.sae.model import SAEError, SparseAutoencoder
from models.sae.store import list_saes, load_sae_from, sae_dir
from models.text import TextLayer, TextModel

# Layer kinds whose captured tensor is `[b, t, units]` itself, so an SAE can read it.
READABLE_KINDS = ("residual", "mlp_neuron")


def describe(sae: SparseAutoencoder) -> str:
    """One line for `python -m models layers`: what the SAE is and how well it reconstructs."""
    config = sae.config
    rule = f"topk k={config.k}" if config.architecture == "topk" else config.architecture
    parts = [f"{rule} SAE latents on {config.hook_layer}"]
    if config.metrics is not None:
        m = config.metrics
        parts.append(f"FVU {m.fvu:.3f}, L0 {m.l0:.1f}, {m.dead_latents} dead")
    if config.skip_first_token:
        parts.append("first token reads 0")
    if config.source:
        parts.append(config.source)
    return "; ".join(parts)


class LatentMaps:
    """An SAE layer's `to_maps`: captured `[b, t, d_in]` to latent activations `[b, d_sae, t]`.

    It keeps the SAE (`.sae`), so code holding the layer spec can reach the decoder
    (`sae_of`, `latent_edit`, `latent_direction`).
    """

    def __init__(self, sae: SparseAutoencoder) -> None:
        self.sae = sae

    def latents(self, raw: torch.Tensor) -> torch.Tensor:
        """Per-token latents `[b, t, d_sae]`; the first token's are 0 when it is skipped."""
        latents = self.sae.encode(raw)
        if self.sae.config.skip_first_token:
            latents[:, 0] = 0.0
        return latents

    def __call__(self, raw: torch.Tensor) -> torch.Tensor:
        return self.latents(raw).transpose(1, 2)


def sae_of(spec: TextLayer) -> SparseAutoencoder | None:
    """The SAE behind a layer spec (`model.layer_spec(layer)`), or None for other layers."""
    return spec.to_maps.sae if isinstance(spec.to_maps, LatentMaps) else None


def latent_direction(sae: SparseAutoencoder, index: int) -> torch.Tensor:
    """The direction latent `index` writes into the activations it reads: `W_dec[index]`
    `[d_in]` (unit norm for SAEs trained here); what a logit-lens reading multiplies."""
    return sae.W_dec[index].detach()


def latent_edit(spec: TextLayer, index: int, mode: str, scale: float = 0.0
                ) -> Callable[[torch.Tensor], torch.Tensor]:
    """An edit of the tensor at the SAE layer's hook point `[b, t, d_in] -> [b, t, d_in]`.

    `mode="ablate"` removes the latent's own contribution `z_index * W_dec[index]` at every
    token, keeping the rest of the activation (reconstruction error included);
    `mode="steer"` adds `scale * W_dec[index]` at every token (feature steering as in Templeton
    et al. 2024, "Scaling Monosemanticity"; `scale` is in the latent's activation units).

    Raises:
        SAEError: not an SAE layer, or an unknown mode.
    """
    maps = spec.to_maps
    if not isinstance(maps, LatentMaps):
        raise SAEError(f"{spec.info.layer} is not an SAE layer")
    if mode not in ("ablate", "steer"):
        raise SAEError(f"unknown edit {mode!r}; valid: ablate, steer")
    direction = latent_direction(maps.sae, index)

    def edit(x: torch.Tensor) -> torch.Tensor:
        write = direction.to(x.device, x.dtype)
        if mode == "steer":
            return x + scale * write
        z = maps.latents(x)[..., index].to(x.dtype)  # [b, t]
        return x - z[..., None] * write

    return edit


def sae_layer(model: TextModel, sae: SparseAutoencoder) -> TextLayer:
    """The TextLayer that reads `sae`'s latents on `model`.

    Raises:
        SAEError: the SAE was made for another model, or its layer is missing or of another width.
    """
    config = sae.config
    if config.model != model.name:
        raise SAEError(f"SAE {config.name!r} was made for model {config.model!r}, "
                       f"not {model.name!r}")
    try:
        base = model.layer_spec(config.hook_layer)
    except ModelsError as error:
        raise SAEError(f"SAE {config.name!r} reads layer {config.hook_layer!r}: {error}") from error
    if base.info.kind not in READABLE_KINDS:
        raise SAEError(f"SAE {config.name!r} reads {config.hook_layer!r}, a layer of "
                       f"{base.info.kind} units; SAEs can read layers of kind "
                       f"{', '.join(READABLE_KINDS)}")
    if base.info.units != config.d_in:
        raise SAEError(f"SAE {config.name!r} reads {config.d_in}-wide activations, but "
                       f"{model.name}:{config.hook_layer} is {base.info.units} wide")
    sae.to(model.device)
    info = LayerInfo(config.name, "sae_latent", config.d_sae, describe(sae))
    return TextLayer(info, base.point, LatentMaps(sae), final=base.final)


def attach_sae(model: SubjectModel, sae: SparseAutoencoder) -> LayerInfo:
    """Add (or replace) the SAE's layer on a loaded model, listed after the layer it reads.

    Raises:
        SAEError: the model is not a language model, or the SAE does not fit it.
    """
    if not isinstance(model, TextModel):
        raise SAEError(f"SAE latents attach to language models; {model.name!r} is a "
                       f"{model.modality} model")
    layer = sae_layer(model, sae)
    model.add_layer(layer, after=sae.config.hook_layer, replace=True)
    return layer.info


def attach_cached_saes(model: SubjectModel) -> None:
    """Attach every SAE stored for this model; a damaged or unfitting one is skipped, warned.

    The registry runs this on each model as it loads, so stored SAEs appear as layers.
    """
    if not isinstance(model, TextModel):
        return
    for config in list_saes(model.name):
        try:
            attach_sae(model, load_sae_from(sae_dir(model.name, config.name)))
        except ModelsError as error:
            warnings.warn(f"SAE {config.name!r} of {model.name} not attached: {error}",
                          stacklevel=2)
