"""Tests of the sentence embedder, the text concept detectors and the synthetic text units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.concepts.text import TEXT_CONCEPTS, text_concept_scores, tokenize
from models.embedding import SentenceEmbedder, get_embedder, similarity
from models.errors import ModelsError
from models.synthetic.base import SyntheticUnitSpec
from models.synthetic.text_units import (
    TEXT_UNITS,
    probe_texts,
    text_unit_activations,
    text_unit_map,
)

# Seeds for the AUC check; development used seeds below 100.
_FRESH_SEEDS = (7301, 7302)


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return get_embedder()


def _presence(concept: str, texts: list[str]) -> np.ndarray:
    scores, _ = text_concept_scores([concept], texts)
    return scores[:, 0].max(axis=1)


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    above = positive[:, None] > negative[None, :]
    ties = positive[:, None] == negative[None, :]
    return float((above + 0.5 * ties).mean())


# --- embedder ---------------------------------------------------------------------------


def test_embedder_is_loaded_once_per_process(embedder: SentenceEmbedder) -> None:
    assert get_embedder() is embedder
    assert not embedder.model.training


def test_embeddings_are_unit_length_and_independent_of_batching(
    embedder: SentenceEmbedder,
) -> None:
    texts = ["A cat sat on the mat.", "Stock prices fell sharply today.", "Hello"]
    batched = embedder.embed(texts)
    assert batched.shape == (3, 384) and batched.dtype == torch.float32
    assert torch.allclose(batched.norm(dim=1), torch.ones(3), atol=1e-5)
    alone = torch.cat([embedder.embed([t], batch_size=1) for t in texts])
    assert torch.allclose(batched, alone, atol=1e-5)
    assert torch.equal(batched, embedder.embed(texts))


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    sims = similarity(
        ["The kitten is sleeping on the sofa.", "The central bank raised interest rates."],
        ["A young cat naps on the couch."],
    )
    assert sims.shape == (2, 1) and sims.dtype == np.float32
    assert sims[0, 0] > 0.6 > sims[1, 0] + 0.3


def test_embed_rejects_a_bare_string_and_handles_an_empty_list(
    embedder: SentenceEmbedder,
) -> None:
    with pytest.raises(ModelsError):
        embedder.embed("one string")  # type: ignore[arg-type]
    assert embedder.embed([]).shape == (0, 384)


# --- detectors --------------------------------------------------------------------------


def test_tokenize_splits_words_and_punctuation() -> None:
    assert tokenize("Don't stop, it's 10:30!") == [
        "Don", "'", "t", "stop", ",", "it", "'", "s", "10", ":", "30", "!",
    ]  # fmt: skip


def test_concept_scores_are_right_padded_maps_in_unit_range() -> None:
    texts = ["Two foxes.", "The red car stopped near the old house in Paris."]
    scores, tokens = text_concept_scores(["animals", "colours", "places"], texts)
    assert scores.dtype == np.float32
    assert scores.shape == (2, 3, len(tokens[1]))
    assert tokens[0] == ["Two", "foxes", "."]
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert (scores[0, :, len(tokens[0]) :] == 0).all()
    assert scores[0, 0].tolist()[:3] == [0.0, 1.0, 0.0]
    assert tokens[1][int(scores[1, 1].argmax())] == "red"
    assert tokens[1][int(scores[1, 2].argmax())] == "Paris"


def test_lexicon_detectors_undo_plurals_and_case() -> None:
    texts = ["MICE ran past.", "Three Cherries.", "The wolves howled.", "The table."]
    assert _presence("animals", texts).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert _presence("food", texts).tolist() == [0.0, 1.0, 0.0, 0.0]
    assert _presence("number_words", texts).tolist() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("concept", "present", "absent"),
    [
        ("numbers", ["It has 42 legs.", "Pi is about 3.14."], ["It has many legs."]),
        ("years", ["Built in 1889.", "In 2024 it closed."], ["It costs $1999.", "Room 305."]),
        ("times", ["Meet at 10:30.", "It opens at 5 pm."], ["Chapter 10 of 30."]),
        ("prices", ["It costs $12.50.", "She paid 30 euros."], ["It weighs 12 kg."]),
        ("urls", ["See https://example.org/a.", "Visit www.site.net today."], ["A site."]),
        ("emails", ["Mail ann.lee@mail.co.uk now."], ["Mail Ann at home."]),
        ("all_caps", ["The sign said STOP."], ["The sign said stop.", "I agree."]),
        ("questions", ["Where is it?", 'She asked, "Why?"'], ["It is here."]),
        ("negation", ["It is not here.", "They didn't go.", "Nobody came."], ["It is here."]),
        ("first_person", ["I left.", "Give it to us.", "Our house."], ["The US embassy."]),
        ("quotations", ['He said "hello there" twice.', "“Go,” she said."], ["He said hello."]),
        ("code", ["Call get_value() now.", "Use parseInput here.", "x == y"], ["Call me."]),
    ],
)
def test_pattern_detectors_fire_on_their_pattern_only(
    concept: str, present: list[str], absent: list[str]
) -> None:
    assert (_presence(concept, present) == 1.0).all()
    assert (_presence(concept, absent) == 0.0).all()


def test_semantic_detectors_separate_topics_in_unseen_sentences() -> None:
    examples = {
        "sports": "Our hockey team lost the final after a penalty shootout.",
        "medicine": "A nurse took his temperature and called the doctor.",
        "weather": "Tomorrow will be cloudy with a chance of snow.",
        "cooking": "Bake the cake for forty minutes at a low heat.",
    }
    neutral = ["The invoice was sent to the accounting office.", "He locked the door."]
    texts = [*examples.values(), *neutral]
    scores, _ = text_concept_scores(list(examples), texts)
    presence = scores.max(axis=2)
    assert (np.diag(presence[:4]) >= 0.9).all()
    off_diagonal = presence[:4][~np.eye(4, dtype=bool)]
    assert (off_diagonal <= 0.1).all() and (presence[4:] <= 0.1).all()


def test_semantic_scores_are_per_sentence() -> None:
    text = "The table is in the hallway. Heavy snow and strong winds are expected tonight."
    scores, tokens = text_concept_scores(["weather"], [text])
    first = tokens[0].index("hallway")
    assert scores[0, 0, first] == 0.0 and scores[0, 0, len(tokens[0]) - 2] == 1.0


def test_unknown_concept_names_the_valid_ones() -> None:
    with pytest.raises(ModelsError, match="unknown text concept 'dragons'.*animals"):
        text_concept_scores(["dragons"], ["text"])


# --- compositions -----------------------------------------------------------------------


def test_and_fires_on_the_first_concept_only_when_the_other_is_in_the_text() -> None:
    spec = SyntheticUnitSpec("text", "and", ("animals", "colours"), "d", "l")
    maps, tokens = text_unit_activations(spec, ["A fox. It was red.", "A fox.", "It was red."])
    assert maps.max(axis=1).tolist() == [1.0, 0.0, 0.0]
    assert tokens[0][int(maps[0].argmax())] == "fox"


def test_and_not_fires_on_the_first_concept_unless_the_second_is_in_the_text() -> None:
    spec = SyntheticUnitSpec("text", "and_not", ("animals", "negation"), "d", "l")
    texts = ["A fox ran.", "A fox. It did not run.", "It did not run.", "A table."]
    maps, _ = text_unit_activations(spec, texts)
    assert maps.max(axis=1).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_or_is_the_position_wise_max() -> None:
    spec = SyntheticUnitSpec("text", "or", ("animals", "colours"), "d", "l")
    scores, _ = text_concept_scores(["animals", "colours"], ["A red fox.", "A table."])
    assert text_unit_map(spec, scores).tolist() == [[0, 1, 1, 0], [0, 0, 0, 0]]


def test_unit_map_rejects_scores_for_the_wrong_number_of_concepts() -> None:
    spec = SyntheticUnitSpec("text", "and", ("animals", "colours"), "d", "l")
    with pytest.raises(ModelsError, match="2 concepts"):
        text_unit_map(spec, np.zeros((1, 3, 4), dtype=np.float32))


# --- units ------------------------------------------------------------------------------


def test_text_units_cover_every_composition_with_clear_ground_truth() -> None:
    counts = {c: sum(u.composition == c for u in TEXT_UNITS) for c in ("single", "or", "and")}
    counts["and_not"] = sum(u.composition == "and_not" for u in TEXT_UNITS)
    assert len(TEXT_UNITS) >= 44
    assert counts["single"] >= 20 and min(counts.values()) >= 8
    assert len({u.id for u in TEXT_UNITS}) == len(TEXT_UNITS)
    for unit in TEXT_UNITS:
        assert unit.modality == "text" and unit.label and unit.description.startswith("fires")
        assert all(c in TEXT_CONCEPTS for c in unit.concepts)
        assert all(TEXT_CONCEPTS[c].phrase in unit.description for c in unit.concepts)


def test_and_negatives_include_texts_with_the_first_concept_alone() -> None:
    spec = next(u for u in TEXT_UNITS if u.composition == "and")
    negatives = probe_texts(spec, 8, seed=5, positive=False)
    first = _presence(spec.concepts[0], negatives)
    assert (first == 1.0).sum() >= 4


@pytest.mark.parametrize("spec", TEXT_UNITS, ids=[u.id for u in TEXT_UNITS])
def test_unit_separates_fresh_positive_and_negative_probes(spec: SyntheticUnitSpec) -> None:
    aucs = []
    for seed in _FRESH_SEEDS:
        positives = probe_texts(spec, 8, seed=seed, positive=True)
        negatives = probe_texts(spec, 8, seed=seed, positive=False)
        on = text_unit_activations(spec, positives)[0].max(axis=1)
        off = text_unit_activations(spec, negatives)[0].max(axis=1)
        aucs.append(_auc(on, off))
    assert min(aucs) >= 0.95, aucs
