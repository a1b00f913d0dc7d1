"""Attach a published SAELens SAE to a model: fetch, convert, store, and add its layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.registry import get_model
from models.sae.layers import attach_sae
from models.sae.lens import convert_published, fetch_pretrained
from models.sae.model import SAEConfig, SAEError
from models.sae.store import save_sae
from models.text import TextModel


def attach_published(
    model_name: str,
    release: str,
    sae_id: str,
    *,
    name: str | None = None,
    at: str | None = None,
    skip_first_token: bool = False,
    fetch: Callable[[str, str], Any] = fetch_pretrained,
) -> SAEConfig:
    """Fetch SAELens's `release`/`sae_id`, store it for `model_name`, and add it as a layer.

    Stored, it appears as a layer every time the model loads, offline included.

    Args:
        model_name: our registry name of the model it was trained on (e.g. `gpt2`).
        release, sae_id: SAELens's names (`python -m models.sae attach --help` shows examples).
        name: its layer name (default `sae.<release>.<id>`).
        at: our layer to read, when its TransformerLens hook name has no counterpart here.
        skip_first_token: make the first token's latents read 0.
        fetch: `(release, sae_id) -> SAELens SAE` (the hub by default).

    Raises:
        SAEError: the model is not a language model, the SAE is unknown, unreachable or does
            not fit the model's layer.
    """
    model = get_model(model_name)
    if not isinstance(model, TextModel):
        raise SAEError(f"SAE latents attach to language models; {model_name!r} is a "
                       f"{model.modality} model")
    layers = [(info.layer, info.kind) for info in model.layers()]
    sae = convert_published(fetch(release, sae_id), model.name, layers, release, sae_id,
                            name=name, at=at, skip_first_token=skip_first_token)
    attach_sae(model, sae)  # checks the fit before anything is written
    save_sae(sae)
    return sae.config
