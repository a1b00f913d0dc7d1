"""SAELens interop: convert SAELens SAEs exactly, and fetch published ones by release and id.

SAELens (`sae-lens`, Bloom et al.) is the library most published SAEs load through; its
`SAE.from_pretrained(release, sae_id)` resolves a release name to Hugging Face files. It is
imported only here and in `train`, on first use, because it takes seconds to import.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from types import ModuleType
from typing import Any

import torch
from pydantic import ValidationError

from models.errors import choices
from models.sae.model import SAEConfig, SAEError, SparseAutoencoder

# SAELens architecture name -> ours (same maths, see models.sae.model).
ARCHITECTURES = {"standard": "relu", "topk": "topk", "jumprelu": "jumprelu"}
# SAELens input normalisations whose run-time effect in `SAE.encode` is the identity.
IDENTITY_NORMALISATIONS = ("none", "expected_average_only_in")

_RESID = re.compile(r"^blocks\.(\d+)\.hook_resid_(pre|post)$")
_MLP_POST = re.compile(r"^blocks\.(\d+)\.mlp\.hook_post$")


def require_sae_lens() -> ModuleType:
    """The `sae_lens` module, or an error that says how to install it."""
    try:
        import sae_lens
    except ImportError as error:
        raise SAEError("this needs the sae-lens package: pip install sae-lens==6.54.12") from error
    return sae_lens


def from_sae_lens(
    sae: Any,
    *,
    name: str,
    model: str,
    hook_layer: str,
    source: str,
    fold_decoder_norm: bool = False,
    center_input: bool = False,
    skip_first_token: bool = False,
) -> SparseAutoencoder:
    """Our SAE with the same latents as a SAELens SAE (inference or training class).

    TopK SAEs that rescale by decoder norm have those norms folded in, which leaves every latent
    unchanged. With `fold_decoder_norm`, ReLU and JumpReLU SAEs get unit-norm decoder rows too;
    their latents then scale by the old norms (the convention of Bricken et al. 2023).

    Raises:
        SAEError: an architecture or input normalisation we do not reproduce exactly.
    """
    cfg = sae.cfg
    architecture = cfg.architecture()
    if architecture not in ARCHITECTURES:
        raise SAEError(f"SAELens architecture {architecture!r} is not supported; supported: "
                       f"{', '.join(ARCHITECTURES)}")
    if cfg.normalize_activations not in IDENTITY_NORMALISATIONS:
        raise SAEError(f"SAELens input normalisation {cfg.normalize_activations!r} is not "
                       f"supported; supported: {', '.join(IDENTITY_NORMALISATIONS)}")
    if getattr(cfg, "reshape_activations", "none") != "none":
        raise SAEError(f"SAELens SAEs with reshape_activations={cfg.reshape_activations!r} "
                       "(attention hook_z) are not supported")
    with torch.no_grad():
        tensors = {key: getattr(sae, key).detach().float().cpu().clone()
                   for key in ("W_enc", "b_enc", "W_dec", "b_dec")}
        if architecture == "jumprelu":
            tensors["threshold"] = sae.threshold.detach().float().cpu().clone()
        rescaled = architecture == "topk" and getattr(cfg, "rescale_acts_by_decoder_norm", False)
        if rescaled or fold_decoder_norm:
            norms = tensors["W_dec"].norm(dim=-1).clamp(min=1e-8)  # [d_sae]
            tensors["W_dec"] /= norms[:, None]
            tensors["W_enc"] *= norms[None, :]
            tensors["b_enc"] *= norms
            if "threshold" in tensors:
                tensors["threshold"] *= norms
    try:
        config = SAEConfig(
            name=name, model=model, hook_layer=hook_layer,
            architecture=ARCHITECTURES[architecture], d_in=cfg.d_in, d_sae=cfg.d_sae,
            k=cfg.k if architecture == "topk" else None,
            apply_b_dec_to_input=bool(cfg.apply_b_dec_to_input), center_input=center_input,
            skip_first_token=skip_first_token, source=source,
        )
    except ValidationError as error:
        raise SAEError(f"bad SAE settings: {_first_message(error)}") from error
    return SparseAutoencoder(config, tensors)


def _first_message(error: ValidationError) -> str:
    return error.errors()[0].get("msg", str(error)).removeprefix("Value error, ")


def hook_layer_for(layers: list[tuple[str, str]], hook_name: str) -> str:
    """Our layer that reads what a TransformerLens hook reads.

    Args:
        layers: the model's layers as (name, kind), in forward order.
        hook_name: e.g. `blocks.6.hook_resid_post`, `blocks.6.hook_resid_pre`,
            `blocks.6.mlp.hook_post`.

    Raises:
        SAEError: a hook with no counterpart here (pass the layer explicitly instead).
    """
    residual = [name for name, kind in layers if kind == "residual"]
    mlp = [name for name, kind in layers if kind == "mlp_neuron"]
    hint = ("supported hooks: blocks.N.hook_resid_post, blocks.N.hook_resid_pre (N >= 1), "
            "blocks.N.mlp.hook_post; otherwise name the layer to read with --at")
    if match := _RESID.match(hook_name or ""):
        block, where = int(match.group(1)), match.group(2)
        index = block if where == "post" else block - 1
        if 0 <= index < len(residual):
            return residual[index]
    elif (match := _MLP_POST.match(hook_name or "")) and int(match.group(1)) < len(mlp):
        return mlp[int(match.group(1))]
    raise SAEError(f"no layer here reads the TransformerLens hook {hook_name!r}; {hint}")


def fetch_pretrained(release: str, sae_id: str) -> Any:
    """A published SAE through `SAE.from_pretrained` (downloads from the Hugging Face hub).

    Raises:
        SAEError: an unknown release or id (with the valid ones), or no download possible.
    """
    require_sae_lens()
    from sae_lens import SAE
    from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory

    directory = get_pretrained_saes_directory()
    if release not in directory and "/" not in release:
        close = get_close_matches(release, list(directory), n=5, cutoff=0.6)
        raise SAEError(f"unknown SAELens release {release!r}; "
                       + (f"did you mean {', '.join(close)}? " if close else "")
                       + f"releases: {choices(sorted(directory), limit=25)} (or pass a Hugging "
                       "Face repo id holding SAELens-format SAEs)")
    if release in directory and sae_id not in directory[release].saes_map:
        ids = list(directory[release].saes_map)
        close = get_close_matches(sae_id, ids, n=5, cutoff=0.6)
        raise SAEError(f"release {release!r} has no SAE {sae_id!r}; "
                       + (f"did you mean {', '.join(close)}? " if close else "")
                       + f"its SAEs: {choices(sorted(ids), limit=25)}")
    try:
        return SAE.from_pretrained(release, sae_id, device="cpu")
    except Exception as error:  # network, hub and converter errors come in many types
        raise SAEError(f"could not fetch SAE {sae_id!r} of release {release!r}: "
                       f"{type(error).__name__}: {error}. Fetching needs the Hugging Face hub; "
                       "SAEs trained here (`python -m models.sae train`) work offline") from error


def default_name(release: str, sae_id: str) -> str:
    """The layer name of a fetched SAE: `sae.<release>.<id>` without `/` or `:`."""
    return re.sub(r"[/:]", "-", f"sae.{release}.{sae_id}")


def sae_lens_description(sae: Any, release: str, sae_id: str) -> tuple[str, bool]:
    """A one-line source for people, and whether its activations were centred (TL default)."""
    metadata = sae.cfg.metadata
    kwargs = getattr(metadata, "model_from_pretrained_kwargs", None) or {}
    centred = bool(kwargs.get("center_writing_weights", False))
    trained_on = getattr(metadata, "model_name", None) or "?"
    bos = getattr(metadata, "prepend_bos", None)
    source = f"SAELens release {release}, id {sae_id}, trained on {trained_on}"
    if bos:
        source += " with a BOS token prepended (texts here get none)"
    return source, centred


def convert_published(sae: Any, model_name: str, layers: list[tuple[str, str]], release: str,
                      sae_id: str, name: str | None = None, at: str | None = None,
                      skip_first_token: bool = False) -> SparseAutoencoder:
    """A fetched SAELens SAE as ours, placed on `model_name`'s layer that its hook reads.

    Args:
        layers: the model's layers as (name, kind); `at` overrides the layer found from the hook.
    """
    known = {layer for layer, _ in layers}
    if at is not None and at not in known:
        raise SAEError(f"model {model_name!r} has no layer {at!r}; valid layers: "
                       f"{choices(sorted(known), limit=40)}")
    hook_layer = at or hook_layer_for(layers, getattr(sae.cfg.metadata, "hook_name", None))
    source, centred = sae_lens_description(sae, release, sae_id)
    return from_sae_lens(sae, name=name or default_name(release, sae_id), model=model_name,
                         hook_layer=hook_layer, source=source, center_input=centred,
                         skip_first_token=skip_first_token)
