"""SAELens interop: exact conversion of each architecture, and attaching a published SAE."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sae_lens import (
    GatedSAE,
    GatedSAEConfig,
    JumpReLUSAE,
    JumpReLUSAEConfig,
    StandardSAE,
    StandardSAEConfig,
    TopKSAE,
    TopKSAEConfig,
)

from models.recording import activations
from models.sae.attach import attach_published
from models.sae.lens import fetch_pretrained, from_sae_lens, hook_layer_for
from models.sae.model import SAEError
from models.sae.store import load_sae

MODEL = "smollm2-135m-instruct"


def random_sae(kind: str, d_in: int = 24, d_sae: int = 64, seed: int = 0):
    """A SAELens SAE with random weights: non-unit decoder rows, non-zero biases."""
    torch.manual_seed(seed)
    sae = {
        "standard": lambda: StandardSAE(StandardSAEConfig(d_in=d_in, d_sae=d_sae)),
        "topk": lambda: TopKSAE(TopKSAEConfig(d_in=d_in, d_sae=d_sae, k=6)),
        "topk-rescaled": lambda: TopKSAE(TopKSAEConfig(d_in=d_in, d_sae=d_sae, k=6,
                                                       rescale_acts_by_decoder_norm=True)),
        "jumprelu": lambda: JumpReLUSAE(JumpReLUSAEConfig(d_in=d_in, d_sae=d_sae)),
    }[kind]()
    with torch.no_grad():
        for name, parameter in sae.named_parameters():
            if name == "threshold":
                parameter.uniform_(0.0, 0.5)
            else:
                parameter.normal_(0.0, 0.3 if name.startswith("b") else 1.0)
    return sae


@pytest.mark.parametrize("kind", ["standard", "topk", "topk-rescaled", "jumprelu"])
def test_conversion_gives_the_same_latents_and_reconstruction(kind):
    theirs = random_sae(kind)
    ours = from_sae_lens(theirs, name="sae.x", model="m", hook_layer="l", source="test")
    x = torch.randn(5, 7, 24)
    with torch.no_grad():
        expected = theirs.encode(x)
        reconstruction = theirs.decode(expected)
    latents = ours.encode(x)
    assert (expected > 0).sum() > 0
    torch.testing.assert_close(latents, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours.decode(latents), reconstruction, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["standard", "jumprelu"])
def test_folding_decoder_norms_keeps_the_reconstruction(kind):
    theirs = random_sae(kind, seed=1)
    ours = from_sae_lens(theirs, name="sae.x", model="m", hook_layer="l", source="test",
                         fold_decoder_norm=True)
    x = torch.randn(9, 24)
    with torch.no_grad():
        expected = theirs.decode(theirs.encode(x))
    torch.testing.assert_close(ours.W_dec.norm(dim=-1), torch.ones(64))
    torch.testing.assert_close(ours(x), expected, rtol=1e-4, atol=1e-4)
    # same latents fire; their sizes scale by the old decoder norms
    torch.testing.assert_close(ours.encode(x) > 0, theirs.encode(x) > 0)


def test_unsupported_architecture_is_refused_by_name():
    gated = GatedSAE(GatedSAEConfig(d_in=8, d_sae=16))
    with pytest.raises(SAEError, match="gated.*supported: standard, topk, jumprelu"):
        from_sae_lens(gated, name="sae.x", model="m", hook_layer="l", source="test")


def test_transformer_lens_hooks_map_to_our_layers(smollm2):
    layers = [(info.layer, info.kind) for info in smollm2.layers()]
    assert hook_layer_for(layers, "blocks.6.hook_resid_post") == "model.layers.6"
    assert hook_layer_for(layers, "blocks.6.hook_resid_pre") == "model.layers.5"
    assert hook_layer_for(layers, "blocks.3.mlp.hook_post") == "model.layers.3.mlp"
    for hook in ("blocks.0.hook_resid_pre", "blocks.3.attn.hook_z", "blocks.99.hook_resid_post"):
        with pytest.raises(SAEError, match="--at"):
            hook_layer_for(layers, hook)


def test_unknown_release_or_id_lists_valid_ones_offline():
    with pytest.raises(SAEError, match="did you mean gpt2-small-res-jb"):
        fetch_pretrained("gpt2-small-res-j", "blocks.0")
    with pytest.raises(SAEError, match=r"unknown SAELens release 'zzz'; releases: .*in all"):
        fetch_pretrained("zzz", "blocks.0")
    with pytest.raises(SAEError, match="blocks.6.hook_resid_pre"):
        fetch_pretrained("gpt2-small-res-jb", "blocks.6.nope")


def test_published_sae_attaches_as_a_layer(smollm2, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    published = random_sae("topk-rescaled", d_in=576, d_sae=96, seed=2)
    published.cfg.metadata.hook_name = "blocks.6.hook_resid_post"
    published.cfg.metadata.model_name = "smollm2-135m"

    def fake_fetch(release: str, sae_id: str):  # stands in for the hub download
        assert (release, sae_id) == ("fake-release", "blocks.6.hook_resid_post")
        return published

    config = attach_published(MODEL, "fake-release", "blocks.6.hook_resid_post",
                              fetch=fake_fetch)
    name = "sae.fake-release.blocks.6.hook_resid_post"
    assert (config.name, config.hook_layer, config.d_sae) == (name, "model.layers.6", 96)
    assert load_sae(MODEL, name).config == config
    texts = ["A red fox jumps.", "Numbers like 42 and 7 appear here."]
    residual = smollm2.record("model.layers.6", texts)
    with torch.no_grad():
        latents = published.encode(residual.maps.transpose(1, 2))  # [b, t, 96]
    expected = [latents[i, :n].max(dim=0).values for i, n in enumerate(residual.lengths)]
    busiest = int(torch.stack(expected).sum(dim=0).argmax())
    values = activations(f"{MODEL}:{name}:{busiest}", texts).values
    np.testing.assert_allclose(values, [e[busiest].item() for e in expected], rtol=1e-4,
                               atol=1e-4)


def test_published_sae_for_a_layer_of_another_width_is_refused(smollm2, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    published = random_sae("standard", d_in=100, d_sae=32)
    published.cfg.metadata.hook_name = "blocks.6.hook_resid_post"
    with pytest.raises(SAEError, match="100-wide"):
        attach_published(MODEL, "r", "i", fetch=lambda _r, _i: published)
    assert not list(tmp_path.rglob("config.json"))  # nothing stored
