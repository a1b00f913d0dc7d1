"""The exemplar cache: one pass records every unit of a layer; reuse from disk; correctness."""

import numpy as np
import pytest

from models import exemplars as ex
from models.corpora import Corpus, generated_images, get_corpus
from models.errors import StimulusError
from models.recording import activations


@pytest.fixture()
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def small_corpus() -> Corpus:
    return generated_images(n=40, seed=7)


def test_cache_top_k_matches_brute_force(efficientnet, small_corpus):
    images = small_corpus.load()
    cache = ex.build_layer_exemplars(efficientnet, "blocks.4", small_corpus, k=5, batch_size=16,
                                     stimuli=images)
    for unit in (0, 17, 111):
        values = activations(f"efficientnet_lite0:blocks.4:{unit}", images).values
        order = np.argsort(-values)[:5]
        np.testing.assert_allclose(cache.top_values[unit], values[order], rtol=1e-4, atol=1e-5)
        assert set(cache.top_indices[unit]) == set(order)
        assert cache.quantiles[unit, -1] == pytest.approx(values.max(), rel=1e-4)
        assert cache.quantiles[unit, 0] == pytest.approx(values.min(), rel=1e-4)
    assert cache.top_values.shape == (112, 5)
    assert (np.diff(cache.top_values, axis=1) <= 0).all()


def test_cache_is_written_once_and_reused(efficientnet, small_corpus, cache_root, monkeypatch):
    first = ex.layer_exemplars("efficientnet_lite0", "blocks.5", small_corpus, k=8)
    files = list((cache_root / "exemplars").rglob("*.npz"))
    assert len(files) == 1

    def must_not_rebuild(*_args, **_kwargs):
        raise AssertionError("the cache should have been read from disk")

    monkeypatch.setattr(ex, "build_layer_exemplars", must_not_rebuild)
    second = ex.layer_exemplars("efficientnet_lite0", "blocks.5", small_corpus, k=8)
    np.testing.assert_array_equal(first.top_indices, second.top_indices)


def test_a_changed_corpus_never_reuses_a_stale_cache(efficientnet, cache_root):
    a = ex.layer_exemplars("efficientnet_lite0", "blocks.5", generated_images(n=12, seed=1), k=4)
    b = ex.layer_exemplars("efficientnet_lite0", "blocks.5", generated_images(n=12, seed=2), k=4)
    assert a.corpus.key != b.corpus.key
    assert len(list((cache_root / "exemplars").rglob("*.npz"))) == 2


def test_corrupt_cache_file_is_rebuilt(efficientnet, small_corpus, cache_root):
    ex.layer_exemplars("efficientnet_lite0", "blocks.6", small_corpus, k=4)
    path = next((cache_root / "exemplars").rglob("*.npz"))
    path.write_bytes(b"not an npz")
    rebuilt = ex.layer_exemplars("efficientnet_lite0", "blocks.6", small_corpus, k=4)
    assert rebuilt.top_values.shape == (320, 4)


def test_unit_exemplars_are_sorted_and_materialised(efficientnet, small_corpus, cache_root):
    found = ex.exemplars("efficientnet_lite0:blocks.4:17", k=6, corpus=small_corpus)
    values = [e.value for e in found]
    assert values == sorted(values, reverse=True) and len(found) == 6
    recomputed = activations("efficientnet_lite0:blocks.4:17", [found[0].stimulus]).values[0]
    assert recomputed == pytest.approx(found[0].value, rel=1e-4)
    assert found[0].stimulus_id.startswith("generated:seed7:")


def test_text_exemplars_over_a_text_file(smollm2, tmp_path, cache_root):
    lines = [f"The number {i} is {'even' if i % 2 == 0 else 'odd'}." for i in range(30)]
    lines += ["The cat chased the mouse.", "Rain fell on the quiet town."]
    corpus_file = tmp_path / "texts.txt"
    corpus_file.write_text("\n".join(lines))
    found = ex.exemplars("smollm2-135m-instruct:model.layers.4.mlp:7", k=3,
                         corpus=str(corpus_file))
    assert len(found) == 3 and all(isinstance(e.stimulus, str) for e in found)
    values = activations("smollm2-135m-instruct:model.layers.4.mlp:7", lines).values
    assert found[0].value == pytest.approx(values.max(), rel=1e-4)


def test_synthetic_units_have_exemplars_like_any_unit(cache_root):
    found = ex.exemplars("synthetic-vision:single:0", k=4, corpus=generated_images(n=60, seed=3))
    assert found[0].value >= found[-1].value and found[0].value > 0.5


def test_unknown_corpus_is_a_clear_error():
    with pytest.raises(StimulusError, match="valid: default, natural, generated, photos"):
        get_corpus("imagenet-val", "vision")
