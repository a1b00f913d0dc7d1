"""SAE latents as units: training, storage, and the latents served like any other unit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from models import cli as models_cli
from models import loaders
from models.corpora import Corpus
from models.errors import UnitIndexError, UnknownLayerError
from models.exemplars import build_layer_exemplars
from models.recording import activations, resolve_unit
from models.sae.layers import attach_cached_saes, latent_edit, sae_of
from models.sae.model import SAEError
from models.sae.store import list_saes, load_sae, sae_dir, save_sae
from models.sae.train import train_sae
from models.stimuli.texts import corpus as text_corpus

MODEL = "smollm2-135m-instruct"
NAME = "sae.test.layers.6"
WIDTH, K = 256, 8
TEXTS = ["The cat sat on the warm mat by the door.", "Call get_user() before the loop ends.",
         "In 1969 the crew landed on the Moon.", "She painted the fence a bright indigo."]


@pytest.fixture(scope="module")
def cache(smollm2, tmp_path_factory):
    """A private cache holding the real model's weights (linked) and the SAEs the tests make."""
    real = loaders.cache_dir()
    root = tmp_path_factory.mktemp("cache")
    if (real / MODEL).is_dir():
        (root / MODEL).symlink_to(real / MODEL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def small_corpus() -> Corpus:
    texts = text_corpus(n=60, seed=3)
    return Corpus("sae-test", "text", texts, lambda: list(texts))


@pytest.fixture(scope="module")
def sae(cache, small_corpus):
    """A tiny TopK SAE trained for 40 steps on 60 texts (a few seconds)."""
    return train_sae(MODEL, "model.layers.6", small_corpus, name=NAME, width=WIDTH, k=K,
                     steps=40, batch_size=128, lr=3e-3, seed=0)


def test_training_lowers_held_out_reconstruction_error(sae):
    history = sae.config.training.fvu_history
    assert len(history) == 21
    assert history[-1] < 0.75 * history[0]
    assert all(later < earlier for earlier, later in zip(history[:5], history[1:6], strict=True))
    metrics = sae.config.metrics
    # the stored SAE (scale folded, decoder normalised) reconstructs exactly as it trained
    assert metrics.fvu == pytest.approx(history[-1], rel=1e-3)
    assert 0 < metrics.l0 <= K and metrics.mse > 0 and 0 <= metrics.dead_latents < WIDTH


def test_decoder_rows_are_unit_norm(sae):
    norms = sae.W_dec.norm(dim=-1)
    assert torch.allclose(norms, torch.ones(WIDTH), atol=1e-5)


def test_save_and_load_round_trip_exactly(sae, cache):
    loaded = load_sae(MODEL, NAME)
    assert loaded.config == sae.config
    for key, value in sae.tensors().items():
        assert torch.equal(loaded.tensors()[key], value), key
    assert (sae_dir(MODEL, NAME) / "config.json").is_file()
    assert [c.name for c in list_saes(MODEL)] == [NAME]
    assert not list(sae_dir(MODEL, NAME).parent.glob(".tmp-*"))  # no leftovers of the atomic write


def test_unknown_sae_name_lists_the_stored_ones(sae):
    with pytest.raises(SAEError, match=NAME):
        load_sae(MODEL, "sae.nope")


def test_latent_address_resolves_to_an_sae_latent(sae):
    unit, model, info = resolve_unit(f"{MODEL}:{NAME}:17")
    assert (unit.layer, unit.index, info.kind, info.units) == (NAME, 17, "sae_latent", WIDTH)
    assert "topk k=8" in info.description and "model.layers.6" in info.description


def test_activations_match_the_sae_on_the_recorded_layer(sae, smollm2):
    residual = smollm2.record("model.layers.6", TEXTS)  # [b, 576, t]
    latents = sae.encode(residual.maps.transpose(1, 2))  # [b, t, WIDTH]
    latents[:, 0] = 0  # the first token is not modelled
    expected = torch.stack([latents[i, :n].max(dim=0).values
                            for i, n in enumerate(residual.lengths)])  # [b, WIDTH]
    busiest = int(expected.sum(dim=0).argmax())
    result = activations(f"{MODEL}:{NAME}:{busiest}", TEXTS)
    assert result.kind == "sae_latent"
    np.testing.assert_allclose(result.values, expected[:, busiest].numpy(), rtol=1e-5, atol=1e-6)
    assert result.values.max() > 0
    for value, unit_map, tokens in zip(result.values, result.maps, result.tokens, strict=True):
        assert len(unit_map) == len(tokens)
        assert unit_map.max() == pytest.approx(value)
        assert unit_map[0] == 0.0


def test_latent_edits_use_the_latents_decoder_row(sae, smollm2):
    spec = smollm2.layer_spec(NAME)
    assert sae_of(spec) is sae and sae_of(smollm2.layer_spec("model.layers.6")) is None
    x = smollm2.record("model.layers.6", TEXTS[:2]).maps.transpose(1, 2)  # [b, t, 576]
    latents = sae.encode(x)
    latent = int(latents[:, 1:].sum(dim=(0, 1)).argmax())
    ablated = latent_edit(spec, latent, "ablate")(x)
    removed = latents[..., latent].clone()
    removed[:, 0] = 0  # the first token is not modelled, so nothing is removed there
    torch.testing.assert_close(x - ablated, removed[..., None] * sae.W_dec[latent])
    steered = latent_edit(spec, latent, "steer", 20.0)(x)
    torch.testing.assert_close(steered - x, 20.0 * sae.W_dec[latent].expand_as(x), atol=1e-4,
                               rtol=1e-4)  # x reaches ~900 on the first token
    # steering along the latent's own decoder row makes that latent fire harder
    before, after = latents[:, 1:, latent], sae.encode(steered)[:, 1:, latent]
    assert after.mean() > before.mean() + 5.0 and (after > before).float().mean() > 0.6
    with pytest.raises(SAEError, match="not an SAE layer"):
        latent_edit(smollm2.layer_spec("model.layers.6"), 0, "steer", 1.0)


def test_bad_latent_index_names_the_valid_range(sae):
    with pytest.raises(UnitIndexError, match=rf"0\.\.{WIDTH - 1}"):
        resolve_unit(f"{MODEL}:{NAME}:{WIDTH}")


def test_layer_is_listed_after_the_layer_it_reads(sae, smollm2, capsys):
    names = [info.layer for info in smollm2.layers()]
    assert names[names.index("model.layers.6") + 1] == NAME
    assert models_cli.main(["layers", MODEL, "--json"]) == 0
    rows = {row["layer"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows[NAME]["kind"], rows[NAME]["units"]) == ("sae_latent", WIDTH)


def test_one_exemplar_pass_serves_every_latent(sae, smollm2, small_corpus):
    texts = small_corpus.load()[:12]
    cache = build_layer_exemplars(smollm2, NAME, small_corpus, k=3, stimuli=texts)
    assert cache.top_values.shape == (WIDTH, 3)
    for latent in np.argsort(-cache.top_values[:, 0])[:2]:
        values = activations(f"{MODEL}:{NAME}:{latent}", texts).values
        np.testing.assert_allclose(cache.top_values[latent], np.sort(values)[::-1][:3],
                                   rtol=1e-5, atol=1e-6)


def test_stored_sae_appears_when_the_model_loads(sae, cache):
    env = {**os.environ, "WORKBENCH_CACHE": str(cache)}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "models", "layers", MODEL, "--json"], cwd=root,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = {row["layer"]: row for row in json.loads(out.stdout)}
    assert (rows[NAME]["kind"], rows[NAME]["units"]) == ("sae_latent", WIDTH)


def test_a_damaged_or_unfitting_sae_is_skipped_with_a_warning(sae, cache):
    fresh = loaders.load_smollm2()
    bad = sae.config.model_copy(update={"name": "sae.wrong-width", "d_in": 100})
    folder = sae_dir(MODEL, bad.name)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(bad.model_dump_json())
    (sae_dir(MODEL, "sae.garbled")).mkdir()
    (sae_dir(MODEL, "sae.garbled") / "config.json").write_text("{not json")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            attach_cached_saes(fresh)
        names = [info.layer for info in fresh.layers()]
        assert NAME in names and "sae.wrong-width" not in names
        text = " ".join(str(w.message) for w in caught)
        assert "sae.garbled" in text and "sae.wrong-width" in text
    finally:
        for name in ("sae.wrong-width", "sae.garbled"):
            for path in sae_dir(MODEL, name).iterdir():
                path.unlink()
            sae_dir(MODEL, name).rmdir()


def test_saving_replaces_an_sae_of_the_same_name(sae):
    other = load_sae(MODEL, NAME)
    other.W_dec.mul_(-1)
    save_sae(other)
    try:
        assert torch.equal(load_sae(MODEL, NAME).W_dec, -sae.W_dec.cpu())
    finally:
        save_sae(sae)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"architecture": "gated"}, "valid: topk, relu"),
    ({"layer": "model.layers.6.self_attn"}, "residual, mlp_neuron"),
    ({"k": 0}, "k must be in 1..width"),
    ({"name": "bad:name"}, "without ':'"),
])
def test_bad_training_requests_say_what_is_valid(cache, small_corpus, kwargs, message):
    settings = {"layer": "model.layers.6", "width": 16, "k": 4, "steps": 1, "batch_size": 16,
                "save": False, **kwargs}
    layer = settings.pop("layer")
    with pytest.raises(SAEError, match=message):
        train_sae(MODEL, layer, small_corpus, **settings)


def test_unknown_layer_to_train_on_lists_the_layers(cache, small_corpus):
    with pytest.raises(UnknownLayerError, match="model.layers.6"):
        train_sae(MODEL, "model.layers.99", small_corpus, steps=1, save=False)
